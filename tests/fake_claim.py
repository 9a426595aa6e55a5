"""A fake claim for the store, resume and executor tests (tests/test_resume.py, test_executors.py).

`runs` memoized sub-runs; sub-run i draws a (size, size) float64 matrix from stream ("init", i),
takes its Gram matrix and eigenvalues (float reductions, so bit-identity is a real check), sleeps
`sleep` seconds and appends "pid i" to the file `marker` (when set), so a test can count which
sub-runs were computed by which process. `fail=True` makes the claim raise.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch

from grokcheck.core import Claim, Observable

CLAIM_ID = "fake-claim"
CLAIM = Claim(CLAIM_ID, "Fake claim (tests)", "Gram matrices have a positive trace.", "tests")


@dataclass(frozen=True)
class Config:
    runs: int = 4          # memoized sub-runs
    size: int = 48         # matrix side
    sleep: float = 0.0     # seconds per sub-run (kill tests)
    marker: str = ""       # file that records computed sub-runs ("" = none)
    fail: bool = False     # raise inside run (isolation tests)
    seed: int = 0


SCALES = {"ci": Config(), "default": Config(runs=6), "paper": Config(runs=8)}


def one_run(i: int, config: Config, ctx) -> dict:
    a = torch.randn(config.size, config.size, generator=ctx.rng("init", i), dtype=torch.float64)
    gram = a @ a.T                                   # (size, size)
    eig = torch.linalg.eigvalsh(gram)                # (size,)
    time.sleep(config.sleep)
    if config.marker:
        with open(config.marker, "a") as fh:
            fh.write(f"{os.getpid()} {i}\n")
    return {"eig": eig, "trace": float(gram.trace()), "cum": np.cumsum(eig.numpy()), "n": np.int64(i)}


def run(config: Config, ctx):
    if config.fail:
        raise RuntimeError("fake failure for the isolation test")
    outs = [ctx.memo("run", {"run": i, "size": config.size}, lambda i=i: one_run(i, config, ctx))
            for i in range(config.runs)]
    ctx.log(f"{len(outs)} runs")
    total = sum(o["trace"] for o in outs)
    obs = [Observable("total trace", total, 0.0, ">", reason="a Gram matrix is PSD"),
           Observable("negative control", -total, 0.0, "<", role="control", reason="sign flipped")]
    series = {"steps": list(range(config.runs)), "trace": [o["trace"] for o in outs],
              "eig_max": [float(o["eig"][-1]) for o in outs], "cum_last": [float(o["cum"][-1]) for o in outs]}
    return ctx.result(CLAIM, config, obs, series)


def figures(result):
    return []
