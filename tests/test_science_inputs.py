"""Bad inputs to the science layer (eNTK, kernel regression, training, bounds) give one clear
ValueError, never a silently wrong number or a deep traceback. Each case feeds a wrong input and
sees it refused; where the old behaviour was a wrong number, a negative control shows that number
(the check is what stands between the input and the wrong result)."""
import math
from fractions import Fraction

import pytest
import torch
from torch import nn

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.trace import Data
from grokcheck.models.train import TrainConfig, train
from grokcheck.ntk.empirical import empirical_ntk, regression_ntk
from grokcheck.ntk.regression import MAX_RIDGE, kernel_regression, one_hot_targets
from grokcheck.theory import bounds

F64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def spd(n=6):
    a = torch.randn(n, n, dtype=F64, generator=gen())
    return a @ a.T + n * torch.eye(n, dtype=F64)


def one_line(exc) -> bool:
    return "\n" not in str(exc.value) and len(str(exc.value)) < 400


# ------------------------------------------------------------------------------ kernel regression

def _kr_inputs(n=6, m=4, o=3):
    k = spd(n + m)
    y = one_hot_targets(torch.arange(n) % o, o)            # (n, O)
    y_te = one_hot_targets(torch.arange(m) % o, o)         # (m, O)
    return k[:n, :n], y, k[n:, :n], y_te


def test_nan_in_y_test_is_refused_not_accuracy_1():
    k, y, kt, y_te = _kr_inputs()
    bad = y_te.clone()
    bad[:, 0] = math.nan
    # negative control: argmax of a row with a NaN is the NaN's index, so an unchecked accuracy
    # would compare predictions with class 0 everywhere
    assert bool((bad.argmax(1) == 0).all())
    with pytest.raises(ValueError, match="y_test has .* non-finite") as exc:
        kernel_regression(k, y, kt, y_test=bad)
    assert one_line(exc)


def test_y_test_of_the_wrong_shape_is_refused():
    k, y, kt, y_te = _kr_inputs()
    with pytest.raises(ValueError, match="y_test must have the predictions' shape"):
        kernel_regression(k, y, kt, y_test=y_te[:, :2])


@pytest.mark.parametrize("which", ["k_train_train", "k_test_train", "y_train", "y_test"])
def test_a_complex_input_is_refused_not_cast_to_its_real_part(which):
    args = dict(zip(("k_train_train", "y_train", "k_test_train", "y_test"), _kr_inputs()))
    args[which] = args[which].to(torch.complex128) + 1j
    with pytest.raises(ValueError, match=f"{which} is complex") as exc:
        kernel_regression(args["k_train_train"], args["y_train"], args["k_test_train"], y_test=args["y_test"])
    assert one_line(exc)


def test_meta_and_boolean_kernels_are_refused():
    k, y, kt, _ = _kr_inputs()
    with pytest.raises(ValueError, match="meta device"):
        kernel_regression(k.to("meta"), y, kt)
    with pytest.raises(ValueError, match="boolean"):
        kernel_regression(k, y, kt > 0)


def test_integer_kernels_are_exact_and_accepted():
    k, y, kt, _ = _kr_inputs()
    ki, kti = k.round().long(), kt.round().long()
    got = kernel_regression(ki, y, kti).predictions
    want = kernel_regression(ki.double(), y, kti.double()).predictions
    assert torch.equal(got, want)


@pytest.mark.parametrize("ridge", ["1e-3", 1e308, MAX_RIDGE * 10, -1e-9, math.nan, math.inf, True, None,
                                   torch.tensor(0.1)])
def test_ridges_outside_the_valid_range_are_refused(ridge):
    k, y, kt, _ = _kr_inputs()
    with pytest.raises(ValueError, match="ridge must be a real number in") as exc:
        kernel_regression(k, y, kt, ridge=ridge)
    assert one_line(exc)


