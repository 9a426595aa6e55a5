"""Executable claim at ci scale: PKU Sec. 2.1 transformer grokking (claim `transformer-grokking`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, 600 steps, one seed); the assertions
are the claim's own observables, with the rules stated in verify/transformer_grokking.py.
"""
import pytest

CLAIM_ID = "transformer-grokking"


def _check(o):
    assert o.passed, f"{o.name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


@pytest.mark.parametrize("name", [
    "fraction of runs (wd 1) reaching 0.95 test acc",
    "median over grokked runs of t95 / t_fit",
    "wd 0: max best test accuracy",
])
def test_transformer_grokking_observable(ci_result, name):
    _check(ci_result(CLAIM_ID).observable(name))


def test_transformer_grokking_negative_control(ci_result):
    controls = [o for o in ci_result(CLAIM_ID).observables if o.role == "control"]
    assert controls
    for o in controls:
        _check(o)


def test_transformer_grokking_fraction_order_and_verdict(ci_result):
    r = ci_result(CLAIM_ID)
    _check(r.observable("order violations of mean t95 over fractions (0.7, 0.9) (bs full)"))
    assert r.verdict == "verified"
