"""Unit tests of ntk/diagnostics.py on synthetic kernels with known distances, with negative controls."""
import math

import pytest
import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.diagnostics import (Linearized, centered_kernel_target_alignment, kernel_block_distances,
                                       kernel_drift_fro, linearized_outputs, relative_kernel_drift,
                                       relative_parameter_drift, scale_free_kernel_distance)

RTOL_F64 = 1e-10  # round-off of a handful of float64 reductions over <= 1e4 entries


def _spd(n, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=torch.float64)  # (n, n)
    return A @ A.T + n * torch.eye(n, dtype=torch.float64)


@pytest.mark.parametrize("c", [1e-3, 0.5, 7.0, 1e4])
def test_scale_free_distance_is_zero_for_positive_multiples(c):
    K = _spd(12, 0)
    assert scale_free_kernel_distance(c * K, K) == pytest.approx(0.0, abs=RTOL_F64)
    # the raw relative drift counts the growth: exactly |c - 1|
    assert relative_kernel_drift(c * K, K) == pytest.approx(abs(c - 1), rel=RTOL_F64)


@pytest.mark.parametrize("theta", [0.1, 0.7, math.pi / 2, 2.5, math.pi])
def test_scale_free_distance_known_angle(theta):
    """K_t = cos(theta) K_0 + sin(theta) E with E orthogonal to K_0 and ||E|| = ||K_0||: distance 1 - cos(theta)."""
    K0 = torch.diag(torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64))
    E = torch.diag(torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=torch.float64))
    Kt = math.cos(theta) * K0 + math.sin(theta) * E
    assert scale_free_kernel_distance(3.0 * Kt, K0) == pytest.approx(1 - math.cos(theta), abs=RTOL_F64)
    assert kernel_drift_fro(Kt, K0) == pytest.approx(2 * math.sin(theta / 2), abs=RTOL_F64)


def test_small_orthogonal_perturbation_is_second_order():
    """||E|| = eps ||K_0||, E orthogonal: distance = 1 - 1/sqrt(1 + eps^2) ~ eps^2 / 2."""
    K0, eps = torch.eye(4, dtype=torch.float64), 0.1
    E = torch.zeros(4, 4, dtype=torch.float64)
    E[0, 1] = E[1, 0] = eps * 2 / math.sqrt(2)  # ||E||_F = 2 eps = eps ||K0||_F, <E, K0> = 0
    d = scale_free_kernel_distance(K0 + E, K0)
    assert d == pytest.approx(1 - 1 / math.sqrt(1 + eps ** 2), rel=1e-12)
    assert relative_kernel_drift(K0 + E, K0) == pytest.approx(eps, rel=1e-12)


def test_distance_errors():
    with pytest.raises(ValueError, match="same shape"):
        scale_free_kernel_distance(torch.eye(3), torch.eye(4))
    with pytest.raises(ValueError, match="zero"):
        scale_free_kernel_distance(torch.zeros(3, 3), torch.eye(3))
    with pytest.raises(ValueError, match="zero"):
        relative_kernel_drift(torch.eye(3), torch.zeros(3, 3))


def test_alignment_ideal_kernel_is_one_and_random_is_small():
    labels = torch.arange(40) % 5  # (40,)
    Y = torch.nn.functional.one_hot(labels, 5).double()
    assert centered_kernel_target_alignment(Y @ Y.T, labels, 5) == pytest.approx(1.0, abs=RTOL_F64)
    assert centered_kernel_target_alignment(3 * Y @ Y.T + 2.0, labels, 5) == pytest.approx(1.0, abs=RTOL_F64)
    # negative control: the kernel of shuffled labels is far from aligned
    g = torch.Generator().manual_seed(1)
    wrong = labels[torch.randperm(40, generator=g)]
    Yw = torch.nn.functional.one_hot(wrong, 5).double()
    assert centered_kernel_target_alignment(Yw @ Yw.T, labels, 5) < 0.5
    assert abs(centered_kernel_target_alignment(torch.eye(40, dtype=torch.float64), labels, 5)) < 0.5
    with pytest.raises(ValueError):
        centered_kernel_target_alignment(torch.eye(3), torch.zeros(4, dtype=torch.long), 2)


def test_relative_parameter_drift():
    p0 = [torch.ones(2, 2), torch.ones(3)]  # ||theta_0||^2 = 7
    pt = [torch.ones(2, 2), torch.ones(3) * 2]  # diff^2 = 3
    assert relative_parameter_drift(pt, p0) == pytest.approx(math.sqrt(3 / 7), rel=1e-12)
    with pytest.raises(ValueError):
        relative_parameter_drift([torch.ones(2)], p0)


