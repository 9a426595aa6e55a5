"""Statistics over seeds for the verdicts (issue 14): intervals fixed before the runs are looked at.

All functions are pure numpy (scipy for the beta quantile), take an explicit
`numpy.random.Generator` where they resample, and validate their inputs (ValueError).

- `bootstrap_ci(values, statistic, rng)`: percentile bootstrap interval of a statistic of one
  sample (e.g. the median over seeds). With S seeds the median's interval is coarse (at S = 3 it
  spans the smallest to the largest seed); say so where it decides.
- `grouped_bootstrap_ci(groups, statistic, rng)`: the same for a statistic of several groups
  (one per p, say), seeds resampled WITHIN each group: the interval of a log-log slope over p.
- `clopper_pearson(k, n)`: exact binomial interval of a proportion (e.g. the fraction of seeds
  or points that pass).
- `rank_correlation(x, y)`: Spearman's rho with average ranks for ties; `pooled_rank_ci` pools
  (x, y) pairs over seeds and bootstraps seeds within each x for a monotone-trend interval.
- `loglog_slope(x, y)`: least-squares slope of log y on log x (the exponent of y ~ x^k).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

LEVEL = 0.95  # two-sided coverage of every interval here unless told otherwise


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(level)


def _check_boot(n_boot: int) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 10:
        raise ValueError(f"n_boot must be an integer >= 10, got {n_boot!r}")
    return n_boot


def _sample(values, name: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {v.tolist()}")
    return v


def bootstrap_ci(values: Sequence[float], statistic: Callable = np.median, rng: np.random.Generator | None = None,
                 *, n_boot: int = 2000, level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval (lo, hi) of statistic(values): resample the values with replacement
    n_boot times. values: (S,) finite. rng: numpy Generator (a claim passes ctx.np_rng("bootstrap"))."""
    v, level, n_boot = _sample(values), _check_level(level), _check_boot(n_boot)
    rng = np.random.default_rng(0) if rng is None else rng
    idx = rng.integers(0, v.size, (n_boot, v.size))  # (n_boot, S)
    boots = np.array([statistic(v[i]) for i in idx])
    a = (1 - level) / 2
    return float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))


def grouped_bootstrap_ci(groups: Sequence[Sequence], statistic: Callable, rng: np.random.Generator | None = None,
                         *, n_boot: int = 2000, level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of statistic(groups), each group resampled with replacement on
    its own (seeds within each p). groups: G sequences of per-seed values (any objects); statistic:
    list of G numpy arrays -> float. Non-finite statistics of a resample are dropped; ValueError if
    more than half are."""
    gs = [np.asarray(g) for g in groups]
    if not gs or any(g.shape[0] == 0 for g in gs):
        raise ValueError("need at least one non-empty group")
    level, n_boot = _check_level(level), _check_boot(n_boot)
    rng = np.random.default_rng(0) if rng is None else rng
    boots = np.array([statistic([g[rng.integers(0, g.shape[0], g.shape[0])] for g in gs]) for _ in range(n_boot)],
                     dtype=float)
    boots = boots[np.isfinite(boots)]
    if boots.size < n_boot / 2:
        raise ValueError("the statistic is not finite on most resamples")
    a = (1 - level) / 2
    return float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion from k successes in n trials."""
    from scipy.stats import beta
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer in [0, n={n}], got {k!r}")
    a = (1 - _check_level(level)) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def _ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks (1..n), ties share the mean of their ranks."""
    order = np.argsort(v, kind="stable")
    r = np.empty(v.size)
    r[order] = np.arange(1, v.size + 1)
    for u in np.unique(v):
        tie = v == u
        r[tie] = r[tie].mean()
    return r


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho of paired samples (average ranks for ties); NaN when x or y is constant."""
    x, y = _sample(x, "x"), _sample(y, "y")
    if x.size != y.size or x.size < 2:
        raise ValueError(f"x and y need the same length >= 2, got {x.size} and {y.size}")
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


def pooled_rank_ci(xs: Sequence[float], ys_by_x: Sequence[Sequence[float]], rng: np.random.Generator | None = None,
                   *, n_boot: int = 2000, level: float = LEVEL) -> tuple[float, tuple[float, float]]:
    """Pooled Spearman rho between x and y over every (x_g, y_gs) pair (seeds pooled), with a
    bootstrap interval that resamples seeds within each x. xs: (G,); ys_by_x: G sequences (S_g,).
    Returns (rho, (lo, hi))."""
    xs = _sample(xs, "xs")
    if len(ys_by_x) != xs.size:
        raise ValueError(f"{xs.size} x values but {len(ys_by_x)} groups of y")
    ys = [_sample(y, "y") for y in ys_by_x]

    def rho(groups):
        return rank_correlation(np.concatenate([np.full(g.size, x) for x, g in zip(xs, groups)]), np.concatenate(groups))

    return rho(ys), grouped_bootstrap_ci(ys, rho, rng, n_boot=n_boot, level=level)


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope k of log y = k log x + c (the exponent of y ~ x^k). x, y > 0, >= 2 distinct x."""
    x, y = _sample(x, "x"), _sample(y, "y")
    if x.size != y.size or np.unique(x).size < 2:
        raise ValueError("need paired x, y with at least two distinct x")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be > 0 for a log-log slope")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
