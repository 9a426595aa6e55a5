"""Sample-complexity statistics of claim `sample-complexity` (Mohamadi+24 Thm 4.3 vs Thm 4.5): n* per
seed on a grid of training-set sizes, its exponent in p per seed with the order-statistic interval of
the median over seeds (`exponent_interval`, `exponent_difference`: exact coverage), a pooled exponent
with a bootstrap interval for the `compare` command (`exponent`), and the budget-bound flag. Pure numpy; the rules they implement are stated in the claim's
docstring.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from grokcheck.theory.stats import Interval, grouped_bootstrap_ci, loglog_slope, median_interval, seedwise_interval

LEFT, INSIDE, RIGHT = "left", "inside", "right"  # where n* falls: below, inside, above the grid
BUDGET_FRACTION = 0.8  # n* is budget-bound when its run needed > 0.8 of the step budget


def first_passing(ok) -> int | None:
    """The index of the first point from which on every point passes (a lucky pass below a failing point
    does not count); None when the last point fails. ok: (F,) pass flags, in increasing n."""
    ok = [bool(v) for v in ok]
    if not ok or not ok[-1]:
        return None
    i = len(ok) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    return i


def n_star(ns: Sequence[float], passed: Sequence[bool], values: Sequence[float] | None = None,
           threshold: float | None = None) -> tuple[float, str]:
    """The smallest training-set size n* from which on a run passes, on the grid `ns` (increasing).

    n* is read between the last failing grid point n_lo and the first point n_hi from which every
    larger grid point passes: with `values` and `threshold`, by linear interpolation of the value in
    log n (the crossing of the threshold), else n_hi. A lucky pass below a failing point does not
    count. Returns (n*, where): where = "left" when the smallest grid point already passes
    (n* <= ns[0], reported as ns[0]) and "right" when the largest fails (n* > ns[-1], reported as
    ns[-1]: censored, a lower bound)."""
    ns = np.asarray(ns, dtype=float)
    ok = np.asarray(passed, dtype=bool)
    if ns.ndim != 1 or ns.size == 0 or ok.shape != ns.shape:
        raise ValueError(f"need matching 1-D grids, got {ns.shape} and {ok.shape}")
    if np.any(np.diff(ns) <= 0) or ns[0] <= 0:
        raise ValueError("ns must be positive and strictly increasing")
    i = first_passing(ok)
    if i is None:
        return float(ns[-1]), RIGHT
    if i == 0:
        return float(ns[0]), LEFT
    if values is None or threshold is None:
        return float(ns[i]), INSIDE
    v0, v1 = float(values[i - 1]), float(values[i])
    t = 1.0 if v1 == v0 else min(1.0, max(0.0, (threshold - v0) / (v1 - v0)))
    return float(np.exp(np.log(ns[i - 1]) + t * (np.log(ns[i]) - np.log(ns[i - 1])))), INSIDE


def exponent(ps: Sequence[float], n_by_p: Sequence[Sequence[float]], rng: np.random.Generator,
             n_boot: int) -> tuple[float, tuple[float, float]]:
    """Exponent k of n* ~ p^k: log-log least-squares slope of the median n* over seeds against p, and its
    95% percentile bootstrap interval with seeds resampled within each p. n_by_p: G rows of per-seed n*."""
    def slope(groups):
        return loglog_slope(ps, [np.median(g) for g in groups])

    return slope([np.asarray(g, float) for g in n_by_p]), grouped_bootstrap_ci(n_by_p, slope, rng, n_boot=n_boot)


def exponent_interval(ps: Sequence[float], n_by_p: Sequence[Sequence[float]]) -> Interval:
    """Exponent k of n* ~ p^k within each seed's sweep over p (log-log least-squares slope of that seed's
    n*; seed s at position s of every row), the median over seeds with its order-statistic interval
    (`theory.stats.seedwise_interval`: exact coverage, 75% at 3 seeds). n_by_p: G rows of per-seed n*."""
    return seedwise_interval(ps, n_by_p, loglog_slope, what="log-log slope of n* on p")


def exponent_difference(ps: Sequence[float], a_by_p: Sequence[Sequence[float]],
                        b_by_p: Sequence[Sequence[float]]) -> Interval:
    """Exponent of a minus exponent of b within each seed (a and b measured on the same seed's splits),
    the median over seeds with its order-statistic interval. a_by_p, b_by_p: G rows of per-seed n*."""
    seeds = {len(r) for r in list(a_by_p) + list(b_by_p)}
    if len(seeds) != 1 or len(a_by_p) != len(b_by_p):
        raise ValueError("exponent_difference pairs seeds: a and b need the same seeds at every p")
    per_seed = [loglog_slope(ps, [r[s] for r in a_by_p]) - loglog_slope(ps, [r[s] for r in b_by_p])
                for s in range(seeds.pop())]
    iv = median_interval(per_seed)
    return Interval(iv.estimate, iv.lo, iv.hi, iv.coverage, f"exponent difference per seed, {iv.method}", iv.n)


def budget_bound(gen_step: int | None, steps: int, fraction: float = BUDGET_FRACTION) -> bool:
    """True when the run that defines n* reached its criterion after `fraction` of the step budget
    (or never did): more steps could move n* down, so n* is bound by the budget, not the data."""
    return gen_step is None or gen_step > fraction * steps
