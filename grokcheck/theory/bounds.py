"""Closed-form lower bounds for kernel methods on modular addition (Mohamadi+24 Thm 3.4, 3.5,
4.3; engine Thm D.1 / D.2 / Lemma D.4 / Cor D.8).

Setting. Points are x = (x_1, ..., x_m) in Z_p^m (regression: m = 3, x = (a, b, c), N = p^3;
classification: m = 2 input coordinates plus the label, i.e. the same p^3 table of
(a, b, label) entries). The target is Psi_sigma(x) = 1[sigma_1(x_1) + ... + sigma_{m-1}(x_{m-1})
= sigma_m(x_m) mod p] with sigma_i independent uniform permutations, ||Psi_sigma||_2^2 = p^(m-1)
(a sum over all p^m points). For ANY n-dimensional function space P (the span of
K(., x_t), t = 1..n, of any kernel at any training inputs; n p dimensions for a p-output
kernel in classification, Def 4.1),

    E_sigma inf_{f in P} ||f - Psi_sigma||^2 = tr((I - P) Sigma) >= sum_{i > n} lambda_i(Sigma)
                                           >= p^(m-1) (1 - 1/p - (n / p^m) e^{(m-1)/(p-1)}),

Sigma = E_sigma[Psi_sigma Psi_sigma^T] (Ky Fan for the first inequality).

Structure of Sigma (our derivation, re-deriving the paper's C_d). Sigma(x, x') depends only on
the Hamming distance d(x, x'): differences of distinct permuted values are uniform on the
non-zero residues, so Sigma(x, x') = C_d = (1/p) P(sum of d i.i.d. uniform non-zero residues = 0)
= (1/p^2)(1 - (1-p)^{-(d-1)}) (C_0 = 1/p, C_1 = 0), for every m. Hence Sigma = sum_d C_d A_d
lies in the Bose-Mesner algebra of the Hamming scheme H(m, p): its eigenvalues are
theta_j = sum_d C_d K_d(j) (Krawtchouk polynomials K_d(j) = sum_l (-1)^l (p-1)^(d-l)
C(j, l) C(m-j, d-l)) with multiplicity C(m, j) (p-1)^j. Summing the generating function
sum_d K_d(j) z^d = (1 + (p-1) z)^(m-j) (1 - z)^j at z = 1 and z = 1/(1-p) gives only two
non-zero eigenvalues: theta_0 = p^(m-2) (the constant vector) and
theta_m = p^(m-2) / (p-1)^(m-1) with multiplicity (p-1)^m. So for 1 <= n <= (p-1)^m + 1
the exact floor is sum_{i>n} lambda_i = p^(m-2) ((p-1)^m - n + 1) / (p-1)^(m-1); the paper's
bound replaces (n - 1) by n and (p/(p-1))^(m-1) by e^{(m-1)/(p-1)}.

Everything returns FRACTIONS of ||Psi||^2 = p^(m-1); cost O(m^2) per call.

Valid range (checked, ValueError outside): p an integer in [2, MAX_P], m in [2, MAX_M] (`krawtchouk`
also takes m = 1), n an integer in [0, number of points] (p^m for regression, p^(m-1) for
classification). Inside it every spectral quantity is computed in exact rational arithmetic
(`fractions.Fraction` over the integer Krawtchouk matrix) and rounded once at the end, so there
is no cancellation at any p: `spectral_floor` equals `spectral_floor_closed_form` to the last
bit for p = 10^9 as for p = 5 (the float64 evaluation it replaces lost every digit near p = 10^5,
where (p-1)^m eps exceeds the eigenvalues it subtracts).
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from grokcheck.theory.validation import check_int, check_modulus

TASKS = ("regression", "classification")
MAX_P = 2 ** 62   # the valid range of p (module docstring)
MAX_M = 32        # ... and of m


def _check(p: int, n: int, task: str, m: int) -> tuple[int, int, int]:
    """Validate and return (p, m, effective dimension n_eff = n or n p)."""
    p, m = _check_pm(p, m)
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    n_points = p ** (m - 1) if task == "classification" else p ** m
    n = check_int("n", n, 0)
    if n > n_points:
        raise ValueError(f"n must be <= the number of points {n_points} (p={p}, m={m}, {task}), got {n}")
    return p, m, (n * p if task == "classification" else n)


def _check_pm(p, m, m_min: int = 2) -> tuple[int, int]:
    """p in [2, MAX_P] and m in [m_min, MAX_M] as ints; ValueError otherwise."""
    p, m = check_modulus(p), check_int("m", m, m_min)
    if p > MAX_P:
        raise ValueError(f"p must be <= 2**62 (the bounds' valid range), got {p}")
    if m > MAX_M:
        raise ValueError(f"m must be <= {MAX_M} (the bounds' valid range), got {m}")
    return p, m


def _hamming_exact(p: int, m: int) -> list[Fraction]:
    """C_d, d = 0..m, as exact fractions (see `hamming_entries`)."""
    return [(1 - Fraction(1 - p) ** (1 - d)) / p ** 2 for d in range(m + 1)]


def _krawtchouk_exact(p: int, m: int) -> list[list[int]]:
    return [[sum((-1) ** l * (p - 1) ** (d - l) * math.comb(j, l) * math.comb(m - j, d - l)
                 for l in range(0, min(j, d) + 1)) for d in range(m + 1)] for j in range(m + 1)]


@lru_cache(maxsize=256)
def _spectrum_exact(p: int, m: int) -> tuple[tuple[Fraction, int], ...]:
    """((theta_j, multiplicity), j = 0..m) of Sigma in exact rationals."""
    c = _hamming_exact(p, m)
    kr = _krawtchouk_exact(p, m)
    return tuple((sum((kr[j][d] * c[d] for d in range(m + 1)), Fraction(0)), math.comb(m, j) * (p - 1) ** j)
                 for j in range(m + 1))


def _floor_exact(p: int, m: int, n_eff: int) -> Fraction:
    """sum_{i > n_eff} lambda_i(Sigma) / p^(m-1), exactly."""
    left, rest = n_eff, Fraction(0)
    for theta, mult in sorted(_spectrum_exact(p, m), key=lambda t: -t[0]):
        take = min(left, mult)
        left -= take
        rest += (mult - take) * max(theta, Fraction(0))
    return rest / p ** (m - 1)


def hamming_entries(p: int, m: int = 3) -> np.ndarray:
    """C_d = Sigma(x, x') for Hamming distance d = 0..m (Mohamadi+24 Lemma D.4): (m+1,) float64.

    C_d = (1/p^2)(1 - (1-p)^{-(d-1)}); C_0 = 1/p, C_1 = 0.
    """
    p, m = _check_pm(p, m)
    return np.array([float(c) for c in _hamming_exact(p, m)])


def krawtchouk(p: int, m: int) -> np.ndarray:
    """Krawtchouk matrix Kr[j, d] = K_d(j) of the Hamming scheme H(m, p): (m+1, m+1) float64.

    A_d (the distance-d adjacency matrix) acts as K_d(j) on the j-th eigenspace.
    """
    p, m = _check_pm(p, m, 1)
    return np.array(_krawtchouk_exact(p, m), dtype=np.float64)


@lru_cache(maxsize=256)
def sigma_spectrum(p: int, m: int = 3) -> tuple[tuple[float, int], ...]:
    """Distinct eigenvalues of Sigma with multiplicities, ((theta_j, C(m, j)(p-1)^j), j = 0..m).

    Computed from the Krawtchouk matrix in exact rationals, each eigenvalue rounded once.
    """
    p, m = _check_pm(p, m)
    return tuple((float(theta), mult) for theta, mult in _spectrum_exact(p, m))


def sigma_dense(p: int, m: int = 3) -> np.ndarray:
    """Sigma as a dense (p^m, p^m) float64 matrix, rows in lexicographic order (x_1 slowest).

    For cross-checks at small p only: memory p^(2m) doubles.
    """
    p, m = _check_pm(p, m)
    if p ** m > 5000:
        raise ValueError(f"sigma_dense is for small tables (p^m <= 5000), got p^m = {p ** m}")
    pts = np.stack(np.unravel_index(np.arange(p ** m), (p,) * m), axis=1)  # (p^m, m)
    dist = (pts[:, None, :] != pts[None, :, :]).sum(-1)  # (p^m, p^m)
    return hamming_entries(p, m)[dist]


def top_sum(p: int, n: int, task: str = "regression", m: int = 3) -> float:
    """sum_{i <= n_eff} lambda_i(Sigma) / p^(m-1), the best n_eff-dimensional capture."""
    p, m, n_eff = _check(p, n, task, m)
    return float(_floor_exact(p, m, 0) - _floor_exact(p, m, n_eff))


def spectral_floor(p: int, n: int, task: str = "regression", m: int = 3) -> float:
    """Exact sum_{i > n_eff} lambda_i(Sigma) / ||Psi||^2 (Thm D.1 engine, before relaxation).

    n_eff = n (regression, n training triples) or n p (classification: n training pairs, p
    outputs each, Def 4.1 / Thm D.2). This is the minimum over all n_eff-dimensional spaces
    of the permutation-averaged residual, attained by the top eigenvectors of Sigma.
    Raises ValueError for bad p, n, m or task.
    """
    p, m, n_eff = _check(p, n, task, m)
    return float(_floor_exact(p, m, n_eff))


def spectral_floor_closed_form(p: int, n: int, task: str = "regression", m: int = 3) -> float:
    """The two-eigenvalue closed form of `spectral_floor`: 1 (n_eff = 0), else
    max(0, (p-1)^m - n_eff + 1) / (p (p-1)^(m-1))."""
    p, m, n_eff = _check(p, n, task, m)
    if n_eff == 0:
        return 1.0
    return max(0, (p - 1) ** m - n_eff + 1) / (p * (p - 1) ** (m - 1))


def kernel_lower_bound(p: int, n: int, task: str = "regression", m: int = 3) -> float:
    """The paper's closed-form bound as a fraction of ||Psi||^2 (may be negative = vacuous).

    Thm D.1 / Cor D.8 (regression, m coordinates): 1 - 1/p - (n / p^m) e^{(m-1)/(p-1)};
    Thm D.2 (classification, n pairs, p outputs): 1 - 1/p - (n p / p^m) e^{(m-1)/(p-1)}
    = 1 - 1/p - (n / p^2) e^{2/(p-1)} at m = 3. Multiply by p^(m-1) for the residual, or read
    it as a fraction of L(Psi_0) = p for the population l2 loss of the target p 1[.].
    """
    p, m, n_eff = _check(p, n, task, m)
    return 1.0 - 1.0 / p - n_eff / p ** m * math.exp((m - 1) / (p - 1))


def half_loss_fraction(p: int, task: str = "regression", m: int = 3) -> float:
    """Largest n / N with kernel_lower_bound >= 1/2 (Thm 3.4 / 4.3: loss >= L(Psi_0)/2):
    (1/2 - 1/p) e^{-(m-1)/(p-1)} (as a fraction of the p^m, resp. p^(m-1), points)."""
    p, m, _ = _check(p, 0, task, m)
    return max(0.0, (0.5 - 1.0 / p) * math.exp(-(m - 1) / (p - 1)))


def span_basis(columns: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of the column span of `columns` (N, n) float64: (N, r).

    Pivoted QR; r counts |R_ii| > rtol |R_00| (the same cut-off a pseudo-inverse would use), so
    rank-deficient kernels (eNTK: rank <= 3ph, Prop B.6; random features) are handled. Cost O(N n^2).
    """
    import scipy.linalg
    columns = np.asarray(columns, dtype=np.float64)
    if columns.ndim != 2 or columns.shape[1] == 0:
        raise ValueError(f"columns must be (N, n) with n >= 1, got {columns.shape}")
    q, r, _ = scipy.linalg.qr(columns, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > rtol * diag[0]).sum()) if diag[0] > 0 else 0
    return q[:, :rank]


