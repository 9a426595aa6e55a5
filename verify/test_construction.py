"""Executable theorem: Mohamadi+24 Appendix F construction (claim `construction`)."""
from grokcheck.checks import standard_tests

CLAIM_ID = "construction"
NAMES = [
    "max_p max|f - 4p 1| / p",
    "min_p accuracy on all p^2 pairs",
    "max_p,c | ||theta||_inf - c^(-1/3) |",
    "max_p,c |normalized margin / (4pc) - 1|",
    "max_p max|g_(V/4) - p 1[a+b=c]| / p over p^3 triples",
    "max_p,c max|f_c - f_1| / p (duplication)",
    "max_(odd p) max|f_half - (2 + 2p 1)| / p",
]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)
