"""Executable claim at ci scale: PKU Sec. 5.3 too little data (claim `too-little-data`).

ci scale is ours (p = 23, one block of width 32, lr 1e-2, full batch, 500 steps): fraction 0.05
(26 equations) fits but does not grok; fraction 0.7 groks under the same settings.
"""
import pytest

CLAIM_ID = "too-little-data"


@pytest.mark.parametrize("name", [
    "fraction 0.05: min best train accuracy",
    "fraction 0.05: max best test accuracy",
    "fraction 0.7: min best test accuracy",
    "control: max accuracy of final models against labels z+1 mod p",
])
def test_too_little_data_observable(ci_result, name):
    o = ci_result(CLAIM_ID).observable(name)
    assert o.passed, f"{name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def test_too_little_data_verdict(ci_result):
    assert ci_result(CLAIM_ID).verdict == "verified"
