"""Throughput of batched training (models/batched.py) against R sequential models.train.train runs.

Task: modular-addition classification, all p^2 pairs, training fraction 0.5, QuadraticNet width 4p,
AdamW, full batch, float32. Both sides evaluate only at steps 0 and `steps`. Each side first runs a
warm-up (`--warmup` steps, not timed), then the timed run; ratio = (R * steps / t_batched) /
(R * steps / t_sequential) = t_sequential / t_batched. The CPU is shared, so repeat and quote the
median (--repeats).

Achieved FLOP/s counts the matmuls analytically: per run and step the forward (h^2) @ V^T and the
backward's two products (dV and d(h^2)) are 3 x 2 n h p FLOPs with n = the run's training points,
h = 4p, p outputs (gathers and elementwise ops not counted; the 2 eval steps neither). The chip's
float32 matmul rate is measured in the same run by one large GEMM (--gemm N: N x N @ N x N, TF32
off, as in the training runs), and the batched rate is printed as a fraction of it. The run group
(`models.batched.run_group_size`: CPU 16 MiB, CUDA free memory / 16) is printed per row.

    python bench/bench_train.py [--ps 31 97] [--rs 8 32] [--steps 30] [--device cpu|cuda] [--gemm 4096]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from grokcheck.models.batched import quadratic_pairs_forward, run_group_size, train_batched
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.theory.tasks import binary_table, split_indices


def _fwd(m, inp):
    return m.logits(inp[:, 0], inp[:, 1])


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def gemm_flops(n: int, device: str, repeats: int = 3) -> float:
    """float32 FLOP/s of one n x n @ n x n matmul (TF32 off): the best of `repeats` after a warm-up."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device)
    b = torch.randn(n, n, generator=g).to(device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        t = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best


def step_flops(p: int, n_train: int) -> int:
    """Analytic matmul FLOPs of one training step of one run (module docstring): 3 x 2 n h p, h = 4p."""
    return 3 * 2 * n_train * (4 * p) * p


def setup(p: int, R: int, device: str):
    x, y = binary_table(p)
    models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(s)).to(device) for s in range(R)]
    masks = torch.zeros(R, len(y), dtype=torch.bool)
    for r in range(R):
        masks[r, split_indices(len(y), 0.5, seed=r)[0]] = True
    return Data(x.to(device), y.to(device)), models, masks.to(device)


def time_batched(data, models, masks, steps, device, fused=True) -> float:
    cfg = TrainConfig(steps=steps, lr=1e-3, optimizer="adamw", weight_decay=1.0, eval_steps=(0, steps))
    _sync(device)
    t = time.perf_counter()
    train_batched(models, data, masks, cfg, forward=_fwd, batched_forward=quadratic_pairs_forward if fused else None)
    _sync(device)
    return time.perf_counter() - t


def time_sequential(data, models, masks, steps, device) -> float:
    cfg = TrainConfig(steps=steps, lr=1e-3, optimizer="adamw", weight_decay=1.0, eval_steps=(0, steps))
    _sync(device)
    t = time.perf_counter()
    for m, mask in zip(models, masks):
        train(m, Data(data.inputs[mask], data.targets[mask]), Data(data.inputs[~mask], data.targets[~mask]), cfg,
              forward=_fwd)
    _sync(device)
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ps", type=int, nargs="+", default=[31, 97])
    ap.add_argument("--rs", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--steps", type=int, default=30, help="timed steps at p=31; scaled by (31/p)^2, >= 4")
    ap.add_argument("--vmap", action="store_true", help="time the generic vmap(functional_call) path, not the fused one")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    ap.add_argument("--gemm", type=int, default=None, help="GEMM size for the float32 peak (default 8192 cuda, 1024 cpu)")
    args = ap.parse_args(argv)
    torch.backends.cuda.matmul.allow_tf32 = False
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    peak = gemm_flops(args.gemm or (8192 if args.device == "cuda" else 1024), args.device)
    print(f"device={args.device} ({name}) torch_threads={torch.get_num_threads()} steps(p=31)={args.steps} "
          f"repeats={args.repeats} path={'vmap' if args.vmap else 'fused'} load_avg_1min={load:.1f}")
    print(f"float32 GEMM rate (one large GEMM, TF32 off): {peak / 1e12:.3f} TFLOP/s")
    print(f"{'p':>4} {'R':>4} {'group':>5} {'seq run-steps/s':>16} {'batched run-steps/s':>20} {'ratio':>6} "
          f"{'batched GFLOP/s':>15} {'of GEMM':>7}")
    for p in args.ps:
        for R in args.rs:
            steps = max(4, round(args.steps * (31 / p) ** 2))
            data, models, masks = setup(p, R, args.device)
            time_batched(data, models, masks, args.warmup, args.device, not args.vmap)
            time_sequential(data, models[:2], masks[:2], args.warmup, args.device)
            ratios, tb, ts = [], [], []
            for _ in range(args.repeats):
                ts.append(time_sequential(data, models, masks, steps, args.device))
                tb.append(time_batched(data, models, masks, steps, args.device, not args.vmap))
                ratios.append(ts[-1] / tb[-1])
            work = R * steps
            plist = [prm.detach()[None].expand(R, *prm.shape) for prm in models[0].parameters()]
            group = run_group_size(R, int(masks.sum(1).max()), plist, torch.float32)
            flops = sum(step_flops(p, int(n)) for n in masks.sum(1).tolist()) * steps / statistics.median(tb)
            print(f"{p:>4} {R:>4} {group:>5} {work / statistics.median(ts):>16.1f} {work / statistics.median(tb):>20.1f} "
                  f"{statistics.median(ratios):>6.2f} {flops / 1e9:>15.2f} {flops / peak:>7.1%}  "
                  f"(ratios {', '.join(f'{r:.2f}' for r in ratios)})", flush=True)


if __name__ == "__main__":
    main()
