"""Executable theorem: Tikeng Notsawo+25, claim `l1-sparse-recovery`, at ci scale."""
import pytest

CLAIM_ID = "l1-sparse-recovery"
NAMES = ['min over runs of test error at t1 / LS error', 'max over runs of final test error (subgradient)', 'max over instances of spread (max-min)/mean of t2 lr beta', 'min t2 lr beta / ||a_LS - a*||_inf', 'max t2 lr beta / ||a_LS - a*||_inf', 'ISTA: max final test error', 'ISTA: max nonzeros of the final iterate', 'beta=0: max |final test error - LS error|', 'beta=0: max final train error']


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
