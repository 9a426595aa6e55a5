"""Executable claim at ci scale: PKU Sec. 2.1 transformer grokking (claim `transformer-grokking`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, 600 steps, one seed); the assertions
are the claim's own observables, with the rules stated in verify/transformer_grokking.py.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "transformer-grokking"
NAMES = ["fraction of runs (wd 1) reaching 0.95 test acc", "median over grokked runs of t95 / t_fit",
         "wd 0: max best test accuracy", "order violations of mean t95 over fractions (0.7, 0.9) (bs full)"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
