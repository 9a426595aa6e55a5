"""What `grokcheck run <claim> --scale paper` costs, in FLOPs and hours, for the eight quadratic-net / kernel
claims of Mohamadi+24 "Why Do You Grok?": kernel-exit, transformer-kernel-exit, rich-generalization,
sample-complexity, kernel-rich-phase, linf-role, max-margin, fourier-features.

Each claim's config is read from its module's SCALES[scale]; its training groups are enumerated as its
run() builds them (runs, p, width h, training rows n per run, steps, dtype, engine, eval grid) together with
its kernel work. Counted (matmul FLOPs; gathers and elementwise passes are left out unless stated):
- quadratic net on pairs, one run-step: 6 n h p (forward Z V^T, backward G^T Z and G V;
  `bench_train.step_flops` at h = 4p); an evaluation: 2 N h p per run over the N = p^2 table (plus the same
  again for the margin snapshot of `_rich_runs` when it tracks margins);
- quadratic net on triples (regression), one run-step: 14 n h (gathers, row products and one-nonzero sparse
  adjoints; no dense GEMM: memory-bound, so it runs at its own rate, calibrated below);
- single-model `models.train` on dense one-hot pairs (kernel-exit's lazy / linearized controls): forward
  6 n h p (x W^T on one-hot x is a dense 2p-wide product), a step 3 forwards, +1 forward for the centred
  lazy scaling, x3 for the linearized net (forward + jvp, and their backward);
- eNTK of one logit, closed form (`ntk.closed_form`) on m points: 2 m^2 h (1 + 2/p); trace eNTK on the whole
  table: 2 N^2 h + 8 p^3 h; by Jacobian (transformer, linearized net): Jacobian 3 F m (one forward and one
  backward per point, F = forward FLOPs of one input) + Gram J J^T 2 m^2 P (P parameters);
- kernel regression (`ntk.regression`) on n training of N points, O outputs: Cholesky n^3/3, solves 2 n^2 O,
  predictions 2 N n O;
- probes per eval step (kernel-exit's `_Probe`): f on the one-hot table 6 N p h and the linearization
  by jvp 18 N p h;
- transformer (T = 4 tokens, L layers, width d): forward per sequence F = L (24 T d^2 + 4 T^2 d) + 2 d p,
  a step 3 F per training sequence.

Hours = FLOPs / rate. Training: the dtype's GEMM rate (--gflops-f32 / --gflops-f64, measured on the 2-core
machine) times --share (the fused step's measured share of the GEMM at p = 47, bench_train.py section 2),
divided by --autograd-factor on the autograd engine (measured ~1.4x slower than fused). Triples: the rate
of rich-generalization's measured regression run (docstring: p = 23, both inits x 3 seeds, 1e5 fused float64
GD steps in 23.6 min on one core) under the 14 n h count. Kernels (float64 Gram products, Cholesky): the full
float64 GEMM rate (optimistic: their hours are lower bounds). Counts that the code decides at run time are
taken at their worst case and marked "worst case" (sample-complexity's bisection runs: every seed brackets
its n*, each new point at the grid's largest n). Memory is not modelled (a (20,000)^2 float64 kernel is
3.2 GB; here the subsets are capped at p^2 by `kernel_subset`).

    python bench/paper_cost.py [--scale paper|default|ci] [--gflops-f32 190] [--gflops-f64 80] [--share 0.3]
"""
from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import n_paper, step_flops  # noqa: E402

from grokcheck.theory.delay import eval_grid  # noqa: E402

AUTOGRAD, FUSED, TRIPLES, KERNEL, SINGLE = "autograd", "fused", "triples", "kernel", "single"
K_INIT = 8  # init kernels of the calibration band (_kernel_regime.K_INIT)
TRIPLE_CAL = {"p": 23, "runs": 6, "steps": 100_000, "seconds": 23.6 * 60}  # rich-generalization's measured run
MOD = "grokcheck.claims.mohamadi."


def config(module: str, scale: str):
    return importlib.import_module(MOD + module).SCALES[scale]


# ---- FLOP counts (module docstring) ----
def pair_step(p: int, n: int, h: int) -> int:
    """6 n h p: one fused / autograd step of one run on n pairs (bench_train.step_flops at h = 4p)."""
    return step_flops(p, n) // (4 * p) * h


def pair_eval(p: int, h: int) -> int:
    return 2 * p * p * h * p


def triple_step(n: int, h: int) -> int:
    return 14 * n * h