def projection_residuals(basis: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """inf_lambda ||F lambda - t||^2 = ||t||^2 - ||Q^T t||^2 for each column t of targets (N, B):
    (B,) float64 (sums over the N points, not fractions). basis: (N, r) from `span_basis`."""
    return (targets ** 2).sum(0) - ((basis.T @ targets) ** 2).sum(0)


def exact_perm_residual(basis: np.ndarray, p: int, m: int = 3) -> float:
    """E_sigma inf_lambda ||F lambda - Psi_sigma||^2 / p^(m-1) = tr((I - P) Sigma) / p^(m-1), exactly.

    Uses the two-eigenvalue structure of Sigma (module docstring): tr(P Sigma) =
    theta_0 ||Q^T 1||^2 / p^m + theta_m ||Pi Q||_F^2, with Pi the centring along each of the m axes
    (the projector onto characters with every frequency non-zero). basis: (p^m, r), rows in
    lexicographic order. Cost O(p^m r m).
    """
    p, m = _check_pm(p, m)
    if basis.shape[0] != p ** m:
        raise ValueError(f"basis must have p^m = {p ** m} rows, got {basis.shape[0]}")
    r = basis.shape[1]
    theta0, thetam = p ** (m - 2), p ** (m - 2) / (p - 1) ** (m - 1)
    centred = basis.T.reshape((r,) + (p,) * m)  # (r, p, ..., p)
    for axis in range(1, m + 1):
        centred = centred - centred.mean(axis=axis, keepdims=True)
    captured = theta0 * (basis.sum(0) ** 2).sum() / p ** m + thetam * (centred ** 2).sum()
    return float((p ** (m - 1) - captured) / p ** (m - 1))
