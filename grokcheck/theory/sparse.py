"""Sparse and low-rank recovery problems (Tikeng Notsawo, Dumas, Rabusseau, ICML 2025,
"Grokking Beyond the Euclidean Norm", Sec. 3-5; reference repo sparse_recovery/).

Compressed sensing (CS): a* in R^n has s nonzero coordinates ~ N(0, 1)/sqrt(n) (basis
Phi = I, as in the reference code); X is (N, n) Gaussian with entry variance 1/N; y = X a*.
Matrix completion (MC): A* = U V^T / sqrt(2) of rank r, rescaled to ||A*||_F = fro; one
observation reads one entry, i.e. a one-hot row of the (N, n1 n2) sensing matrix.

Data selection (Sec. 6): a fraction tau of the N rows is replaced by informative ones
(CS: coordinate reads e_j; MC: the entries of highest local coherence mu_i + nu_j), the
rest of the data set fixed. Both samplers are nested in tau (the same random rows are kept).

All samplers take a `torch.Generator`; every tensor is float64. Pure functions, no I/O.
"""
from __future__ import annotations

import math

import torch

from grokcheck.theory.validation import check_int

DTYPE = torch.float64


def _check_tau(tau) -> float:
    tau = float(tau)
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau}")
    return tau


def sparse_vector(n: int, s: int, generator: torch.Generator) -> torch.Tensor:
    """a* with s nonzero coordinates ~ N(0, 1)/sqrt(n) at random positions: (n,) float64."""
    n, s = check_int("n", n, 1), check_int("s", s, 1)
    if s > n:
        raise ValueError(f"sparsity s={s} exceeds dimension n={n}")
    a = torch.zeros(n, dtype=DTYPE)  # (n,)
    support = torch.randperm(n, generator=generator)[:s]
    a[support] = torch.randn(s, generator=generator, dtype=DTYPE) / math.sqrt(n)
    return a


def gaussian_sensing(N: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """X with i.i.d. N(0, 1/N) entries: (N, n) float64."""
    N, n = check_int("N", N, 1), check_int("n", n, 1)
    return torch.randn(N, n, generator=generator, dtype=DTYPE) / math.sqrt(N)  # (N, n)


def sparse_instances(K: int, n: int, s: int, N: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """K sparse-recovery instances from one generator seeded with `seed` (per instance: a* then X):
    X (K, N, n), a* (K, n), y = X a* (K, N), float64."""
    g = torch.Generator().manual_seed(int(seed))
    A, X = [], []
    for _ in range(check_int("K", K, 1)):
        A.append(sparse_vector(n, s, g))
        X.append(gaussian_sensing(N, n, g))
    X, A = torch.stack(X), torch.stack(A)
    return X, A, torch.einsum("knd,kd->kn", X, A)


def select_coordinate_reads(X: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
    """CS data selection: the first floor(tau N) rows of X become coordinate reads e_j.

    The coordinates j are the first floor(tau N) entries of one random permutation of
    range(n) drawn from `generator` (so the sets are nested in tau for a fixed generator
    state); the other rows of X are unchanged. Returns a new (N, n) tensor.
    Raises ValueError for tau outside [0, 1] or floor(tau N) > n.
    """
    tau = _check_tau(tau)
    N, n = X.shape
    k = math.floor(tau * N + 1e-9)
    if k > n:
        raise ValueError(f"floor(tau N) = {k} coordinate reads exceed n = {n}")
    coords = torch.randperm(n, generator=generator)[:k]
    out = X.clone()
    out[:k] = 0.0
    out[torch.arange(k), coords] = 1.0
    return out


def low_rank_matrix(n1: int, n2: int, r: int, generator: torch.Generator,
                    fro: float = 10.0) -> torch.Tensor:
    """A* = U V^T / sqrt(2), U (n1, r), V (n2, r) Gaussian, rescaled to ||A*||_F = fro."""
    n1, n2, r = check_int("n1", n1, 1), check_int("n2", n2, 1), check_int("r", r, 1)
    if r > min(n1, n2):
        raise ValueError(f"rank r={r} exceeds min(n1, n2)={min(n1, n2)}")
    u = torch.randn(n1, r, generator=generator, dtype=DTYPE)
    v = torch.randn(n2, r, generator=generator, dtype=DTYPE)
    a = u @ v.T / math.sqrt(2)  # (n1, n2)
    return a * (fro / torch.linalg.matrix_norm(a))


def local_coherence(A: torch.Tensor, r: int) -> torch.Tensor:
    """Scores P_ij = mu_i + nu_j with mu_i = (n1/r) ||U_i||^2, nu_j = (n2/r) ||V_j||^2,
    U, V the top-r singular vectors of A (Candes-Recht leverage scores): (n1, n2)."""
    n1, n2 = A.shape
    u, _, vh = torch.linalg.svd(A, full_matrices=False)
    mu = n1 / r * (u[:, :r] ** 2).sum(1)   # (n1,)
    nu = n2 / r * (vh[:r].T ** 2).sum(1)   # (n2,)
    return mu[:, None] + nu[None, :]


def coherence(A: torch.Tensor, r: int) -> float:
    """Incoherence parameter max(max_i mu_i, max_j nu_j) in [1, n/r] (1 = perfectly spread)."""
    n1, n2 = A.shape
    u, _, vh = torch.linalg.svd(A, full_matrices=False)
    return max(float(n1 / r * (u[:, :r] ** 2).sum(1).max()), float(n2 / r * (vh[:r] ** 2).sum(0).max()))


def completion_entries(A: torch.Tensor, N: int, tau: float, r: int,
                       generator: torch.Generator) -> torch.Tensor:
    """MC data selection: N distinct flat indices (i n2 + j) of observed entries, (N,) long.

    The first floor(tau N) are the entries with the highest local coherence of A (ties by
    index); the rest follow one fixed random order of all entries drawn from `generator`,
    skipping those already chosen. tau = 0 is uniform sampling without replacement.
    """
    tau = _check_tau(tau)
    n1, n2 = A.shape
    N = check_int("N", N, 1)
    if N > n1 * n2:
        raise ValueError(f"N={N} observations exceed the {n1 * n2} entries")
    k = math.floor(tau * N + 1e-9)
    order = torch.randperm(n1 * n2, generator=generator)
    top = torch.argsort(local_coherence(A, r).reshape(-1), descending=True, stable=True)[:k]
    taken = torch.zeros(n1 * n2, dtype=torch.bool)
    taken[top] = True
    rest = order[~taken[order]][: N - k]
    return torch.cat([top, rest])


def completion_sensing(entries: torch.Tensor, n1: int, n2: int) -> torch.Tensor:
    """One-hot sensing rows for observed flat indices: (N, n1 n2) float64, X vec(A) = A[entries]."""
    X = torch.zeros(len(entries), n1 * n2, dtype=DTYPE)  # (N, n1 n2)
    X[torch.arange(len(entries)), entries] = 1.0
    return X


def least_squares_min_norm(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """a_LS = X^+ y, the minimum-l2-norm interpolant (the limit of GD from 0): (n,)."""
    return torch.linalg.pinv(X) @ y


def relative_error(a: torch.Tensor, target: torch.Tensor, ndim: int = 1) -> torch.Tensor:
    """||a - target|| / ||target|| over the last `ndim` dims (2 = Frobenius for matrices);
    leading dims are a batch: a, target (..., d) -> (...)."""
    dims = tuple(range(-ndim, 0))
    return torch.linalg.vector_norm(a - target, dim=dims) / torch.linalg.vector_norm(target, dim=dims)
