"""Executable claim at ci scale: PKU Sec. 4 three-operand addition (claim `k-ary-addition`).

ci scale is ours (p = 7: 343 triples, one block of width 32, lr 3e-3, batch 32, 200 steps, 2 seeds;
single changes budget x4 and wd 0.1). What ci finds (pinned): the seed's setting fits in no seed, but "does not fit" is a claim that
something does not happen and cannot verify below the course project's budget (`inconclusive
(budget)`; the k = 2 control fits, so the rule can see a fit); no single change learns the task in
both seeds within 200 steps, an event not yet happened, so ours is `inconclusive (budget)` too.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "k-ary-addition"
NAMES = ["seed setting: median best train accuracy, CI upper end"]

test_observable, test_verdict = standard_tests(
    CLAIM_ID, NAMES, verdict="inconclusive (budget)", why="'does not fit' cannot verify below the paper's budget")


def test_settings(ci_result):
    r = ci_result(CLAIM_ID)
    assert r.setting_verdicts == {"paper": "inconclusive", "ours: single changes": "inconclusive"}, r.setting_reasons
    assert r.verdict_label("paper") == r.verdict_label("ours: single changes") == "inconclusive (budget)"
