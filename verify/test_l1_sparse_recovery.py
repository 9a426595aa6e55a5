"""Executable theorem: Tikeng Notsawo+25, claim `l1-sparse-recovery`, at ci scale."""
import pytest

from verify.checks import assert_passed, assert_claims_pass, assert_controls_pass

CLAIM_ID = "l1-sparse-recovery"
NAMES = ['min over runs of test error at t1 / LS error', 'max over runs of final test error (subgradient)', 'max over instances of spread (max-min)/mean of t2 lr beta', 'min t2 lr beta / ||a_LS - a*||_inf', 'max t2 lr beta / ||a_LS - a*||_inf', 'ISTA: max final test error', 'ISTA: max nonzeros of the final iterate', 'beta=0: max |final test error - LS error|', 'beta=0: max final train error']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    assert_passed(ci_result(CLAIM_ID).observable(name))


def test_every_claim_observable_passes(ci_result):
    assert_claims_pass(ci_result(CLAIM_ID))


def test_negative_controls_and_verdict(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID))
