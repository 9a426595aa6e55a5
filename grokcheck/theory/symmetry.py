"""The permutation group of modular addition and its actions (Mohamadi+24 Def 3.2, Thm 3.3,
Prop 4.2, Cor C.7).

A group element is T = (sigma_1, ..., sigma_m), one permutation of Z_p per coordinate, stored as
an integer array `perms` of shape (m, p) with T(x)_i = perms[i, x_i]. It acts on
- inputs: triples (a, b, c) -> (sigma1(a), sigma2(b), sigma3(c)); pairs (a, b) -> (sigma1(a), sigma2(b));
- labels (classification, G_{X,Y}): y -> sigma3(y);
- quadratic-net weights (Thm 3.3): W' = W with its a-block columns moved j -> sigma1(j) and
  b-block columns j -> sigma2(j), V' = V with rows moved j -> sigma3(j), i.e.
  W'[:, sigma1(j)] = W[:, j], W'[:, p + sigma2(j)] = W[:, p + j], V'[sigma3(j)] = V[j],
  so that g(theta'; T x) = g(theta; x) for every x. (The paper writes W'_{i,j} = W_{i,sigma1(j)},
  which is the same action with sigma read as its inverse.)
Everything is a pure function of index arrays; numpy and torch integer arrays both work.
"""
from __future__ import annotations

import numpy as np
import torch

from grokcheck.theory.validation import check_int, check_modulus


def random_perms(p: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """One uniform random T: (m, p) int64, row i a permutation of range(p)."""
    p, m = check_modulus(p), check_int("m", m, 1)
    return np.stack([rng.permutation(p) for _ in range(m)])  # (m, p)


def random_perms_torch(p: int, m: int, generator: torch.Generator) -> torch.Tensor:
    """One uniform random T from a torch.Generator: (m, p) long."""
    p, m = check_modulus(p), check_int("m", m, 1)
    return torch.stack([torch.randperm(p, generator=generator) for _ in range(m)])  # (m, p)


def inverse_perms(perms):
    """Row-wise inverse permutations: inv[i, perms[i, j]] = j. Same shape and type."""
    if isinstance(perms, torch.Tensor):
        return torch.argsort(perms, dim=-1)
    return np.argsort(perms, axis=-1)


def act_on_points(points, perms):
    """T(x) for integer points (N, k) with k <= m coordinates: (N, k), x_i -> perms[i, x_i]."""
    if points.ndim != 2 or points.shape[1] > perms.shape[0]:
        raise ValueError(f"points must be (N, k) with k <= {perms.shape[0]}, got {tuple(points.shape)}")
    cols = [perms[i][points[:, i]] for i in range(points.shape[1])]
    return torch.stack(cols, 1) if isinstance(points, torch.Tensor) else np.stack(cols, 1)


def act_on_labels(labels, perms):
    """sigma_m(y) for classification labels (N,) (G_{X,Y}, Sec. 4): (N,)."""
    return perms[-1][labels]


def permuted_targets(points: np.ndarray, p: int, perms_batch: np.ndarray) -> np.ndarray:
    """Psi_sigma(x) = 1[sigma_1(x_1) + ... + sigma_{m-1}(x_{m-1}) = sigma_m(x_m) mod p] (Thm D.1).

    Args: points (N, m) int, perms_batch (B, m, p) int. Returns (N, B) float64. Cost O(N B m).
    """
    p = check_modulus(p)
    if perms_batch.ndim != 3 or perms_batch.shape[1] != points.shape[1]:
        raise ValueError(f"perms_batch must be (B, {points.shape[1]}, p), got {perms_batch.shape}")
    m = points.shape[1]
    lhs = sum(perms_batch[:, i, points[:, i]] for i in range(m - 1)) % p  # (B, N)
    return (lhs == perms_batch[:, m - 1, points[:, m - 1]]).T.astype(np.float64)  # (N, B)


def act_on_quadratic_weights(W: torch.Tensor, V: torch.Tensor, perms: torch.Tensor):
    """theta' = T(theta) for the quadratic net (Thm 3.3): W (h, 2p), V (p, h) -> (W', V').

    perms: (3, p) long (sigma1 on a, sigma2 on b, sigma3 on the output / c). Returns new tensors.
    """
    p = V.shape[0]
    if W.shape[1] != 2 * p or perms.shape != (3, p):
        raise ValueError(f"need W (h, 2p), V (p, h), perms (3, p); got {tuple(W.shape)}, "
                         f"{tuple(V.shape)}, {tuple(perms.shape)}")
    inv = inverse_perms(perms)
    col = torch.cat([inv[0], p + inv[1]])  # W'[:, j] = W[:, sigma^{-1}(j)] per block
    return W[:, col].clone(), V[inv[2]].clone()


def kernel_invariance_error(kernel_fn, points: torch.Tensor, perms: torch.Tensor) -> float:
    """max |K(Tx, Tx') - K(x, x')| / max |K(x, x')| over points (N, k) (Thm 2.4's condition).

    kernel_fn(points1, points2) -> (N1, N2). Zero (up to round-off) for an equivariant kernel.
    """
    k0 = kernel_fn(points, points)            # (N, N)
    moved = act_on_points(points, perms)      # (N, k)
    k1 = kernel_fn(moved, moved)              # (N, N)
    return float((k1 - k0).abs().max() / k0.abs().max().clamp_min(1e-300))
