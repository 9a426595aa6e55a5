"""Executable claim at ci scale: PKU Sec. 3 Figs. 6-7 on true division
(claim `optimizers-regularization`). ci scale is ours (p = 23, one block of width 32, lr 1e-2,
batch 128, 300 steps, weight decay {0, 1} and dropout only; the optimizer comparison runs at
default scale)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "optimizers-regularization"
NAMES = ["AdamW wd 1: mean best-so-far test acc minus AdamW wd 0's"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES, verdict=None)


def test_dropout_observable_is_measured(ci_result):
    o = ci_result(CLAIM_ID).observable("AdamW wd 0 + dropout 0.1: mean best-so-far test acc minus AdamW wd 0's")
    assert o.value is not None and o.bound > 0  # bound = 1 / n_test, the accuracy resolution
