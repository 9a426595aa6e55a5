"""Empirical neural tangent kernels (eNTK) with torch.func, plus the quadratic net's closed form.

Theta(x, x')_{o o'} = <d f_o(theta; x)/d theta, d f_o'(theta; x')/d theta>, the eNTK at the
model's current parameters (Mohamadi+24 Thm 3.1 uses the eNTK of the regression scalar g; the
classification eNTK of their Sec. 4 is that of the first logit).

Output conventions (one mode, one shape):
- ``"full"``: (N1, N2, O, O), every logit pair;
- ``"trace_mean"``: (N1, N2), MEAN over the diagonal logit pairs, (1/O) sum_o Theta_oo
  (neural-tangents' default ``trace_axes=(-1,)``);
- ``"trace_sum"``: (N1, N2), SUM over the diagonal logit pairs, exactly O times trace_mean
  (the torch tutorial's ``trace``);
- an int k: (N1, N2), the eNTK of logit k alone (the paper's eNTK is ``output=0``).

Methods (anchors.md Sec. 2; N inputs, O logits, P parameters, [FP] one forward pass):
- ``"jacobian"``: per-example Jacobians (vmap(jacrev)) and their contraction; time
  N O [FP] + N^2 O^2 P (full) or N^2 O P (traces), memory N O P per block. The reference.
- ``"ntk_vp"``: NTK-vector products (vjp then jvp per cotangent), never forms per-example
  Jacobians; time about N^2 O [FP]. Wins for many parameters and cheap forward passes.
- ``"closed_form"``: only for `QuadraticNet` with its index-pair forward (or `regression_ntk`):
  f_o = sum_k V_ok h_k^2, h = W x, x = e_a + e_{p+b}, so
      Theta_{oo'}(x, x') = [o=o'] sum_k h_k^2 h'_k^2 + 4 (x.x') sum_k V_ok V_o'k h_k h'_k,
  x.x' = [a=a'] + [b=b']. The first term is one dense (N1 x h) @ (h x N2) product; the second
  is nonzero only on pairs sharing a or b (2p-1 of p^2 pairs on the full table) and is done
  group by group, cost ~ 2 N1 N2 h / p (ntk/closed_form.py). No autodiff. Use it whenever the model allows.

Everything is computed in `dtype` (float64 by default) on a detached copy of the parameters
through `torch.func.functional_call`; the model is never mutated; TF32 is off inside.
"""
from __future__ import annotations

import contextlib
import numbers
from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, jacrev, jvp, vjp, vmap

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.closed_form import _quadratic_ntk, _quadratic_regression_ntk, check_indices

METHODS = ("jacobian", "ntk_vp", "closed_form")
TRACES = ("trace_mean", "trace_sum", "full")


@contextlib.contextmanager
def no_tf32():
    """Turn TF32 matmuls/convolutions off inside the block and restore the flags after."""
    old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


class _Bound(nn.Module):
    """model + forward(model, x) as one module, so functional_call can reach any method."""

    def __init__(self, model: nn.Module, forward: Callable):
        super().__init__()
        self.model = model
        self.fn = forward

    def forward(self, x):
        return self.fn(self.model, x)


def _default_forward(model: nn.Module) -> Callable:
    if isinstance(model, QuadraticNet):
        return lambda m, x: m._logits(x[:, 0], x[:, 1])  # pairs validated once by `_quadratic_pairs`
    return lambda m, x: m(x)


def _quadratic_pairs(x: torch.Tensor, p: int, name: str) -> torch.Tensor:
    """The quadratic net's eNTK inputs as long index pairs (N, 2) in [0, p): index pairs pass through
    (validated); exact one-hot pairs (N, 2p), x = (e_a, e_b), are converted to (a, b); anything else
    is a ValueError naming `name`."""
    if x.is_floating_point() and x.ndim == 2 and x.shape[1] == 2 * p:
        a, b = x[:, :p], x[:, p:]
        if not (bool(((x == 0) | (x == 1)).all()) and bool((a.sum(1) == 1).all()) and bool((b.sum(1) == 1).all())):
            raise ValueError(f"{name}: real (N, 2p) inputs must be exact one-hot pairs (e_a, e_b); "
                             "pass a custom forward for other real inputs")
        return torch.stack([a.argmax(1), b.argmax(1)], 1)  # (N, 2)
    if x.is_floating_point():
        raise ValueError(f"{name} must be long index pairs (N, 2) or one-hot pairs (N, {2 * p}), "
                         f"got {x.dtype} {tuple(x.shape)}")
    return check_indices(x, 2, p, name)


