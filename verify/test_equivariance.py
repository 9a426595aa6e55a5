"""Executable theorem: Mohamadi+24 Thm 2.4 / 3.3 / Cor C.7 (claim `equivariance`)."""
from grokcheck.checks import default_scale_test, standard_tests

CLAIM_ID = "equivariance"
NAMES = [
    "one step: max over task, optimizer, checkable logged step of |g'(Tx) - g(x)| / max|g|",
    "max over task, optimizer, checkable step of |g'(Tx) - g(x)| / max|g|",
    "expected kernel: max |K(Tx,Tx') - K(x,x')| / max K",
    "pair kernel alpha + beta([a=a']+[b=b']) + gamma[a=a',b=b']: invariance error",
    "eNTK: max |K_{T theta}(Tx,Tx') - K_theta(x,x')| / max K",
]


test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES)


def test_equivariance_monte_carlo_and_controls(ci_result):
    """Paper-setting controls: wrong V permutation and input offset, each under the trajectory rule
    and the one-step rule, and the Fourier kernel (the checkable fraction is an observation, post hoc)."""
    r = ci_result(CLAIM_ID)
    mc = [o for o in r.observables if o.name.startswith("eNTK Monte-Carlo")]
    assert mc and mc[0].passed, mc
    controls = [o for o in r.observables if o.role == "control" and o.setting == "paper"]
    assert len(controls) == 5 and all(o.passed for o in controls), [o.describe() for o in controls]


test_default_scale = default_scale_test(CLAIM_ID)
