"""Executable theorem: Tikeng Notsawo+25, claim `depth-implicit-bias`, at ci scale."""
from grokcheck.checks import standard_tests

CLAIM_ID = "depth-implicit-bias"
NAMES = ['L=2, smallest init: max over instances of final test error', 'L=1: max |final test error - LS error| over instances and inits', 'L=2: min over instances of final error at the largest init / LS error', 'L=2: largest decrease of final test error as init grows (monotone = 0)', 'depths that diverged']

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
