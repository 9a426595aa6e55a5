"""Statistics over seeds for the verdicts: intervals with their true coverage, fixed before the runs.

Every interval says how it was made and what coverage it truly has (`Interval`):
- `median_interval(values, level)`: the distribution-free order-statistic interval of the median,
  [x_(k), x_(n+1-k)] with the largest k whose exact binomial coverage is >= `level`; with too few
  values for that, [min, max] and its true coverage 1 - 2^(1-n) (75% at 3 seeds, 97% at 6).
- `proportion_interval(k, n, level)`: Clopper-Pearson (exact; coverage >= level), through
  `scipy.stats.binomtest(...).proportion_ci`.
- `bootstrap_interval(values, statistic, rng, level)`: percentile bootstrap; its nominal level is
  recorded as coverage only from MIN_BOOTSTRAP values on (below that the coverage is unknown: None).
- rank statistics through SciPy: `rank_correlation` (Spearman), `kendall_tau` (Kendall tau-b);
  `pooled_rank_ci` pools (x, y) pairs over seeds with a bootstrap over seeds within each x.
- `loglog_slope(x, y)`: least-squares slope of log y on log x (the exponent of y ~ x^k).
- `seedwise_interval(xs, ys_by_x, statistic)`: a sweep statistic (a trend, an exponent) computed
  within each seed's sweep, and the `median_interval` of those per-seed values: seeds are independent
  replicates, so the coverage is exact at any number of seeds (a bootstrap of a few seeds is not).
The resampling functions take an explicit `numpy.random.Generator` and validate their inputs
(ValueError).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

LEVEL = 0.95  # two-sided coverage of every interval here unless told otherwise
MIN_BOOTSTRAP = 10  # fewer values: a bootstrap interval's coverage is unknown (recorded as None)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval: estimate, lo, hi (None when there is nothing to measure),
    coverage (the interval's true coverage; None when unknown), method (how it was made), n (values)."""
    estimate: float | None
    lo: float | None
    hi: float | None
    coverage: float | None
    method: str
    n: int

    def observable_args(self) -> dict:
        """The interval fields of a `core.Observable` (value, lo, hi, coverage, method)."""
        return {"value": self.estimate, "lo": self.lo, "hi": self.hi, "coverage": self.coverage,
                "method": self.method}


def minmax_coverage(n: int) -> float:
    """The exact coverage of [min, max] of n iid values for their median: 1 - 2^(1-n)."""
    return 1.0 - 2.0 ** (1 - n)


