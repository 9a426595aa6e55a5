"""Executable theorem: Tikeng Notsawo+25, claim `data-selection`, at ci scale."""
from grokcheck.checks import standard_tests

CLAIM_ID = "data-selection"
NAMES = ['sparse recovery: instances with t2 monotone in tau', 'sparse recovery: |log median t2(tau_max)/t2(0)|', 'completion: instances with t2 monotone in tau', 'completion: |log median t2(tau_max)/t2(0)|']

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)


def test_directions_reported(ci_result):
    r = ci_result(CLAIM_ID)
    cs = r.observable("sparse recovery: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    mc = r.observable("completion: direction, median t2(tau_max)/t2(0) (>1: slower)").value
    assert cs > 0 and mc > 0  # both measured (finite ratios); the directions are reported in the notes
