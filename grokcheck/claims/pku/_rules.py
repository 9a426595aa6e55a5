"""The decision rules of the PKU-project claims (issue 14): statistics over seeds with 95% intervals
(grokcheck.theory.stats), fixed before any run; each claim's docstring says which rule decides,
on which runs, and why its threshold.

Policy: a rule passes when the statistic's 95% interval lies on the claim's side of the threshold,
so a pass is evidence at the 95% level and not one lucky seed.
- `median_stat`: the median over seeds and its percentile-bootstrap interval. With S = 3 seeds the
  interval runs from the smallest to the largest seed, so a rule on an interval end is a rule on
  every seed ("all three seeds grok later than they fit").
- `trend_stat`: the pooled Spearman rho between a setting x (the training fraction) and a step y
  (t95) over every (x, seed) pair, with a bootstrap interval that resamples seeds within each x
  (`theory.stats.pooled_rank_ci`); "decreasing" passes when the interval's upper end is < 0.
- `superiority_stat`: P(a run of group B scores above a run of group A), ties counted half (the
  Mann-Whitney probability of superiority); bootstrap interval resampling runs within each group;
  "B above A" passes when the lower end is > 0.5.
- `delay_ratios`: t95 / t_fit per run, t_fit the first eval step with train acc >= FIT and t95 the
  first with `curve` >= GROK (theory.delay.first_step); runs without both events are left out.
Every function returns a dict {"statistic", "value" (point), "lo", "hi", "n", "values"}; lo / hi
/ value are None when there is nothing to measure (a rule on None fails).
"""
from __future__ import annotations

import numpy as np

from grokcheck.claims.pku._grokking_runs import FIT, GROK
from grokcheck.core import PAPER, Observable
from grokcheck.theory import stats
from grokcheck.theory.delay import first_step

EMPTY = {"value": None, "lo": None, "hi": None}


def median_stat(values, rng) -> dict:
    """Median of `values` (None / NaN dropped) with its 95% bootstrap interval."""
    v = [float(x) for x in values if x is not None and np.isfinite(float(x))]
    out = {"statistic": "median over seeds, 95% bootstrap CI", "n": len(v), "values": v}
    if not v:
        return {**out, **EMPTY}
    lo, hi = stats.bootstrap_ci(v, np.median, rng)
    return {**out, "value": float(np.median(v)), "lo": lo, "hi": hi}


def trend_stat(xs, ys_by_x, rng) -> dict:
    """Pooled Spearman rho of (x, y) over seeds with its 95% bootstrap interval (seeds within x)."""
    out = {"statistic": "pooled Spearman rho, 95% bootstrap CI (seeds within x)", "n": sum(map(len, ys_by_x)),
           "values": [list(map(float, y)) for y in ys_by_x], "x": list(map(float, xs))}
    if len(xs) < 2 or any(len(y) == 0 for y in ys_by_x):
        return {**out, **EMPTY}
    try:
        rho, (lo, hi) = stats.pooled_rank_ci(xs, ys_by_x, rng)
    except ValueError:  # every y equal on most resamples: no trend to measure
        return {**out, **EMPTY}
    if not np.isfinite(rho):  # every y equal: no trend at all
        return {**out, **EMPTY}
    return {**out, "value": rho, "lo": lo, "hi": hi}


def superiority(a, b) -> float:
    """P(B > A) + P(B = A) / 2 over all pairs (a_i, b_j)."""
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    return float(((b > a) + 0.5 * (b == a)).mean())


def superiority_stat(a, b, rng) -> dict:
    """P(a run of B above a run of A) with its 95% bootstrap interval (None / NaN dropped)."""
    a = [float(x) for x in a if x is not None and np.isfinite(float(x))]
    b = [float(x) for x in b if x is not None and np.isfinite(float(x))]
    out = {"statistic": "P(B > A) + P(B = A)/2, 95% bootstrap CI", "n": len(a) + len(b), "values": [a, b]}
    if not a or not b:
        return {**out, **EMPTY}
    lo, hi = stats.grouped_bootstrap_ci([a, b], lambda g: superiority(g[0], g[1]), rng)
    return {**out, "value": superiority(a, b), "lo": lo, "hi": hi}


def delay_ratios(runs, curve: str = "test_acc") -> list:
    """t95 / max(t_fit, 1) of each run {"steps", "train_acc", curve} that has both events; with
    curve="train_acc" this is the no-delay control (fit and 'generalization' read off one curve)."""
    out = []
    for r in runs:
        t_fit = first_step(r["steps"], r["train_acc"], FIT)
        t_gen = first_step(r["steps"], r[curve], GROK)
        if t_fit is not None and t_gen is not None:
            out.append(t_gen / max(t_fit, 1))
    return out


def rule(name: str, stat: dict, end: str, bound: float, comparison: str, reason: str, *,
         role: str = "claim", setting: str = PAPER) -> Observable:
    """The Observable of a rule on `stat[end]` (end: "lo", "hi" or "value"); the reason quotes the
    point statistic and its interval."""
    fmt = lambda x: "none" if x is None else f"{x:.4g}"  # noqa: E731
    told = f"{stat['statistic']}: {fmt(stat['value'])} [{fmt(stat['lo'])}, {fmt(stat['hi'])}], n = {stat['n']}"
    return Observable(name, stat[end], bound, comparison, reason=f"{reason} ({told})", role=role, setting=setting)
