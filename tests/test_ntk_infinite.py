"""ntk/infinite.py: Prop B.3 by Monte Carlo, rank bound Thm 3.1 / Prop B.6, equivariant kernels."""
import math
from statistics import NormalDist

import pytest
import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.empirical import regression_ntk
from grokcheck.ntk.infinite import (equivariant_pair_kernel, expected_quadratic_ntk,
                          monte_carlo_quadratic_ntk, quadratic_init_bounds)
from grokcheck.theory.tasks import binary_table

# One representative per coincidence pattern of (a, b, c) against the first triple, and more.
TRIPLES = torch.tensor([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1],
                        [2, 3, 0], [2, 3, 2]])
ALPHA_MC = 1e-3  # family-wise false-alarm rate of the Monte-Carlo check
Z_MC = NormalDist().inv_cdf(1 - ALPHA_MC / (2 * TRIPLES.shape[0] ** 2))  # Bonferroni, two-sided
RTOL_F64 = 1e-10


def _z(mean, se, expected):
    """Largest |mean - E| / SE over entries (SE of exactly-determined entries is ~0: skip)."""
    ok = se > 1e-12 * float(expected.abs().max())
    return float(((mean - expected).abs()[ok] / se[ok]).max())


@pytest.mark.parametrize("kind", ["triples", "pairs"])
def test_monte_carlo_mean_approaches_prop_b3(kind):
    """Mean over inits within Z_MC standard errors of E K at every entry, for growing M;
    the standard error shrinks like 1/sqrt(M) (ratio 4 for M x16; sample-SE noise ~ 1/sqrt(2M),
    so +-25% is > 3 sigma)."""
    p, width = 5, 6
    x = TRIPLES if kind == "triples" else TRIPLES[:, :2]
    s_w, s_v = quadratic_init_bounds(p, width)
    expected = expected_quadratic_ntk(x, width=width, s_w=s_w, s_v=s_v)
    g = torch.Generator().manual_seed(11)
    ses = []
    for n_inits in (100, 1600):
        mean, se = monte_carlo_quadratic_ntk(x, p=p, width=width, n_inits=n_inits, generator=g)
        assert _z(mean, se, expected) <= Z_MC, f"n_inits={n_inits}"
        ses.append(float(se.mean()))
    assert 4 / 1.25 <= ses[0] / ses[1] <= 4 * 1.25


def test_monte_carlo_rejects_wrong_kurtosis():
    """Negative control: the Gaussian kurtosis kappa = 3 (wrong for a uniform init) and
    dropping the first-layer part are both rejected by the same Z_MC rule."""
    p, width = 5, 6
    s_w, s_v = quadratic_init_bounds(p, width)
    mean, se = monte_carlo_quadratic_ntk(TRIPLES, p=p, width=width, n_inits=1600,
                                         generator=torch.Generator().manual_seed(12))
    wrong = expected_quadratic_ntk(TRIPLES, width=width, s_w=s_w, s_v=s_v, kappa=3.0)
    assert _z(mean, se, wrong) > Z_MC
    second_only = expected_quadratic_ntk(TRIPLES, width=width, s_w=s_w, part="second_layer")
    assert _z(mean, se, second_only) > Z_MC


def test_expected_kernel_parts_and_lambda_min():
    """Prop B.3: lambda_min(E L) >= 4 h sigma_W^4 on distinct triples; parts add up."""
    p, width = 4, 7
    s_w, s_v = quadratic_init_bounds(p, width)
    grid = torch.cartesian_prod(torch.arange(p), torch.arange(p), torch.arange(p))  # (p^3, 3)
    second = expected_quadratic_ntk(grid, width=width, s_w=s_w, part="second_layer")
    first = expected_quadratic_ntk(grid, width=width, s_w=s_w, s_v=s_v, part="first_layer")
    total = expected_quadratic_ntk(grid, width=width, s_w=s_w, s_v=s_v)
    assert torch.allclose(first + second, total, rtol=RTOL_F64, atol=0)
    lam = float(torch.linalg.eigvalsh(second).min())
    assert lam >= 4 * width * (s_w ** 2 / 3) ** 2 * (1 - RTOL_F64)


