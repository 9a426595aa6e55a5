"""Executable theorem: Mohamadi+24 Thm 2.4 / 3.3 / Cor C.7 (claim `equivariance`)."""
import pytest

NAMES = [
    "max over task, optimizer, checkable step of |g'(Tx) - g(x)| / max|g|",
    "expected kernel: max |K(Tx,Tx') - K(x,x')| / max K",
    "pair kernel alpha + beta([a=a']+[b=b']) + gamma[a=a',b=b']: invariance error",
    "eNTK: max |K_{T theta}(Tx,Tx') - K_theta(x,x')| / max K",
]


@pytest.mark.parametrize("name", NAMES)
def test_equivariance_observable(ci_result, name):
    o = ci_result("equivariance").observable(name)
    assert o.role == "claim"
    assert o.passed, f"{name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def test_equivariance_monte_carlo_and_controls(ci_result):
    r = ci_result("equivariance")
    mc = [o for o in r.observables if o.name.startswith("eNTK Monte-Carlo")]
    assert mc and mc[0].passed, mc
    controls = [o for o in r.observables if o.role == "control"]
    assert len(controls) == 3 and all(o.passed for o in controls), [(o.name, o.value) for o in controls]
    assert r.verdict == "verified"


@pytest.mark.slow
def test_equivariance_default_scale():
    from verify.core import Context
    from verify.registry import claim_module, scaled_config
    r = claim_module("equivariance").run(scaled_config("equivariance", "default"), Context("default"))
    assert r.verdict == "verified", [(o.name, o.value, o.bound) for o in r.observables if not o.passed]
