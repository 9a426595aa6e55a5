"""Unit tests of the helpers behind claims sample-complexity and rich-generalization, with wrong inputs."""
import math

import numpy as np
import pytest

from grokcheck.core import Observable
from grokcheck.claims.mohamadi.sample_complexity import KERNEL_FRACTION, Config, fit_exponent, kernel_curves, n_star_fraction


def test_n_star_is_smallest_fraction_from_which_on_it_passes():
    fr = [0.2, 0.4, 0.6, 0.8]
    assert n_star_fraction(fr, [False, False, True, True]) == 0.6
    assert n_star_fraction(fr, [True, False, True, True]) == 0.6  # a lucky small fraction does not count
    assert n_star_fraction(fr, [False, False, False, False]) == 1.0  # censored


def test_fit_exponent_recovers_a_power_law():
    ps = np.array([11.0, 23.0, 47.0])
    assert fit_exponent(ps, 3 * ps ** (5 / 3)) == pytest.approx(5 / 3, rel=1e-12)


def test_kernel_bound_check_rejects_the_oracle_kernel():
    """The oracle kernel 1[a+b = a'+b'] is not equivariant and knows the task: the check must fail on it."""
    cfg = Config(ps=(13,), fractions=(0.2, 0.4, 0.6, 0.8), seeds=3, bootstrap=10)
    oracle = kernel_curves(13, cfg, "oracle")
    frac = n_star_fraction(cfg.fractions, oracle["acc"].mean(1) >= cfg.acc_threshold)
    assert not Observable("kernel n*/p^2", frac, KERNEL_FRACTION, ">=").passed
    expected = kernel_curves(13, cfg, "expected")  # the equivariant kernel passes the same check
    assert Observable("kernel n*/p^2", n_star_fraction(cfg.fractions, expected["acc"].mean(1) >= 0.95),
                      KERNEL_FRACTION, ">=").passed


@pytest.mark.parametrize("kw", [dict(ps=(1,)), dict(fractions=(0.0,)), dict(seeds=0), dict(steps=0)])
def test_config_validation(kw):
    with pytest.raises(ValueError):
        Config(**kw)


def test_rich_generalization_shuffled_labels_fail_the_generalization_check():
    from grokcheck.claims.mohamadi.rich_generalization import ACC, OURS, Config as RConfig, run_one
    cfg = RConfig(cls_ps=(11,), ours_steps=150)
    out = run_one(11, OURS, cfg, lambda m: None, shuffle=True)
    assert not Observable("test acc", out["final"], ACC, ">=").passed
    assert math.isfinite(out["final_linf"])
