"""Unit tests of models/train.py: each optimizer's update, penalties, divergence, metrics."""
import math

import pytest
import torch
from torch import nn

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, History, TrainConfig, default_eval_steps, lr_at, train
from grokcheck.theory.tasks import binary_table

RTOL_F64 = 1e-12  # one float64 update computed two ways


def _linear(w0):
    m = nn.Linear(len(w0), 1, bias=False).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([w0], dtype=torch.float64))
    return m


def _one_step(optimizer, **kw):
    """One step on f(x) = w.x, mse on a single point: returns (w0, grad, w1)."""
    m = _linear([1.0, -2.0, 0.5])
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    y = torch.tensor([1.0], dtype=torch.float64)
    w0 = m.weight.detach().clone()
    grad = 2 * (x @ w0.T - y) * x  # d/dw (w.x - y)^2, (1, 3)
    cfg = TrainConfig(steps=1, lr=0.1, optimizer=optimizer, loss="mse", dtype="float64", **kw)
    train(m, Data(x, y), Data(x[:0], y[:0]), cfg, forward=lambda mod, inp: mod(inp).squeeze(1))
    return w0, grad, m.weight.detach()


def test_gd_step():
    w0, g, w1 = _one_step("gd")
    torch.testing.assert_close(w1, w0 - 0.1 * g, rtol=RTOL_F64, atol=0)


def test_ngd_step_has_length_lr():
    w0, g, w1 = _one_step("ngd")
    torch.testing.assert_close(w1, w0 - 0.1 * g / g.norm(), rtol=RTOL_F64, atol=0)
    assert math.isclose(float((w1 - w0).norm()), 0.1, rel_tol=RTOL_F64)


def test_sign_step():
    w0, g, w1 = _one_step("sign")
    torch.testing.assert_close(w1, w0 - 0.1 * torch.sign(g), rtol=RTOL_F64, atol=0)


def test_linf_penalty_moves_only_the_largest_entry():
    """With zero loss gradient, the l_inf subgradient step changes only the max-|.| entry."""
    m = _linear([1.0, -2.0, 0.5])
    x = torch.zeros(1, 3, dtype=torch.float64)
    y = torch.zeros(1, dtype=torch.float64)
    cfg = TrainConfig(steps=1, lr=0.1, optimizer="gd", loss="mse", dtype="float64", penalty="linf", penalty_weight=1.0)
    train(m, Data(x, y), Data(x, y), cfg, forward=lambda mod, inp: mod(inp).squeeze(1))
    torch.testing.assert_close(m.weight.detach(), torch.tensor([[1.0, -1.9, 0.5]], dtype=torch.float64))


@pytest.mark.parametrize("opt", ["adam", "adamw", "sgd_nesterov"])
def test_torch_optimizers_reduce_loss(opt):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 5, generator=gen, dtype=torch.float64)
    y = x @ torch.arange(5, dtype=torch.float64)
    m = _linear([0.0] * 5)
    h = train(m, Data(x, y), Data(x, y), TrainConfig(steps=200, lr=0.05, optimizer=opt, loss="mse", dtype="float64"),
              forward=lambda mod, inp: mod(inp).squeeze(1))
    assert h.last("train_loss") < 0.01 * h.metrics["train_loss"][0]


def test_quadratic_net_fits_small_classification():
    p = 7
    x, y = binary_table(p)
    net = QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(0))
    cfg = TrainConfig(steps=300, lr=0.01, optimizer="adamw", loss="ce")
    h = train(net, Data(x, y), Data(x[:0], y[:0]), cfg, forward=lambda m, inp: m.logits(inp[:, 0], inp[:, 1]))
    assert h.last("train_acc") == 1.0
    assert set(h.metrics) >= {"train_loss", "train_acc", "test_loss", "test_acc", "linf", "l2"}
    assert h.steps[0] == 0 and h.steps[-1] == 300 and h.diverged_at is None


def test_divergence_is_detected_and_recorded():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=gen)
    y = torch.randn(16, generator=gen)
    m = nn.Linear(3, 1, bias=False)
    h = train(m, Data(x, y), Data(x, y), TrainConfig(steps=500, lr=1e6, loss="mse"),
              forward=lambda mod, inp: mod(inp).squeeze(1))
    assert h.diverged_at is not None and h.diverged_at < 500


