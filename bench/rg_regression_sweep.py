"""Pilot sweep (ours): rich-generalization's regression setting over init scales and learning rates.

The paper's regression setting (Mohamadi+24 Sec. 5, App. A.1; claim `rich-generalization`): quadratic net
f = V (W x)^2 of width h = 4p, the p^3 triples (a, b, c) with target p 1[a + b = c], output e_c^T f(a, b),
n = 2 p^2.25 training triples, mean square loss, full-batch GD lr 1 with l_inf weight 1e-4 on max |theta|,
float64, PyTorch's uniform fan-in init. At p = 23 and 1e5 steps no run generalizes (README). This script
asks whether a nearby setting does: every (init scale alpha, lr) cell of a grid, `seeds` seeds each (seed s:
split ("split", s), init ("init", s) scaled by alpha, the same at every cell), all cells in one fused batched
pass (per-run learning rates). Printed per cell (median over seeds): the final relative test loss L / p
(the zero predictor has 1; the claim's rule asks <= 0.05), its minimum over the eval steps, the final
relative train loss, the argmax test accuracy (the net read as a classifier on the pairs whose true triple
was not trained, `_rg_runs.argmax_accuracy`; chance 1/p), and how many seeds diverged.

    python bench/rg_regression_sweep.py --p 23 --steps 10000 --alphas 1 0.3 0.1 --lrs 0.3 1 3 --seeds 2

It decides nothing: a cell that generalizes here is a lead for a setting of ours, to be pre-registered.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from grokcheck.claims.mohamadi._rg_runs import argmax_accuracy, grid
from grokcheck.context import make_context
from grokcheck.models.fused import train_quadratic
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.tasks import regression_triples, split_indices


def sweep(p: int, steps: int, alphas, lrs, seeds: int, penalty_weight: float = 1e-4, seed: int = 0) -> list[dict]:
    """One row per (alpha, lr) cell: medians over seeds (module docstring). Runs r = cell * seeds + s."""
    ctx = make_context("default", "cpu", seed)
    x, y = regression_triples(p)
    N, n, width = len(y), round(2 * p ** 2.25), 4 * p
    cells = [(a, lr) for a in alphas for lr in lrs]
    masks = torch.zeros(len(cells) * seeds, N, dtype=torch.bool)
    models, run_lrs = [], []
    for a, lr in cells:
        for s in range(seeds):
            masks[len(models), split_indices(N, n / N, ctx.rng("split", s))[0]] = True
            models.append(QuadraticNet(p, width, init_scale=a, generator=ctx.rng("init", s), dtype=torch.float64))
            run_lrs.append(lr)
    cfg = TrainConfig(steps=steps, lr=1.0, optimizer="gd", penalty="linf", penalty_weight=penalty_weight,
                      loss="mse", dtype="float64", eval_steps=grid(steps))
    hists, params = train_quadratic(models, Data(x, y), masks, cfg, fused=True, lrs=run_lrs)
    _, am_test = argmax_accuracy(params, p, masks)
    rows = []
    for c, (a, lr) in enumerate(cells):
        runs = range(c * seeds, (c + 1) * seeds)
        test = [[v / p for v in hists[r].metrics["test_loss"]] for r in runs]
        rows.append({"alpha": a, "lr": lr, "final_test": statistics.median([t[-1] for t in test]),
                     "min_test": statistics.median([min(t) for t in test]),
                     "final_train": statistics.median([hists[r].metrics["train_loss"][-1] / p for r in runs]),
                     "argmax_test": statistics.median([am_test[r] for r in runs]),
                     "diverged": sum(hists[r].diverged_at is not None for r in runs)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, default=23)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--alphas", type=float, nargs="+", default=[1.0, 0.3, 0.1])
    ap.add_argument("--lrs", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--penalty-weight", type=float, default=1e-4)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = sweep(args.p, args.steps, args.alphas, args.lrs, args.seeds, args.penalty_weight)
    print(f"p={args.p}, n=2p^2.25, h=4p, GD + l_inf {args.penalty_weight:g}, {args.steps} steps, {args.seeds} seeds "
          f"(medians over seeds; relative losses L/p, zero predictor 1; argmax chance {1 / args.p:.3f})")
    print(f"{'alpha':>6s} {'lr':>5s} {'final test':>10s} {'min test':>9s} {'final train':>11s} {'argmax test':>11s} "
          f"{'diverged':>8s}")
    for r in rows:
        print(f"{r['alpha']:6g} {r['lr']:5g} {r['final_test']:10.4g} {r['min_test']:9.4g} {r['final_train']:11.3g} "
              f"{r['argmax_test']:11.3f} {r['diverged']:8d}")
    print(f"wall {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
