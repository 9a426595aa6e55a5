"""Executable theorem: Tikeng Notsawo+25, claim `nuclear-matrix-completion`, at ci scale."""
import pytest

CLAIM_ID = "nuclear-matrix-completion"
NAMES = ['min over recovered runs of test error at t1 / unobserved share', 'max over recovered instances of spread (max-min)/mean of t2 lr beta', 'max over recovered of sigma_(r+1)/sigma_1 of the final iterate', 'beta=0: max |final test error - unobserved share|']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    o = ci_result(CLAIM_ID).observable(name)
    assert o.passed, f"{name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def test_every_claim_observable_passes(ci_result):
    r = ci_result(CLAIM_ID)
    failed = [o.name for o in r.observables if o.role == "claim" and not o.passed]
    assert not failed, failed


def test_negative_controls_and_verdict(ci_result):
    r = ci_result(CLAIM_ID)
    controls = [o for o in r.observables if o.role == "control"]
    assert controls and all(o.passed for o in controls)
    assert r.verdict == "verified"
