"""Norm penalties, their subgradients and proximal operators (Mohamadi+24 eq. 2.2;
Tikeng Notsawo+25 update rule x <- x - lr (G(x) + beta H(x))).

Each penalty acts on a list of tensors (the model's weights) and returns a scalar:
- "linf":    max |theta_i| over all entries of all tensors (the paper's ||theta||_inf);
- "l1":      sum |theta_i| (entrywise);
- "l2":      sum theta_i^2 / 2 (classic weight decay; subgradient theta);
- "fro":     sum over tensors of the unsquared Frobenius norm ||W||_F (torch.norm(W, 2));
- "nuclear": sum over matrices of the sum of singular values (subgradient U V^T).
Subgradients use sign(0) = 0 and, for linf, put sign(theta_i) / k on each of the k entries
attaining the max (a valid subgradient: a convex combination of the extreme ones).
"""
from __future__ import annotations

import torch

PENALTIES = ("linf", "l1", "l2", "fro", "nuclear")


def check_penalty(name: str) -> str:
    if name not in PENALTIES:
        raise ValueError(f"unknown penalty {name!r}; expected one of {', '.join(PENALTIES)}")
    return name


def penalty_value(name: str, tensors) -> torch.Tensor:
    """The penalty of `tensors` (an iterable of tensors) as a 0-d tensor, differentiable."""
    check_penalty(name)
    tensors = list(tensors)
    if name == "linf":
        return torch.stack([t.abs().max() for t in tensors]).max()
    if name == "l1":
        return sum(t.abs().sum() for t in tensors)
    if name == "l2":
        return sum((t * t).sum() for t in tensors) / 2
    if name == "fro":
        return sum(torch.linalg.vector_norm(t) for t in tensors)
    return sum(torch.linalg.matrix_norm(t, ord="nuc").sum() for t in _matrices(tensors))  # (..., n1, n2): sum over batch


def penalty_subgradient(name: str, tensors, *, runs: bool = False) -> list[torch.Tensor]:
    """A subgradient of `penalty_value(name, tensors)`, one tensor per input, no autograd.

    runs=True: every tensor carries a leading run axis (R, ...) of independent models (the
    stacked parameters of models/batched.py); each run gets the subgradient of its own penalty
    (its own max, norm or matrices), exactly as if called on that run's tensors alone."""
    check_penalty(name)
    tensors = [t.detach() for t in tensors]
    lead = 1 if runs else 0  # leading run axes, never reduced over

    def per_run(v: torch.Tensor, t: torch.Tensor) -> torch.Tensor:  # (R,) or 0-d -> broadcastable to t
        return v.reshape(*v.shape, *[1] * (t.ndim - lead)).to(t.dtype)

    if name == "l1":
        return [torch.sign(t) for t in tensors]
    if name == "l2":
        return [t.clone() for t in tensors]
    if name == "fro":
        norms = [per_run(torch.linalg.vector_norm(t.flatten(lead), dim=-1), t) for t in tensors]
        return [torch.where(n > 0, t / n.clamp_min(1e-300), torch.zeros_like(t)) for t, n in zip(tensors, norms)]
    if name == "nuclear":
        out = []
        for t in tensors:
            if t.ndim < 2 + lead:
                out.append(torch.zeros_like(t))
                continue
            u, s, vh = torch.linalg.svd(t, full_matrices=False)
            keep = (s > 0).to(t.dtype)
            out.append((u * keep[..., None, :]) @ vh)  # batched (..., n1, n2) stacks of matrices too
        return out
    top = torch.stack([t.abs().flatten(lead).amax(-1) for t in tensors]).amax(0)  # (R,) or 0-d
    masks = [(t.abs() == per_run(top, t)) & (per_run(top, t) > 0) for t in tensors]
    k = sum(m.flatten(lead).sum(-1) for m in masks).clamp_min(1)  # entries attaining the max
    return [torch.sign(t) * m.to(t.dtype) / per_run(k, t) for t, m in zip(tensors, masks)]


def prox_l1(x: torch.Tensor, threshold: float) -> torch.Tensor:
    """Soft thresholding, argmin_z ||z - x||^2 / 2 + threshold ||z||_1 (ISTA step)."""
    return torch.sign(x) * torch.clamp(x.abs() - threshold, min=0.0)


def prox_nuclear(x: torch.Tensor, threshold: float) -> torch.Tensor:
    """Singular-value soft thresholding, the prox of threshold * ||X||_* for a matrix x."""
    u, s, vh = torch.linalg.svd(x, full_matrices=False)
    return (u * torch.clamp(s - threshold, min=0.0)) @ vh


def _matrices(tensors):
    return [t for t in tensors if t.ndim >= 2]
