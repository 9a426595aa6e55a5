"""Executable theorem: Tikeng Notsawo+25, claim `depth-implicit-bias`, at ci scale."""
import pytest

from verify.checks import assert_passed, assert_claims_pass, assert_controls_pass

CLAIM_ID = "depth-implicit-bias"
NAMES = ['L=2, smallest init: max over instances of final test error', 'L=1: max |final test error - LS error| over instances and inits', 'L=2: min over instances of final error at the largest init / LS error', 'L=2: largest decrease of final test error as init grows (monotone = 0)', 'depths that diverged']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    assert_passed(ci_result(CLAIM_ID).observable(name))


def test_every_claim_observable_passes(ci_result):
    assert_claims_pass(ci_result(CLAIM_ID))


def test_negative_controls_and_verdict(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID))
