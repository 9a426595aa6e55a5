"""Margins and norms (Mohamadi+24 Sec. 4: q, q_min, normalized l_inf margin, L_gamma)."""
from __future__ import annotations

import math

import torch


def linf_norm(tensors) -> float:
    """||theta||_inf: the largest absolute entry over all tensors."""
    return max(float(t.detach().abs().max()) for t in tensors)


def l2_norm(tensors) -> float:
    """||theta||_2 over all entries of all tensors."""
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in tensors)))


def margins(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """q(theta; x, y) = f_y - max_{y' != y} f_y' for logits (N, p), labels (N,) -> (N,)."""
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"need logits (N, p) and labels (N,), got {tuple(logits.shape)}, {tuple(labels.shape)}")
    true = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return true - others.max(dim=1).values


def normalized_linf_margin(q_min: float, linf: float, degree: int = 3) -> float:
    """q_min(theta / ||theta||_inf) = q_min(theta) / ||theta||_inf^degree for a degree-homogeneous f."""
    if linf <= 0:
        raise ValueError(f"||theta||_inf must be > 0, got {linf}")
    return q_min / linf**degree


def margin_loss(q: torch.Tensor, gamma: float) -> float:
    """L_gamma: fraction of points with margin q <= gamma (L_0 is the 0-1 error)."""
    return float((q <= gamma).double().mean())


def pac_bayes_margin_rate(q: torch.Tensor, linf: float, p: int, width: int) -> dict:
    """Thm 4.6's right-hand side with its unknown constant and log factors set to 1, minimized over
    the margin level gamma (Mohamadi+24 Thm 4.6):

        B(gamma) = L_gamma(train) + sqrt(p / n) (h^2 / (gamma / r^3))^(1/3),   r = ||theta||_inf,

    over gamma in the positive training margins q (n,). Returns {"bound": min_gamma B, "gamma": the
    argmin, "normalized": gamma / r^3, "sqrt_h": sqrt(h)} (the theorem assumes gamma / r^3 = Omega(sqrt h));
    bound = inf when no margin is positive. A rate to compare, not a certified bound."""
    if q.ndim != 1 or q.numel() == 0:
        raise ValueError(f"need training margins q (n,), got {tuple(q.shape)}")
    if linf <= 0 or p < 2 or width < 1:
        raise ValueError(f"need ||theta||_inf > 0, p >= 2, width >= 1; got {linf}, {p}, {width}")
    n = q.numel()
    best = {"bound": math.inf, "gamma": None, "normalized": None, "sqrt_h": math.sqrt(width)}
    for gamma in sorted({float(v) for v in q.detach().double() if v > 0}):
        b = margin_loss(q, gamma) + math.sqrt(p / n) * (width ** 2 / (gamma / linf ** 3)) ** (1 / 3)
        if b < best["bound"]:
            best.update(bound=b, gamma=gamma, normalized=gamma / linf ** 3)
    return best
