"""Speed of the batched linear trainer (models.linear.train_linear) against today's loop
(models.linear.fit_runs = models/train.py on SensingModel / SignedDiagonalNet, one fit per
(lr, beta) with the instances batched) at the paper's sizes (Tikeng Notsawo+25): prints the time
per run-step of each and their ratio; not a test.

Cases (float64, CPU unless --device):
- l1:      compressed sensing n=100, s=5, N=30, l1 subgradient; batched: I instances x 3 x 3
           (lr, beta) grid in one program; serial: one fit of the I instances per (lr, beta).
- nuclear: 10x10 rank-2 completion, N=80, nuclear subgradient (one batched SVD per step).
- depth:   a = u^2 - v^2 on the CS data, I instances x 4 init scales.
Per run-step time = wall time / (steps x runs advanced). train_linear always runs on one CPU
thread (its ops are small); --threads sets torch's threads for the serial loop (the claims ran it
at torch's default, 2 here): quote both. Only the first and last steps are
evaluated in both loops, so the ratio is the per-step cost. The CPU may be shared: compare the
ratios of the same run (minimum over --repeats).

    python bench/bench_linear.py [--steps 2000] [--instances 4] [--repeats 3] [--threads 2]
"""
from __future__ import annotations

import argparse
import platform
import time

import torch

from grokcheck.models.linear import SensingModel, SignedDiagonalNet, fit_runs, train_linear
from grokcheck.models.train import TrainConfig
from grokcheck.theory.sparse import (completion_entries, completion_sensing, gaussian_sensing, low_rank_matrix,
                                     sparse_vector)

LRS, BETAS = (0.055, 0.0825, 0.1), (1e-5, 2e-5, 4e-5)
MC_LRS, MC_BETAS = (0.1, 0.5, 1.0), (1e-4, 2e-4, 4e-4)
INITS = (1e-6, 1e-4, 1e-2, 1e-1)


def cs(I, g):
    A = torch.stack([sparse_vector(100, 5, g) for _ in range(I)])
    X = torch.stack([gaussian_sensing(30, 100, g) for _ in range(I)])
    return X, A, torch.einsum("knd,kd->kn", X, A)


def mc(I, g):
    A = [low_rank_matrix(10, 10, 2, g) for _ in range(I)]
    X = torch.stack([completion_sensing(completion_entries(a, 80, 0.0, 2, g), 10, 10) for a in A])
    A = torch.stack([a.reshape(-1) for a in A])
    return X, A, torch.einsum("knd,kd->kn", X, A)


def best(fn, repeats):
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def case(name, X, A, y, grid, steps, repeats, penalty=None, depth=None, inits=None, shape=None):
    """grid: list of (lr, beta, init) per batched group; serial makes one fit_runs per group."""
    I = X.shape[0]
    G = len(grid)
    cfg = lambda lr, beta: TrainConfig(steps=steps, lr=lr, optimizer="gd", penalty=penalty if beta > 0 else None,
                                       penalty_weight=beta, loss="mse", dtype="float64", eval_steps=(0, steps))

    def serial():
        for lr, beta, init in grid:
            m = SensingModel(I, X.shape[2], init=init, shape=shape) if depth is None \
                else SignedDiagonalNet(I, X.shape[2], depth, init=init)
            fit_runs(m, X, y, A, cfg(lr, beta))

    Xb, Ab, yb = X.repeat(G, 1, 1), A.repeat(G, 1), y.repeat(G, 1)
    lr = torch.tensor([g[0] for g in grid for _ in range(I)], dtype=torch.float64)
    beta = torch.tensor([g[1] for g in grid for _ in range(I)], dtype=torch.float64)
    init = torch.tensor([g[2] for g in grid for _ in range(I)], dtype=torch.float64)

    def batched():
        train_linear(Xb, yb, Ab, lr=lr, beta=beta, init=init, steps=steps, penalty=penalty, depth=depth,
                     shape=shape, eval_steps=(0, steps))

    ts, tb = best(serial, repeats), best(batched, repeats)
    R = I * G
    ps, pb = ts / (steps * R), tb / (steps * R)
    print(f"{name:8s} runs={R:3d} ({I} instances x {G} grid points)  serial {ps * 1e6:8.2f} us/run-step "
          f"({ts / steps * 1e6:8.1f} us/step over {G} fits)  batched {pb * 1e6:7.3f} us/run-step "
          f"({tb / steps * 1e6:7.1f} us/step)  ratio {ps / pb:6.1f}x")
    return ps / pb


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--instances", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, steps {a.steps}, float64, CPU")
    g = torch.Generator().manual_seed(0)
    I = a.instances
    X, A, y = cs(I, g)
    r = [case("l1", X, A, y, [(lr, b, 1e-6) for lr in LRS for b in BETAS], a.steps, a.repeats, penalty="l1")]
    Xm, Am, ym = mc(I, g)
    r.append(case("nuclear", Xm, Am, ym, [(lr, b, 1e-6) for lr in MC_LRS for b in MC_BETAS], a.steps, a.repeats,
                  penalty="nuclear", shape=(10, 10)))
    # depth: the claim batches (instance, init) in one fit per depth; serial here = one fit per init
    r.append(case("depth", X, A, y, [(0.1, 0.0, s) for s in INITS], a.steps, a.repeats, depth=2))
    print(f"min ratio {min(r):.1f}x (requirement >= 20x)")


if __name__ == "__main__":
    main()
