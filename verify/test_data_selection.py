"""Executable theorem: Tikeng Notsawo+25, claim `data-selection`, at ci scale."""
import pytest

CLAIM_ID = "data-selection"
NAMES = ['sparse recovery: instances with t2 monotone in tau', 'sparse recovery: |log median t2(tau_max)/t2(0)|', 'completion: instances with t2 monotone in tau', 'completion: |log median t2(tau_max)/t2(0)|']


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


def test_directions_reported(ci_result):
    r = ci_result(CLAIM_ID)
    cs = r.observable("sparse recovery: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    mc = r.observable("completion: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    assert cs > 0 and mc > 0  # both measured (finite ratios); the directions are reported in the notes