def closed_ntk(m: int, h: int, p: int) -> float:
    return 2 * m * m * h * (1 + 2 / p)


def table_ntk(p: int, h: int) -> int:
    return 2 * p ** 4 * h + 8 * p ** 3 * h


def krr(n: int, N: int, O: int) -> float:
    return n ** 3 / 3 + 2 * n * n * O + 2 * N * n * O


def probe(p: int, h: int) -> int:
    return 24 * p * p * p * h  # f on the one-hot table (6 N p h) + jvp linearization (18 N p h)


def row(claim, part, runs, steps, dtype, engine, flops, note=""):
    return {"claim": claim, "part": part, "runs": runs, "steps": steps, "dtype": dtype, "engine": engine,
            "flops": float(flops), "note": note}


def train_group(claim, part, p, h, ns, steps, dtype, engine, evals, margin=False, note=""):
    """Training rows of one batched group: ns = training rows of each run (one entry per run)."""
    flops = sum(pair_step(p, n, h) for n in ns) * steps + len(ns) * evals * pair_eval(p, h) * (2 if margin else 1)
    return row(claim, part, len(ns), steps, dtype, engine, flops, note)


# ---- one function per claim ----
def rich_generalization(scale):
    from grokcheck.claims.mohamadi._rg_runs import grid
    c, rows = config("rich_generalization", scale), []
    S = c.seeds
    for p in c.reg_ps:
        n, h = round(2 * p ** 2.25), c.width_factor * p
        fl = triple_step(n, h) * 2 * S * c.reg_steps + 2 * S * len(grid(c.reg_steps)) * 4 * p ** 3 * h
        rows.append(row("rich-generalization", f"regression p={p} (2 inits)", 2 * S, c.reg_steps, "f64", TRIPLES, fl))
    for kind, steps, dtype in (("cls", c.cls_steps, "f64"), ("ours", c.ours_steps, "f32")):
        for p in c.cls_ps:
            rows.append(train_group("rich-generalization", f"{kind} p={p}", p, c.width_factor * p, [n_paper(p)] * S,
                                    steps, dtype, AUTOGRAD, len(grid(steps))))
    p = c.cls_ps[0]
    rows.append(train_group("rich-generalization", f"memorizer p={p}", p, c.width_factor * p, [n_paper(p)] * S,
                            c.control_steps, "f32", AUTOGRAD, len(grid(c.control_steps))))
    return rows


def kernel_exit(scale):
    c, rows, C = config("kernel_exit", scale), [], "kernel-exit"
    wf = c.width_factor
    grid = lambda steps: len(eval_grid(steps, per_decade=c.per_decade, n_uniform=c.n_uniform, dense_until=10))  # noqa: E731
    n_tr = lambda p: min(p * p - 1, round(2 * p ** c.train_exponent))  # noqa: E731

    def after(p, h):  # after-kernel accuracy: trace eNTK of the table + kernel regression on the split
        return table_ntk(p, h) + krr(n_tr(p), p * p, p)

    def tracked(part, p, runs, seed0, steps, engine, after_kernel=True):
        h, m, ev = wf * p, min(c.subset, p * p), grid(steps)
        tr = train_group(C, part, p, h, [n_tr(p)] * runs, steps, "f64", engine, ev)
        kern = ev * (runs * (closed_ntk(m, h, p) + probe(p, h)) + (seed0 * after(p, h) if after_kernel else 0))
        return [tr, row(C, part + ": eNTK + probes", runs, ev, "f64", KERNEL, kern, f"subset {m}, {ev} evals")]

    for j, p in enumerate(c.ps):
        m, h = min(c.subset, p * p), wf * p
        rows.append(row(C, f"calibration p={p}", K_INIT, 0, "f64", KERNEL, K_INIT * closed_ntk(m, h, p)))
        alphas = c.alphas if j == 0 else (1.0,)
        rows += tracked(f"NGD lr 10 p={p} ({len(alphas)} alphas)", p, len(alphas) * c.n_seeds, len(alphas), c.steps,
                        AUTOGRAD)
    p0, lrs = c.ps[0], len(c.step_lrs)
    h, n, ev = wf * p0, n_tr(p0), grid(c.steps)
    rows += tracked(f"AdamW p={p0}", p0, c.n_seeds, 1, c.adamw_steps, FUSED)
    rows += tracked(f"NGD step arms p={p0} ({lrs} lrs)", p0, lrs * c.n_seeds, lrs, c.steps, AUTOGRAD)
    rows += tracked(f"rich controls p={p0}", p0, lrs + 1, 0, c.steps, AUTOGRAD, after_kernel=False)
    fwd = 6 * n * h * p0  # single-model train on dense one-hot pairs
    lazy = (lrs + 1) * (c.steps * 4 * fwd + ev * 6 * p0 ** 3 * h)
    rows.append(row(C, f"lazy controls p={p0}", lrs + 1, c.steps, "f64", SINGLE, lazy, "3 fwd + centring fwd"))
    rows.append(row(C, f"lazy controls p={p0}: eNTK + probes", lrs + 1, ev, "f64", KERNEL,
                    (lrs + 1) * ev * (closed_ntk(min(c.subset, p0 * p0), h, p0) + probe(p0, h) + table_ntk(p0, h)
                                      + krr(n, p0 * p0, p0))))
    ms, P = min(c.subset, 128), 3 * p0 * h
    rows.append(row(C, f"linearized net p={p0}", 1, c.steps, "f64", SINGLE, c.steps * 9 * fwd + ev * 6 * p0 ** 3 * h,
                    "forward + jvp and their backward"))
    rows.append(row(C, f"linearized net p={p0}: eNTK (Jacobian) + probes", 1, ev, "f64", KERNEL,
                    ev * (18 * p0 * h * ms + 2 * ms * ms * P + probe(p0, h)), f"subset {ms}"))
    return rows