@pytest.mark.parametrize("p,width", [(5, 1), (5, 2), (7, 1)])
def test_rank_of_regression_entk_at_most_3ph(p, width):
    """Thm 3.1 / Prop B.6: rank K <= 3 p h for the regression eNTK on any set of triples."""
    net = QuadraticNet(p, width, generator=torch.Generator().manual_seed(p * width))
    grid = torch.cartesian_prod(torch.arange(p), torch.arange(p), torch.arange(p))  # (p^3, 3)
    k = regression_ntk(net, grid, method="closed_form")
    rank = int(torch.linalg.matrix_rank(k, hermitian=True))
    assert rank <= 3 * p * width
    assert rank > 3 * p * width // 2  # not vacuous: the bound is nearly attained


def test_rank_check_rejects_a_full_rank_kernel():
    """Negative control: a generic PSD Gram matrix of the same size breaks the rank bound."""
    p, width = 5, 1
    g = torch.Generator().manual_seed(3)
    z = torch.randn(p ** 3, p ** 3, generator=g, dtype=torch.float64)
    assert int(torch.linalg.matrix_rank(z @ z.T, hermitian=True)) > 3 * p * width


@pytest.mark.parametrize("alpha,beta,gamma", [(1.0, 0.5, 0.25), (0.0, 0.0, 1.0), (2.0, -0.1, 3.0)])
def test_equivariant_pair_kernel_spectrum(alpha, beta, gamma):
    """Eigenvalues on the full table: alpha p^2 + 2 beta p + gamma (x1), beta p + gamma
    (x 2(p-1)), gamma (x (p-1)^2)."""
    p = 5
    x, _ = binary_table(p)
    k = equivariant_pair_kernel(x, alpha=alpha, beta=beta, gamma=gamma)
    assert len(torch.unique(k)) <= 3
    expected = sorted([alpha * p * p + 2 * beta * p + gamma] + [beta * p + gamma] * 2 * (p - 1)
                      + [gamma] * (p - 1) ** 2)
    assert torch.allclose(torch.linalg.eigvalsh(k), torch.tensor(expected, dtype=torch.float64),
                          rtol=0, atol=RTOL_F64 * p * p * (abs(alpha) + abs(beta) + abs(gamma)))


def test_infinite_validation():
    with pytest.raises(ValueError, match="needs s_v"):
        expected_quadratic_ntk(TRIPLES, width=3, s_w=1.0)
    with pytest.raises(ValueError, match="part must be"):
        expected_quadratic_ntk(TRIPLES, width=3, s_w=1.0, s_v=1.0, part="both")
    with pytest.raises(ValueError, match="pairs"):
        equivariant_pair_kernel(TRIPLES, alpha=1, beta=1, gamma=1)
    with pytest.raises(ValueError, match="n_inits"):
        monte_carlo_quadratic_ntk(TRIPLES, p=5, width=2, n_inits=1,
                                  generator=torch.Generator().manual_seed(0))
    assert math.isclose(quadratic_init_bounds(5, 4)[0], 1 / math.sqrt(10))


def test_monte_carlo_sample_is_the_closed_form_entk():
    """With n_inits = 2 the mean is the average of two eNTKs: rebuild them by regression_ntk
    from nets with the same draws (same generator sequence: W then V, per batch of 1)."""
    p, width = 5, 3
    mean, _ = monte_carlo_quadratic_ntk(TRIPLES, p=p, width=width, n_inits=2, batch=1,
                                        generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    ks = []
    for _ in range(2):
        net = QuadraticNet(p, width, generator=g, dtype=torch.float64)
        ks.append(regression_ntk(net, TRIPLES, method="closed_form"))
    assert torch.allclose(mean, (ks[0] + ks[1]) / 2, rtol=RTOL_F64, atol=0)
