"""Throughput of batched training (models/batched.py) against R sequential models.train.train runs.

Task: modular-addition classification, all p^2 pairs, training fraction 0.5, QuadraticNet width 4p,
AdamW, full batch, float32. Both sides evaluate only at steps 0 and `steps`. Each side first runs a
warm-up (`--warmup` steps, not timed), then the timed run; ratio = (R * steps / t_batched) /
(R * steps / t_sequential) = t_sequential / t_batched. The CPU is shared, so repeat and quote the
median (--repeats).

    python bench/bench_train.py [--ps 31 97] [--rs 8 32] [--steps 30] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from grokcheck.models.batched import quadratic_pairs_forward, train_batched
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.theory.tasks import binary_table, split_indices


def _fwd(m, inp):
    return m.logits(inp[:, 0], inp[:, 1])


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


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
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"device={args.device} torch_threads={torch.get_num_threads()} steps(p=31)={args.steps} "
          f"repeats={args.repeats} path={'vmap' if args.vmap else 'fused'} load_avg_1min={load:.1f}")
    print(f"{'p':>4} {'R':>4} {'seq run-steps/s':>16} {'batched run-steps/s':>20} {'ratio':>6}")
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
            print(f"{p:>4} {R:>4} {work / statistics.median(ts):>16.1f} {work / statistics.median(tb):>20.1f} "
                  f"{statistics.median(ratios):>6.2f}  (ratios {', '.join(f'{r:.2f}' for r in ratios)})", flush=True)


if __name__ == "__main__":
    main()
