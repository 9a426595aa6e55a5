"""Executable claim at ci scale: PKU Sec. 3 Figs. 6-7 on true division
(claim `optimizers-regularization`). ci scale is ours (p = 23, one block of width 32, lr 1e-2,
batch 128, 300 steps, weight decay {0, 1} and dropout only; the optimizer comparison runs at
default scale)."""
import pytest

CLAIM_ID = "optimizers-regularization"


def _check(o):
    assert o.passed, f"{o.name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


@pytest.mark.parametrize("name", [
    "AdamW wd 1: mean best-so-far test acc minus AdamW wd 0's",
    "control: max accuracy of final models against labels z+1 mod p",
])
def test_optimizers_regularization_observable(ci_result, name):
    _check(ci_result(CLAIM_ID).observable(name))


def test_dropout_observable_is_measured(ci_result):
    o = ci_result(CLAIM_ID).observable("AdamW wd 0 + dropout 0.1: mean best-so-far test acc minus AdamW wd 0's")
    assert o.value is not None and o.bound > 0  # bound = 1 / n_test, the accuracy resolution
