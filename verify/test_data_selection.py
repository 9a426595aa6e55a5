"""Executable theorem: Tikeng Notsawo+25, claim `data-selection`, at ci scale."""
import pytest

from verify.checks import assert_passed, assert_claims_pass, assert_controls_pass

CLAIM_ID = "data-selection"
NAMES = ['sparse recovery: instances with t2 monotone in tau', 'sparse recovery: |log median t2(tau_max)/t2(0)|', 'completion: instances with t2 monotone in tau', 'completion: |log median t2(tau_max)/t2(0)|']


@pytest.mark.parametrize("name", NAMES)
def test_observable(ci_result, name):
    assert_passed(ci_result(CLAIM_ID).observable(name))


def test_every_claim_observable_passes(ci_result):
    assert_claims_pass(ci_result(CLAIM_ID))


def test_negative_controls_and_verdict(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID))


def test_directions_reported(ci_result):
    r = ci_result(CLAIM_ID)
    cs = r.observable("sparse recovery: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    mc = r.observable("completion: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    assert cs > 0 and mc > 0  # both measured (finite ratios); the directions are reported in the notes
