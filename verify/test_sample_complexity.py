"""Executable theorem (ci scale): network vs kernel sample complexity, claim `sample-complexity`.

At ci scale (p = 23, 3 seeds): every equivariant kernel's population l2 obeys Thm 4.3's bound (D.2) within
t99 x SE over seeds, the oracle kernel fails the same rule, and the width-8p network's median n* (its
order-statistic interval over 3 seeds, [min, max] at 75%) is below the best kernel's l2-n*. One p: no
exponent at this scale (default and paper fit it).
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "sample-complexity"
NAMES = ["min over kernels, p, n of [seed-mean relative population l2 - Thm D.2 bound + t99 SE]",
         "max_p network median n* / best kernel median l2-n*",
         "control: oracle kernel 1[a+b=a'+b'] same statistic"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)


def test_headline_interval_is_every_seed_with_its_true_coverage(ci_result):
    o = ci_result(CLAIM_ID).observable("max_p network median n* / best kernel median l2-n*")
    assert o.coverage == 0.75 and o.lo <= o.value <= o.hi < 1, o.describe()
