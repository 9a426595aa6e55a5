"""Unit tests of theory/bounds.py: structured spectrum vs dense eigh, the closed forms, and
negative controls (a corrupted Sigma, a too-large n, a non-equivariant kernel at sigma = id)."""
import math

import numpy as np
import pytest

from grokcheck.theory import bounds
from grokcheck.theory.symmetry import permuted_targets
from grokcheck.claims.mohamadi import kernel_lower_bound as klb

RTOL_F64 = klb.RTOL_F64


@pytest.mark.parametrize("p,m", [(2, 2), (3, 3), (5, 2), (5, 3), (4, 4)])
def test_structured_floor_matches_dense_eigh(p, m):
    ev = np.sort(np.linalg.eigvalsh(bounds.sigma_dense(p, m)))[::-1]
    for n in range(p ** m + 1):
        assert bounds.spectral_floor(p, n, m=m) == pytest.approx(ev[n:].sum() / p ** (m - 1), abs=RTOL_F64), n


def test_sigma_entries_match_monte_carlo():
    """Sigma = E_sigma Psi Psi^T (Lemma D.4) against 3000 sampled permutations, 5 SE per entry."""
    p, n_perm = 5, 3000
    rng = np.random.default_rng(1)
    table = klb.triple_table(p)
    perms = np.stack([np.stack([rng.permutation(p) for _ in range(3)]) for _ in range(n_perm)])
    psi = permuted_targets(table, p, perms)  # (p^3, B)
    emp = psi @ psi.T / n_perm
    exact = bounds.sigma_dense(p, 3)
    se = np.sqrt(exact * (1 - exact) / n_perm) + 1e-12
    assert np.max(np.abs(emp - exact) / se) < 5.5  # 15625 entries: 5.5 SE keeps P(false alarm) < 1e-3


@pytest.mark.parametrize("p", [3, 11, 97])
def test_two_eigenvalues(p):
    spec = dict((round(t, 12), mult) for t, mult in bounds.sigma_spectrum(p, 3) if t != 0)
    assert spec == {round(p, 12): 1, round(p / (p - 1) ** 2, 12): (p - 1) ** 3}


@pytest.mark.parametrize("p", [2, 3, 7, 23, 97, 1009])
@pytest.mark.parametrize("task", bounds.TASKS)
def test_floor_dominates_bound(p, task):
    n_points = p ** 2 if task == "classification" else p ** 3
    for n in np.linspace(0, n_points, 17).astype(int):
        assert bounds.spectral_floor(p, int(n), task) >= bounds.kernel_lower_bound(p, int(n), task) - RTOL_F64


def test_bound_values_from_the_paper():
    p, n = 11, 300
    assert bounds.kernel_lower_bound(p, n) == pytest.approx(1 - 1 / p - n / p ** 3 * math.exp(2 / (p - 1)))
    assert bounds.kernel_lower_bound(p, 30, "classification") == pytest.approx(
        1 - 1 / p - 30 / p ** 2 * math.exp(2 / (p - 1)))
    # Thm 3.4: at n/N = (1/2 - 1/p) e^{-2/(p-1)} the bound is exactly 1/2
    frac = bounds.half_loss_fraction(p)
    assert bounds.kernel_lower_bound(p, 0) - frac * math.exp(2 / (p - 1)) == pytest.approx(0.5)


def test_corrupted_sigma_fails_the_cross_check():
    """Negative control: with C_1 != 0 (a wrong Lemma D.4) the dense floor no longer matches."""
    p = 5
    c = bounds.hamming_entries(p, 3)
    c[1] = 1 / p ** 2
    pts = klb.triple_table(p)
    dist = (pts[:, None, :] != pts[None, :, :]).sum(-1)
    ev = np.sort(np.linalg.eigvalsh(c[dist]))[::-1]
    errs = [abs(bounds.spectral_floor(p, n) - ev[n:].sum() / p ** 2) for n in range(p ** 3)]
    assert max(errs) > 1e3 * RTOL_F64


@pytest.mark.parametrize("bad", [dict(p=1, n=1), dict(p=5, n=-1), dict(p=5, n=126), dict(p=5, n=1, task="x"),
                                 dict(p=5, n=26, task="classification"), dict(p=5, n=1, m=1)])
def test_validation(bad):
    with pytest.raises(ValueError):
        bounds.kernel_lower_bound(**bad)
    with pytest.raises(ValueError):
        bounds.spectral_floor(**bad)


def test_exact_perm_residual_matches_dense_trace():
    p = 5
    rng = np.random.default_rng(0)
    q = bounds.span_basis(rng.standard_normal((p ** 3, 40)))
    dense = np.trace(bounds.sigma_dense(p, 3)) - np.trace(q.T @ bounds.sigma_dense(p, 3) @ q)
    assert bounds.exact_perm_residual(q, p) == pytest.approx(dense / p ** 2, abs=RTOL_F64)


def test_span_basis_rank_deficient():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((50, 3)) @ rng.standard_normal((3, 10))  # rank 3
    assert bounds.span_basis(a).shape == (50, 3)


def test_non_equivariant_kernel_beats_the_bound_at_identity():
    """Negative control of the sigma = id check: the Fourier kernel fits Psi with n >= 8p points,
    while its permutation average still respects the floor (Thm D.1 holds for any kernel)."""
    p, n = 7, 120
    rng = np.random.default_rng(3)
    table = klb.triple_table(p)
    train = np.sort(rng.choice(p ** 3, n, replace=False))
    q = bounds.span_basis(klb.kernel_columns("fourier", p, table, train, rng))
    ident = np.tile(np.arange(p), (1, 3, 1))
    res_id = bounds.projection_residuals(q, permuted_targets(table, p, ident))[0] / p ** 2
    assert res_id < klb.CONTROL_RATIO * bounds.kernel_lower_bound(p, n)
    assert bounds.exact_perm_residual(q, p) >= bounds.spectral_floor(p, n) - RTOL_F64


@pytest.mark.parametrize("p,m,task", [(3, 2, "regression"), (3, 3, "regression"), (5, 3, "regression"),
                                      (4, 3, "classification"), (5, 3, "classification")])
def test_closed_form_floor_equals_the_spectral_floor_for_every_n(p, m, task):
    """The two-eigenvalue closed form of the floor equals the exact sum of the trailing eigenvalues
    of Sigma for EVERY training-set size n (a past bug: an off-by-one in the closed form, -n instead
    of -n + 1, survived the spot checks). n ranges over 0..N (N = p^m triples, p^(m-1) pairs)."""
    n_max = p ** m if task == "regression" else p ** (m - 1)
    for n in range(n_max + 1):
        exact = bounds.spectral_floor(p, n, task, m)
        closed = bounds.spectral_floor_closed_form(p, n, task, m)
        assert closed == pytest.approx(exact, rel=1e-12, abs=1e-12), (p, m, task, n)
