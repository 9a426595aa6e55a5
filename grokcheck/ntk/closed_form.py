"""Closed-form eNTK of the quadratic net f = V (W x)^2 on index pairs and triples (no autodiff).

Mohamadi+24 Sec. 2 network; the formulas are in ntk/empirical.py's module docstring:
    Theta_{oo'}(x, x') = [o=o'] sum_k h_k^2 h'_k^2 + 4 (x.x') sum_k V_ok V_o'k h_k h'_k,
with x.x' = [a=a'] + [b=b'] nonzero on 2p-1 of p^2 pairs, done group by group (one bmm).
Plain functions of the weights: `quadratic_ntk(W, V, x1, x2, output)` (logits, index pairs) and
`quadratic_regression_ntk(W, V, t1, t2)` (the regression scalar, triples); no module, no autodiff.
`ntk.empirical.empirical_ntk(..., method="closed_form")` and `regression_ntk` call them.
"""
from __future__ import annotations

import torch

from grokcheck.theory.validation import check_index_tensor


def _padded_groups(b: torch.Tensor, g: torch.Tensor, n_values: int):
    """Rows of b (n, h) grouped by value g (n,): padded (G, m, h) and row ids (G, m), -1 = pad."""
    counts = torch.bincount(g, minlength=n_values)  # (G,)
    order = torch.argsort(g, stable=True)  # (n,)
    gs = g[order]
    pos = torch.arange(len(g), device=g.device) - (torch.cumsum(counts, 0) - counts)[gs]  # (n,)
    m = int(counts.max())
    padded = b.new_zeros(n_values, m, b.shape[1])  # (G, m, h)
    padded[gs, pos] = b[order]
    ids = torch.full((n_values, m), -1, dtype=torch.long, device=g.device)  # (G, m)
    ids[gs, pos] = order
    return padded, ids


def _group_add(k, b1, b2, g1, g2, n_values, scale=1.0) -> None:
    """k += scale * [g1_i = g2_j] * <b1_i, b2_j>: one batched matmul over the groups.

    Only pairs in the same group are touched ((2p-1)/p^2 of the full table for the overlap),
    in one bmm (G, m1, h) x (G, h, m2) and one scatter-add; many small matmuls would each pay
    a thread-synchronization cost on a busy CPU. Falls back to a dense masked product when
    the groups are so unbalanced that padding would cost more than the dense product.
    """
    p1, ids1 = _padded_groups(b1, g1, n_values)
    p2, ids2 = _padded_groups(b2, g2, n_values)
    if n_values * ids1.shape[1] * ids2.shape[1] > 2 * len(g1) * len(g2):
        k += scale * (g1[:, None] == g2[None, :]).to(k.dtype) * (b1 @ b2.T)
        return
    blk = torch.bmm(p1, p2.transpose(1, 2))  # (G, m1, m2)
    valid = (ids1[:, :, None] >= 0) & (ids2[:, None, :] >= 0)  # (G, m1, m2)
    rows = ids1[:, :, None].expand_as(valid)[valid]
    cols = ids2[:, None, :].expand_as(valid)[valid]
    k.index_put_((rows, cols), blk[valid] * scale, accumulate=True)


def check_indices(x: torch.Tensor, cols: int, p: int, what: str) -> torch.Tensor:
    """x itself when it is an integer (N, cols) tensor with entries in [0, p); ValueError otherwise."""
    check_index_tensor(what, x, cols, p)
    return x


def _check_weights(W: torch.Tensor, V: torch.Tensor) -> int:
    """p for weights W (h, 2p), V (p, h); ValueError otherwise."""
    if W.ndim != 2 or V.ndim != 2 or W.shape[1] != 2 * V.shape[0] or W.shape[0] != V.shape[1]:
        raise ValueError(f"need W (h, 2p) and V (p, h), got {tuple(W.shape)} and {tuple(V.shape)}")
    return V.shape[0]


def _hidden(w: torch.Tensor, x: torch.Tensor, p: int) -> torch.Tensor:
    """Hidden pre-activations h = W x, row-major (bmm on column-major views copies per batch)."""
    wt = w.T.contiguous()  # (2p, width)
    return wt[x[:, 0]] + wt[p + x[:, 1]]  # (n, width)


