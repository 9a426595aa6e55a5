"""Kernel ridge / ridgeless regression in float64, multi-output, with a Cholesky jitter fallback.

Predictor (no f_0 offset; Mohamadi+24 Sec. 3, "kernel regime"):
    alpha = (K_tr,tr + lambda I)^{-1} Y,   f(x) = K(x, X_tr) alpha,
with lambda = ridge * mean(diag K_tr,tr): the ridge is RELATIVE to the mean diagonal, as in
neural-tangents' ``diag_reg`` (``diag_reg_absolute_scale=False``). ridge = 0 is ridgeless.
Inputs are checked once at entry: real tensors (a complex kernel is refused, never cast to its real
part; integer entries are exact in float64 and accepted), not on the meta device, n >= 1 training
points, every entry of K, K_te,tr, Y and y_test finite (a NaN would otherwise give NaN predictions
quietly, or a test accuracy of 1.0: argmax of a NaN row is the NaN's index), y_test of the
predictions' shape, the ridge a real number in [0, MAX_RIDGE] (beyond, lambda I swamps K and the
predictions underflow towards 0: every argmax would be class 0), and K symmetric to round-off:
max|K - K^T| <= SYM_RTOL * max|K|, SYM_RTOL = 1e-5 (about 100 float32 epsilons: a kernel built in
float32, J J^T, and cast to float64 is symmetric to a few float32 round-offs; anything larger is a
wrong input, e.g. a (test, train) block passed as K). K is then symmetrized, (K + K^T) / 2, so the
solve never reads one triangle only.
If the Cholesky factorization fails (K singular to working precision), a jitter
mean(diag K) * 10^j, j = -12, -11, ..., -4, is added and a `JitterWarning` states the jitter
used; if even the largest fails, `torch.linalg.LinAlgError` is raised.
Cost: one Cholesky (n^3/3) and two triangular solves per factorization.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import torch

JITTERS_REL = tuple(10.0 ** j for j in range(-12, -3))  # relative to mean(diag K)
SYM_RTOL = 1e-5  # max|K - K^T| / max|K| allowed: ~100 float32 epsilons (module docstring)
MAX_RIDGE = 1e12  # relative ridge: larger swamps K (module docstring)


def _check_real_tensor(name: str, t) -> None:
    """ValueError unless `t` is a real (floating or integer) tensor off the meta device."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_complex():
        raise ValueError(f"{name} is complex ({t.dtype}); kernel regression needs a real kernel and real targets "
                         "(its real part is not taken silently)")
    if t.dtype == torch.bool:
        raise ValueError(f"{name} is boolean; pass a float tensor")
    if t.is_meta:
        raise ValueError(f"{name} is on the meta device (shapes only, no values)")


class JitterWarning(UserWarning):
    """Kernel regression had to add a jitter to the diagonal to factorize K."""


@dataclass(frozen=True)
class KernelRegressionResult:
    """Predictions (float64): test (n_test,) or (n_test, O); train (n_train,) or (n_train, O).

    ridge_abs: the absolute ridge lambda used; jitter_abs: the extra jitter added (0 if none);
    test_l2 / test_accuracy: filled when `y_test` was given (accuracy only for 2-D targets).
    """
    predictions: torch.Tensor
    train_predictions: torch.Tensor
    ridge_abs: float
    jitter_abs: float
    test_l2: float | None = None
    test_accuracy: float | None = None


