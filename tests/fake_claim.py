"""A fake claim for the store, resume and executor tests (tests/test_resume.py, test_executors.py).

`runs` sub-runs in one `Context.map` (memoized items; Ray tasks under the Ray executor); sub-run i
draws a (size, size) float64 matrix from stream ("init", i), takes its Gram matrix and eigenvalues
(float reductions, so bit-identity is a real check), sleeps `sleep` seconds and appends "pid i" to
the file `marker` (when set), so a test can count which sub-runs were computed by which process.
`fail=True` makes the claim raise.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from grokcheck.core import Claim, Observable
from grokcheck.streams import generator

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


def one_run(spec: dict, seed: int, device: str, *, sleep: float = 0.0, marker: str = "") -> dict:
    """Sub-run spec["run"]: a module-level function of (spec, seed, device), as `Context.map` wants."""
    i = spec["run"]
    a = torch.randn(spec["size"], spec["size"], generator=generator(seed, "init", i), dtype=torch.float64)
    gram = a @ a.T                                   # (size, size)
    eig = torch.linalg.eigvalsh(gram)                # (size,)
    time.sleep(sleep)
    if marker:
        with open(marker, "a") as fh:
            fh.write(f"{os.getpid()} {i}\n")
    return {"eig": eig, "trace": float(gram.trace()), "cum": np.cumsum(eig.numpy()), "n": np.int64(i)}


def run(config: Config, ctx):
    if config.fail:
        raise RuntimeError("fake failure for the isolation test")
    outs = ctx.map("run", [{"run": i, "size": config.size} for i in range(config.runs)],
                   partial(one_run, sleep=config.sleep, marker=config.marker))
    ctx.log(f"{len(outs)} runs")
    total = sum(o["trace"] for o in outs)
    obs = [Observable("total trace", total, 0.0, ">", reason="a Gram matrix is PSD"),
           Observable("negative control", -total, 0.0, "<", role="control", reason="sign flipped")]
    series = {"steps": list(range(config.runs)), "trace": [o["trace"] for o in outs],
              "eig_max": [float(o["eig"][-1]) for o in outs], "cum_last": [float(o["cum"][-1]) for o in outs]}
    return ctx.result(CLAIM, config, obs, series)


def figures(result):
    return []
