"""The one kernel tracker (ntk.diagnostics.KernelTrajectory) on the quadratic net: the closed form and
the torch.func reference agree, and a linearized net trained until it fits keeps K_t = K_0."""
import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.ntk.diagnostics import KernelTrajectory, Linearized
from grokcheck.theory.tasks import binary_table, one_hot_pairs

RTOL_F64 = 1e-10  # two float64 paths to the same kernel


def _net(p=5, width=12, seed=0):
    return QuadraticNet(p, width, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_tracker_closed_form_matches_jacobian():
    p = 5
    pairs, _ = binary_table(p)
    net = _net(p)
    in_train = torch.arange(p * p) % 3 == 0
    cf = KernelTrajectory(pairs, method="closed_form", in_train=in_train)
    jac = KernelTrajectory(pairs, method="jacobian", in_train=in_train, forward=lambda m, x: m.logits(x[:, 0], x[:, 1]))
    for step in (0, 1):
        cf(step, net)
        jac(step, net)
        with torch.no_grad():
            net.W.mul_(1.1).add_(0.05)
    assert torch.allclose(cf.K0, jac.K0, rtol=RTOL_F64, atol=0)
    for key in ("dist", "dist_train", "dist_test", "dist_cross", "raw_drift"):
        assert abs(cf.rows[key][1] - jac.rows[key][1]) <= RTOL_F64 * max(1.0, abs(jac.rows[key][1])), key
    assert cf.rows["dist"][0] < 1e-12 and cf.rows["dist"][1] > 1e-4


def test_linearized_model_never_leaves_its_kernel():
    """The linearized net f_0 + J_0 (theta - theta_0), trained by NGD until it fits, keeps K_t = K_0."""
    p = 5
    pairs, labels = binary_table(p)
    x = one_hot_pairs(pairs, p, dtype=torch.float64)  # (25, 10)
    lin = Linearized(_net(p))
    tracker = KernelTrajectory(x, output=0, forward=lambda m, inp: m(inp))
    h = train(lin, Data(x, labels), Data(x[:0], labels[:0]), TrainConfig(steps=60, lr=2.0, optimizer="ngd",
              dtype="float64", eval_steps=(0, 1, 3, 10, 30, 60)), callbacks=[tracker])
    assert max(h.metrics["l2"]) > 1.5 * h.metrics["l2"][0]  # it did move
    assert max(h.metrics["train_acc"]) == 1.0 and max(tracker.dist) < 1e-10
    # negative control: the network itself, same optimizer, does move its kernel
    net_tracker = KernelTrajectory(pairs, method="closed_form")
    train(_net(p), Data(pairs, labels), Data(pairs[:0], labels[:0]), TrainConfig(steps=10, lr=2.0, optimizer="ngd",
          dtype="float64", eval_steps=(0, 10)), forward=lambda m, inp: m.logits(inp[:, 0], inp[:, 1]),
          callbacks=[net_tracker])
    assert net_tracker.dist[-1] > 1e-3
