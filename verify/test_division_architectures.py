"""Executable claim at ci scale: PKU Secs. 2.2-3, true division by architecture
(claim `division-architectures`). ci scale is ours (p = 23, fraction 0.7, full batch, lr 1e-2).

What we find (pinned here): the MLP and the LSTM grok true division, and so does the transformer,
so the seed's "division stays low" is refuted; the claim's verdict is therefore `refuted`.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "division-architectures"
NAMES = ["mlp: best test accuracy on division", "lstm: best test accuracy on division"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES, verdict="refuted")


def test_division_transformer_groks_against_the_seed(ci_result):
    r = ci_result(CLAIM_ID)
    o = r.observable("transformer: best test accuracy on division within the budget")
    assert not o.passed, f"transformer stayed below 0.95 ({o.value}); the seed's claim held at ci"
