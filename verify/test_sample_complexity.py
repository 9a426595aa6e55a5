"""Executable theorem (ci scale): network vs kernel sample complexity, claim `sample-complexity`.

At ci scale (p = 23, 3 seeds): every equivariant kernel's population l2 obeys Thm 4.3's bound (D.2) within
t99 x SE over seeds, the oracle kernel fails the same rule, and the width-8p network's n* (the upper end of
its 95% CI) is below the best kernel's l2-n*. One p: no exponent at this scale (default and paper fit it).
"""
from grokcheck.checks import standard_tests

CLAIM_ID = "sample-complexity"
NAMES = ["min over kernels, p, n of [seed-mean relative population l2 - Thm D.2 bound + t99 SE]",
         "max_p (95% CI upper end of network median n*) / best kernel median l2-n*",
         "control: oracle kernel 1[a+b=a'+b'] same statistic"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)
