"""Executable theorem: Mohamadi+24 Thm 4.3 / D.2 (l2 only) and Thm 3.1 (claim `kernel-regression-baselines`)."""
import pytest

from grokcheck.checks import default_scale_test
from grokcheck.claims.mohamadi.kernel_regression_baselines import KERNELS

CLAIM_ID = "kernel-regression-baselines"


@pytest.mark.parametrize("kernel", KERNELS)
def test_l2_loss_respects_the_bound(ci_result, kernel):
    o = ci_result("kernel-regression-baselines").observable(
        f"{kernel}: min over p, fraction of (population l2 / L(Psi_0) - bound) / SE")
    assert o.passed, f"{o.name}: {o.value} < {o.bound}"


def test_interpolation_thm_3_1(ci_result):
    r = ci_result("kernel-regression-baselines")
    claims = [o for o in r.observables if o.role == "claim" and ("Thm 3.1" in o.name or "Prop B.6" in o.name)]
    assert len(claims) == 3 and all(o.passed for o in claims), [(o.name, o.value) for o in claims]


def test_accuracy_is_only_an_observation(ci_result):
    """The paper proves no 0-1 bound: accuracy must never decide the verdict."""
    r = ci_result("kernel-regression-baselines")
    acc = [o for o in r.observables if "accuracy" in o.name]
    assert acc and all(o.role == "observation" for o in acc)
    assert any("not an accuracy bound" in n for n in r.notes)


def test_controls_and_verdict(ci_result):
    r = ci_result("kernel-regression-baselines")
    controls = [o for o in r.observables if o.role == "control"]
    assert len(controls) == 2 and all(o.passed for o in controls), [(o.name, o.value) for o in controls]
    assert r.verdict == "verified"


test_default_scale = default_scale_test(CLAIM_ID)