def test_callbacks_add_metrics_and_minibatch_is_deterministic():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    y = x.sum(1)
    out = []
    for _ in range(2):
        m = _linear([0.0, 0.0, 0.0])
        cfg = TrainConfig(steps=20, lr=0.05, loss="mse", dtype="float64", batch_size=8, eval_steps=(0, 10, 20))
        h = train(m, Data(x, y), Data(x, y), cfg, forward=lambda mod, inp: mod(inp).squeeze(1),
                  generator=torch.Generator().manual_seed(3),
                  callbacks=[lambda s, mod, met: met.update(twice=2 * s)])
        out.append(m.weight.detach().clone())
        assert h.steps == [0, 10, 20] and h.metrics["twice"] == [0, 20, 40]
    torch.testing.assert_close(out[0], out[1], rtol=0, atol=0)


def test_schedule_grid_and_history():
    cfg = TrainConfig(steps=100, lr=1.0, warmup_steps=10, warmup_start=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(5, cfg) == pytest.approx(0.55) and lr_at(10, cfg) == 1.0
    g = default_eval_steps(1000)
    assert g[0] == 0 and g[-1] == 1000 and list(g) == sorted(set(g))
    h = History()
    h.append(0, {"a": 1.0})
    h.append(5, {"a": 0.2, "b": 3.0})
    assert h.metrics["b"][0] != h.metrics["b"][0]  # NaN padding
    assert h.first_step("a", 0.5, "<=") == 5 and h.to_dict()["steps"] == [0, 5]


@pytest.mark.parametrize("kw", [dict(steps=-1, lr=1.0), dict(steps=1, lr=0.0), dict(steps=1, lr=1.0, optimizer="lbfgs"),
                                dict(steps=1, lr=1.0, loss="hinge"), dict(steps=1, lr=1.0, dtype="float16"),
                                dict(steps=1, lr=1.0, penalty="l3"), dict(steps=1, lr=1.0, batch_size=0)])
def test_config_validation(kw):
    with pytest.raises(ValueError):
        TrainConfig(**kw)


def test_minibatch_without_a_named_stream_is_refused():
    """No fallback stream: a minibatch run that is not given its generator would ignore the run's seed,
    so train() refuses it with one line; full batch draws nothing and needs none."""
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    data = Data(x, x.sum(1))
    fwd = lambda mod, inp: mod(inp).squeeze(1)  # noqa: E731
    with pytest.raises(ValueError, match="needs generator="):
        train(_linear([0.0, 0.0, 0.0]), data, data, TrainConfig(steps=2, lr=0.05, loss="mse", dtype="float64",
                                                                 batch_size=8), forward=fwd)
    h = train(_linear([0.0, 0.0, 0.0]), data, data, TrainConfig(steps=2, lr=0.05, loss="mse", dtype="float64",
                                                                 batch_size=40), forward=fwd)
    assert h.steps[-1] == 2


def test_optimizer_state_continues_a_run_exactly():
    """train(steps=1, optimizer_state=the state saved at step t) reproduces the run's step t + 1 bit for
    bit (AdamW, float64); the same step without the state differs; gd refuses a state."""
    import copy
    import dataclasses
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=gen, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    data, empty, fwd = Data(x, y), Data(x[:0], y[:0]), (lambda mod, inp: mod(inp).squeeze(1))
    cfg = TrainConfig(steps=4, lr=0.05, optimizer="adamw", weight_decay=0.01, loss="mse", dtype="float64",
                      eval_steps=(0, 1, 2, 3, 4))
    opts, saved = [], {}

    def save(step, model, metrics):
        saved[step] = (model.weight.detach().clone(), copy.deepcopy(opts[0].state_dict()))

    train(_linear([0.0, 0.0, 0.0]), data, empty, cfg, forward=fwd, callbacks=(save,), on_optimizer=opts.append)
    one = dataclasses.replace(cfg, steps=1, eval_steps=(0, 1))
    w2, state2 = saved[2]
    m = _linear(w2[0].tolist())
    train(m, data, empty, one, forward=fwd, optimizer_state=state2)
    assert torch.equal(m.weight.detach(), saved[3][0])
    assert torch.equal(saved[2][1]["state"][0]["exp_avg"], state2["state"][0]["exp_avg"])  # the caller's copy kept
    fresh = _linear(w2[0].tolist())
    train(fresh, data, empty, one, forward=fwd)
    assert not torch.equal(fresh.weight.detach(), saved[3][0])
    with pytest.raises(ValueError, match="keeps no state"):
        train(_linear([0.0, 0.0, 0.0]), data, empty, dataclasses.replace(one, optimizer="gd"), forward=fwd,
              optimizer_state=state2)
