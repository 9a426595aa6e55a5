"""Oracle tests: every decision and statistic against an independent implementation on random inputs
(hypothesis), including the ends of intervals, one-sidedness, ties and censoring."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from grokcheck.core import compare, interval_outcome
from grokcheck.theory import stats
from grokcheck.theory.delay import first_step

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
COMPARISONS = ("<=", ">=", "<", ">", "==")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(a=finite, b=finite, bound=finite, comparison=st.sampled_from(COMPARISONS), tol=st.sampled_from([0.0, 0.5]))
def test_interval_outcome_against_every_point_of_the_interval(a, b, bound, comparison, tol):
    """holds = every point of [lo, hi] is on the claim's side; fails = none is; else undecided."""
    lo, hi = min(a, b), max(a, b)
    grid = np.linspace(lo, hi, 2001).tolist() + [bound - tol, bound + tol, bound]
    inside = [x for x in grid if lo <= x <= hi]
    sides = [compare(x, bound, comparison, tol) for x in inside]
    want = "holds" if all(sides) else "fails" if not any(sides) else "undecided"
    assert interval_outcome(lo, hi, bound, comparison, tol) == want


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 40), level=st.sampled_from([0.5, 0.75, 0.9, 0.95, 0.99]))
def test_median_interval_coverage_is_the_binomial_one(n, level):
    x = list(range(n))  # values = their ranks - 1
    iv = stats.median_interval(x, level)
    k = int(iv.lo) + 1  # the interval is [x_(k), x_(n+1-k)]
    assert iv.hi == n - k
    exact = 1 - 2 * sps.binom.cdf(k - 1, n, 0.5)
    assert iv.coverage == pytest.approx(exact, abs=1e-12)
    if k == 1 and exact < level:  # too few values for the level: [min, max] at its own coverage
        assert iv.coverage == pytest.approx(stats.minmax_coverage(n))
    else:  # the narrowest such interval: the next k would fall below the level
        assert exact >= level - 1e-12
        assert k + 1 > n // 2 or 1 - 2 * sps.binom.cdf(k, n, 0.5) < level


def test_median_interval_coverage_by_simulation():
    """The stated coverage of [min, max] of 5 draws (1 - 2^-4 = 0.9375) holds for a continuous law."""
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((4000, 5))
    covered = np.mean([stats.median_interval(d).lo <= 0 <= stats.median_interval(d).hi for d in draws[:2000]])
    assert abs(covered - stats.minmax_coverage(5)) < 3 * math.sqrt(0.0625 * 0.9375 / 2000)


def test_median_interval_drops_missing_and_keeps_censored():
    iv = stats.median_interval([3.0, None, float("nan"), math.inf, 1.0])
    assert (iv.n, iv.estimate, iv.lo, iv.hi) == (3, 3.0, 1.0, math.inf)
    assert stats.median_interval([]).estimate is None


@settings(max_examples=80, deadline=None, derandomize=True)
@given(n=st.integers(1, 60), data=st.data())
def test_proportion_interval_against_beta_quantiles(n, data):
    k = data.draw(st.integers(0, n))
    iv = stats.proportion_interval(k, n, 0.9)
    lo = 0.0 if k == 0 else sps.beta.ppf(0.05, k, n - k + 1)
    hi = 1.0 if k == n else sps.beta.ppf(0.95, k + 1, n - k)
    assert (iv.lo, iv.hi) == pytest.approx((lo, hi), abs=1e-9)
    assert iv.lo <= k / n <= iv.hi


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=3, max_size=30))
def test_rank_correlations_against_formulas_with_ties(pairs):
    x, y = np.array(pairs, float).T
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert math.isnan(stats.rank_correlation(x, y)) and math.isnan(stats.kendall_tau(x, y))
        return
    rx, ry = sps.rankdata(x), sps.rankdata(y)
    assert stats.rank_correlation(x, y) == pytest.approx(np.corrcoef(rx, ry)[0, 1], abs=1e-12)
    conc = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i in range(len(x)) for j in range(i))
    n0 = len(x) * (len(x) - 1) / 2
    tx = sum(np.sign(x[i] - x[j]) == 0 for i in range(len(x)) for j in range(i))
    ty = sum(np.sign(y[i] - y[j]) == 0 for i in range(len(y)) for j in range(i))
    tau_b = conc / math.sqrt((n0 - tx) * (n0 - ty))
    assert stats.kendall_tau(x, y) == pytest.approx(tau_b, abs=1e-12)


def test_bootstrap_interval_records_unknown_coverage_below_min_values():
    rng = np.random.default_rng(0)
    few = stats.bootstrap_interval([1.0, 2.0, 3.0], np.median, rng)
    many = stats.bootstrap_interval(list(range(20)), np.median, rng)
    assert few.coverage is None and "unknown" in few.method
    assert many.coverage == stats.LEVEL and many.lo <= 9.5 <= many.hi


@settings(max_examples=200, deadline=None, derandomize=True)
@given(values=st.lists(st.one_of(st.none(), st.just(math.nan), st.floats(0, 1)), min_size=1, max_size=20),
       threshold=st.floats(0, 1), comparison=st.sampled_from(["<=", ">=", "<", ">"]))
def test_first_step_against_a_brute_force_reading(values, threshold, comparison):
    steps = [3 * i + 1 for i in range(len(values))]
    ops = {"<=": lambda v: v <= threshold, ">=": lambda v: v >= threshold,
           "<": lambda v: v < threshold, ">": lambda v: v > threshold}
    hits = [t for t, v in zip(steps, values) if v is not None and v == v and ops[comparison](v)]
    assert first_step(steps, values, threshold, comparison) == (hits[0] if hits else None)
