"""Executable theorem: Mohamadi+24 Appendix F construction (claim `construction`)."""
import pytest

from verify.checks import assert_passed

NAMES = [
    "max_p max|f - 4p 1| / p",
    "min_p accuracy on all p^2 pairs",
    "max_p,c | ||theta||_inf - c^(-1/3) |",
    "max_p,c |normalized margin / (4pc) - 1|",
    "max_p max|g_(V/4) - p 1[a+b=c]| / p over p^3 triples",
    "max_p,c max|f_c - f_1| / p (duplication)",
    "max_(odd p) max|f_half - (2 + 2p 1)| / p",
]


@pytest.mark.parametrize("name", NAMES)
def test_construction_observable(ci_result, name):
    assert_passed(ci_result("construction").observable(name))


def test_construction_negative_control_and_verdict(ci_result):
    r = ci_result("construction")
    controls = [o for o in r.observables if o.role == "control"]
    assert controls and all(o.passed for o in controls)
    assert r.verdict == "verified"
