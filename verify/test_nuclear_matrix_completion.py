"""Executable theorem: Tikeng Notsawo+25, claim `nuclear-matrix-completion`, at ci scale."""
import pytest

from verify.checks import assert_passed, assert_claims_pass, assert_controls_pass

CLAIM_ID = "nuclear-matrix-completion"
NAMES = ['min over recovered runs of test error at t1 / unobserved share', 'max over recovered instances of spread (max-min)/mean of t2 lr beta', 'max over recovered of sigma_(r+1)/sigma_1 of the final iterate', 'beta=0: max |final test error - unobserved share|']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    assert_passed(ci_result(CLAIM_ID).observable(name))


def test_every_claim_observable_passes(ci_result):
    assert_claims_pass(ci_result(CLAIM_ID))


def test_negative_controls_and_verdict(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID))
