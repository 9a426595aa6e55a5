"""Executable theorem: Tikeng Notsawo+25, claim `l1-sparse-recovery`, at ci scale."""
from grokcheck.checks import standard_tests

CLAIM_ID = "l1-sparse-recovery"
NAMES = ['min over runs of test error at t1 / LS error', 'max over runs of final test error (subgradient)', 'max over instances of spread (max-min)/mean of t2 lr beta', 'min t2 lr beta / ||a_LS - a*||_inf', 'max t2 lr beta / ||a_LS - a*||_inf', 'ISTA: max final test error', 'ISTA: max nonzeros of the final iterate', 'beta=0: max |final test error - LS error|', 'beta=0: max final train error']

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
