"""Executable theorem: Tikeng Notsawo+25, claim `nuclear-matrix-completion`, at ci scale (verdict asserted)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "nuclear-matrix-completion"
NAMES = ["median grokking ratio: test error at t1 / unobserved share",
         "median delay-law spread (max-min)/mean of t2 lr beta",
         "median sigma_(r+1)/sigma_1 of the final iterate",
         "beta=0: max |final test error - unobserved share|"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="the recovered share's interval (3 instances) straddles 1/2; no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")
