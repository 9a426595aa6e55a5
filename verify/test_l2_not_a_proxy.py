"""Executable theorem: Tikeng Notsawo+25, claim `l2-not-a-proxy`, at ci scale."""
import pytest

from verify.checks import assert_passed, assert_claims_pass, assert_controls_pass

CLAIM_ID = "l2-not-a-proxy"
NAMES = ['no penalty: final test accuracy', 'l1: final test accuracy', 'nuclear: final test accuracy']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    assert_passed(ci_result(CLAIM_ID).observable(name))


def test_every_claim_observable_passes(ci_result):
    assert_claims_pass(ci_result(CLAIM_ID))


def test_negative_controls_and_verdict(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID))
