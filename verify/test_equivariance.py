"""Executable theorem: Mohamadi+24 Thm 2.4 / 3.3 / Cor C.7 (claim `equivariance`)."""
from grokcheck.checks import default_scale_test, standard_tests

CLAIM_ID = "equivariance"
NAMES = [
    "max over task, optimizer, checkable step of |g'(Tx) - g(x)| / max|g|",
    "expected kernel: max |K(Tx,Tx') - K(x,x')| / max K",
    "pair kernel alpha + beta([a=a']+[b=b']) + gamma[a=a',b=b']: invariance error",
    "eNTK: max |K_{T theta}(Tx,Tx') - K_theta(x,x')| / max K",
]


test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)


def test_equivariance_monte_carlo_and_three_controls(ci_result):
    r = ci_result(CLAIM_ID)
    mc = [o for o in r.observables if o.name.startswith("eNTK Monte-Carlo")]
    assert mc and mc[0].passed, mc
    controls = [o for o in r.observables if o.role == "control" and o.setting == "paper"]
    assert len(controls) == 4 and all(o.passed for o in controls), [o.describe() for o in controls]


test_default_scale = default_scale_test(CLAIM_ID)
