"""Executable theorem: Tikeng Notsawo+25, claim `depth-implicit-bias`, at ci scale (verdict asserted)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "depth-implicit-bias"
NAMES = ["L=2, smallest init: median final test error", "L=2, largest init: median final error / LS error",
         "L=1: max |final test error - LS error| over instances and inits", "depths that diverged"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")
