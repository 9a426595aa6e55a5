"""Executable claim at ci scale: PKU Sec. 3 Figs. 6-7 on true division
(claim `optimizers-regularization`). ci scale is ours (p = 23, one block of width 32, lr 1e-2,
batch 128, 300 steps, weight decay {0, 1} and dropout, 2 seeds; no optimizer comparison).

What ci finds (pinned): in 300 steps no run groks and neither regularizer's paired gain clears one
test example in both seeds, so the verdict is `inconclusive (budget)`; the zero-effect control
(wd 0 against itself) is rejected by the 'improves' rule.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "optimizers-regularization"
_, test_verdict = standard_tests(CLAIM_ID, [], verdict="inconclusive",
                                why="the paired gains' intervals straddle one test example at ci (3 seeds, 75%)")


def test_zero_effect_control_sits_at_the_resolution(ci_result):
    r = ci_result(CLAIM_ID)
    resolution = r.observable("control: AdamW wd 0 against itself, CI lower end of the median paired difference")
    assert resolution.value == 0.0 and 0 < resolution.bound < 0.05  # 1 / n_test at p = 23
