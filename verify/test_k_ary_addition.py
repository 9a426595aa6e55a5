"""Executable claim at ci scale: PKU Sec. 4 three-operand addition (claim `k-ary-addition`).

ci scale is ours (p = 7: 343 triples, one block of width 32, lr 3e-3, batch 32, 200 steps, 2 seeds;
single changes budget x4 and wd 0.1). What ci finds (pinned): the seed's setting fits in no seed
(its setting is verified; the k = 2 control fits, so the rule can see a fit), and no single change
learns the task in both seeds, so our "a single change learns it" is `inconclusive (budget)`.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "k-ary-addition"
NAMES = ["seed setting: median best train accuracy, CI upper end"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive (budget)")


def test_settings(ci_result):
    r = ci_result(CLAIM_ID)
    assert r.setting_verdicts == {"paper": "verified", "ours: single changes": "inconclusive"}, r.setting_verdicts
    assert r.verdict_label("ours: single changes") == "inconclusive (budget)"
