"""Executable theorem (ci scale): network vs kernel sample complexity, claim `sample-complexity`.

At ci scale (p = 17, fractions 0.3-0.9, 3 seeds): the trained network's n* is at most 3/4 of the
best equivariant kernel's n*, the kernels need a constant fraction, and the oracle-kernel control
(non-equivariant, knows the answer) is rejected by the kernel-bound check.
"""
import pytest

from verify.checks import assert_passed

NAMES = ["max_p n*_network / n*_best kernel (test acc >= 0.95)",
         "min_p n*_kernel / p^2 (eNTK at init, expected kernel)"]


@pytest.mark.parametrize("name", NAMES)
def test_sample_complexity_observable(ci_result, name):
    assert_passed(ci_result("sample-complexity").observable(name))


def test_sample_complexity_control_and_verdict(ci_result):
    r = ci_result("sample-complexity")
    controls = [o for o in r.observables if o.role == "control"]
    assert controls and all(o.passed for o in controls)
    assert r.verdict == "verified"