def transformer_kernel_exit(scale):
    import torch
    from grokcheck.models.transformer import Transformer
    c, rows, C, T = config("transformer_kernel_exit", scale), [], "transformer-kernel-exit", 4
    grid = lambda steps: len(eval_grid(steps, per_decade=c.per_decade, n_uniform=c.n_uniform, dense_until=10))  # noqa: E731

    def cost(part, p, d, layers, heads, steps, batch, runs=1, fwd_mult=1):
        with torch.device("meta"):  # parameter count without allocating
            P = sum(t.numel() for t in Transformer(p, T, d=d, heads=heads, layers=layers).parameters())
        F = layers * (24 * T * d * d + 4 * T * T * d) + 2 * d * p
        n = min(p * p - 1, round(2 * p ** (5 / 3)))
        m, ev = min(c.subset, p * p), grid(steps)
        train = runs * steps * 3 * F * (batch or n) * fwd_mult + runs * ev * F * p * p
        ntk = lambda: 3 * F * m + 2 * m * m * P  # noqa: E731
        kern = runs * (K_INIT * ntk() + ev * (ntk() + 4 * F * p * p))  # calibration per run; kernel, f, jvp per eval
        return [row(C, part, runs, steps, "f32", AUTOGRAD, train, f"d={d}, L={layers}, P={P}"),
                row(C, part + ": eNTK + probes", runs, ev, "f64", KERNEL, kern, f"subset {m}, {ev} evals")]

    for p in c.ps:
        rows += cost(f"GD lr {c.lr:g} p={p}", p, c.d, 1, c.heads, c.steps, None, c.n_seeds)
    o = c.ours
    rows += cost(f"ours AdamW p={o.p}", o.p, o.d, o.layers, o.heads, c.ours_steps, o.batch_size, c.n_seeds)
    rows += cost(f"lazy control p={c.ps[0]}", c.ps[0], c.d, 1, c.heads, c.steps, None, 1, fwd_mult=4 / 3)
    rows += cost(f"linearized p={c.ps[0]}", c.ps[0], c.d, 1, c.heads, c.lazy_steps, None, 1, fwd_mult=3)
    return rows


