"""The device reaches the computation, tested without a GPU.

1. Engine: with torch's default device set to `meta` (a device without data), the CPU models,
   data and generators of train / train_batched / the eNTK still run: any tensor the engine makes
   without naming a device lands on meta and fails loudly, so a pass means every tensor is made on
   the device of the model, the data or the generator (the CUDA bug of `masks_to_index`, a bare
   `torch.arange(n)`, fails this test).
2. Claims: run on device="meta", the quadratic-net claims build every network on meta (a spy on
   QuadraticNet records where W lives) and then fail loudly; run on the CPU, result.json's
   environment says "cpu", as noted by the claim (Context.note_device).
"""
import dataclasses

import pytest
import torch

from grokcheck.core import Claim
from grokcheck.context import Context
from grokcheck.models.batched import masks_to_index, quadratic_pairs_forward, train_batched
from grokcheck.models.linear import SensingModel, identity_test_data, prox_step, fit_runs, sensing_data
from grokcheck.models.lstm import LSTM
from grokcheck.models.mlp import MLP
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.sequence_tasks import sequence_split
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.models.transformer import Transformer
from grokcheck.ntk import empirical_ntk, monte_carlo_quadratic_ntk, regression_ntk
from grokcheck.registry import prepare, claim_module
from grokcheck.theory.tasks import binary_table, regression_triples

P = 5
QUADRATIC_CLAIMS = ["construction", "kernel-lower-bound", "equivariance", "kernel-regression-baselines"]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def pair_forward(m, x):
    return m.logits(x[:, 0], x[:, 1])


@pytest.fixture
def meta_default():
    with torch.device("meta"):
        yield


@pytest.mark.parametrize("optimizer", ["gd", "ngd", "sign", "adamw"])
def test_batched_training_makes_no_default_device_tensor(meta_default, optimizer):
    with torch.device("cpu"):  # the caller's CPU data and models
        x, y = binary_table(P)
        models = [QuadraticNet(P, 6, generator=gen(i)) for i in range(3)]
        masks = torch.zeros(3, len(y), dtype=torch.bool)
        masks[:, :12] = True
    cfg = TrainConfig(steps=3, lr=0.05, optimizer=optimizer, penalty="linf", penalty_weight=1e-3)
    for kw in (dict(batched_forward=quadratic_pairs_forward), dict(forward=pair_forward)):
        hist, params = train_batched(models, Data(x, y), masks, cfg, **kw)
        assert hist[0].device == "cpu" and params["W"].device.type == "cpu"
        assert all(len(h.steps) == 4 for h in hist)
    idx, wts = masks_to_index(masks)
    assert idx.device.type == wts.device.type == "cpu"


@pytest.mark.parametrize("kind", ["quadratic", "transformer", "mlp", "lstm"])
def test_single_run_training_makes_no_default_device_tensor(meta_default, kind):
    with torch.device("cpu"):  # the caller's CPU data and model
        if kind == "quadratic":
            x, y = binary_table(P)
            model, data, test, fwd = QuadraticNet(P, 6, generator=gen()), Data(x[:12], y[:12]), \
                Data(x[12:], y[12:]), pair_forward
        else:
            (xtr, ytr), (xte, yte) = sequence_split(P, "add", 0.5, seed=0)
            model = {"transformer": lambda: Transformer(P, d=8, heads=2, layers=1, dropout=0.1, generator=gen()),
                     "mlp": lambda: MLP(P, d=4, hidden=8, dropout=0.1, generator=gen()),
                     "lstm": lambda: LSTM(P, d=4, hidden=6, dropout=0.1, generator=gen())}[kind]().train()
            data, test, fwd = Data(xtr, ytr), Data(xte, yte), (lambda m, t: m(t))
    h = train(model, data, test, TrainConfig(steps=3, lr=1e-3, optimizer="adamw", batch_size=4), forward=fwd,
              generator=gen())
    assert h.device == "cpu" and len(h.steps) == 4


