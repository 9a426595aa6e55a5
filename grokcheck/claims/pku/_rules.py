"""The decision rules of the PKU-project claims: statistics over seeds with intervals of stated
coverage (grokcheck.theory.stats, grokcheck.rules), fixed before any run; each claim's docstring
says which rule decides, on which runs, and why its threshold.

Policy (grokcheck.core): a rule holds when the statistic's whole interval lies on the claim's side
of the threshold, fails when it lies wholly on the other side, and is undecided otherwise.
- `median_stat`: the median over seeds and its distribution-free order-statistic interval with its
  exact coverage; with S = 3 seeds it is [min, max] at coverage 75% (a rule on it is a rule on
  every seed), with 6 seeds 97%.
- `trend_stat`: the pooled Spearman rho between a setting x (the training fraction) and a step y
  (t95) over every (x, seed) pair, with a bootstrap interval that resamples seeds within each x
  (`theory.stats.pooled_rank_ci`; coverage unknown below 10 runs, nominal 95% from there).
- `superiority_stat`: P(a run of group B scores above a run of group A), ties counted half (the
  Mann-Whitney probability of superiority); bootstrap interval resampling runs within each group.
- `delay_ratios`: t95 / t_fit per run, t_fit the first eval step with train acc >= FIT and t95 the
  first with `curve` >= GROK (theory.delay.first_step); runs without both events are left out.
Every statistic is a `theory.stats.Interval` (estimate None when there is nothing to measure:
the rule is then undecided).
"""
from __future__ import annotations

import numpy as np

from grokcheck.claims.pku._grokking_runs import FIT, GROK
from grokcheck import rules
from grokcheck.core import PAPER, Observable
from grokcheck.theory import stats
from grokcheck.theory.delay import first_step

def median_stat(values, rng=None) -> stats.Interval:
    """Median of `values` (None / NaN dropped) with its order-statistic interval at 95% or, with few
    seeds, [min, max] at its exact coverage. rng: unused (the interval is exact), kept for symmetry."""
    return stats.median_interval(values, stats.LEVEL)


def _boot(value, lo, hi, n, method) -> stats.Interval:
    cov = stats.LEVEL if n >= stats.MIN_BOOTSTRAP else None
    note = "" if cov else f", n = {n} < {stats.MIN_BOOTSTRAP}: coverage unknown (nominal {stats.LEVEL:.0%})"
    return stats.Interval(value, lo, hi, cov, method + note, n)


def trend_stat(xs, ys_by_x, rng) -> stats.Interval:
    """Pooled Spearman rho of (x, y) over seeds with its bootstrap interval (seeds within x)."""
    n = sum(map(len, ys_by_x))
    method = "pooled Spearman rho, percentile bootstrap of seeds within x"
    none = stats.Interval(None, None, None, None, method + ", no trend to measure", n)
    if len(xs) < 2 or any(len(y) == 0 for y in ys_by_x):
        return none
    try:
        rho, (lo, hi) = stats.pooled_rank_ci(xs, ys_by_x, rng)
    except ValueError:  # every y equal on most resamples: no trend to measure
        return none
    if not np.isfinite(rho):  # every y equal: no trend at all
        return none
    return _boot(rho, lo, hi, n, method)


def superiority(a, b) -> float:
    """P(B > A) + P(B = A) / 2 over all pairs (a_i, b_j)."""
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    return float(((b > a) + 0.5 * (b == a)).mean())


def superiority_stat(a, b, rng) -> stats.Interval:
    """P(a run of B above a run of A) with its bootstrap interval (None / NaN dropped)."""
    a = [float(x) for x in a if x is not None and np.isfinite(float(x))]
    b = [float(x) for x in b if x is not None and np.isfinite(float(x))]
    method = "P(B > A) + P(B = A)/2, percentile bootstrap within groups"
    if not a or not b:
        return stats.Interval(None, None, None, None, method + ", no runs", len(a) + len(b))
    lo, hi = stats.grouped_bootstrap_ci([a, b], lambda g: superiority(g[0], g[1]), rng)
    return _boot(superiority(a, b), lo, hi, min(len(a), len(b)), method)


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


def rule(name: str, stat: stats.Interval, bound: float, comparison: str, reason: str, *,
         role: str = "claim", setting: str = PAPER, kind: str = "measure") -> Observable:
    """The Observable of the rule `stat comparison bound` (a claim: `rules.interval_rule`); for a control,
    `stat` is the rule's statistic on the wrong input and `comparison` the RULE's comparison: the control
    holds when the rule does not (`rules.control_rule`)."""
    if role == "control":
        return rules.control_rule(name, stat, bound, comparison, reason, setting=setting)
    return rules.interval_rule(name, stat, bound, comparison, reason, role=role, setting=setting, kind=kind)
