"""One optimizer step, by hand: every optimizer of models/train.py (and the batched loop) with weight
decay and a penalty-free loss must move theta exactly as its formula in the module docstring says.

Kills the mutant "weight decay applied twice for gd / ngd / sign" and any sign, scale or
coupling slip in the update. Reference: theta_0 and the full-batch gradient g of the mean
cross-entropy at theta_0, computed here with autograd; lr = 0.1, wd = 0.3 (so (1 - lr wd) = 0.97 is
far from 1 and a doubled decay, 0.94, differs by 3% of theta).
"""
import pytest
import torch
import torch.nn.functional as F

from grokcheck.models.batched import load_run, train_batched
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.theory.tasks import binary_table

LR, WD, EPS = 0.1, 0.3, 1e-8
BETAS, MOMENTUM = (0.9, 0.98), 0.9
RTOL_F64 = 1e-12  # one float64 step computed two ways


def _logits(m, inp):
    return m.logits(inp[:, 0], inp[:, 1])


def _net(seed=0, p=5, h=6):
    return QuadraticNet(p, h, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _expected(net, x, y, optimizer):
    """theta_1 for one full-batch step from `net`'s parameters, by the documented formulas."""
    params = [net.W.detach().clone().requires_grad_(), net.V.detach().clone().requires_grad_()]
    h = params[0][:, x[:, 0]].T + params[0][:, 5 + x[:, 1]].T
    loss = F.cross_entropy((h * h) @ params[1].T, y)
    grads = torch.autograd.grad(loss, params)
    theta = [q.detach() for q in params]
    if optimizer in ("gd", "ngd", "sign", "adamw"):  # decoupled decay: theta (1 - lr wd) - lr d
        if optimizer == "gd":
            d = list(grads)
        elif optimizer == "ngd":
            norm = torch.sqrt(sum((g * g).sum() for g in grads))
            d = [g / norm for g in grads]
        elif optimizer == "sign":
            d = [torch.sign(g) for g in grads]
        else:  # adamw, first step: m_hat = g, v_hat = g^2
            d = [g / (g.abs() + EPS) for g in grads]
        return [t * (1 - LR * WD) - LR * di for t, di in zip(theta, d)]
    coupled = [g + WD * t for g, t in zip(grads, theta)]  # torch's coupled decay: g + wd theta
    if optimizer == "adam":
        return [t - LR * g / (g.abs() + EPS) for t, g in zip(theta, coupled)]
    # sgd_nesterov, first step: buf = g, update g + momentum * buf
    return [t - LR * g * (1 + MOMENTUM) for t, g in zip(theta, coupled)]


def _config(optimizer):
    return TrainConfig(steps=1, lr=LR, optimizer=optimizer, weight_decay=WD, betas=BETAS,
                       momentum=MOMENTUM, eps=EPS, dtype="float64", eval_steps=(0, 1))


OPTIMIZERS = ["gd", "ngd", "sign", "adam", "adamw", "sgd_nesterov"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_one_step_of_train_matches_the_formula(optimizer):
    x, y = binary_table(5)
    net = _net()
    want = _expected(net, x, y, optimizer)
    train(net, Data(x, y), Data(x[:0], y[:0]), _config(optimizer), forward=_logits)
    for name, got, exp in zip("WV", (net.W, net.V), want):
        torch.testing.assert_close(got.detach(), exp, rtol=RTOL_F64, atol=1e-14,
                                   msg=f"{optimizer}: {name} after one step differs from the formula")


@pytest.mark.parametrize("optimizer", ["gd", "ngd", "sign", "adamw", "sgd_nesterov"])
def test_one_step_of_train_batched_matches_the_formula(optimizer):
    x, y = binary_table(5)
    models = [_net(0), _net(1)]
    masks = torch.ones(2, len(y), dtype=torch.bool)
    _, params = train_batched(models, Data(x, y), masks, _config(optimizer), forward=_logits,
                              test_masks=torch.zeros_like(masks))
    for r, m in enumerate(models):
        want = _expected(m, x, y, optimizer)
        got = load_run(_net(99), params, r)
        for name, g, exp in zip("WV", (got.W, got.V), want):
            torch.testing.assert_close(g.detach(), exp, rtol=RTOL_F64, atol=1e-14,
                                       msg=f"batched {optimizer} run {r}: {name} differs from the formula")
