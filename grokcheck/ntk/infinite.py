"""Expected (over the initialization) and permutation-equivariant kernels on one-hot pairs.

Mohamadi+24 Prop B.3: for f = V (W x)^2 with W_ij iid, variance sigma_W^2 and kurtosis kappa
(E w^4 = kappa sigma_W^4), the second-layer (V-gradient) part of the regression eNTK,
L(x, x') = sum_k [c=c'] h_k^2 h'_k^2, has expectation
    E L = h sigma_W^4 [c=c'] (4 + (kappa-1)[a=a'] + (kappa-1)[b=b'] + 4 [a=a', b=b']),
(h = width), kappa = 9/5 and sigma_W^2 = s_W^2 / 3 for Uniform[-s_W, s_W]. Derivation: with
h_k = u + v (u = W_ka, v = W_k,p+b), E[(u+v)^2 (u'+v')^2] = 4 sigma^4 for disjoint pairs,
(kappa+3) sigma^4 when one index is shared, (2 kappa + 6) sigma^4 when both are.
The first-layer (W-gradient) part 4 (x.x') sum_k V_ck V_c'k h_k h'_k, with V independent of
W, iid variance sigma_V^2, has expectation 4 h sigma_V^2 sigma_W^2 [c=c'] (x.x')^2.
On pairs (classification) the same formulas hold per logit without [c=c'] (the eNTK of one
logit, equal in expectation to the trace-mean eNTK; the trace-sum one is O times larger).
"""
from __future__ import annotations

import math

import torch

from grokcheck.theory.validation import check_int, check_modulus

KAPPA_UNIFORM = 9.0 / 5.0  # kurtosis E w^4 / (E w^2)^2 of a uniform distribution
PARTS = ("total", "second_layer", "first_layer")


