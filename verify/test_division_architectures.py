"""Executable claim at ci scale: PKU Secs. 2.2-3, true division by architecture
(claim `division-architectures`). ci scale is ours (p = 23, fraction 0.7, full batch, lr 1e-2,
300-600 steps, 2 seeds): below the paper's budget.

What ci finds (pinned): the transformer stays below 0.95 in both seeds (its setting is verified);
the MLP groks in one seed of two and the LSTM in none, so those settings are `inconclusive (budget)`.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "division-architectures"
NAMES = ["transformer: median best test accuracy on division, CI upper end"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive (budget)")


def test_settings(ci_result):
    r = ci_result(CLAIM_ID)
    assert r.setting_verdicts == {"paper: mlp": "inconclusive", "paper: lstm": "inconclusive",
                                  "paper: transformer": "verified"}, r.setting_verdicts
    assert r.verdict_label("paper: mlp") == r.verdict_label("paper: lstm") == "inconclusive (budget)"
