"""Executable claim at ci scale: PKU Sec. 5.3 too little data (claim `too-little-data`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, full batch, 400 steps, 2 seeds): fraction
0.05 (26 equations) fits and does not grok in every seed; the contrast (fraction 0.7 groks in every
seed) holds in one seed of two, so the verdict is `inconclusive (budget)` (pinned).
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "too-little-data"
NAMES = ["fraction 0.05: median best train accuracy, CI lower end", "fraction 0.05: median best test accuracy, CI upper end"]

test_observable, test_verdict = standard_tests(
    CLAIM_ID, NAMES, verdict="inconclusive (budget)",
    why="'fraction 0.05 does not grok' cannot verify below the course project's budget")
