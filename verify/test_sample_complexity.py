"""Executable theorem (ci scale): network vs kernel sample complexity, claim `sample-complexity`.

At ci scale (p = 23, fractions 0.3-0.9, 3 seeds): the trained network's n* is at most 3/4 of the
best equivariant kernel's n*, the kernels need a constant fraction, and the oracle-kernel control
(non-equivariant, knows the answer) is rejected by the kernel-bound check.
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "sample-complexity"
NAMES = ["max_p n*_network / n*_best kernel (test acc >= 0.95)",
         "min_p n*_kernel / p^2 (eNTK at init, expected kernel)"]

test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)
