"""Executable theorem: Mohamadi+24 Thm 3.4 / D.1 / D.8 (claim `kernel-lower-bound`)."""
from grokcheck.checks import default_scale_test, standard_tests

CLAIM_ID = "kernel-lower-bound"
NAMES = [
    "max |structured floor - dense eigh floor| (p<=7, m=2,3, all n)",
    "max |Krawtchouk floor - two-eigenvalue closed form|",
    "min over p, task, m, n of floor - closed-form bound",
    "min over kernel, n of (perm-avg residual - bound) / SE",
    "min over kernel, n of exact E_sigma residual - floor",
    "max |perm-avg MC - exact E_sigma residual| / SE",
    "equivariant kernels: min over n of (residual at sigma=id - bound) / SE",
]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)


test_default_scale = default_scale_test(CLAIM_ID)
