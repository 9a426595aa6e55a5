"""ntk/regression.py: exact recovery of an RKHS function, ridge convention, jitter fallback."""
import pytest
import torch

from grokcheck.ntk.infinite import equivariant_pair_kernel
from grokcheck.ntk.regression import (JitterWarning, accuracy, kernel_regression, l2_loss,
                            one_hot_targets)
from grokcheck.theory.tasks import binary_table

RTOL_SOLVE = 1e-8  # float64 Cholesky on a kernel with condition number < 1e4: error ~ 1e-12


def _setup(p=7, seed=0):
    x, _ = binary_table(p)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    train, test = perm[: len(x) // 2], perm[len(x) // 2:]
    k = equivariant_pair_kernel(x, alpha=1.0, beta=0.5, gamma=1.0)  # strictly PD: gamma > 0
    return x, k, train, test, g


@pytest.mark.parametrize("outputs", [None, 3])
def test_recovers_an_rkhs_function_exactly(outputs):
    """f = sum_s c_s K(., x_s) with centres x_s in the training set lies in the span of the
    training features, so the ridgeless interpolant equals f everywhere."""
    x, k, train, test, g = _setup()
    centres = train[:5]
    c = torch.randn(5, *(() if outputs is None else (outputs,)), generator=g, dtype=torch.float64)
    f = k[:, centres] @ c  # (p^2,) or (p^2, O)
    res = kernel_regression(k[train][:, train], f[train], k[test][:, train])
    scale = float(f.abs().max())
    assert float((res.predictions - f[test]).abs().max()) <= RTOL_SOLVE * scale
    assert float((res.train_predictions - f[train]).abs().max()) <= RTOL_SOLVE * scale
    assert res.jitter_abs == 0.0 and res.ridge_abs == 0.0


def test_function_outside_the_span_is_not_recovered():
    """Negative control: a centre outside the training set breaks exact recovery."""
    x, k, train, test, g = _setup()
    f = k[:, test[0]]  # (p^2,): its centre is a test point
    res = kernel_regression(k[train][:, train], f[train], k[test][:, train])
    assert float((res.predictions - f[test]).abs().max()) > 1e3 * RTOL_SOLVE * float(f.abs().max())


def test_ridge_is_relative_to_mean_diagonal():
    x, k, train, test, g = _setup()
    y = torch.randn(len(train), generator=g, dtype=torch.float64)
    ktt = k[train][:, train]
    res = kernel_regression(ktt, y, k[test][:, train], ridge=0.3)
    lam = 0.3 * float(ktt.diagonal().mean())
    assert res.ridge_abs == pytest.approx(lam, rel=1e-14)
    alpha = torch.linalg.solve(ktt + lam * torch.eye(len(train), dtype=torch.float64), y)
    assert torch.allclose(res.predictions, k[test][:, train] @ alpha, rtol=RTOL_SOLVE, atol=0)


def test_singular_kernel_warns_with_the_jitter():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(30, 4, generator=g, dtype=torch.float64)
    k = z @ z.T  # rank 4
    y = z @ torch.randn(4, generator=g, dtype=torch.float64)  # in the row space: fittable
    with pytest.warns(JitterWarning, match=r"added jitter .* x mean diagonal"):
        res = kernel_regression(k[:20, :20], y[:20], k[20:, :20])
    assert res.jitter_abs > 0
    assert float((res.predictions - y[20:]).abs().max()) <= 1e-6 * float(y.abs().max())


def test_centered_one_hot_accuracy_and_l2():
    labels = torch.tensor([0, 2, 1])
    y = one_hot_targets(labels, 3, centered=True)
    assert torch.allclose(y.sum(1), torch.zeros(3, dtype=torch.float64))
    assert accuracy(y, labels) == 1.0
    assert accuracy(-y, labels) == 0.0
    assert l2_loss(y, torch.zeros_like(y)) == pytest.approx(float((y * y).sum()) / 3)
    x, k, train, test, g = _setup(p=5)
    _, lab = binary_table(5)
    res = kernel_regression(k[train][:, train], one_hot_targets(lab[train], 5),
                            k[test][:, train], ridge=1e-3, y_test=one_hot_targets(lab[test], 5))
    assert 0.0 <= res.test_accuracy <= 1.0 and res.test_l2 > 0


@pytest.mark.parametrize("kwargs,match", [
    (dict(ridge=-1.0), "ridge must be"),
    (dict(y_train=torch.zeros(3)), "y_train must be"),
    (dict(k_test_train=torch.zeros(2, 3)), "k_test_train"),
])
def test_regression_validation(kwargs, match):
    args = dict(k_train_train=torch.eye(4, dtype=torch.float64),
                y_train=torch.zeros(4, dtype=torch.float64),
                k_test_train=torch.zeros(2, 4, dtype=torch.float64))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        kernel_regression(args.pop("k_train_train"), args.pop("y_train"),
                          args.pop("k_test_train"), **args)


@pytest.mark.parametrize("ridge", [0.05, 0.3, 2.0])
def test_ridge_is_the_stated_fraction_of_the_mean_of_an_uneven_diagonal(ridge):
    """A kernel whose diagonal entries differ (mean != max != min): the absolute ridge is exactly
    ridge * mean(diag K) and the predictions are those of that ridge (a past bug: a ridge relative to
    the max diagonal survived the constant-diagonal test above)."""
    g = torch.Generator().manual_seed(5)
    z = torch.randn(12, 4, generator=g, dtype=torch.float64)
    scales = torch.linspace(0.2, 5.0, 12, dtype=torch.float64)  # uneven diagonal: max / mean ~ 1.9
    k = (z * scales[:, None]) @ (z * scales[:, None]).T + torch.diag(scales)
    y = torch.randn(12, generator=g, dtype=torch.float64)
    res = kernel_regression(k, y, k[:3], ridge=ridge)
    diag = k.diagonal()
    assert float(diag.max()) > 1.5 * float(diag.mean())  # the check below can tell mean from max
    assert res.ridge_abs == pytest.approx(ridge * float(diag.mean()), rel=1e-14)
    alpha = torch.linalg.solve(k + res.ridge_abs * torch.eye(12, dtype=torch.float64), y)
    torch.testing.assert_close(res.predictions, k[:3] @ alpha, rtol=RTOL_SOLVE, atol=0)