def test_the_largest_valid_ridge_still_gives_informative_predictions():
    """At MAX_RIDGE the predictions are K_te Y / lambda to round-off: tiny but not zero, so
    their argmax is the kernel-mean classifier's, not class 0 by underflow."""
    k, y, kt, _ = _kr_inputs()
    pred = kernel_regression(k, y, kt, ridge=MAX_RIDGE).predictions
    lam = MAX_RIDGE * float(torch.diagonal(k).mean())
    assert torch.allclose(pred * lam, kt @ y, rtol=1e-6)


# ------------------------------------------------------------------------------ eNTK

class NoParams(nn.Module):
    def forward(self, x):
        return x


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


@pytest.mark.parametrize("case, make, pattern", [
    ("no-params", lambda: (NoParams(), torch.randn(4, 3, dtype=F64)), "has no parameters"),
    ("meta-model", lambda: (mlp().to("meta"), torch.randn(4, 3, dtype=F64)), "meta device"),
    ("meta-input", lambda: (mlp(), torch.randn(4, 3, dtype=F64).to("meta")), "x1 is on the meta device"),
    ("int64-into-linear", lambda: (mlp(), torch.arange(12).reshape(4, 3)), "forward fails on x1 \\(torch.int64"),
    ("nan-input", lambda: (mlp(), torch.tensor([[math.nan, 0.0, 1.0]], dtype=F64)), "x1 has 1 non-finite"),
    ("inf-input", lambda: (mlp(), torch.tensor([[math.inf, 0.0, 1.0]], dtype=F64)), "non-finite"),
    ("complex-input", lambda: (mlp(), torch.randn(4, 3, dtype=torch.complex128)), "complex128"),
    ("empty-input", lambda: (mlp(), torch.zeros(0, 3, dtype=F64)), "non-empty batch"),
])
def test_entk_refuses_bad_inputs_in_one_line(case, make, pattern):
    model, x = make()
    with pytest.raises(ValueError, match=pattern) as exc:
        empirical_ntk(model, x)
    assert one_line(exc)


def test_entk_refuses_nan_parameters_and_integer_dtype():
    model = mlp()
    with torch.no_grad():
        model[0].weight[0, 0] = math.nan
    with pytest.raises(ValueError, match="non-finite parameter"):
        empirical_ntk(model, torch.randn(4, 3, dtype=F64))
    with pytest.raises(ValueError, match="dtype must be a real floating dtype"):
        empirical_ntk(mlp(), torch.randn(4, 3, dtype=F64), dtype=torch.int64)


def test_entk_still_takes_integer_index_pairs_for_the_quadratic_net():
    net = QuadraticNet(5, 8, generator=gen(), dtype=F64)
    pairs = torch.tensor([[0, 1], [2, 3]])
    k = empirical_ntk(net, pairs, method="jacobian")
    assert torch.allclose(k, empirical_ntk(net, pairs, method="closed_form"), atol=1e-10)
    with pytest.raises(ValueError, match="t1 is on the meta device"):
        regression_ntk(net, torch.tensor([[0, 1, 1]]).to("meta"))


# ------------------------------------------------------------------------------ training

def _data(n=8, p=5, targets=None):
    x = torch.randint(0, p, (n, 2), generator=gen())
    return Data(x, (x.sum(1) % p) if targets is None else targets)


def _net(p=5):
    return QuadraticNet(p, 8, generator=gen(), dtype=torch.float32)


def qforward(model, x):
    return model.logits(x[:, 0], x[:, 1])


@pytest.mark.parametrize("loss, targets, pattern", [
    ("mse", torch.zeros(8, 3), r"targets have shape \(8, 3\) .* needs \(N,\) or \(N, 5\)"),
    ("ce", torch.zeros(8, 5, dtype=torch.long), r"needs \(N,\) integer class ids or \(N, 5\) float"),
    ("ce", torch.zeros(8), r"needs \(N,\) integer class ids"),
    ("ce", torch.zeros(8, 1, 1), r"targets have shape \(8, 1, 1\)"),
    ("mse", torch.full((8,), math.nan), "non-finite"),
    ("ce", torch.zeros(8, dtype=torch.complex64), "complex64"),
])
def test_train_refuses_targets_of_the_wrong_shape_or_kind(loss, targets, pattern):
    cfg = TrainConfig(steps=2, lr=0.1, loss=loss)
    with pytest.raises(ValueError, match=pattern) as exc:
        train(_net(), _data(targets=targets), _data(), cfg, forward=qforward)
    assert one_line(exc)


