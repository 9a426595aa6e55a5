"""Executable theorem: Tikeng Notsawo+25, claim `nuclear-matrix-completion`, at ci scale."""
from grokcheck.checks import standard_tests

CLAIM_ID = "nuclear-matrix-completion"
NAMES = ['min over recovered runs of test error at t1 / unobserved share', 'max over recovered instances of spread (max-min)/mean of t2 lr beta', 'max over recovered of sigma_(r+1)/sigma_1 of the final iterate', 'beta=0: max |final test error - unobserved share|']

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
