"""Executable theorem: Tikeng Notsawo+25, claim `l2-not-a-proxy`, at ci scale."""
import pytest

CLAIM_ID = "l2-not-a-proxy"
NAMES = ['no penalty: final test accuracy', 'l1: final test accuracy', 'nuclear: final test accuracy']


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
