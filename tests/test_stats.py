"""Unit tests of grokcheck.theory.stats: known values, coverage, and wrong inputs."""
import math

import numpy as np
import pytest

from grokcheck.theory.stats import (bootstrap_ci, clopper_pearson, grouped_bootstrap_ci, loglog_slope,
                                    pooled_rank_ci, rank_correlation)


def test_clopper_pearson_known_values():
    # reference: scipy.stats.binomtest(k, n).proportion_ci(method="exact")
    from scipy.stats import binomtest
    for k, n in ((0, 10), (3, 10), (10, 10), (7, 20)):
        ref = binomtest(k, n).proportion_ci(0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_rank_correlation_monotone_and_ties():
    x = [1, 2, 3, 4]
    assert rank_correlation(x, [10, 20, 30, 40]) == pytest.approx(1.0)
    assert rank_correlation(x, [4, 3, 2, 1]) == pytest.approx(-1.0)
    from scipy.stats import spearmanr
    y = [1, 1, 2, 5]
    assert rank_correlation(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_pooled_rank_ci_excludes_zero_only_for_a_real_trend():
    rng = np.random.default_rng(1)
    xs = [23, 31, 47, 61]
    rising = [np.array([x, x + 1, x + 2], float) for x in xs]
    rho, (lo, hi) = pooled_rank_ci(xs, rising, rng)
    assert rho > 0.9 and lo > 0
    shuffled = [np.array(v) for v in ([3, 1, 2], [2, 3, 1], [1, 2, 3], [3, 2, 1])]  # no trend
    rho, (lo, hi) = pooled_rank_ci(xs, shuffled, np.random.default_rng(2))
    assert lo < 0 < hi


def test_bootstrap_ci_of_the_median_covers_the_truth():
    """Coverage of the percentile interval of the median of 31 normals is near 95% (binomial noise:
    200 trials, so >= 0.85 is a loose floor, 4 standard errors below 0.95)."""
    rng = np.random.default_rng(3)
    hits = sum(lo <= 0 <= hi for lo, hi in (bootstrap_ci(rng.normal(size=31), np.median, rng, n_boot=200)
                                            for _ in range(200)))
    assert hits / 200 >= 0.85


def test_grouped_bootstrap_slope_recovers_an_exponent():
    rng = np.random.default_rng(4)
    ps = np.array([23.0, 31.0, 47.0, 61.0])
    groups = [p ** (5 / 3) * np.exp(rng.normal(0, 0.05, 5)) for p in ps]
    lo, hi = grouped_bootstrap_ci(groups, lambda g: loglog_slope(ps, [np.median(v) for v in g]), rng)
    assert lo <= 5 / 3 <= hi and hi - lo < 0.5
    assert loglog_slope(ps, 2 * ps ** 2) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda: clopper_pearson(4, 3), lambda: clopper_pearson(1, 0), lambda: bootstrap_ci([]),
    lambda: bootstrap_ci([1.0, float("nan")]), lambda: bootstrap_ci([1.0], level=1.5),
    lambda: bootstrap_ci([1.0], n_boot=3), lambda: rank_correlation([1, 2], [1]),
    lambda: loglog_slope([1, 1], [2, 3]), lambda: loglog_slope([1, 2], [0, 3]),
    lambda: pooled_rank_ci([1, 2], [[1.0]]), lambda: grouped_bootstrap_ci([], np.mean)])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


def test_median_with_a_censored_middle_value_is_infinite_on_that_side():
    """Even n: the median is the midpoint of the two middle values, so a censored (infinite) middle value
    makes it infinite on its side; it was the finite upper middle for a -inf lower middle (anti-conservative
    for a '>=' rule). Finite values, odd n and huge values (no overflow in the midpoint) are unchanged."""
    from grokcheck.theory.stats import median_interval
    assert median_interval([-math.inf, -math.inf, 3.0, 5.0]).estimate == -math.inf
    assert median_interval([-math.inf, 1.0, 3.0, 5.0]).estimate == 2.0
    assert median_interval([1.0, 3.0, math.inf, math.inf]).estimate == math.inf
    assert median_interval([-math.inf, math.inf]).estimate == math.inf  # undefined: the upper middle
    assert median_interval([1e308, 1.7e308, 1.7e308]).estimate == 1.7e308
    assert median_interval([1.6e308, 1.7e308]).estimate == pytest.approx(1.65e308, rel=1e-15)