def test_kernel_block_distances_split_train_test_and_cross():
    """Perturbing only the test block moves d_test and d on the subset, never d_train or d_cross."""
    K0 = _spd(6, 3)
    in_train = torch.tensor([True, True, True, False, False, False])
    K = K0.clone()
    K[3:, 3:] += 0.5 * _spd(3, 4)  # test block only
    out = kernel_block_distances(K, K0, in_train)
    assert out["dist_train"] < RTOL_F64 and out["dist_cross"] < RTOL_F64
    assert out["dist_test"] > 1e-3 and out["dist"] > 1e-4
    assert out["dist_test"] == pytest.approx(scale_free_kernel_distance(K[3:, 3:], K0[3:, 3:]), rel=RTOL_F64)
    assert out["raw_drift"] == pytest.approx(relative_kernel_drift(K, K0), rel=RTOL_F64)
    assert math.isnan(kernel_block_distances(K, K0, torch.ones(6, dtype=torch.bool))["dist_test"])
    assert set(kernel_block_distances(K, K0)) == {"dist", "raw_drift"}
    with pytest.raises(ValueError):
        kernel_block_distances(K, K0, torch.ones(5, dtype=torch.bool))


def _net(p=5, width=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return QuadraticNet(p, width, generator=g, dtype=torch.float64)


def test_linearized_outputs_exact_to_first_order_and_wrong_far():
    """f_lin - f_0 is linear in the step: f(theta_0 + e d) - f_lin = O(e^2) (quadratic net: exactly cubic in e)."""
    net = _net()
    x = torch.eye(10, dtype=torch.float64)[:7]  # (7, 2p)
    p0 = {k: v.detach().clone() for k, v in net.named_parameters()}
    g = torch.Generator().manual_seed(3)
    d = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in p0.items()}
    errs = []
    for e in (1e-2, 1e-3):
        pt = {k: p0[k] + e * d[k] for k in p0}
        f_true = torch.func.functional_call(net, pt, (x,))
        errs.append(float((f_true - linearized_outputs(net, p0, pt, x)).abs().max()))
    assert errs[1] < errs[0] / 50  # second order: a 10x smaller step shrinks the error ~100x
    pt = {k: p0[k] + 1e-3 * d[k] for k in p0}
    assert torch.allclose(linearized_outputs(net, p0, p0, x), net(x), rtol=0, atol=1e-14)
    # negative control: the zeroth-order model (no J_0 term) misses by O(e), far above the O(e^2) error
    f_true = torch.func.functional_call(net, pt, (x,))
    assert float((f_true - net(x).detach()).abs().max()) > 10 * errs[1]


def test_linearized_module_matches_function_and_has_constant_jacobian():
    net = _net()
    lin = Linearized(net)
    x = torch.eye(10, dtype=torch.float64)[:4]
    assert torch.allclose(lin(x), net(x), atol=1e-14)
    assert [n for n, _ in lin.named_parameters()] == ["theta.0", "theta.1"]
    with torch.no_grad():
        for t in lin.theta:
            t.add_(0.3)
    jac = torch.func.jacrev(lambda *ps: torch.func.functional_call(lin, dict(zip(["theta.0", "theta.1"], ps)), (x,)))
    J1 = jac(*[t.detach() for t in lin.theta])
    J0 = torch.func.jacrev(lambda *ps: torch.func.functional_call(net, dict(zip(["W", "V"], ps)), (x,)))(net.W.detach(),
                                                                                                          net.V.detach())
    for a, b in zip(J1, J0):
        assert torch.allclose(a, b, atol=1e-12)


def test_after_kernel_accuracy_ideal_and_blind_kernels():
    """The label kernel YY^T (+ identity) classifies perfectly; a kernel blind to the labels does not."""
    from grokcheck.ntk.diagnostics import after_kernel_accuracy
    labels = torch.arange(30) % 3
    Y = torch.nn.functional.one_hot(labels, 3).double()
    K = Y @ Y.T + 0.1 * torch.eye(30, dtype=torch.float64)  # (30, 30)
    tr, te = torch.arange(20), torch.arange(20, 30)
    assert after_kernel_accuracy(K[tr][:, tr], labels[tr], K[te][:, tr], labels[te], 3) == 1.0
    blind = torch.eye(30, dtype=torch.float64)  # test rows of K_te,tr are zero: argmax picks class 0
    assert after_kernel_accuracy(blind[tr][:, tr], labels[tr], blind[te][:, tr], labels[te], 3) < 0.5
