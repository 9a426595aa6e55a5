"""Executable theorem: Tikeng Notsawo+25, claim `l2-not-a-proxy`, at ci scale."""
from grokcheck.checks import standard_tests

CLAIM_ID = "l2-not-a-proxy"
NAMES = ['no penalty: final test accuracy', 'l1: final test accuracy', 'nuclear: final test accuracy']

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
