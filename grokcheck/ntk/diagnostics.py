"""Regime diagnostics: how far a network has moved from its initial kernel (Mohamadi+24 Sec. 5,
"eNTK measurements", Fig. 1 left / Fig. 2 right; Kumar+24; Fort+20; Cortes+12).

Pure functions of kernels, parameters and metric curves: no I/O, no state.

- `kernel_drift_fro(K_t, K_0) = ||K_t - K_0||_F`, the paper's measure, and its relative form
  `relative_kernel_drift = ||K_t - K_0||_F / ||K_0||_F`. The quadratic net is 3-homogeneous,
  so its eNTK is 4-homogeneous: theta -> c theta maps K -> c^4 K, and the raw drift also
  counts mere growth of the weights.
- `scale_free_kernel_distance(K_t, K_0) = 1 - <K_t, K_0>_F / (||K_t||_F ||K_0||_F)`, one
  minus the kernel cosine: invariant to K -> cK (c > 0), 0 iff K_t is a positive multiple of
  K_0, at most 2. For K_t = K_0 + E with E orthogonal to K_0 it is ~ ||E||^2 / (2 ||K_0||^2).
- `centered_kernel_target_alignment(K, labels)` (Cortes, Mohri, Rostamizadeh 2012):
  <HKH, HYY^T H>_F / (||HKH||_F ||HYY^T H||_F), H = I - 11^T / n, Y one-hot.
- `relative_parameter_drift = ||theta_t - theta_0||_2 / ||theta_0||_2` over all tensors.
- `linearized_outputs`: f_lin(theta_t; x) = f(theta_0; x) + J_0 (theta_t - theta_0) by one
  `torch.func.jvp`; `Linearized` is the same model as an nn.Module, trainable by models/train.
- `after_kernel_accuracy`: test accuracy of ridgeless regression on one-hot targets with the
  kernel taken at step t (the "after kernel"; Long 2021, Kumar+24 recommendation 4).
- `KernelTrajectory`: the one kernel tracker, a training callback recording d_t (per block) and the
  raw drift of any model's eNTK (torch.func or the closed form, ntk.empirical) on a fixed subset.
- `kernel_block_distances`: d on a kernel subset and on its train / test / cross blocks.
Event steps (t_fit, t_gen, t_exit) use the one rule `theory.delay.first_step`.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, jvp

from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.ntk.regression import accuracy, kernel_regression, one_hot_targets


def _check_pair(K_t: torch.Tensor, K_0: torch.Tensor) -> None:
    if K_t.shape != K_0.shape:
        raise ValueError(f"kernels must have the same shape, got {tuple(K_t.shape)} and {tuple(K_0.shape)}")
    if K_0.numel() == 0:
        raise ValueError("kernels must be non-empty")


def _fro(K: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(K.to(torch.float64)))


def kernel_drift_fro(K_t: torch.Tensor, K_0: torch.Tensor) -> float:
    """||K_t - K_0||_F in float64 (the paper's Fig. 1-left measure). Any equal shapes."""
    _check_pair(K_t, K_0)
    return _fro(K_t.to(torch.float64) - K_0.to(torch.float64))


def relative_kernel_drift(K_t: torch.Tensor, K_0: torch.Tensor) -> float:
    """||K_t - K_0||_F / ||K_0||_F (float64). Raises ValueError when K_0 = 0."""
    n0 = _fro(K_0)
    if n0 == 0:
        raise ValueError("K_0 is zero: relative drift undefined")
    return kernel_drift_fro(K_t, K_0) / n0


def scale_free_kernel_distance(K_t: torch.Tensor, K_0: torch.Tensor) -> float:
    """1 - <K_t, K_0>_F / (||K_t||_F ||K_0||_F) in [0, 2], float64; invariant to K -> cK, c > 0.

    Raises ValueError when either kernel is zero. Cost O(N1 N2).
    """
    _check_pair(K_t, K_0)
    a, b = K_t.to(torch.float64), K_0.to(torch.float64)
    na, nb = _fro(a), _fro(b)
    if na == 0 or nb == 0:
        raise ValueError("a zero kernel has no direction: scale-free distance undefined")
    cos = float((a * b).sum()) / (na * nb)
    return min(2.0, max(0.0, 1.0 - cos))  # clamp round-off outside [-1, 1]


def centered_kernel_target_alignment(K: torch.Tensor, labels: torch.Tensor, num_classes: int) -> float:
    """Centered alignment of K (n, n) with one-hot labels (n,) long, in [-1, 1] (Cortes+12 Def. 1).

    A = <K_c, Y_c Y_c^T>_F / (||K_c||_F ||Y_c^T Y_c||_F), K_c = HKH, Y_c = HY; uses
    <HKH, HYY^T H> = sum((K_c Y) * Y) and ||AA^T||_F = ||A^T A||_F. Cost O(n^2 C), float64.
    """
    n = K.shape[0]
    if K.ndim != 2 or K.shape[1] != n or labels.shape != (n,):
        raise ValueError(f"need K (n, n) and labels (n,), got {tuple(K.shape)} and {tuple(labels.shape)}")
    if n < 2:
        raise ValueError("alignment needs at least 2 points")
    K = K.to(torch.float64)
    Kc = K - K.mean(0, keepdim=True) - K.mean(1, keepdim=True) + K.mean()  # (n, n)
    Y = torch.nn.functional.one_hot(labels, num_classes).to(torch.float64)  # (n, C)
    Yc = Y - Y.mean(0, keepdim=True)  # (n, C)
    num = float(((Kc @ Yc) * Yc).sum())
    den = _fro(Kc) * _fro(Yc.T @ Yc)
    if den == 0:
        raise ValueError("centered kernel or centered labels are zero: alignment undefined")
    return num / den


def relative_parameter_drift(params_t: Sequence[torch.Tensor], params_0: Sequence[torch.Tensor]) -> float:
    """||theta_t - theta_0||_2 / ||theta_0||_2 over all entries of all tensors (float64)."""
    params_t, params_0 = list(params_t), list(params_0)
    if len(params_t) != len(params_0) or any(a.shape != b.shape for a, b in zip(params_t, params_0)):
        raise ValueError("parameter lists must match in length and shapes")
    diff = sum(float(((a.detach().double() - b.detach().double()) ** 2).sum()) for a, b in zip(params_t, params_0))
    base = sum(float((b.detach().double() ** 2).sum()) for b in params_0)
    if base == 0:
        raise ValueError("theta_0 is zero: relative drift undefined")
    return math.sqrt(diff / base)


def _forward_default(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x)


def linearized_outputs(model: nn.Module, params_0: dict, params_t: dict, x: torch.Tensor,
                       forward: Callable | None = None) -> torch.Tensor:
    """f(theta_0; x) + J_0 (theta_t - theta_0), by one torch.func.jvp at theta_0.

    Args: model (not mutated; called through functional_call), params_0 / params_t: dicts
    name -> tensor (same keys as model.named_parameters()), x: inputs (N, ...).
    Returns outputs with f's shape, e.g. (N, O). Cost about 2-3 forward passes.
    """
    fwd = forward or _forward_default
    keys = list(params_0)
    if set(keys) != set(params_t):
        raise ValueError("params_0 and params_t must have the same names")
    primals = tuple(params_0[k].detach() for k in keys)
    tangents = tuple((params_t[k].detach() - params_0[k].detach()).to(params_0[k].dtype) for k in keys)

    def f(*ps):
        return fwd(_Functional(model, dict(zip(keys, ps))), x)

    out, dout = jvp(f, primals, tangents)
    return out + dout


class _Functional:
    """Calls `model` with substituted parameters, so user `forward(model, x)` hooks still work."""

    def __init__(self, model: nn.Module, params: dict):
        self.model, self.params = model, params

    def __call__(self, x):
        return functional_call(self.model, self.params, (x,))

    def __getattr__(self, name):
        if name in self.params:
            return self.params[name]
        return getattr(self.model, name)


class Linearized(nn.Module):
    """The linearized network f_0 + J_0 (theta - theta_0) as a trainable module (Lee+19 eq. 6).

    Its parameters start at theta_0 (a detached copy of `model`'s); its eNTK is J_0 J_0^T for
    every theta, so a run of it never leaves the initial kernel. forward: x (N, ...) -> f's shape.
    """

    def __init__(self, model: nn.Module, forward: Callable | None = None):
        super().__init__()
        object.__setattr__(self, "base", model)  # not a submodule: only theta is trained
        self._fwd = forward
        self.names = [n for n, _ in model.named_parameters()]
        self.theta0 = {n: p.detach().clone() for n, p in model.named_parameters()}
        self.theta = nn.ParameterList([nn.Parameter(p.detach().clone()) for p in self.theta0.values()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        params_t = dict(zip(self.names, self.theta))
        fwd = self._fwd or _forward_default
        keys = self.names
        primals = tuple(self.theta0[k].to(params_t[k].dtype) for k in keys)
        tangents = tuple(params_t[k] - primals[i] for i, k in enumerate(keys))
        out, dout = jvp(lambda *ps: fwd(_Functional(self.base, dict(zip(keys, ps))), x), primals, tangents)
        return out + dout


def after_kernel_accuracy(K_train_train: torch.Tensor, y_train: torch.Tensor, K_test_train: torch.Tensor,
                          y_test: torch.Tensor, num_classes: int, ridge: float = 0.0) -> float:
    """Test accuracy of kernel regression on one-hot targets with a kernel taken at step t.

    K_train_train (n, n), K_test_train (m, n), labels (n,), (m,) long. Predictions
    K_test_train (K_train_train + lambda I)^{-1} Y with lambda = ridge * mean diag K
    (ntk.regression.kernel_regression, float64, relative ridge); class = argmax. Cost O(n^3 + m n C).
    """
    res = kernel_regression(K_train_train, one_hot_targets(y_train, num_classes), K_test_train, ridge=ridge)
    return accuracy(res.predictions, y_test)  # predictions (m, C)


def kernel_block_distances(K: torch.Tensor, K0: torch.Tensor, in_train: torch.Tensor | None = None) -> dict:
    """d = 1 - cos(K, K0) on all of the subset and on its train / test / cross blocks, and the raw
    relative drift ||K - K0||_F / ||K0||_F.

    K, K0: (S, S); in_train: (S,) bool (which subset points are training points; None: no blocks).
    A block without points is NaN. Returns {"dist", "raw_drift"} plus {"dist_train", "dist_test",
    "dist_cross"} when in_train is given. Cost O(S^2)."""
    out = {"dist": scale_free_kernel_distance(K, K0), "raw_drift": relative_kernel_drift(K, K0)}
    if in_train is None:
        return out
    if in_train.shape != (K.shape[0],) or in_train.dtype != torch.bool:
        raise ValueError(f"in_train must be a bool tensor of shape ({K.shape[0]},), got "
                         f"{in_train.dtype} {tuple(in_train.shape)}")
    tr, te = in_train.to(K.device), ~in_train.to(K.device)

    def block(rows, cols):
        if not bool(rows.any()) or not bool(cols.any()):
            return float("nan")
        return scale_free_kernel_distance(K[rows][:, cols], K0[rows][:, cols])

    out.update(dist_train=block(tr, tr), dist_test=block(te, te), dist_cross=block(tr, te))
    return out


class KernelTrajectory:
    """A training callback that tracks a network's eNTK along training (any architecture): the one
    kernel tracker of grokcheck (kernel-exit, transformer-kernel-exit).

    At every call it computes K_t = eNTK of logit `output` on the fixed inputs x (S, ...)
    (ntk.empirical.empirical_ntk, float64, `method`; (S, S)) and appends the step and
    `kernel_block_distances(K_t, K_0, in_train)` (d_t = 1 - cos(K_t, K_0) on the subset and on its
    train / test / cross blocks, raw drift ||K_t - K_0||_F / ||K_0||_F) to `rows`; K_0 is the kernel at
    the first call. `forward` (model, x) -> logits is used for the kernel (default: model in eval
    mode, so dropout is off; ignored by the closed form). Cost per call: S forward/backward passes
    (jacobian) and an S x S x P contraction; closed form: O(S^2 h).
    Attributes: steps (list), rows {name: list}, dist / rel_drift (views of rows), K0.
    """

    def __init__(self, x: torch.Tensor, *, output=0, forward: Callable | None = None, method: str = "jacobian",
                 chunk_size: int | None = None, in_train: torch.Tensor | None = None):
        self.x, self.output, self.method, self.chunk_size, self.in_train = x, output, method, chunk_size, in_train
        self.forward = forward or (lambda m, inp: m.eval()(inp))
        self.K0 = None
        self.steps, self.rows = [], {}

    def kernel(self, model: nn.Module) -> torch.Tensor:
        """K = eNTK of logit `output` on x at the model's current parameters, (S, S) float64."""
        kw = {} if self.method == "closed_form" else {"forward": self.forward, "chunk_size": self.chunk_size}
        return empirical_ntk(model, self.x, method=self.method, output=self.output, **kw)

    def __call__(self, step: int, model: nn.Module, metrics: dict | None = None) -> None:
        K = self.kernel(model)  # (S, S) float64
        if self.K0 is None:
            self.K0 = K
        self.steps.append(int(step))
        for k, v in kernel_block_distances(K, self.K0, self.in_train).items():
            self.rows.setdefault(k, []).append(v)

    @property
    def dist(self) -> list:
        return self.rows.get("dist", [])

    @property
    def rel_drift(self) -> list:
        return self.rows.get("raw_drift", [])