def median_interval(values: Sequence[float | None], level: float = LEVEL) -> Interval:
    """The median of `values` (None and NaN dropped, +-inf kept: a censored run sorts last or first)
    with its order-statistic interval (module docstring). values: (S,)."""
    from scipy.stats import binom
    level = _check_level(level)
    x = np.sort(np.array([float(v) for v in values if v is not None and not np.isnan(float(v))]))
    n = x.size
    if n == 0:
        return Interval(None, None, None, None, "median, no value", 0)
    lower, upper = x[(n - 1) // 2], x[n // 2]  # the two middle values (the same one for odd n)
    # a censored middle value makes the median infinite on its side (the midpoint of -inf and 3 is -inf,
    # of 3 and +inf is +inf); with both sides censored the median is undefined: the upper middle, +inf
    est = float(upper) if lower == upper or (np.isinf(lower) and np.isinf(upper)) else float(lower / 2 + upper / 2)
    best = None
    for k in range(1, n // 2 + 1):  # [x_(k), x_(n+1-k)] covers the median with prob 1 - 2 P(Bin(n, 1/2) < k)
        cov = float(1 - 2 * binom.cdf(k - 1, n, 0.5))
        if cov >= level:
            best = (k, cov)
    k, cov = best if best else (1, minmax_coverage(n))
    how = (f"order statistics {k} and {n + 1 - k} of {n}" if k > 1 else f"[min, max] of {n}")
    return Interval(est, float(x[k - 1]), float(x[n - k]), cov, f"median, {how}, exact coverage", n)


def seedwise_interval(xs: Sequence[float], ys_by_x: Sequence[Sequence[float]],
                      statistic: Callable[[np.ndarray, np.ndarray], float], level: float = LEVEL, *,
                      what: str = "statistic") -> Interval:
    """statistic(xs, y_s) of each seed s's sweep y_s = (ys_by_x[0][s], ..., ys_by_x[G-1][s]), and the
    median over seeds of those values with its order-statistic interval (`median_interval`, exact
    coverage: the seeds are independent, so the per-seed values are iid). xs: (G,); ys_by_x: G rows
    of S values, seed s at position s in every row. A seed whose statistic is NaN (e.g. a rank
    correlation of a constant sweep) is dropped; say in `statistic` when NaN should mean 0 instead."""
    xs = np.asarray(xs, dtype=float)
    rows = [list(r) for r in ys_by_x]
    if xs.ndim != 1 or xs.size < 2 or len(rows) != xs.size:
        raise ValueError(f"need >= 2 x values and one row of y per x, got {xs.size} x and {len(rows)} rows")
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ValueError(f"every x needs the same seeds (>= 1), got rows of lengths {[len(r) for r in rows]}")
    per_seed = [float(statistic(xs, np.array([float(r[s]) for r in rows]))) for s in range(len(rows[0]))]
    iv = median_interval(per_seed, level)
    return Interval(iv.estimate, iv.lo, iv.hi, iv.coverage, f"{what} per seed, {iv.method}", iv.n)


def proportion_interval(k: int, n: int, level: float = LEVEL) -> Interval:
    """k successes in n trials: the share k/n with its Clopper-Pearson interval (coverage >= level)."""
    lo, hi = clopper_pearson(k, n, level)
    return Interval(k / n, lo, hi, _check_level(level), f"share {k}/{n}, Clopper-Pearson", n)


def bootstrap_interval(values: Sequence[float], statistic: Callable = np.median,
                       rng: np.random.Generator | None = None, *, level: float = LEVEL, n_boot: int = 2000,
                       what: str = "statistic") -> Interval:
    """statistic(values) with its percentile bootstrap interval; coverage = level from MIN_BOOTSTRAP
    values on, else None (unknown). Non-finite values are dropped; none left: no estimate."""
    v = [float(x) for x in values if x is not None and np.isfinite(float(x))]
    if not v:
        return Interval(None, None, None, None, f"{what}, no value", 0)
    lo, hi = bootstrap_ci(v, statistic, rng, n_boot=n_boot, level=level)
    n = len(v)
    cov = level if n >= MIN_BOOTSTRAP else None
    note = "" if cov else f", n < {MIN_BOOTSTRAP}: coverage unknown (nominal {level:.0%})"
    return Interval(float(statistic(np.array(v))), lo, hi, cov, f"{what}, percentile bootstrap over {n}{note}", n)


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
    """Exact (Clopper-Pearson) interval of a binomial proportion from k successes in n trials
    (`scipy.stats.binomtest(k, n).proportion_ci(level, method="exact")`)."""
    from scipy.stats import binomtest
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer in [0, n={n}], got {k!r}")
    ci = binomtest(int(k), int(n)).proportion_ci(_check_level(level), method="exact")
    return float(ci.low), float(ci.high)


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho of paired samples (average ranks for ties; `scipy.stats.spearmanr`); NaN when x
    or y is constant."""
    from scipy.stats import spearmanr
    return _rank_statistic(spearmanr, x, y)


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of paired samples (`scipy.stats.kendalltau`); NaN when x or y is constant."""
    from scipy.stats import kendalltau
    return _rank_statistic(kendalltau, x, y)


def _rank_statistic(test, x, y) -> float:
    """test(x, y).statistic of paired finite samples (same length >= 2); NaN when x or y is constant."""
    x, y = _sample(x, "x"), _sample(y, "y")
    if x.size != y.size or x.size < 2:
        raise ValueError(f"x and y need the same length >= 2, got {x.size} and {y.size}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(test(x, y).statistic)


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