def sample_complexity(scale):
    mod = importlib.import_module(MOD + "sample_complexity")
    from grokcheck.claims.mohamadi._sc_regression import regression_sizes
    c, rows, C, S = mod.SCALES[scale], [], "sample-complexity", mod.SCALES[scale].seeds
    settings = [("ours AdamW", c.steps, c.width_factor, "f32")]
    if c.paper_network:
        settings.append(("paper NGD", c.ngd_steps, c.paper_width_factor, "f64"))
    for p in c.ps:
        ns, N = mod.network_sizes(p, c), p * p
        for name, steps, wf, dtype in settings:
            ev, h = len(eval_grid(steps, n_uniform=50, per_decade=10)), wf * p
            rows.append(train_group(C, f"{name} grid p={p}", p, h, [n for n in ns for _ in range(S)], steps, dtype,
                                    FUSED, ev))
            extra = [ns[-1]] * (c.bisect * S * c.bisect_points)
            if extra:
                rows.append(train_group(C, f"{name} bisection p={p}", p, h, extra, steps, dtype, FUSED, ev,
                                        note=f"worst case: {c.bisect} round(s), every seed, n = {ns[-1]}"))
            if c.memorizer:
                rows.append(train_group(C, f"{name} memorizer p={p}", p, h, [ns[-1]] * S, steps, dtype, FUSED, ev))
        h = c.width_factor * p
        solves = sum(krr(round(f * N), N, p) for f in c.kernel_fractions) * S
        rows.append(row(C, f"kernels p={p} (eNTK x{S}, expected)", S + 1, 0, "f64", KERNEL,
                        S * table_ntk(p, h) + 2 * solves, f"{2 * S * len(c.kernel_fractions)} kernel solves"))
    p0 = min(c.ps)
    rows.append(row(C, f"oracle kernel p={p0}", 1, 0, "f64", KERNEL,
                    S * sum(krr(round(f * p0 * p0), p0 * p0, p0) for f in c.kernel_fractions)))
    for p in c.reg_ps:
        ns, h = regression_sizes(p, c.reg_c_grid), 8 * p
        ev = len(eval_grid(c.reg_steps, n_uniform=30, per_decade=10))
        fl = sum(triple_step(n, h) for n in ns) * S * c.reg_steps + len(ns) * S * ev * 4 * p ** 3 * h
        rows.append(row(C, f"regression p={p}", len(ns) * S, c.reg_steps, "f64", TRIPLES, fl))
    return rows


def _frac_n(p, f):  # _rich_runs.split_mask's round(fraction p^2)
    return max(1, round(f * p * p))


def kernel_rich_phase(scale):
    c, C = config("kernel_rich_phase", scale), "kernel-rich-phase"
    h, ev = c.width_factor * c.p, len(eval_grid(c.steps, n_uniform=30, per_decade=15))
    ns = [_frac_n(c.p, f) for f in c.fractions for _ in range(c.n_seeds)]
    return [train_group(C, f"Adam grid ({len(c.alphas)} alphas x {len(c.fractions)} fractions)", c.p, h,
                        ns * len(c.alphas), c.steps, "f32", FUSED, ev, note=f"{len(c.alphas)} groups"),
            train_group(C, "shuffled control", c.p, h, [_frac_n(c.p, c.fractions[-1])] * c.n_seeds, c.steps, "f32",
                        FUSED, ev)]


def linf_role(scale):
    mod = importlib.import_module(MOD + "linf_role")
    from grokcheck.claims.mohamadi._rich_runs import fraction_for
    c, C = mod.SCALES[scale], "linf-role"
    cells = len(mod.OPTIMIZERS) * len(mod.PENALTIES) * len(mod.LR_MULTS)
    n, ev = _frac_n(c.p, fraction_for(c.p)), len(eval_grid(c.steps, n_uniform=40, per_decade=20))
    return [train_group(C, f"{cells} optimizer x penalty x lr groups", c.p, 4 * c.p, [n] * (cells * c.n_seeds),
                        c.steps, "f32", AUTOGRAD, ev),
            train_group(C, "2 shuffled controls", c.p, 4 * c.p, [n] * (2 * c.n_seeds), c.steps, "f32", AUTOGRAD, ev)]


def max_margin(scale):
    from grokcheck.claims.mohamadi._rich_runs import fraction_for
    c, C = config("max_margin", scale), "max-margin"
    G, Ga, S = len(c.lams), len(c.wds), c.seeds
    n, ev = _frac_n(c.p, fraction_for(c.p)), len(eval_grid(c.steps, n_uniform=40, per_decade=20))
    return [train_group(C, f"NGD lambda sweep + placebo ({G} lambdas)", c.p, 4 * c.p, [n] * ((2 * G - 1) * S), c.steps,
                        "f32", FUSED, ev, margin=True),
            train_group(C, f"AdamW wd sweep + placebo ({Ga} wds)", c.p, 4 * c.p, [n] * ((2 * Ga - 1) * S), c.steps,
                        "f32", AUTOGRAD, ev, margin=True)]


