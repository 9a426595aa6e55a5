"""Executable theorem: Tikeng Notsawo+25, claim `l2-not-a-proxy`, at ci scale (verdict asserted; the late
l2 rise is an observation at ci, a claim at default and paper scale). ci trains one seed, whose
[v, v] has coverage 0 and decides nothing: the values are pinned below, the rules decide at default."""
from grokcheck.checks import standard_tests

CLAIM_ID = "l2-not-a-proxy"
NAMES = []


def test_one_seed_values(ci_result):
    r = ci_result(CLAIM_ID)
    none, l1 = r.observable("no penalty: median final test accuracy"), r.observable("l1: median final test accuracy")
    assert none.value <= none.bound and l1.value >= l1.bound, (none.describe(), l1.describe())
    assert none.outcome == l1.outcome == "undecided" and none.coverage == 0

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")
