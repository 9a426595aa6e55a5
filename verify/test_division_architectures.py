"""Executable claim at ci scale: PKU Secs. 2.2-3, true division by architecture
(claim `division-architectures`). ci scale is ours (p = 23, fraction 0.7, full batch, lr 1e-2,
300-600 steps, 2 seeds): below the paper's budget.

What ci finds (pinned): the transformer stays below 0.95 in both seeds, but "stays low" is a claim
that something does not happen, which cannot verify below the course project's 3e4 steps
(`inconclusive (budget)`); the MLP's and LSTM's grok intervals ([min, max] of 2 seeds, coverage 50%)
straddle 0.95, so their settings are inconclusive and so is the claim.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "division-architectures"
NAMES = ["transformer: median best test accuracy on division, CI upper end"]

test_observable, test_verdict = standard_tests(
    CLAIM_ID, NAMES, verdict="inconclusive",
    why="MLP / LSTM grok intervals straddle 0.95 over 2 seeds; 'stays low' cannot verify below budget")


def test_settings(ci_result):
    r = ci_result(CLAIM_ID)
    assert r.verdict_label("paper: transformer") == "inconclusive (budget)", r.setting_reasons
    assert "refuted" not in r.setting_verdicts.values(), r.setting_reasons
