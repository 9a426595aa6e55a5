"""Executable theorem: Tikeng Notsawo+25, claim `l2-not-a-proxy`, at ci scale (verdict asserted; the late
l2 rise is an observation at ci, a claim at default and paper scale)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "l2-not-a-proxy"
NAMES = ["no penalty: median final test accuracy", "l1: median final test accuracy"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")
