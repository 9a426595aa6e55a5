"""Grokking delay (Tikeng Notsawo+25, reference repo sparse_recovery/utils.py).

t1 = first evaluation step with train error <= threshold, t2 = first evaluation step
with test error <= threshold, delay = t2 - t1. Curves are sampled at increasing steps;
a curve that never crosses gives None. Closed form (compressed_sensing.ipynb, Fig 24):
delay ~ ||a_LS - a*||_inf / (lr beta) for subgradient descent with beta ||a||_1.
"""
from __future__ import annotations

from typing import Sequence


def first_step_below(steps: Sequence[int], values: Sequence[float], threshold: float) -> int | None:
    """The first step whose value is <= threshold, else None. steps must increase."""
    if len(steps) != len(values):
        raise ValueError(f"{len(steps)} steps but {len(values)} values")
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError("steps must be strictly increasing")
    for t, v in zip(steps, values):
        if v <= threshold:  # NaN compares False: never counted as a crossing
            return int(t)
    return None


def grokking_times(steps, train_err, test_err, train_threshold: float,
                   test_threshold: float) -> tuple[int | None, int | None, int | None]:
    """(t1, t2, t2 - t1); the delay is None when either time is None."""
    t1 = first_step_below(steps, train_err, train_threshold)
    t2 = first_step_below(steps, test_err, test_threshold)
    return t1, t2, (None if t1 is None or t2 is None else t2 - t1)


def predicted_delay(ls_gap_inf: float, lr: float, beta: float) -> float:
    """||a_LS - a*||_inf / (lr beta), the closed-form delay in steps."""
    if lr <= 0 or beta <= 0:
        raise ValueError(f"lr and beta must be > 0, got lr={lr}, beta={beta}")
    return ls_gap_inf / (lr * beta)


def log_grid(steps: int, per_decade: int = 40) -> list[int]:
    """0, 1, ..., then about `per_decade` log-spaced steps per decade up to `steps` (included).

    Resolves a crossing at step t to within a factor 10^(1/per_decade) (6% at 40)."""
    if steps < 1 or per_decade < 1:
        raise ValueError(f"steps and per_decade must be >= 1, got {steps}, {per_decade}")
    out, x = [0], 1.0
    while x < steps:
        if int(x) > out[-1]:
            out.append(int(x))
        x *= 10 ** (1 / per_decade)
    if out[-1] != steps:
        out.append(steps)
    return out


def fine_grid(steps: int, n_linear: int = 400, per_decade: int = 40) -> tuple:
    """`log_grid` plus n_linear + 1 evenly spaced steps: a crossing after steps/10 is resolved
    to within steps/n_linear (<= 2.5% of it at 400), an early one to 10^(1/per_decade)."""
    if n_linear < 1:
        raise ValueError(f"n_linear must be >= 1, got {n_linear}")
    return tuple(sorted(set(log_grid(steps, per_decade)) | {round(i * steps / n_linear) for i in range(n_linear + 1)}))


def times_per_run(steps, train_err, test_err, train_threshold: float, test_threshold: float):
    """t1 and t2 lists for K runs recorded as columns: train_err, test_err (T, K) sequences."""
    K = len(train_err[0])
    t1 = [first_step_below(steps, [row[k] for row in train_err], train_threshold) for k in range(K)]
    t2 = [first_step_below(steps, [row[k] for row in test_err], test_threshold) for k in range(K)]
    return t1, t2
