"""The decision rules of the PKU-project claims: statistics over seeds with intervals of stated
coverage (grokcheck.theory.stats, grokcheck.rules), fixed before any run; each claim's docstring
says which rule decides, on which runs, and why its threshold.

Policy (grokcheck.core): a rule holds when the statistic's whole interval lies on the claim's side
of the threshold, fails when it lies wholly on the other side, and is undecided otherwise.
- `median_stat`: the median over seeds and its distribution-free order-statistic interval with its
  exact coverage; with S = 3 seeds it is [min, max] at coverage 75% (a rule on it is a rule on
  every seed), with 6 seeds 97%.
- `trend_stat`: Spearman rho between a setting x (the training fraction) and a step y (t95) within
  each seed's sweep (replicate s at every x), and the median over seeds with its order-statistic
  interval (`theory.stats.seedwise_interval`, exact coverage: [min, max] of 3 seeds, 75%).
- `superiority_stat`: per seed (replicate s in both groups), 1 when group B's value is above group
  A's, 1/2 on a tie, 0 below (the Mann-Whitney probability of superiority of one pair); the median
  over seeds with its order-statistic interval.
- `delay_ratios`: t95 / t_fit per run, t_fit the first eval step with train acc >= FIT and t95 the
  first with `curve` >= GROK (theory.delay.first_step); runs without both events are left out.
`trend_stat` and `superiority_stat` replace pooled statistics with a percentile bootstrap whose coverage is unknown at 3-4 seeds
(such an interval decides nothing, grokcheck.core); the thresholds are unchanged.
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


def _spearman_or_zero(x, y) -> float:
    """Spearman rho of one seed's sweep; 0 when its y is constant (no trend in that seed)."""
    r = stats.rank_correlation(x, y)
    return 0.0 if np.isnan(r) else r


def trend_stat(xs, ys_by_x, rng=None) -> stats.Interval:
    """Median over seeds of the per-seed Spearman rho(x, y), with its order-statistic interval.
    ys_by_x: one row per x of per-seed values (seed s at position s). No trend to measure (fewer than
    2 x, no seed, or every value equal): estimate None. rng: unused (the interval is exact)."""
    method = "Spearman rho(x, y)"
    n = sum(map(len, ys_by_x))
    if len(xs) < 2 or any(len(y) == 0 for y in ys_by_x) or len({float(v) for y in ys_by_x for v in y}) == 1:
        return stats.Interval(None, None, None, None, method + ", no trend to measure", n)
    return stats.seedwise_interval(xs, ys_by_x, _spearman_or_zero, what=method)


def superiority(a, b) -> float:
    """P(B > A) + P(B = A) / 2 over all pairs (a_i, b_j)."""
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    return float(((b > a) + 0.5 * (b == a)).mean())


def superiority_stat(a, b, rng=None) -> stats.Interval:
    """Median over seeds of superiority(a_s, b_s) (1, 1/2 or 0) with its order-statistic interval; a, b:
    per-seed values, seed s at position s in both (a seed with a None / NaN value in either is left
    out). rng: unused (the interval is exact)."""
    if len(a) != len(b):
        raise ValueError(f"superiority_stat pairs seeds: got {len(a)} and {len(b)} values")
    ok = lambda v: v is not None and np.isfinite(float(v))  # noqa: E731
    per_seed = [superiority([x], [y]) for x, y in zip(a, b) if ok(x) and ok(y)]
    iv = stats.median_interval(per_seed)
    return stats.Interval(iv.estimate, iv.lo, iv.hi, iv.coverage,
                          f"P(B > A) + P(B = A)/2 per seed, {iv.method}", iv.n)


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
