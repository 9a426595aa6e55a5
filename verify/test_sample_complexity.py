"""Executable theorem (ci scale): network vs kernel sample complexity, claim `sample-complexity`.

At ci scale (p = 23, 3 seeds): every equivariant kernel's population l2 lies at or above Thm 4.3's bound
(D.2) in every seed (the median's order-statistic interval, [min, max] at 75%), the oracle kernel fails
the same rule, and the width-8p network's median n* (grid over 10x, then a bracketing search) is below the best
kernel's l2-n* in every seed, while the memorizer (random labels) fails that rule. One p: no exponent
at this scale (default and paper fit it).
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "sample-complexity"
NAMES = ["min over kernels, p, n of the median over seeds of (relative population l2 - Thm D.2 bound)",
         "max_p network median n* / best kernel median l2-n*",
         "control: rule 1 on the oracle kernel 1[a+b=a'+b']",
         "control: rule 2 on the memorizer (shuffled labels, largest grid size)"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)


def test_headline_interval_is_every_seed_with_its_true_coverage(ci_result):
    o = ci_result(CLAIM_ID).observable("max_p network median n* / best kernel median l2-n*")
    assert o.coverage == 0.75 and o.lo <= o.value <= o.hi < 1, o.describe()
