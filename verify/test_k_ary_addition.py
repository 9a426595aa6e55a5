"""Executable claim at ci scale: PKU Sec. 4 three-operand addition (claim `k-ary-addition`).

ci scale is ours (p = 7: 343 triples, one block of width 32, lr 3e-3, batch 32, 250 steps; single
changes budget x4 and wd 0.1). The seed's observation (the training set is not fitted within the
budget) and the negative control are asserted; which change learns the task is reported by the
claim (ours) and pinned at default scale only."""
from grokcheck.checks import standard_tests

CLAIM_ID = "k-ary-addition"
NAMES = ["seed setting: best train accuracy"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES, verdict=None)


def test_k_ary_single_changes_are_measured(ci_result):
    r = ci_result(CLAIM_ID)
    o = r.observable("number of single changes that learn the task (best train >= 0.99, best test >= 0.95)")
    assert o.value is not None and o.setting.startswith("ours")
    assert r.setting_verdicts["paper"] == "verified"
