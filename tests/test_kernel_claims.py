"""Unit tests of the kernel claims' pieces: a non-equivariant kernel beats the l2 bound (so the
bound check can fail), and Prop B.6's rank cap makes narrow eNTKs unable to interpolate."""
import pytest
import torch

from grokcheck.theory import bounds
from grokcheck.claims.mohamadi import kernel_regression_baselines as krb


def test_fourier_kernel_breaks_the_l2_bound():
    """Negative control: the l2-bound check rejects a kernel outside the hypothesis."""
    p, frac = 11, 0.3
    q = krb.classification_point("fourier", p, frac, 4 * p, split_seed=0, generator=torch.Generator().manual_seed(0))
    assert q["pop"] < krb.CONTROL_RATIO * bounds.kernel_lower_bound(p, q["n"], "classification")
    assert q["acc"] > 0.9


@pytest.mark.parametrize("name", krb.KERNELS)
def test_equivariant_kernels_stay_above_the_bound(name):
    p, frac = 11, 0.3
    q = krb.classification_point(name, p, frac, 4 * p, split_seed=1, generator=torch.Generator().manual_seed(1))
    assert q["pop"] >= bounds.kernel_lower_bound(p, q["n"], "classification")
    assert q["warned"] == 0


def test_interpolation_above_and_rank_cap_below_threshold():
    it = krb.interpolation_check(5, 0.3, seed=0)
    assert it["fit"] <= krb.INTERP_RTOL
    assert it["rank_small"] <= it["rank_cap"] < it["n"]
    assert it["small_resid"] > krb.INTERP_RTOL


def test_pair_kernel_rejects_unknown_name():
    with pytest.raises(ValueError):
        krb.pair_kernel("nope", 5, torch.zeros(2, 2, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long),
                        torch.Generator(), 20)
