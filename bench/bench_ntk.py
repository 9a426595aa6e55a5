"""Speed of the eNTK methods (ntk/empirical.py) on the quadratic net; prints ratios, not a test.

Part 1: p in {13, 31, 61}, width 4p, all p^2 pairs, output="trace_mean", float64: time of
closed_form, jacobian and ntk_vp, and the ratios jacobian / closed_form and ntk_vp / closed_form.
Where the autodiff methods are too slow to run whole, one R x R block (chunk_size=R, which is
how the chunked method tiles the kernel) is timed and multiplied by (N/R)^2; the output says so.
Part 2: the full p = 97, width 388 trace kernel (9409 x 9409) by closed_form against one dense
(N x width) @ (width x N) float64 product, timed alternately in the same run. Achieved FLOP/s:
the GEMM does 2 N^2 width; the closed form's products are the dense (h^2) term (2 N^2 h) plus the
overlap term on the 2p - 1 of p^2 pairs sharing a or b (2 x 2 N p h), counted analytically.
On CUDA the float64 and float32 GEMM rates of the chip (one large square GEMM, TF32 off) are
printed too, so the closed form's rate can be read against the chip.

The CPU is shared with other jobs, so absolute times are noisy: compare the ratios measured in
the same run (minimum over --repeats calls; part 2 also prints the medians), and quote the
machine line printed at the top.

    python bench/bench_ntk.py [--ps 13 31 61] [--repeats 5] [--threads 1] [--device cpu|cuda]
                              [--skip-part2]

With 2 threads on a CPU whose 2 cores are oversubscribed, every parallel op can stall waiting
for a descheduled thread; the closed form (many small ops) suffers most. --threads 1 removes
that fork-join stall; run both and quote both.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.theory.tasks import binary_table


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeats):
    """Minimum wall time of `repeats` calls after one untimed warm-up call (as `timeit`
    advises: on a shared CPU the spread above the minimum is other processes, not the code)."""
    fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        t = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t)
    return min(times)


def square_gemm_flops(n: int, dtype, device, repeats: int = 3) -> float:
    """FLOP/s of one n x n @ n x n GEMM in `dtype` on `device` (best of `repeats` after a warm-up)."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    t = timed(lambda: a @ a, device, repeats)
    return 2 * n ** 3 / t


def machine(device) -> str:
    cpu = platform.processor() or platform.machine()
    line = (f"machine: {platform.node()} {cpu}, {os.cpu_count()} CPU cores visible, "
            f"torch {torch.__version__} with {torch.get_num_threads()} threads, device {device}")
    if device == "cuda":
        line += f" ({torch.cuda.get_device_name()})"
    return line


def method_time(net, x, method, device, repeats, block):
    """(seconds, how) for the whole trace_mean kernel; `block` = R for the block estimate."""
    n = x.shape[0]
    if block is None or block >= n:
        return timed(lambda: empirical_ntk(net, x, method=method), device, repeats), "measured"
    xs = x[:block], x[block:2 * block]
    t = timed(lambda: empirical_ntk(net, xs[0], xs[1], method=method), device, repeats)
    return t * (n / block) ** 2, f"(N/{block})^2 x one {block}x{block} block"


def part1(args, device):
    print("\n== Part 1: all p^2 pairs, width 4p, output='trace_mean' (mean over logits), float64")
    print(f"{'p':>4} {'N':>6} {'closed_form s':>14} {'jacobian s':>12} {'ntk_vp s':>12} "
          f"{'jac/closed':>11} {'vp/closed':>10}  how")
    for p in args.ps:
        net = QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(p)).to(device)
        x = binary_table(p)[0].to(device)  # (p^2, 2)
        t_cf = timed(lambda: empirical_ntk(net, x, method="closed_form"), device, args.repeats)
        jac_block = None if p <= args.full_jacobian_up_to else args.block
        vp_block = None if p <= args.full_vp_up_to else args.block
        t_jac, how_j = method_time(net, x, "jacobian", device, 1, jac_block)
        t_vp, how_v = method_time(net, x, "ntk_vp", device, 1, vp_block)
        print(f"{p:>4} {p * p:>6} {t_cf:>14.5f} {t_jac:>12.3f} {t_vp:>12.3f} "
              f"{t_jac / t_cf:>11.0f} {t_vp / t_cf:>10.0f}  jacobian {how_j}; ntk_vp {how_v}",
              flush=True)


def part2(args, device):
    p, width = 97, 388
    print(f"\n== Part 2: full p={p} trace kernel ({p * p} x {p * p}), width {width}, float64")
    net = QuadraticNet(p, width, generator=torch.Generator().manual_seed(0)).to(device)
    x = binary_table(p)[0].to(device)  # (p^2, 2)
    a = torch.randn(p * p, width, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64).to(device)  # (N, width)
    mm, cf = [], []
    for _ in range(args.repeats):  # alternate, so both see the same load
        for store, fn in ((mm, lambda: a @ a.T), (cf, lambda: empirical_ntk(
                net, x, method="closed_form", output="trace_mean"))):
            _sync(device)
            t = time.perf_counter()
            out = fn()
            _sync(device)
            store.append(time.perf_counter() - t)
            del out
    t_mm, t_cf = statistics.median(mm), statistics.median(cf)
    n = p * p
    f_mm, f_cf = 2 * n * n * width, 2 * n * n * width + 4 * n * p * width
    print(f"achieved: matmul {f_mm / t_mm / 1e9:.1f} GFLOP/s, closed_form {f_cf / t_cf / 1e9:.1f} GFLOP/s (float64)")
    if device == "cuda":
        for dt in (torch.float64, torch.float32):
            print(f"chip {dt} GEMM rate (8192^2, TF32 off): {square_gemm_flops(8192, dt, device) / 1e12:.2f} TFLOP/s")
    print(f"dense (N x {width}) @ ({width} x N) float64 matmul: median {t_mm:.3f} s "
          f"(all: {', '.join(f'{t:.2f}' for t in mm)})")
    print(f"closed_form trace_mean kernel:                 median {t_cf:.3f} s "
          f"(all: {', '.join(f'{t:.2f}' for t in cf)})")
    print(f"ratio closed_form / matmul = {t_cf / t_mm:.2f} (target <= 1.5; per repeat: "
          f"{', '.join(f'{c / m:.2f}' for c, m in zip(cf, mm))}); ratio of the minima = "
          f"{min(cf) / min(mm):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ps", type=int, nargs="+", default=[13, 31, 61])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--block", type=int, default=64, help="R for block estimates")
    ap.add_argument("--full-jacobian-up-to", type=int, default=31)
    ap.add_argument("--full-vp-up-to", type=int, default=13)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--skip-part2", action="store_true")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads for this run (default: torch's choice)")
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    print(machine(args.device))
    print("note: the CPU may be shared with other jobs; absolute times are noisy, compare the "
          "ratios measured in this same run")
    part1(args, args.device)
    if not args.skip_part2:
        part2(args, args.device)


if __name__ == "__main__":
    main()
