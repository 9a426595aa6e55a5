"""Executable theorem: Mohamadi+24 Thm 3.4 / D.1 / D.8 (claim `kernel-lower-bound`)."""
import pytest

NAMES = [
    "max |structured floor - dense eigh floor| (p<=7, m=2,3, all n)",
    "max |Krawtchouk floor - two-eigenvalue closed form|",
    "min over p, task, m, n of floor - closed-form bound",
    "min over kernel, n of (perm-avg residual - bound) / SE",
    "min over kernel, n of exact E_sigma residual - floor",
    "max |perm-avg MC - exact E_sigma residual| / SE",
    "equivariant kernels: min over n of (residual at sigma=id - bound) / SE",
]


@pytest.mark.parametrize("name", NAMES)
def test_kernel_lower_bound_observable(ci_result, name):
    o = ci_result("kernel-lower-bound").observable(name)
    assert o.role == "claim"
    assert o.passed, f"{name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def test_kernel_lower_bound_control_and_verdict(ci_result):
    r = ci_result("kernel-lower-bound")
    controls = [o for o in r.observables if o.role == "control"]
    assert controls and all(o.passed for o in controls), [(o.name, o.value) for o in controls]
    assert r.verdict == "verified"


@pytest.mark.slow
def test_kernel_lower_bound_default_scale():
    from verify.core import Context
    from verify.registry import claim_module, scaled_config
    r = claim_module("kernel-lower-bound").run(scaled_config("kernel-lower-bound", "default"), Context("default"))
    assert r.verdict == "verified", [(o.name, o.value, o.bound) for o in r.observables if not o.passed]
