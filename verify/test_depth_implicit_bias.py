"""Executable theorem: Tikeng Notsawo+25, claim `depth-implicit-bias`, at ci scale."""
import pytest

CLAIM_ID = "depth-implicit-bias"
NAMES = ['L=2, smallest init: max over instances of final test error', 'L=1: max |final test error - LS error| over instances and inits', 'L=2: min over instances of final error at the largest init / LS error', 'L=2: largest decrease of final test error as init grows (monotone = 0)', 'depths that diverged']


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