def _functional(model: nn.Module, forward: Callable | None, dtype: torch.dtype):
    """Return f(params, x) -> (n, O) and a float `dtype` copy of the trainable parameters."""
    bound = _Bound(model, forward or _default_forward(model))
    params = {n: q.detach().to(dtype) for n, q in bound.named_parameters() if q.requires_grad}
    frozen = {n: q.detach().to(dtype) for n, q in bound.named_parameters() if not q.requires_grad}
    buffers = {n: (b.to(dtype) if b.is_floating_point() else b) for n, b in bound.named_buffers()}
    if not params:
        raise ValueError("the model has no trainable parameters; its eNTK is zero")

    def f(prm, x):
        out = functional_call(bound, ({**prm, **frozen}, buffers), (x,))
        if out.ndim == 1:
            out = out[:, None]  # scalar output: O = 1
        if out.ndim != 2:
            raise ValueError(f"forward must return (n, O) or (n,), got shape {tuple(out.shape)}")
        return out  # (n, O)

    return f, params


def _check_model(model, dtype) -> torch.device:
    """The device of `model`'s parameters; ValueError for a model without parameters, with
    parameters on the meta device or non-finite, or a non-floating `dtype`."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a real floating dtype (float64 by default), got {dtype!r}")
    params = list(model.parameters())
    if not params:
        raise ValueError(f"the model ({type(model).__name__}) has no parameters; its eNTK is zero")
    if any(q.is_meta for q in params):
        raise ValueError("the model's parameters are on the meta device (no values); materialize them first")
    bad = sum(int((~torch.isfinite(q.detach())).sum()) for q in params if q.is_floating_point() or q.is_complex())
    if bad:
        raise ValueError(f"the model has {bad} non-finite parameter entries (NaN or inf)")
    return params[0].device


def _prep(x: torch.Tensor, device, dtype, name: str = "inputs") -> torch.Tensor:
    """`x` on `device` (floating inputs cast to `dtype`); ValueError for an empty batch, a complex,
    boolean or meta tensor, or non-finite floating entries."""
    if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"{name} must be tensors with a non-empty batch dimension")
    if x.is_meta:
        raise ValueError(f"{name} is on the meta device (shapes only, no values)")
    if x.is_complex() or x.dtype == torch.bool:
        raise ValueError(f"{name} has dtype {x.dtype}; the eNTK needs real (floating or integer index) inputs")
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} has {int((~torch.isfinite(x)).sum())} non-finite entries (NaN or inf)")
    x = x.to(device)
    return x.to(dtype) if x.is_floating_point() else x


def _check_output(output, n_out: int):
    if isinstance(output, numbers.Integral) and not isinstance(output, bool):
        if not 0 <= output < n_out:
            raise ValueError(f"output logit index must be in [0, {n_out}), got {output}")
        return int(output)
    if output not in TRACES:
        raise ValueError(f"output must be one of {TRACES} or an int logit index, got {output!r}")
    return output


def _tiled(block: Callable, n1: int, n2: int, chunk: int | None) -> torch.Tensor:
    """Assemble block(slice1, slice2) over chunk x chunk tiles of the (N1, N2, ...) kernel."""
    if chunk is None:
        return block(slice(0, n1), slice(0, n2))
    if isinstance(chunk, bool) or not isinstance(chunk, numbers.Integral) or chunk < 1:
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk!r}")
    out = None
    for i in range(0, n1, chunk):
        for j in range(0, n2, chunk):
            blk = block(slice(i, i + chunk), slice(j, j + chunk))
            if out is None:
                out = blk.new_empty((n1, n2) + tuple(blk.shape[2:]))  # (N1, N2, ...)
            out[i:i + chunk, j:j + chunk] = blk
    return out


def _contract(j1: torch.Tensor, j2: torch.Tensor, output) -> torch.Tensor:
    """j1 (n1, O', P), j2 (n2, O', P) -> kernel in the `output` convention."""
    if output == "full":
        return torch.einsum("iap,jbp->ijab", j1, j2)  # (n1, n2, O, O)
    k = torch.einsum("iap,jap->ij", j1, j2)  # (n1, n2), sum over logits
    return k / j1.shape[1] if output == "trace_mean" else k


def _jacobian(f, params, x, output) -> torch.Tensor:
    """Per-example Jacobians, flattened: (n, O', P) with O' = 1 for an int output."""
    def single(prm, xi):
        out = f(prm, xi.unsqueeze(0))[0]  # (O,)
        return out[output:output + 1] if isinstance(output, int) else out

    jac = vmap(jacrev(single), in_dims=(None, 0))(params, x)  # name -> (n, O', *shape)
    return torch.cat([j.reshape(j.shape[0], j.shape[1], -1) for j in jac.values()], dim=2)


def _ntk_vp(f, params, x1, x2, output) -> torch.Tensor:
    """Columns Theta(x1, x2) e_{j,b} by one vjp (at x2) and one jvp (at x1) each."""
    out2, vjp_fn = vjp(lambda prm: f(prm, x2), params)  # (n2, O)
    n2, n_out = out2.shape
    if isinstance(output, int):
        basis = out2.new_zeros(n2, n2, n_out)  # cotangents e_{j, k}: (n2, n2, O)
        diag = torch.arange(n2, device=out2.device)
        basis[diag, diag, output] = 1
    else:
        basis = torch.eye(n2 * n_out, dtype=out2.dtype, device=out2.device)
        basis = basis.reshape(n2 * n_out, n2, n_out)  # (n2*O, n2, O)

    def column(ct):
        (g,) = vjp_fn(ct)
        return jvp(lambda prm: f(prm, x1), (params,), (g,))[1]  # (n1, O)

    cols = vmap(column)(basis)  # (n2*O', n1, O)
    if isinstance(output, int):
        return cols[:, :, output].T  # (n1, n2)
    cols = cols.reshape(n2, n_out, x1.shape[0], n_out)  # [j, b, i, a]
    if output == "full":
        return cols.permute(2, 0, 3, 1)  # (n1, n2, O, O)
    k = torch.diagonal(cols, dim1=1, dim2=3).sum(-1).T  # (n1, n2)
    return k / n_out if output == "trace_mean" else k


# ----------------------------------------------------------------------------- public API
def empirical_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None, *,
                  method: str = "jacobian", output="trace_mean", forward: Callable | None = None,
                  chunk_size: int | None = None, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The empirical NTK of `model` between inputs x1 and x2 (module docstring for the math).

    Args:
        model: any nn.Module (never mutated). For `QuadraticNet` the default forward is
            ``model.logits(x[:, 0], x[:, 1])`` on long index pairs (N, 2) in [0, p) (exact one-hot
            pairs (N, 2p) are accepted and converted); else ``model(x)``.
        x1: inputs (N1, ...); x2: inputs (N2, ...) or None for x2 = x1.
        method: "jacobian" (reference), "ntk_vp" or "closed_form" (QuadraticNet only).
        output: "trace_mean" (mean over logits), "trace_sum" (sum over logits, O x the mean),
            "full" or an int logit index.
        forward: forward(model, x) -> (n, O) or (n,) logits, for other call conventions.
        chunk_size: tile the kernel into chunk_size x chunk_size blocks (bounds memory of the
            jacobian / ntk_vp intermediates; results are identical up to round-off).
        dtype: computation and output dtype (float64 by default).
    Returns:
        (N1, N2) for traces and int outputs, (N1, N2, O, O) for "full".
    Raises:
        ValueError: unknown method/output, bad chunk_size, closed_form on another model,
            closed_form with a custom forward, out-of-range indices, a model without parameters
            (or with meta / non-finite ones), a non-floating dtype, empty, complex, boolean, meta
            or non-finite inputs, or inputs the model's forward rejects (one line).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    device = _check_model(model, dtype)
    x1 = _prep(x1, device, dtype, "x1")
    sym = x2 is None
    x2 = x1 if sym else _prep(x2, device, dtype, "x2")
    if isinstance(model, QuadraticNet) and forward is None:
        x1 = _quadratic_pairs(x1, model.p, "x1")
        x2 = x1 if sym else _quadratic_pairs(x2, model.p, "x2")
    with no_tf32(), torch.no_grad():
        if method == "closed_form":
            if not isinstance(model, QuadraticNet) or forward is not None:
                raise ValueError("closed_form exists only for a QuadraticNet with its default "
                                 f"index-pair forward; got {type(model).__name__} "
                                 f"(forward={'custom' if forward else 'default'}); use "
                                 "method='jacobian' or 'ntk_vp'")
            output = _check_output(output, model.p)
            w, v = model.W.detach().to(dtype), model.V.detach().to(dtype)  # (h, 2p), (p, h)
            if chunk_size is None:
                return _quadratic_ntk(w, v, x1, x2, output, dtype)
            return _tiled(lambda s1, s2: _quadratic_ntk(w, v, x1[s1], x2[s2], output, dtype),
                          x1.shape[0], x2.shape[0], chunk_size)
    f, params = _functional(model, forward, dtype)
    with no_tf32():
        with torch.no_grad():
            try:
                n_out = f(params, x1[:1]).shape[1]
            except (RuntimeError, TypeError, IndexError) as exc:  # e.g. int64 inputs into nn.Linear
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ValueError(f"the model's forward fails on x1 ({x1.dtype}, shape {tuple(x1.shape)}): "
                                 f"{first[:200]}; pass inputs it accepts or a custom forward") from None
        output = _check_output(output, n_out)
        if method == "jacobian":
            def block(s1, s2):
                j1 = _jacobian(f, params, x1[s1], output)
                j2 = j1 if sym and s1 == s2 else _jacobian(f, params, x2[s2], output)
                return _contract(j1, j2, output).detach()
        else:
            def block(s1, s2):
                return _ntk_vp(f, params, x1[s1], x2[s2], output).detach()
        return _tiled(block, x1.shape[0], x2.shape[0], chunk_size)


def regression_ntk(model: QuadraticNet, t1: torch.Tensor, t2: torch.Tensor | None = None, *,
                   method: str = "jacobian", chunk_size: int | None = None,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """eNTK of the regression scalar g(theta; (a, b, c)) = f_c(a, b) (Mohamadi+24 Thm 3.1).

    K(t, t') = <grad g(t), grad g(t')> = [c=c'] sum_k h_k^2 h'_k^2
               + 4 ([a=a'] + [b=b']) sum_k V_ck V_c'k h_k h'_k    (closed form, h = W x).
    Args: triples t1 (N1, 3), t2 (N2, 3) or None (= t1), long in [0, p); method as in
        `empirical_ntk`. Returns (N1, N2) in `dtype`. Cost of closed_form ~ 3 N1 N2 h / p.
    """
    if not isinstance(model, QuadraticNet):
        raise ValueError(f"regression_ntk needs a QuadraticNet, got {type(model).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    device = _check_model(model, dtype)
    t1 = check_indices(_prep(t1, device, dtype, "t1"), 3, model.p, "triples")
    t2 = None if t2 is None else check_indices(_prep(t2, device, dtype, "t2"), 3, model.p, "triples")
    if method != "closed_form":
        return empirical_ntk(model, t1, t2, method=method, output="trace_sum",
                             forward=lambda m, t: m._regression_output(t),
                             chunk_size=chunk_size, dtype=dtype)
    t2 = t1 if t2 is None else t2
    with no_tf32(), torch.no_grad():
        w, v = model.W.detach().to(dtype), model.V.detach().to(dtype)  # (h, 2p), (p, h)
        if chunk_size is None:
            return _quadratic_regression_ntk(w, v, t1, t2)
        return _tiled(lambda s1, s2: _quadratic_regression_ntk(w, v, t1[s1], t2[s2]),
                      t1.shape[0], t2.shape[0], chunk_size)