def test_linear_models_make_no_default_device_tensor(meta_default):
    with torch.device("cpu"):
        X = torch.randn(2, 6, 4, generator=gen(), dtype=torch.float64)
        a_star = torch.randn(2, 4, generator=gen(1), dtype=torch.float64)
        y = torch.einsum("knd,kd->kn", X, a_star)
    out = fit_runs(SensingModel(2, 4, device="cpu"), X, y, a_star, TrainConfig(steps=2, lr=0.01, loss="mse",
                                                                             dtype="float64"))
    assert out["train_err"].device.type == "cpu"
    assert identity_test_data(a_star).inputs.device.type == "cpu"
    assert prox_step(a_star, X, y, 0.1, 0.1).device.type == "cpu"
    assert sensing_data(X, y).inputs.device.type == "cpu"


@pytest.mark.parametrize("method", ["jacobian", "ntk_vp", "closed_form"])
@pytest.mark.parametrize("output", ["trace_mean", "full", 1])
def test_entk_makes_no_default_device_tensor(meta_default, method, output):
    with torch.device("cpu"):
        net = QuadraticNet(P, 6, generator=gen(), dtype=torch.float64)
        x, t = binary_table(P)[0][:7], regression_triples(P)[0][:6]
    assert empirical_ntk(net, x, method=method, output=output).device.type == "cpu"
    assert regression_ntk(net, t, method=method).device.type == "cpu"


def test_monte_carlo_kernel_makes_no_default_device_tensor(meta_default):
    with torch.device("cpu"):
        t = regression_triples(P)[0][:5]
    mean, se = monte_carlo_quadratic_ntk(t, p=P, width=4, n_inits=3, generator=gen())
    assert mean.device.type == se.device.type == "cpu"


def _spy_quadratic(monkeypatch) -> list:
    """Record the device of W of every QuadraticNet built from now on."""
    seen, init = [], QuadraticNet.__init__

    def spy(self, *args, **kwargs):
        init(self, *args, **kwargs)
        seen.append(self.W.device.type)
    monkeypatch.setattr(QuadraticNet, "__init__", spy)
    return seen


def _tiny(claim_id, config):
    """A few-second config of each claim (the path, not the statistics, is under test)."""
    shrink = {"kernel-lower-bound": dict(ps=(3,), fractions=(0.5,), n_perms=2, n_samples=2, dense_ps=(2,),
                                         bound_ps=(3,)),
              "equivariance": dict(p=3, width=4, steps=2, n_evals=2, n_inits=3, n_kernel_points=4),
              "kernel-regression-baselines": dict(ps=(3,), fractions=(0.5,), interp_p=3),
              "construction": dict(ps=(5,), copies=(1,), figure_p=5)}[claim_id]
    return dataclasses.replace(config, **shrink)


@pytest.mark.parametrize("claim_id", QUADRATIC_CLAIMS)
def test_claims_build_their_networks_on_ctx_device(monkeypatch, claim_id):
    """device='meta' reaches model creation (every QuadraticNet lives on meta) and the run fails loudly
    (no data on meta), instead of silently computing on the CPU."""
    seen = _spy_quadratic(monkeypatch)
    config, ctx = prepare(claim_id, "ci", device="meta")
    with pytest.raises((RuntimeError, NotImplementedError, ValueError)):
        claim_module(claim_id).run(_tiny(claim_id, config), ctx)
    assert seen and set(seen) == {"meta"}, seen


@pytest.mark.parametrize("claim_id", QUADRATIC_CLAIMS)
def test_cpu_run_records_cpu(claim_id):
    config, ctx = prepare(claim_id, "ci", device="cpu")
    result = claim_module(claim_id).run(_tiny(claim_id, config), ctx)
    assert result.environment["device"] == "cpu"
    assert result.environment["device_requested"] == "cpu"


def test_unrecorded_device_is_not_claimed():
    """A claim that noted no tensor does not get the requested device written as fact."""
    ctx = Context(device="cuda")
    env = ctx.result(Claim("x", "t", "s", "src"), Context(), []).environment
    assert env["device"] == "cuda (not recorded)" and env["device_requested"] == "cuda"
    ctx = Context(device="cpu")
    ctx.note_device(torch.zeros(1), QuadraticNet(3, 2, generator=gen()), "cpu")
    assert ctx.result(Claim("x", "t", "s", "src"), Context(), []).environment["device"] == "cpu"