def test_train_refuses_scalar_targets_as_columns():
    """(N, 1) targets against (N,) outputs would broadcast the loss to (N, N)."""
    class Scalar(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(2))

        def forward(self, x):
            return x.float() @ self.w  # (N,)
    cfg = TrainConfig(steps=2, lr=0.1, loss="mse")
    with pytest.raises(ValueError, match=r"needs \(N,\) for scalar outputs"):
        train(Scalar(), _data(targets=torch.zeros(8, 1)), _data(targets=torch.zeros(8)), cfg)


def test_train_refuses_a_model_without_parameters_and_meta_data():
    cfg = TrainConfig(steps=2, lr=0.1)
    with pytest.raises(ValueError, match="no trainable parameters"):
        train(NoParams(), _data(), _data(), cfg)
    meta = Data(torch.zeros(8, 2, dtype=torch.long, device="meta"), torch.zeros(8, dtype=torch.long, device="meta"))
    with pytest.raises(ValueError, match="train_data is on the meta device"):
        train(_net(), meta, _data(), cfg, forward=qforward)


def test_train_still_accepts_good_targets():
    h = train(_net(), _data(), _data(), TrainConfig(steps=2, lr=0.1), forward=qforward)
    assert len(h.steps) >= 2


# ------------------------------------------------------------------------------ bounds

@pytest.mark.parametrize("p", [5, 97, 10 ** 5, 10 ** 6, 10 ** 9, 2 ** 61 - 1])
@pytest.mark.parametrize("n", [0, 1, 7, 20])
def test_spectral_floor_agrees_with_its_closed_form_at_every_p(p, n):
    assert bounds.spectral_floor(p, n) == bounds.spectral_floor_closed_form(p, n)
    assert bounds.spectral_floor(p, n, "classification") == bounds.spectral_floor_closed_form(p, n, "classification")


def test_the_float64_krawtchouk_evaluation_fails_at_large_p():
    """Negative control: the eigenvalues by a float64 Krawtchouk product (the old evaluation)
    lose the floor at p = 10^6, which the exact rationals keep."""
    import numpy as np
    p, m, n = 10 ** 6, 3, 7
    theta = bounds.krawtchouk(p, m) @ bounds.hamming_entries(p, m)
    mult = np.array([math.comb(m, j) * (p - 1) ** j for j in range(m + 1)], dtype=np.float64)
    trace = float((theta * mult).sum()) / p ** (m - 1)
    order = np.argsort(-theta)
    left, top = n, 0.0
    for j in order:
        take = min(left, mult[j])
        top += take * max(theta[j], 0.0)
        left -= take
    old = max(trace - top / p ** (m - 1), 0.0)
    assert old != bounds.spectral_floor_closed_form(p, n) == bounds.spectral_floor(p, n)


def test_exact_spectrum_has_two_nonzero_eigenvalues():
    for p in (3, 11, 10 ** 7):
        spec = bounds._spectrum_exact(p, 3)
        nonzero = [(t, k) for t, k in spec if t != 0]
        assert nonzero == [(Fraction(p), 1), (Fraction(p, (p - 1) ** 2), (p - 1) ** 3)]


@pytest.mark.parametrize("kw, pattern", [
    ({"p": 2 ** 62 + 1, "n": 0}, "valid range"), ({"p": 5, "n": 0, "m": 33}, "valid range"),
    ({"p": 1, "n": 0}, "p must be >= 2"), ({"p": 5, "n": -1}, "n must be >= 0"),
    ({"p": 5, "n": 126}, "n must be <= the number of points"), ({"p": 5.0, "n": 1}, "p must be an integer"),
    ({"p": 5, "n": 1, "task": "x"}, "unknown task"),
])
def test_bounds_outside_their_valid_range_are_refused(kw, pattern):
    for fn in (bounds.spectral_floor, bounds.spectral_floor_closed_form, bounds.kernel_lower_bound):
        with pytest.raises(ValueError, match=pattern):
            fn(**kw)
