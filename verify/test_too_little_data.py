"""Executable claim at ci scale: PKU Sec. 5.3 too little data (claim `too-little-data`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, full batch, 500 steps): fraction 0.05
(26 equations) fits but does not grok; fraction 0.7 groks under the same settings.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "too-little-data"
NAMES = ["fraction 0.05: min best train accuracy", "fraction 0.05: max best test accuracy",
         "fraction 0.7: min best test accuracy"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
