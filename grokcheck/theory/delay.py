"""Event steps on sampled curves, evaluation grids, and the grokking delay (Tikeng Notsawo+25,
reference repo sparse_recovery/utils.py).

t1 = first evaluation step with train error <= threshold, t2 = first evaluation step
with test error <= threshold, delay = t2 - t1. Curves are sampled at increasing steps;
a curve that never crosses gives None. Closed form (compressed_sensing.ipynb, Fig 24):
delay ~ ||a_LS - a*||_inf / (lr beta) for subgradient descent with beta ||a||_1.
"""
from __future__ import annotations

import math
from typing import Sequence


COMPARISONS = {">=": lambda v, th: v >= th, "<=": lambda v, th: v <= th,
               ">": lambda v, th: v > th, "<": lambda v, th: v < th}


def first_step(steps: Sequence[int], values: Sequence[float], threshold: float,
               comparison: str = ">=") -> int | None:
    """The first logged step whose value `comparison` threshold holds, else None: the one event-step
    rule of grokcheck (t_fit, t_gen, t_exit, t1, t2 all use it).

    steps must increase strictly; None and NaN values never count as a crossing. With a grid whose
    ratio between logged steps is r, the event is resolved to within a factor r.
    """
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}; expected one of {list(COMPARISONS)}")
    if len(steps) != len(values):
        raise ValueError(f"{len(steps)} steps but {len(values)} values")
    if any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError("steps must be strictly increasing")
    holds = COMPARISONS[comparison]
    for t, v in zip(steps, values):
        if v is not None and not math.isnan(v) and holds(v, threshold):
            return int(t)
    return None


def grokking_times(steps, train_err, test_err, train_threshold: float,
                   test_threshold: float) -> tuple[int | None, int | None, int | None]:
    """(t1, t2, t2 - t1); the delay is None when either time is None."""
    t1 = first_step(steps, train_err, train_threshold, "<=")
    t2 = first_step(steps, test_err, test_threshold, "<=")
    return t1, t2, (None if t1 is None or t2 is None else t2 - t1)


def predicted_delay(ls_gap_inf: float, lr: float, beta: float) -> float:
    """||a_LS - a*||_inf / (lr beta), the closed-form delay in steps."""
    if lr <= 0 or beta <= 0:
        raise ValueError(f"lr and beta must be > 0, got lr={lr}, beta={beta}")
    return ls_gap_inf / (lr * beta)


def eval_grid(steps: int, *, n_uniform: int = 0, per_decade: int = 0, dense_until: int = 0) -> tuple[int, ...]:
    """The one evaluation grid of grokcheck: the sorted union of {0, steps}, n_uniform + 1 evenly
    spaced steps (a crossing after steps/10 resolved to within steps/n_uniform), about `per_decade`
    log-spaced steps per decade (an early crossing resolved to within a factor 10^(1/per_decade),
    6% at 40) and every step <= dense_until."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    for name, v in (("n_uniform", n_uniform), ("per_decade", per_decade), ("dense_until", dense_until)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    out = {0, steps, *range(min(dense_until, steps) + 1)}
    if n_uniform:
        out |= {round(i * steps / n_uniform) for i in range(n_uniform + 1)}
    if per_decade:
        x = 1.0
        while x < steps:
            out.add(int(x))
            x *= 10 ** (1 / per_decade)
    return tuple(sorted(out))


def log_grid(steps: int, per_decade: int = 40) -> tuple[int, ...]:
    """0, 1, ..., then about `per_decade` log-spaced steps per decade up to `steps` (included)."""
    if per_decade < 1:
        raise ValueError(f"per_decade must be >= 1, got {per_decade}")
    return eval_grid(steps, per_decade=per_decade)


def fine_grid(steps: int, n_linear: int = 400, per_decade: int = 40) -> tuple[int, ...]:
    """`log_grid` plus n_linear + 1 evenly spaced steps: a crossing after steps/10 is resolved
    to within steps/n_linear (<= 2.5% of it at 400), an early one to 10^(1/per_decade)."""
    if n_linear < 1 or per_decade < 1:
        raise ValueError(f"n_linear and per_decade must be >= 1, got {n_linear}, {per_decade}")
    return eval_grid(steps, n_uniform=n_linear, per_decade=per_decade)


def times_per_run(steps, train_err, test_err, train_threshold: float, test_threshold: float):
    """t1 and t2 lists for K runs recorded as columns: train_err, test_err (T, K) sequences."""
    K = len(train_err[0])
    t1 = [first_step(steps, [row[k] for row in train_err], train_threshold, "<=") for k in range(K)]
    t2 = [first_step(steps, [row[k] for row in test_err], test_threshold, "<=") for k in range(K)]
    return t1, t2