def fourier_features(scale):
    from grokcheck.claims.mohamadi._rich_runs import fraction_for
    c, rows, C = config("fourier_features", scale), [], "fourier-features"
    for p in c.ps:
        ns = [_frac_n(p, fraction_for(p))] * (c.seeds + 1) + [_frac_n(p, c.memo_fraction)]
        rows.append(train_group(C, f"AdamW p={p} (+ memo, shuffled)", p, 4 * p, ns, c.steps, "f32", AUTOGRAD,
                                len(eval_grid(c.steps, n_uniform=40, per_decade=20))))
    for p in c.ngd_ps:
        rows.append(train_group(C, f"paper NGD p={p}", p, 4 * p, [_frac_n(p, fraction_for(p))] * c.seeds, c.ngd_steps,
                                "f64", AUTOGRAD, len(eval_grid(c.ngd_steps, n_uniform=40, per_decade=20))))
    return rows


CLAIMS = {"kernel-exit": kernel_exit, "transformer-kernel-exit": transformer_kernel_exit,
          "rich-generalization": rich_generalization, "sample-complexity": sample_complexity,
          "kernel-rich-phase": kernel_rich_phase, "linf-role": linf_role, "max-margin": max_margin,
          "fourier-features": fourier_features}


def triple_rate() -> float:
    """FLOP/s of the fused triples step under the 14 n h count, from TRIPLE_CAL (module docstring)."""
    p = TRIPLE_CAL["p"]
    return triple_step(round(2 * p ** 2.25), 4 * p) * TRIPLE_CAL["runs"] * TRIPLE_CAL["steps"] / TRIPLE_CAL["seconds"]


def seconds(r: dict, args) -> float:
    gemm = (args.gflops_f32 if r["dtype"] == "f32" else args.gflops_f64) * 1e9
    rate = {FUSED: gemm * args.share, AUTOGRAD: gemm * args.share / args.autograd_factor,
            SINGLE: gemm * args.share / args.autograd_factor, KERNEL: gemm, TRIPLES: triple_rate()}[r["engine"]]
    return r["flops"] / rate


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="paper", choices=["ci", "default", "paper"])
    ap.add_argument("--gflops-f32", type=float, default=190.0, help="float32 GEMM rate, GFLOP/s")
    ap.add_argument("--gflops-f64", type=float, default=80.0, help="float64 GEMM rate, GFLOP/s")
    ap.add_argument("--share", type=float, default=0.3, help="share of the GEMM rate a fused training step reaches")
    ap.add_argument("--autograd-factor", type=float, default=1.4, help="autograd step time / fused step time")
    ap.add_argument("--budget-h", type=float, default=12.0, help="hours that count as 'fits' on the 2-core machine")
    ap.add_argument("--claims", nargs="+", default=list(CLAIMS), choices=list(CLAIMS))
    args = ap.parse_args(argv)
    print(f"scale={args.scale}: f32 {args.gflops_f32:g} / f64 {args.gflops_f64:g} GFLOP/s GEMM, share {args.share:g}, "
          f"autograd x{args.autograd_factor:g}, triples {triple_rate() / 1e9:.2f} GFLOP/s, kernels at the GEMM rate")
    print(f"{'claim':<24} {'part':<46} {'runs':>5} {'steps':>7} {'dt':>3} {'engine':>8} {'FLOPs':>9} {'hours':>8}  note")
    totals = {}
    for name in args.claims:
        rows = CLAIMS[name](args.scale)
        for r in rows:
            r["hours"] = seconds(r, args) / 3600
            print(f"{name:<24} {r['part'][:46]:<46} {r['runs']:>5} {r['steps']:>7} {r['dtype']:>3} {r['engine']:>8} "
                  f"{r['flops']:>9.2e} {r['hours']:>8.2f}  {r['note']}")
        fl, hrs = sum(r["flops"] for r in rows), sum(r["hours"] for r in rows)
        top = max(rows, key=lambda r: r["hours"])
        verdict = "fits" if hrs <= args.budget_h else "does NOT fit"
        print(f"{name:<24} {'TOTAL':<46} {sum(r['runs'] for r in rows):>5} {'':>7} {'':>3} {'':>8} {fl:>9.2e} "
              f"{hrs:>8.2f}  {verdict} in {args.budget_h:g} h; largest part: {top['part']} ({top['hours']:.3g} h)")
        totals[name] = {"flops": fl, "hours": hrs, "rows": rows}
    if not all(math.isfinite(t["hours"]) for t in totals.values()):
        raise ValueError("a cost is not finite")
    return totals


if __name__ == "__main__":
    main()
