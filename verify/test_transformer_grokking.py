"""Executable claim at ci scale: PKU Sec. 2.1 transformer grokking (claim `transformer-grokking`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, full batch, 400 steps, 2 seeds): below the
paper's budget, so a pending event or an absence claim is `inconclusive (budget)`; an interval on the
failing side refutes. What ci finds (pinned): t95 falls with the fraction in both seeds, wd 0 never
groks, and the delay rule (lower end of the median t95/t_fit's interval >= 2) holds at its bound
(3.0 [2.0, 3.75], 75%). Before the runs were batched over replicates (float32 reduction
order) the same rule read 2.4 [1.8, 4.0] and was undecided: at ci the delay rule sits on its bound.
The rules are in grokcheck/claims/pku/transformer_grokking.py; the unit tests in
tests/test_sequence_models_claims.py show each control failing its decisive rule.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "transformer-grokking"
NAMES = ["data: rho(fraction, t95), CI upper end", "wd 0: median best test accuracy, CI upper end",
         "delay: median t95/t_fit of the grokked wd-1 runs, CI lower end"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)
