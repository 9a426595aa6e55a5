"""Unit tests of models/linear.py and the batched nuclear penalty (models/penalties.py)."""
import pytest
import torch

from grokcheck.models.linear import (SensingModel, SignedDiagonalNet, fit_runs, ista_hook, prox_step, sensing_data)
from grokcheck.models.penalties import penalty_subgradient, penalty_value, prox_l1, prox_nuclear
from grokcheck.models.train import TrainConfig, loss_fn
from grokcheck.theory.sparse import gaussian_sensing, low_rank_matrix, sparse_vector

RTOL_F64 = 1e-10  # float64, a few hundred flops on O(1) numbers


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def problem(K=2, N=30, n=100):
    g = gen()
    X = torch.stack([gaussian_sensing(N, n, g) for _ in range(K)])  # (K, N, n)
    A = torch.stack([sparse_vector(n, 5, g) for _ in range(K)])     # (K, n)
    return X, A, torch.einsum("knd,kd->kn", X, A)


def test_sensing_data_gives_half_sum_of_squares():
    X, A, y = problem()
    m = SensingModel(2, 100, init=0.01)
    d = sensing_data(X, y)
    with torch.no_grad():
        got = float(loss_fn(m(d.inputs), d.targets, "mse"))
    want = 0.5 * float(((torch.einsum("knd,kd->kn", X, m.a.detach()) - y) ** 2).sum())
    assert got == pytest.approx(want, rel=RTOL_F64)


def test_sensing_data_rejects_bad_shapes():
    X, A, y = problem()
    with pytest.raises(ValueError):
        sensing_data(X, y[:, :5])


def test_train_gd_l1_matches_manual_subgradient_steps():
    X, A, y = problem()
    lr, beta, steps = 0.1, 1e-3, 50
    m = SensingModel(2, 100, init=1e-6)
    fit_runs(m, X, y, A, TrainConfig(steps=steps, lr=lr, penalty="l1", penalty_weight=beta, loss="mse",
                                     dtype="float64", eval_steps=(0, steps)))
    a = torch.full((2, 100), 1e-6, dtype=torch.float64)
    for _ in range(steps):
        r = torch.einsum("knd,kd->kn", X, a) - y
        a = a - lr * (torch.einsum("knd,kn->kd", X, r) + beta * torch.sign(a))
    assert torch.allclose(m.a.detach(), a, rtol=RTOL_F64, atol=RTOL_F64)


def test_ista_hook_matches_prox_step():
    X, A, y = problem()
    lr, beta, steps = 0.1, 1e-3, 40
    m = SensingModel(2, 100, init=1e-6)
    fit_runs(m, X, y, A, TrainConfig(steps=steps, lr=lr, loss="mse", dtype="float64", eval_steps=(0, steps)),
             post_step=ista_hook(lr, beta))
    a = torch.full((2, 100), 1e-6, dtype=torch.float64)
    for _ in range(steps):
        a = prox_step(a, X, y, lr, beta)
    assert torch.allclose(m.a.detach(), a, rtol=RTOL_F64, atol=RTOL_F64)
    assert int((a == 0).sum()) > 0  # soft thresholding makes exact zeros


def test_prox_operators():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.5], dtype=torch.float64)
    assert torch.equal(prox_l1(x, 0.5), torch.tensor([-1.5, 0.0, 0.0, 0.0, 1.0], dtype=torch.float64))
    M = low_rank_matrix(6, 5, 2, gen())
    s = torch.linalg.svdvals(M)
    s_out = torch.linalg.svdvals(prox_nuclear(M, float(s[1]) / 2))
    assert torch.allclose(s_out[:2], s[:2] - float(s[1]) / 2, rtol=RTOL_F64)
    assert float(s_out[2:].abs().max()) < 1e-9


def test_batched_nuclear_subgradient_and_value():
    M = torch.stack([low_rank_matrix(6, 6, 6, gen(k)) for k in range(3)])  # (3, 6, 6), full rank
    G = penalty_subgradient("nuclear", [M])[0]
    for k in range(3):
        u, _, vh = torch.linalg.svd(M[k])
        assert torch.allclose(G[k], u @ vh, atol=RTOL_F64)
        assert torch.allclose(penalty_subgradient("nuclear", [M[k]])[0], u @ vh, atol=RTOL_F64)
    want = sum(float(torch.linalg.svdvals(M[k]).sum()) for k in range(3))
    assert float(penalty_value("nuclear", [M])) == pytest.approx(want, rel=RTOL_F64)
    # the nuclear subgradient is the gradient of sum of singular values (autograd reference)
    Mg = M.clone().requires_grad_(True)
    penalty_value("nuclear", [Mg]).backward()
    assert torch.allclose(Mg.grad, G, atol=1e-8)


def test_l1_subgradient_sign_zero():
    x = torch.tensor([-1.0, 0.0, 2.0])
    assert torch.equal(penalty_subgradient("l1", [x])[0], torch.tensor([-1.0, 0.0, 1.0]))


def test_signed_diagonal_net_can_fit_negative_coefficients():
    # reference repo defect A5.1: a = a_1^L with identical positive factors stays >= 0
    net = SignedDiagonalNet(1, 3, depth=2, init=0.0)
    with torch.no_grad():
        net.v.fill_(1.0)
    assert float(net.vector().detach().max()) == -1.0
    with pytest.raises(ValueError):
        SignedDiagonalNet(1, 3, depth=0)


def test_prox_step_rejects_unknown_penalty():
    X, A, y = problem()
    with pytest.raises(ValueError):
        prox_step(A, X, y, 0.1, 1e-3, penalty="l2")