def one_hot_targets(labels: torch.Tensor, num_classes: int, *, centered: bool = False,
                    dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Labels (n,) long -> one-hot (n, O) in `dtype`; centered subtracts 1/O from every entry."""
    if labels.ndim != 1 or labels.is_floating_point():
        raise ValueError(f"labels must be a 1-D integer tensor, got {labels.dtype} "
                         f"{tuple(labels.shape)}")
    y = torch.nn.functional.one_hot(labels, num_classes).to(dtype)  # (n, O)
    return y - 1.0 / num_classes if centered else y


def accuracy(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of rows whose argmax logit equals the label: predictions (n, O), labels (n,)."""
    if predictions.ndim != 2 or labels.shape != predictions.shape[:1]:
        raise ValueError(f"need predictions (n, O) and labels (n,), got "
                         f"{tuple(predictions.shape)} and {tuple(labels.shape)}")
    return float((predictions.argmax(1) == labels.to(predictions.device)).double().mean())


def l2_loss(predictions: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean over examples of the SUM over outputs of squared errors: (1/n) ||F - Y||_F^2."""
    if predictions.shape != targets.shape:
        raise ValueError(f"shape mismatch: {tuple(predictions.shape)} vs {tuple(targets.shape)}")
    diff = predictions.double() - targets.double()
    return float((diff * diff).sum() / predictions.shape[0])


def kernel_regression(k_train_train: torch.Tensor, y_train: torch.Tensor,
                      k_test_train: torch.Tensor, *, ridge: float = 0.0,
                      y_test: torch.Tensor | None = None) -> KernelRegressionResult:
    """Kernel ridge(less) regression: predictions K_te,tr (K_tr,tr + lambda I)^{-1} Y.

    Args:
        k_train_train: (n, n) symmetric PSD kernel on the training inputs.
        y_train: (n,) or (n, O) float targets (e.g. `one_hot_targets`).
        k_test_train: (m, n) kernel between test and training inputs.
        ridge: lambda / mean(diag K_tr,tr) >= 0 (relative, neural-tangents convention).
        y_test: optional (m,) or (m, O) targets; gives test_l2 (and test_accuracy for 2-D
            targets, labels = argmax of y_test).
    Returns: `KernelRegressionResult` (float64 tensors).
    Raises: ValueError on shapes, n = 0, complex / boolean / meta tensors, non-finite entries (y_test
        included), a non-symmetric K (beyond SYM_RTOL) or a ridge that is not a real number in
        [0, MAX_RIDGE]; torch.linalg.LinAlgError if no jitter works.
    Warns: `JitterWarning` with the absolute and relative jitter, when one was needed.
    """
    for name, t in (("k_train_train", k_train_train), ("k_test_train", k_test_train), ("y_train", y_train)) + (
            (("y_test", y_test),) if y_test is not None else ()):
        _check_real_tensor(name, t)
    if isinstance(ridge, bool) or not isinstance(ridge, numbers.Real) or not 0 <= float(ridge) <= MAX_RIDGE:
        raise ValueError(f"ridge must be a real number in [0, {MAX_RIDGE:g}], got {ridge!r:.40}")
    k = k_train_train.to(torch.float64)
    kt = k_test_train.to(torch.float64, copy=False).to(k.device)
    y = y_train.to(torch.float64).to(k.device)
    n = k.shape[0] if k.ndim == 2 else -1
    if k.ndim != 2 or k.shape[1] != n or kt.ndim != 2 or kt.shape[1] != n:
        raise ValueError(f"need k_train_train (n, n) and k_test_train (m, n), got "
                         f"{tuple(k.shape)} and {tuple(kt.shape)}")
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"y_train must be (n,) or (n, O) with n={n}, got {tuple(y.shape)}")
    if n == 0:
        raise ValueError("kernel_regression needs at least one training point (k_train_train is 0 x 0)")
    for name, t in (("k_train_train", k), ("k_test_train", kt), ("y_train", y)):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} has {int((~torch.isfinite(t)).sum())} non-finite entries (NaN or inf)")
    asym = float((k - k.T).abs().max()) / max(float(k.abs().max()), torch.finfo(torch.float64).tiny)
    if asym > SYM_RTOL:
        raise ValueError(f"k_train_train is not symmetric: max|K - K^T| / max|K| = {asym:.2e} > {SYM_RTOL:.0e}")
    k = 0.5 * (k + k.T)
    ridge = float(ridge)
    scale = float(torch.diagonal(k).mean())
    if not scale > 0:
        raise ValueError(f"mean diagonal of k_train_train must be > 0, got {scale}")
    ridge_abs = ridge * scale
    eye = torch.eye(n, dtype=torch.float64, device=k.device)
    jitter = 0.0
    chol, info = torch.linalg.cholesky_ex(k + ridge_abs * eye)
    for rel in JITTERS_REL:
        if int(info) == 0:
            break
        jitter = rel * scale
        chol, info = torch.linalg.cholesky_ex(k + (ridge_abs + jitter) * eye)
    if int(info) != 0:
        raise torch.linalg.LinAlgError(
            f"Cholesky failed even with jitter {jitter:.3e} (= {JITTERS_REL[-1]:.0e} x mean diag)")
    if jitter:
        warnings.warn(f"kernel_regression: K was not numerically positive definite; added "
                      f"jitter {jitter:.3e} (= {jitter / scale:.0e} x mean diagonal "
                      f"{scale:.3e}) to the diagonal", JitterWarning, stacklevel=2)
    y2 = y[:, None] if y.ndim == 1 else y  # (n, O)
    alpha = torch.cholesky_solve(y2, chol)  # (n, O)
    pred, pred_train = kt @ alpha, k @ alpha  # (m, O), (n, O)
    if y.ndim == 1:
        pred, pred_train = pred[:, 0], pred_train[:, 0]
    test_l2 = test_acc = None
    if y_test is not None:
        y_test = y_test.to(torch.float64).to(pred.device)
        if y_test.shape != pred.shape:
            raise ValueError(f"y_test must have the predictions' shape {tuple(pred.shape)}, got {tuple(y_test.shape)}")
        if not bool(torch.isfinite(y_test).all()):
            raise ValueError(f"y_test has {int((~torch.isfinite(y_test)).sum())} non-finite entries (NaN or inf)")
        test_l2 = l2_loss(pred, y_test)
        if y_test.ndim == 2:
            test_acc = accuracy(pred, y_test.argmax(1))
    return KernelRegressionResult(pred, pred_train, ridge_abs, jitter, test_l2, test_acc)
