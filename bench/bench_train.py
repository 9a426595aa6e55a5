"""Training speed of the quadratic net: where a batched step spends its time, and the fused step's rate.

Setting: the paper's classification task (Mohamadi+24 Sec. 5), timed over issue 27's 3e4 steps (the paper's
own budget is "<= 100k steps", `claims/mohamadi/_paper.py`: a 1e5-step run costs 3.3x): p^2 addition pairs, n = 2 p^(5/3)
training pairs per run (own split per run), QuadraticNet width h = 4p, normalized GD lr 10 with the
l_inf penalty 1e-20, R runs in one stacked pass. Two paths:
- "autograd": `models.batched.train_batched` with `quadratic_pairs_forward` (the reference);
- "fused":    `models.fused.train_fused` (analytic gradients, CSR adjoint, stacked optimizer).

Sections (all in one run; the CPU is shared, so every timing is the best of --repeats blocks and
the GEMM is re-measured next to each row: the ratios are what count):
1. profile: ms per step of each part of the autograd step (forward incl. loss, backward,
   penalty, masks (alive / finite), normalization (the NGD norm), optimizer update) and of one
   evaluation (amortized over the claim grid's ~70 evals in 3e4 steps), beside the fused step's
   parts (forward + analytic backward, penalty, optimizer), p = 31, 47, 97, float32 and float64.
2. rates: achieved matmul FLOP/s of the fused step (3 x 2 n h p FLOPs per run and step: the
   forward Z V^T and the backward's G^T Z and G V; gathers and elementwise ops not counted) as a
   share of one large GEMM of the same dtype measured in the same run (--gemm N: N x N @ N x N, TF32
   off), and the speed-up over the autograd step; at init and after --trained K fused steps (default
   1000: a trained net, the state a 3e4-step run spends nearly all its steps in; float32's exp slow path,
   fixed in stop 36 by `fused.log_prob_floor`, showed only there: 2.1x the init step at p = 47).
3. paper: the paper's setting timed end to end by `train_fused` over a measured fraction of the
   steps (--paper-steps), extrapolated to 3e4 steps plus the claim grid's evaluations:
   p = 47 with 5 seeds and p = 97 with 3 seeds, float64 and float32.
4. grid: runs of different n in one pass (kernel-rich-phase's paper grid at one alpha, p = 47, 24 runs
   of n = 221..1767): the fused step with every run kept in every row chunk (padded to n_max, the
   engine before stop 34) against row chunks that a run leaves past its own n, at the default chunk
   and at the grid's smallest n; the rate counts each run's own rows only.
5. full (--full P SEEDS DTYPE, repeatable): the paper's classification setting run end to end by
   `train_fused` (all 3e4 steps, the claims' evaluation grid), wall time and final test accuracies.

    python bench/bench_train.py [--ps 31 47 97] [--R 8] [--repeats 5] [--device cpu|cuda] [--skip-paper] [--skip-grid]

Profile measured with `--threads 1 --clock cpu` on 2 CPU cores shared with four other agents (load
average 10-11; ms of CPU time per step, best of 3 steps; eval = ms per call, eval/step = amortized
over the claim grid):

       dtype    p     n      path group   forward  backward   penalty     masks normalization optimizer      eval      step eval/step
     float32   31   612  autograd     8      3.50      6.53      0.60      0.30      0.15      0.36      6.95     11.44     0.016
                            fused     8      3.67   (above)      0.57      0.07   (above)      0.60      4.55      4.93     0.011
     float32   47  1224  autograd     8      8.93     21.96      1.15      0.46      0.35      0.55     23.58     33.40     0.055
                            fused     8     14.33   (above)      1.00      0.09   (above)      0.83     17.98     16.25     0.042
     float32   97  4096  autograd     2     74.78    134.46      8.95      1.06      1.31      2.32    198.93    222.88     0.464
                            fused     8    194.75   (above)      4.50      0.11   (above)      3.59    217.56    202.94     0.508
     float64   31   612  autograd     8      4.41      8.22      0.76      0.28      0.10      0.32      8.44     14.09     0.020
                            fused     8      8.54   (above)      0.74      0.09   (above)      0.47      8.45      9.85     0.020
     float64   47  1224  autograd     8     16.16     32.58      2.26      0.65      0.24      0.69     34.19     52.58     0.080
                            fused     8     35.07   (above)      1.37      0.15   (above)      1.23     35.86     37.82     0.084
     float64   97  4096  autograd     1    170.95    295.25      6.24      1.57      0.68      2.34    375.23    477.02     0.876
                            fused     8    330.28   (above)      5.83      0.10   (above)      4.56    507.39    340.77     1.184

The autograd step spends its time in the backward (embedding_bag's scatter, the bmm adjoints, the
autograd bookkeeping) and the forward with its graph; at p = 97 the 16 MiB run groups cut R = 8
into passes of 1-2 runs. The penalty, masks, NGD norm and update are a few percent each; the
evaluation (whole p^2 table, ~70 times in 3e4 steps) is < 1%. The fused step removes the graph,
the run groups and the per-step host syncs; its time is the three products plus ~6 passes over
the (R, rows, h) activations.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import time

import torch

from grokcheck.models.batched import (_Forward, _loss_and_grads, _measure, _per_point_loss, _step, masks_to_index,
                                      quadratic_pairs_forward, run_group_size)
from grokcheck.models.fused import StackedOptimizer, _Rows, evaluate_runs, quadratic_grads, row_chunk, train_fused
from grokcheck.models.groups import _fit_budget, _widest, group_bytes
from grokcheck.models.penalties import penalty_subgradient
from grokcheck.models.quadratic import QuadraticNet, pairs_forward
from grokcheck.numerics import set_numerics
from grokcheck.models.train import Data, TrainConfig, _make_torch_optimizer
from grokcheck.theory.delay import eval_grid
from grokcheck.theory.tasks import binary_table, split_indices
from paper_setting import DTYPES, case, n_paper, step_flops  # noqa: F401 (n_paper: tests)

PAPER_STEPS = 30_000
_CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = _CLOCK["wall"]  # --clock cpu: this process's CPU time (one thread on a shared machine)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _best(fn, repeats: int, device) -> float:
    """Best wall time of `repeats` calls of fn (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        t = _clock()
        fn()
        _sync(device)
        best = min(best, _clock() - t)
    return best


def gemm_rate(n: int, dtype, device, repeats: int = 5) -> float:
    """FLOP/s of one n x n @ n x n matmul of `dtype` (TF32 off): the best of `repeats`."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    b = torch.randn(n, n, generator=g, dtype=dtype).to(device)
    return 2 * n ** 3 / _best(lambda: a @ b, repeats, device)


class _Timer:
    """Per-step sums of named parts: T.next() opens a step, T(name, fn) times fn into it; best() is the
    fastest step of each part, the first (warm-up) step dropped."""

    def __init__(self, device):
        self.device, self.steps = device, []

    def next(self):
        self.steps.append({})

    def __call__(self, name, fn):
        _sync(self.device)
        t = _clock()
        out = fn()
        _sync(self.device)
        self.steps[-1][name] = self.steps[-1].get(name, 0.0) + _clock() - t
        return out

    def best(self) -> dict:
        kept = self.steps[1:] or self.steps
        return {k: min(s[k] for s in kept if k in s) for k in kept[0]}


def profile_autograd(models, data, masks, cfg, steps: int) -> dict:
    """Best ms per step of each part of train_batched's step (its own code, split at the same places)."""
    from torch.func import stack_module_state
    device = data.inputs.device
    dtype = DTYPES[cfg.dtype]
    params, _ = stack_module_state([_Forward(m, pairs_forward) for m in models])
    plist = list(params.values())
    R = len(models)
    idx, wts = masks_to_index(masks)
    wts = wts.to(dtype)
    xb, yb = data.inputs[idx], data.targets[idx]
    fwd = lambda p, inp: quadratic_pairs_forward({k[len("model."):]: v for k, v in p.items()}, inp)  # noqa: E731
    group = run_group_size(R, idx.shape[1], plist, dtype)
    opt = _make_torch_optimizer(plist, cfg)
    alive = torch.ones(R, dtype=torch.bool, device=device)
    T = _Timer(device)
    for _ in range(steps + 1):  # first step: warm-up, dropped
        T.next()
        grads = [torch.zeros_like(v) for v in plist]
        for g0 in range(0, R, group):
            sl = slice(g0, min(R, g0 + group))
            leaves = {k: v[sl].detach().requires_grad_() for k, v in params.items()}
            rl = T("forward", lambda: (_per_point_loss(fwd(leaves, xb[sl]), yb[sl], cfg.loss) * wts[sl]).sum(1))
            gs = T("backward", lambda: torch.autograd.grad(rl.sum(), list(leaves.values())))
            for full, g in zip(grads, gs):
                full[sl] = g
        T("masks", lambda: bool((~torch.isfinite(rl) & alive[sl]).any()))
        pen = T("penalty", lambda: penalty_subgradient(cfg.penalty, plist, runs=True))
        torch._foreach_add_(grads, pen, alpha=cfg.penalty_weight)
        grads = T("masks", lambda: [torch.where(a[:, None, None] > 0, g, torch.zeros_like(g))
                                    for a, g in ((alive, g) for g in grads)])
        T("normalization", lambda: sum(g.double().pow(2).flatten(1).sum(1) for g in grads).sqrt())
        T("optimizer", lambda: _step(plist, grads, cfg.lr, torch.ones(R, dtype=torch.float64, device=device),
                                     cfg, opt))
    rows = _fit_budget(R * _widest(plist) * torch.empty((), dtype=dtype).element_size(),
                       max(1, cfg.eval_chunk // R), group_bytes(device))
    for _ in range(2):
        T.next()
        T("eval", lambda: _measure(fwd, params, data.inputs, data.targets, masks, ~masks, cfg, 1.0, rows))
    ev = T.steps[-1]["eval"]
    T.steps = T.steps[:-2]
    return {**T.best(), "eval": ev, "_group": group}


def profile_fused(models, data, masks, cfg, steps: int, chunk: int | None = None) -> dict:
    """Best ms per step of the fused step's parts (train_fused's hot loop, all runs live)."""
    R = len(models)
    device = data.inputs.device
    dtype = DTYPES[cfg.dtype]
    W = torch.stack([m.W.detach() for m in models]).to(dtype).contiguous()
    V = torch.stack([m.V.detach() for m in models]).to(dtype).contiguous()
    idx, wts = masks_to_index(masks)
    rows = _Rows(data.inputs[idx], data.targets[idx], wts.to(dtype), models[0].p,
                 chunk or row_chunk(R, 4 * models[0].p, dtype, device, idx.shape[1]))
    opt = StackedOptimizer([W, V], cfg)
    ones = torch.ones(R, dtype=torch.float64, device=device)
    T = _Timer(device)
    for _ in range(steps + 1):
        T.next()
        loss, gW, gV = T("fwd+bwd", lambda: quadratic_grads(W, V, rows, cfg.loss))
        T("masks", lambda: bool((~torch.isfinite(loss)).any()))
        pen = T("penalty", lambda: penalty_subgradient(cfg.penalty, [W, V], runs=True))
        grads = [gW, gV]
        torch._foreach_add_(grads, pen, alpha=cfg.penalty_weight)
        T("optimizer", lambda: opt.step(grads, cfg.lr, ones))
    rows = _fit_budget(R * max(W.shape[1], W.shape[2]) * W.element_size(), max(1, cfg.eval_chunk // R),
                       group_bytes(device))
    for _ in range(2):
        T.next()
        T("eval", lambda: evaluate_runs(W, V, data.inputs, data.targets, masks, ~masks, cfg, 1.0, rows))
    ev = T.steps[-1]["eval"]
    T.steps = T.steps[:-2]
    return {**T.best(), "eval": ev}


def fused_step_time(models, data, masks, cfg, steps: int, repeats: int, chunk: int | None = None,
                    keep_padding: bool = False) -> float:
    """Best seconds per fused step (hot loop: grads, penalty, finite check, update) over `repeats` blocks.
    keep_padding: every run stays in every row chunk, as before stop 34 (its padding rows get a weight of
    1e-30 instead of 0, so `_Rows` counts n_max rows for every run: the same products, padding included)."""
    R = len(models)
    device = data.inputs.device
    dtype = DTYPES[cfg.dtype]
    W = torch.stack([m.W.detach() for m in models]).to(dtype).contiguous()
    V = torch.stack([m.V.detach() for m in models]).to(dtype).contiguous()
    idx, wts = masks_to_index(masks)
    if keep_padding:
        wts = wts.clamp_min(1e-30)  # a float32 normal number: the .to(dtype) below keeps it > 0
    rows = _Rows(data.inputs[idx], data.targets[idx], wts.to(dtype), models[0].p,
                 chunk or row_chunk(R, 4 * models[0].p, dtype, device, idx.shape[1]))
    opt = StackedOptimizer([W, V], cfg)
    ones = torch.ones(len(models), dtype=torch.float64, device=device)

    def block():
        for _ in range(steps):
            loss, gW, gV = quadratic_grads(W, V, rows, cfg.loss)
            bool((~torch.isfinite(loss)).any())
            grads = [gW, gV]
            if cfg.penalty is not None:
                torch._foreach_add_(grads, penalty_subgradient(cfg.penalty, [W, V], runs=True),
                                    alpha=cfg.penalty_weight)
            opt.step(grads, cfg.lr, ones)
    return _best(block, repeats, device) / steps


def autograd_step_time(models, data, masks, cfg, steps: int, repeats: int) -> float:
    """Best seconds per step of train_batched's hot loop (its own functions: `_loss_and_grads` over the
    run groups, penalty, alive masks, `_step`) over `repeats` blocks of `steps` steps."""
    from torch.func import stack_module_state
    device = data.inputs.device
    dtype = DTYPES[cfg.dtype]
    params, _ = stack_module_state([_Forward(m, pairs_forward) for m in models])
    plist = list(params.values())
    R = len(models)
    idx, wts = masks_to_index(masks)
    wts = wts.to(dtype)
    xb, yb = data.inputs[idx], data.targets[idx]
    fwd = lambda p, inp: quadratic_pairs_forward({k[len("model."):]: v for k, v in p.items()}, inp)  # noqa: E731
    group = run_group_size(R, idx.shape[1], plist, dtype)
    opt = _make_torch_optimizer(plist, cfg)
    alive = torch.ones(R, dtype=torch.bool, device=device)
    scale = torch.ones(R, dtype=torch.float64, device=device)

    def block():
        for _ in range(steps):
            grads, run_loss = _loss_and_grads(fwd, params, xb, yb, wts, alive, cfg.loss, group)
            bool((~torch.isfinite(run_loss) & alive).any())
            torch._foreach_add_(grads, penalty_subgradient(cfg.penalty, plist, runs=True), alpha=cfg.penalty_weight)
            grads = [torch.where(alive.reshape(-1, 1, 1) > 0, g, torch.zeros_like(g)) for g in grads]
            _step(plist, grads, cfg.lr, scale * alive.double(), cfg, opt)
    return _best(block, repeats, device) / steps


def print_profile(ps, R, dtypes, device, steps: int):
    print(f"\n## 1. profile: ms per step (best of {steps} steps), R = {R}, NGD + l_inf, n = 2p^(5/3), h = 4p")
    cols = ["forward", "backward", "penalty", "masks", "normalization", "optimizer", "eval"]
    print(f"{'dtype':>8} {'p':>4} {'n':>5} {'path':>9} {'group':>5} " + " ".join(f"{c:>9}" for c in cols)
          + f" {'step':>9} {'eval/step':>9}")
    n_evals = len(eval_grid(PAPER_STEPS, n_uniform=30, per_decade=10))
    for dtype in dtypes:
        for p in ps:
            models, data, masks, cfg = case(p, R, dtype, device)
            a = profile_autograd(models, data, masks, cfg, steps)
            f = profile_fused(models, data, masks, cfg, steps)
            step_a = sum(a[c] for c in cols[:-1])
            print(f"{dtype:>8} {p:>4} {n_paper(p):>5} {'autograd':>9} {a['_group']:>5} "
                  + " ".join(f"{1e3 * a[c]:>9.2f}" for c in cols)
                  + f" {1e3 * step_a:>9.2f} {1e3 * a['eval'] * n_evals / PAPER_STEPS:>9.3f}")
            fused = {"forward": f["fwd+bwd"], "backward": float("nan"), "penalty": f["penalty"], "masks": f["masks"],
                     "normalization": float("nan"), "optimizer": f["optimizer"], "eval": f["eval"]}
            step_f = f["fwd+bwd"] + f["penalty"] + f["masks"] + f["optimizer"]
            print(f"{'':>8} {'':>4} {'':>5} {'fused':>9} {R:>5} "
                  + " ".join(f"{1e3 * fused[c]:>9.2f}" if fused[c] == fused[c] else f"{'(above)':>9}" for c in cols)
                  + f" {1e3 * step_f:>9.2f} {1e3 * f['eval'] * n_evals / PAPER_STEPS:>9.3f}", flush=True)
    print("fused: 'forward' = forward + analytic backward; the NGD norm is inside its optimizer; "
          f"eval/step = eval x {n_evals} evals / {PAPER_STEPS} steps (the claim's grid)")


def trained(models, data, masks, cfg, steps: int) -> list:
    """The models after `steps` fused steps of cfg (copies; the state most of a 3e4-step run is spent in:
    fitted training points, large margins, most log-probabilities below `fused.log_prob_floor`)."""
    _, params = train_fused(models, data, masks, dataclasses.replace(cfg, steps=steps, eval_steps=(0, steps)))
    out = [copy.deepcopy(m) for m in models]
    with torch.no_grad():
        for r, q in enumerate(out):
            q.W.copy_(params["W"][r])
            q.V.copy_(params["V"][r])
    return out


def print_rates(ps, R, dtypes, device, repeats: int, gemm: int, target_flops: float, trained_steps: int = 0):
    print(f"\n## 2. rates: fused step vs one {gemm}^3 GEMM of the same dtype (both best of {repeats}), R = {R}; "
          f"state: at init" + (f", and after {trained_steps} fused steps" if trained_steps else ""))
    print(f"{'dtype':>8} {'p':>4} {'n':>5} {'state':>7} {'steps':>5} {'GEMM GFLOP/s':>12} {'fused GFLOP/s':>13} "
          f"{'of GEMM':>7} {'fused ms':>9} {'autograd ms':>11} {'speed-up':>8}")
    for dtype in dtypes:
        for p in ps:
            models, data, masks, cfg = case(p, R, dtype, device)
            flops = sum(step_flops(p, int(n)) for n in masks.sum(1).tolist())
            steps = max(2, min(50, round(target_flops / flops)))
            states = [("init", models)] + ([(f"{trained_steps}", trained(models, data, masks, cfg, trained_steps))]
                                           if trained_steps else [])
            for state, ms in states:
                g1 = gemm_rate(gemm, DTYPES[dtype], device, repeats)
                tf = fused_step_time(ms, data, masks, cfg, steps, repeats)
                ta = autograd_step_time(ms, data, masks, cfg, max(2, steps // 2), max(2, repeats // 2))
                g2 = gemm_rate(gemm, DTYPES[dtype], device, repeats)
                g = max(g1, g2)
                rate = flops / tf
                print(f"{dtype:>8} {p:>4} {n_paper(p):>5} {state:>7} {steps:>5} {g / 1e9:>12.1f} {rate / 1e9:>13.1f} "
                      f"{rate / g:>7.1%} {1e3 * tf:>9.2f} {1e3 * ta:>11.2f} {ta / tf:>7.2f}x", flush=True)


GRID_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # kernel-rich-phase's paper grid (3 seeds each)


def grid_case(p: int, dtype: str, device, seeds: int = 3):
    """(models, data, masks, config) of kernel-rich-phase's paper grid at one alpha: runs of training
    fractions GRID_FRACTIONS x seeds (n = 221..1767 at p = 47), Adam, MSE, h = 4p."""
    x, y = binary_table(p)
    N = len(y)
    fr = [f for f in GRID_FRACTIONS for _ in range(seeds)]
    masks = torch.zeros(len(fr), N, dtype=torch.bool)
    for r, f in enumerate(fr):
        masks[r, split_indices(N, f, seed=r)[0]] = True
    models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(r), dtype=DTYPES[dtype], device=device)
              for r in range(len(fr))]
    cfg = TrainConfig(steps=1, lr=1e-3, optimizer="adam", loss="mse", weight_decay=0.0, dtype=dtype, eval_steps=(0, 1))
    return models, Data(x.to(device), y.to(device)), masks.to(device), cfg


def print_grid(p: int, device, dtypes, repeats: int, gemm: int):
    """Runs of different n in one fused pass: every run kept in every row chunk (padded to n_max, default
    chunk: the engine before stop 34) against chunks that runs past their own n leave (`models.fused._Rows`),
    at the default chunk and at the grid's smallest n (what kernel-rich-phase passes)."""
    print(f"\n## 4. a grid of training sizes in one pass (kernel-rich-phase's paper grid at one alpha: p = {p}, "
          f"fractions {GRID_FRACTIONS[0]}..{GRID_FRACTIONS[-1]} x 3 seeds, Adam, MSE)")
    print(f"{'dtype':>8} {'runs':>4} {'chunk':>12} {'ms/step':>8} {'vs padded':>9} {'GFLOP/s (own rows)':>18} {'of GEMM':>7}")
    for dtype in dtypes:
        models, data, masks, cfg = grid_case(p, dtype, device)
        R, counts = len(models), masks.sum(1).tolist()
        flops = sum(step_flops(p, int(n)) for n in counts)  # each run's own rows
        g = gemm_rate(gemm, DTYPES[dtype], device, repeats)
        default = row_chunk(R, 4 * p, DTYPES[dtype], device, max(counts))
        chunks = (("padded", default, True), ("default", default, False), ("smallest n", min(counts), False))
        times = {k: fused_step_time(models, data, masks, cfg, 2, repeats, chunk=c, keep_padding=pad)
                 for k, c, pad in chunks}
        for k, c, _ in chunks:
            t = times[k]
            label = f"{k} {c}"
            print(f"{dtype:>8} {R:>4} {label:>12} {1e3 * t:>8.2f} {times['padded'] / t:>8.2f}x "
                  f"{flops / t / 1e9:>18.1f} {flops / t / g:>7.1%}", flush=True)


def print_paper(device, dtypes, frac_steps: dict):
    print(f"\n## 3. paper setting (NGD lr 10, l_inf 1e-20, n = 2p^(5/3), h = 4p, {PAPER_STEPS} steps), "
          f"train_fused, extrapolated from a measured fraction")
    print(f"{'dtype':>8} {'p':>4} {'seeds':>5} {'measured steps':>14} {'s measured':>10} {'ms/step':>8} "
          f"{'eval ms':>8} {'evals':>5} {'total (3e4 steps)':>17}")
    grid = eval_grid(PAPER_STEPS, n_uniform=30, per_decade=10)
    for p, seeds in ((47, 5), (97, 3)):
        for dtype in dtypes:
            S = frac_steps[p]
            models, data, masks, cfg = case(p, seeds, dtype, device, S)
            _sync(device)
            t0 = _clock()
            train_fused(models, data, masks, cfg)  # S steps, evals at 0 and S
            _sync(device)
            t = _clock() - t0
            W = torch.stack([m.W.detach() for m in models]).to(DTYPES[dtype])
            V = torch.stack([m.V.detach() for m in models]).to(DTYPES[dtype])
            rows = _fit_budget(seeds * 4 * p * W.element_size(), max(1, cfg.eval_chunk // seeds), group_bytes(device))
            t_eval = _best(lambda: evaluate_runs(W, V, data.inputs, data.targets, masks, ~masks, cfg, 1.0, rows),
                           2, device)
            per_step = max(t - 2 * t_eval, 0.0) / S
            total = PAPER_STEPS * per_step + len(grid) * t_eval
            print(f"{dtype:>8} {p:>4} {seeds:>5} {S:>14} {t:>10.1f} {1e3 * per_step:>8.2f} {1e3 * t_eval:>8.1f} "
                  f"{len(grid):>5} {total / 60:>13.1f} min", flush=True)


def print_full(p: int, seeds: int, dtype: str, device):
    """The paper's classification setting run end to end, not extrapolated: `train_fused` with the
    claims' evaluation grid (30 uniform + 10 per decade) over all PAPER_STEPS steps; wall time and each
    seed's final and best test accuracy (seeds 0..seeds-1 of `case`: a timing run, decides nothing)."""
    models, data, masks, cfg = case(p, seeds, dtype, device, PAPER_STEPS)
    cfg = dataclasses.replace(cfg, eval_steps=eval_grid(PAPER_STEPS, n_uniform=30, per_decade=10))
    _sync(device)
    t0 = time.perf_counter()
    hists, _ = train_fused(models, data, masks, cfg, log=lambda m: print(f"    [{time.perf_counter() - t0:7.1f} s] {m}",
                                                                           flush=True))
    _sync(device)
    t = time.perf_counter() - t0
    final = [round(h.last("test_acc"), 4) for h in hists]
    best = [round(max(h.metrics["test_acc"]), 4) for h in hists]
    print(f"{dtype:>8} {p:>4} {seeds:>5} {PAPER_STEPS:>6} {t / 60:>9.1f} min  final test acc {final}  best {best}",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ps", type=int, nargs="+", default=[31, 47, 97])
    ap.add_argument("--R", type=int, default=8)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=list(DTYPES))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--profile-steps", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    ap.add_argument("--gemm", type=int, default=None, help="GEMM size (default 8192 cuda, 1024 cpu)")
    ap.add_argument("--paper-steps", type=int, nargs=2, default=[600, 60], metavar=("P47", "P97"),
                    help="measured steps of the paper-setting runs at p = 47 and 97")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's, = cores)")
    ap.add_argument("--clock", default="wall", choices=list(_CLOCK),
                    help="cpu: time by this process's CPU time (with --threads 1 on a shared machine: the time the "
                         "work took while it ran, without the waits for a core)")
    ap.add_argument("--trained", type=int, default=1000, metavar="K",
                    help="section 2 also times the state after K fused steps (0: init only)")
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument("--skip-paper", action="store_true")
    ap.add_argument("--skip-grid", action="store_true")
    ap.add_argument("--full", nargs=3, action="append", default=[], metavar=("P", "SEEDS", "DTYPE"),
                    help="also run the paper's classification setting end to end (all 3e4 steps, with the claims' "
                         "evaluations) at P with SEEDS seeds in DTYPE; repeatable")
    args = ap.parse_args(argv)
    full = []  # checked before any section runs: a bad --full is refused at once
    for p, seeds, dtype in args.full:
        if not (p.isdigit() and seeds.isdigit() and int(p) >= 2 and int(seeds) >= 1) or dtype not in DTYPES:
            ap.error(f"--full P SEEDS DTYPE: P >= 2 and SEEDS >= 1 integers, DTYPE one of {list(DTYPES)}; "
                     f"got {p} {seeds} {dtype}")
        full.append((int(p), int(seeds), dtype))
    set_numerics(args.threads or 0)  # TF32 off, the claims' heap settings (numerics.keep_heap)
    global _clock
    _clock = _CLOCK[args.clock]
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    load = " ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"device={args.device} ({name}) torch {torch.__version__} threads={torch.get_num_threads()} "
          f"cpus={os.cpu_count()} clock={args.clock} load avg (1/5/15 min) at start: {load}")
    gemm = args.gemm or (8192 if args.device == "cuda" else 1024)
    target = 4e9 if args.device == "cpu" else 4e11  # FLOPs per timed block
    if not args.skip_profile:
        print_profile(args.ps, args.R, args.dtypes, args.device, args.profile_steps)
    print_rates(args.ps, args.R, args.dtypes, args.device, args.repeats, gemm, target, args.trained)
    if not args.skip_grid:
        print_grid(47, args.device, args.dtypes, args.repeats, gemm)
    if not args.skip_paper:
        print_paper(args.device, args.dtypes, {47: args.paper_steps[0], 97: args.paper_steps[1]})
    if args.full:
        print(f"\n## 5. paper setting end to end (NGD lr 10, l_inf 1e-20, n = 2p^(5/3), h = 4p, {PAPER_STEPS} steps, "
              f"the claims' evaluation grid), train_fused, wall clock")
    for p, seeds, dtype in full:
        print_full(p, seeds, dtype, args.device)
    load = " ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"\nload avg (1/5/15 min) at end: {load} (2 cores shared: ratios to the same-run GEMM are what count)")


if __name__ == "__main__":
    main()