def _pairs_or_triples(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.is_floating_point() or x.ndim != 2 or x.shape[1] not in (2, 3):
        raise ValueError(f"{name} must be integer index pairs (N, 2) or triples (N, 3), got "
                         f"{x.dtype} {tuple(x.shape)}")
    return x


def _match(x1, x2, col) -> torch.Tensor:
    return (x1[:, None, col] == x2[None, :, col]).to(torch.float64)  # (N1, N2)


def quadratic_init_bounds(p: int, width: int, init_scale: float = 1.0) -> tuple[float, float]:
    """Half-widths (s_W, s_V) of QuadraticNet's uniform init: init_scale / sqrt(fan_in)."""
    check_modulus(p)
    check_int("width", width, 1)
    return init_scale / math.sqrt(2 * p), init_scale / math.sqrt(width)


def expected_quadratic_ntk(x1: torch.Tensor, x2: torch.Tensor | None = None, *, width: int,
                           s_w: float, s_v: float | None = None, kappa: float = KAPPA_UNIFORM,
                           part: str = "total") -> torch.Tensor:
    """E over the init of the quadratic net's eNTK (Prop B.3, module docstring), float64.

    Args:
        x1, x2: triples (N, 3) for the regression scalar g = f_c(a, b), or pairs (N, 2) for
            one logit (= the trace-mean eNTK in expectation); x2 None means x1.
        width: hidden units h; s_w, s_v: uniform half-widths of W and V (`quadratic_init_bounds`),
            sigma^2 = s^2 / 3; kappa: kurtosis of W's entries (9/5 uniform, 3 Gaussian).
        part: "second_layer" (Prop B.3 as stated, needs no s_v), "first_layer" or "total".
    Returns: (N1, N2) float64. Cost O(N1 N2).
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    check_int("width", width, 1)
    if not s_w > 0:
        raise ValueError(f"s_w must be > 0, got {s_w}")
    if part != "second_layer" and not (s_v is not None and s_v > 0):
        raise ValueError(f"part={part!r} needs s_v > 0 (V's init half-width), got {s_v}")
    x1 = _pairs_or_triples(x1, "x1")
    x2 = x1 if x2 is None else _pairs_or_triples(x2, "x2")
    if x1.shape[1] != x2.shape[1]:
        raise ValueError("x1 and x2 must both be pairs or both be triples")
    var_w = s_w ** 2 / 3
    same_a, same_b = _match(x1, x2, 0), _match(x1, x2, 1)  # (N1, N2)
    same_c = _match(x1, x2, 2) if x1.shape[1] == 3 else torch.ones_like(same_a)
    k = torch.zeros_like(same_a)  # (N1, N2)
    if part in ("total", "second_layer"):
        k += width * var_w ** 2 * same_c * (4 + (kappa - 1) * (same_a + same_b)
                                            + 4 * same_a * same_b)
    if part in ("total", "first_layer"):
        k += 4 * width * (s_v ** 2 / 3) * var_w * same_c * (same_a + same_b) ** 2
    return k


def monte_carlo_quadratic_ntk(x1: torch.Tensor, x2: torch.Tensor | None = None, *, p: int,
                              width: int, n_inits: int, generator: torch.Generator,
                              init_scale: float = 1.0,
                              batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard error over `n_inits` iid inits of the quadratic net's eNTK.

    Each init draws W ~ U[-s_W, s_W]^(h x 2p), V ~ U[-s_V, s_V]^(p x h) as QuadraticNet does
    (`quadratic_init_bounds`), `batch` inits at a time, and evaluates the closed form
    (ntk/empirical.py) vectorized over inits on x1's device (the draws are made on the
    generator's device and moved, so CPU and CUDA see the same inits): triples (N, 3) give the regression eNTK,
    pairs (N, 2) the eNTK of logit 0. Returns two (N1, N2) float64 tensors: the sample mean
    and its standard error s / sqrt(n_inits). Cost ~ n_inits N1 N2 width.
    """
    check_int("n_inits", n_inits, 2)
    check_int("batch", batch, 1)
    x1 = _pairs_or_triples(x1, "x1")
    x2 = x1 if x2 is None else _pairs_or_triples(x2, "x2")
    s_w, s_v = quadratic_init_bounds(p, width, init_scale)
    if int(torch.cat([x1, x2]).max()) >= p or int(torch.cat([x1, x2]).min()) < 0:
        raise ValueError(f"indices must lie in [0, {p})")
    ov = _match(x1, x2, 0) + _match(x1, x2, 1)  # (N1, N2)
    same_c = _match(x1, x2, 2) if x1.shape[1] == 3 else 1.0
    total = total_sq = 0.0
    gdev, dev = generator.device, x1.device  # draws on the generator's device (CPU streams), used on x's
    for start in range(0, n_inits, batch):
        m = min(batch, n_inits - start)
        w = (torch.rand(m, width, 2 * p, generator=generator, dtype=torch.float64, device=gdev).to(dev) * 2 - 1) * s_w
        v = (torch.rand(m, p, width, generator=generator, dtype=torch.float64, device=gdev).to(dev) * 2 - 1) * s_v
        h1 = w[:, :, x1[:, 0]] + w[:, :, p + x1[:, 1]]  # (m, h, N1)
        h2 = w[:, :, x2[:, 0]] + w[:, :, p + x2[:, 1]]  # (m, h, N2)
        c1 = x1[:, 2] if x1.shape[1] == 3 else torch.zeros_like(x1[:, 0])  # logit / c
        c2 = x2[:, 2] if x2.shape[1] == 3 else torch.zeros_like(x2[:, 0])
        v1, v2 = v[:, c1].transpose(1, 2), v[:, c2].transpose(1, 2)  # (m, h, N)
        k = same_c * torch.einsum("mki,mkj->mij", h1 * h1, h2 * h2)  # (m, N1, N2)
        k = k + 4 * ov * torch.einsum("mki,mkj->mij", h1 * v1, h2 * v2)
        total = total + k.sum(0)
        total_sq = total_sq + (k * k).sum(0)
    mean = total / n_inits
    var = (total_sq / n_inits - mean * mean).clamp_min(0) * n_inits / (n_inits - 1)
    return mean, (var / n_inits).sqrt()


def equivariant_pair_kernel(x1: torch.Tensor, x2: torch.Tensor | None = None, *, alpha: float,
                            beta: float, gamma: float) -> torch.Tensor:
    """K = alpha + beta ([a=a'] + [b=b']) + gamma [a=a', b=b'] on index pairs, float64.

    Every kernel on one-hot pairs that is invariant under relabelling each input coordinate
    (and that depends on x only through x.x' and equality) has this 3-valued form; e.g. the
    infinite-width NTK/NNGP of an iid-Gaussian first layer (anchors.md Sec. 2). PSD iff the
    eigenvalues alpha p^2 + 2 beta p + gamma, beta p + gamma, gamma are >= 0 (full table).
    Args: x1 (N1, 2), x2 (N2, 2) or None. Returns (N1, N2). Cost O(N1 N2).
    """
    x1 = _pairs_or_triples(x1, "x1")
    x2 = x1 if x2 is None else _pairs_or_triples(x2, "x2")
    if x1.shape[1] != 2 or x2.shape[1] != 2:
        raise ValueError("equivariant_pair_kernel takes index pairs (N, 2)")
    same_a, same_b = _match(x1, x2, 0), _match(x1, x2, 1)  # (N1, N2)
    return alpha + beta * (same_a + same_b) + gamma * same_a * same_b
