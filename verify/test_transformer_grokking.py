"""Executable claim at ci scale: PKU Sec. 2.1 transformer grokking (claim `transformer-grokking`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, full batch, 400 steps, 2 seeds): below the
paper's budget, so a pending event or an absence claim is `inconclusive (budget)`; an interval on the
failing side refutes. What ci finds (pinned): t95 falls with the fraction in both seeds and wd 0
never groks, but the delay rule (lower end of the median t95/t_fit's interval >= 2) straddles its
bound: 3.0 [1.8, 3.75], 75%. It sits on the bound: the same runs trained as one batched program of
all 9 runs (float32 reduction order) read [2.0, 3.75] and held, sequentially [1.8, 4.0].
The rules are in grokcheck/claims/pku/transformer_grokking.py; the unit tests in
tests/test_sequence_models_claims.py show each control failing its decisive rule.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "transformer-grokking"
NAMES = ["data: rho(fraction, t95), CI upper end", "wd 0: median best test accuracy, CI upper end"]

test_observable, test_verdict = standard_tests(
    CLAIM_ID, NAMES, verdict="inconclusive",
    why="the delay ratio's interval straddles 2 at ci (3.0 [1.8, 3.75], 75%); wd 0 is ours and cannot verify below budget")