def quadratic_ntk(W: torch.Tensor, V: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor | None = None,
                  output="trace_mean", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Closed-form eNTK of the logits of f = V (W x)^2 on index pairs (module docstring).

    Args: W (h, 2p), V (p, h); x1 (N1, 2), x2 (N2, 2) or None (= x1) long index pairs in [0, p);
        output "trace_mean" | "trace_sum" | "full" | an int logit (ntk.empirical's conventions).
    Returns: (N1, N2), or (N1, N2, p, p) for "full", in `dtype`. Inputs are validated.
    """
    p = _check_weights(W, V)
    x1 = check_indices(x1, 2, p, "index pairs")
    x2 = x1 if x2 is None else check_indices(x2, 2, p, "index pairs")
    if not (output in ("trace_mean", "trace_sum", "full") or
            (isinstance(output, int) and not isinstance(output, bool) and 0 <= output < p)):
        raise ValueError(f"output must be trace_mean, trace_sum, full or a logit in [0, {p}), got {output!r}")
    with torch.no_grad():
        return _quadratic_ntk(W.detach().to(dtype), V.detach().to(dtype), x1, x2, output, dtype)


def _quadratic_ntk(w, v, x1, x2, output, dtype) -> torch.Tensor:
    """`quadratic_ntk` on validated inputs: w (h, 2p), v (p, h) already in `dtype`."""
    p = v.shape[0]
    h1 = _hidden(w, x1, p)  # (n1, h)
    h2 = h1 if x2 is x1 else _hidden(w, x2, p)  # (n2, h)
    if output == "full":
        ov = ((x1[:, None, 0] == x2[None, :, 0]).to(dtype)
              + (x1[:, None, 1] == x2[None, :, 1]).to(dtype))  # (n1, n2)
        g = h1[:, None, :] * h2[None, :, :]  # (n1, n2, h)
        k = 4 * ov[:, :, None, None] * torch.einsum("ijk,ok,qk->ijoq", g, v, v)  # (n1,n2,O,O)
        dense = (h1 * h1) @ (h2 * h2).T  # (n1, n2)
        k.diagonal(dim1=2, dim2=3).add_(dense[:, :, None])
        return k
    if isinstance(output, int):
        d, coef = v[output] ** 2, 1.0  # (h,)
    elif output == "trace_sum":
        d, coef = (v * v).sum(0), float(p)
    else:
        d, coef = (v * v).mean(0), 1.0
    a2 = h2 * h2  # (n2, h)
    a1 = a2 if x2 is x1 else h1 * h1  # (n1, h)
    if coef != 1.0:
        a1 = a1 * coef
    k = a1 @ a2.T  # (n1, n2): [o=o'] sum_k h_k^2 h'_k^2 part
    b1 = h1 * d.sqrt()  # (n1, h)
    b2 = b1 if x2 is x1 else h2 * d.sqrt()  # (n2, h)
    if _is_table(x1, p) and _is_table(x2, p):  # full table, a-major: diagonal views, no scatter
        k4 = k.view(p, p, p, p)  # [a, b, a', b']
        b1t, b2t = b1.view(p, p, -1), b2.view(p, p, -1)  # [a, b, h]
        blk = torch.bmm(b1t, b2t.transpose(1, 2))  # [a, b, b']: pairs with a = a'
        k4.diagonal(dim1=0, dim2=2).add_(blk.permute(1, 2, 0), alpha=4.0)  # view [b, b', a]
        blk = torch.bmm(b1t.transpose(0, 1), b2t.transpose(0, 1).transpose(1, 2))  # [b, a, a']
        k4.diagonal(dim1=1, dim2=3).add_(blk.permute(1, 2, 0), alpha=4.0)  # view [a, a', b]
        return k
    for col in (0, 1):  # 4 ([a=a'] + [b=b']) <b1, b2>
        _group_add(k, b1, b2, x1[:, col], x2[:, col], p, 4.0)
    return k


def _is_table(x: torch.Tensor, p: int) -> bool:
    """True when x (N, 2) is the full table in a-major order: x[a*p + b] = (a, b)."""
    if x.shape[0] != p * p:
        return False
    r = torch.arange(p * p, device=x.device)
    return bool((x[:, 0] == r // p).all() and (x[:, 1] == r % p).all())


def quadratic_regression_ntk(W: torch.Tensor, V: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor | None = None,
                              dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Closed-form eNTK of the regression scalar g = f_c(a, b):
    K = [c=c'] <h^2, h'^2> + 4 ([a=a'] + [b=b']) <h * V_c, h' * V_c'>.

    Args: W (h, 2p), V (p, h); triples t1 (N1, 3), t2 (N2, 3) or None (= t1) long in [0, p).
    Returns: (N1, N2) in `dtype`. Inputs are validated."""
    p = _check_weights(W, V)
    t1 = check_indices(t1, 3, p, "triples")
    t2 = t1 if t2 is None else check_indices(t2, 3, p, "triples")
    with torch.no_grad():
        return _quadratic_regression_ntk(W.detach().to(dtype), V.detach().to(dtype), t1, t2)


def _quadratic_regression_ntk(w, v, t1, t2) -> torch.Tensor:
    """`quadratic_regression_ntk` on validated inputs, w and v already in the output dtype."""
    p = v.shape[0]
    h1 = _hidden(w, t1, p)  # (n1, h)
    h2 = h1 if t2 is t1 else _hidden(w, t2, p)  # (n2, h)
    k = h1.new_zeros(t1.shape[0], t2.shape[0])  # (n1, n2)
    _group_add(k, h1 * h1, h2 * h2, t1[:, 2], t2[:, 2], p)
    b1, b2 = h1 * v[t1[:, 2]], h2 * v[t2[:, 2]]  # (n, h)
    for col in (0, 1):
        _group_add(k, b1, b2, t1[:, col], t2[:, col], p, 4.0)
    return k
