"""Executable theorem: Tikeng Notsawo+25, claim `l1-sparse-recovery`, at ci scale (verdict asserted)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "l1-sparse-recovery"
NAMES = ["median grokking ratio: test error at t1 / LS error",
         "median final test error (worst over the (lr, beta) grid)",
         "median delay-law spread (max-min)/mean of t2 lr beta",
         "median min t2 lr beta / ||a_LS - a*||_inf", "median max t2 lr beta / ||a_LS - a*||_inf",
         "ISTA: median final test error", "ISTA: median nonzeros of the final iterate",
         "beta=0: max |final test error - LS error|", "beta=0: max final train error"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")
