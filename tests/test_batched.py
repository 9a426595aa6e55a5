"""models/batched.py against the reference: R sequential models.train.train runs, float64."""
import pytest
import torch

from grokcheck.models.batched import load_run, masks_to_index, run_scales, train_batched
from grokcheck.models.penalties import PENALTIES, penalty_subgradient
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.theory.tasks import binary_table, regression_triples, split_indices

RTOL_F64 = 1e-9  # same float64 arithmetic in a different order over <= 40 steps


def _logits(m, inp):
    return m.logits(inp[:, 0], inp[:, 1])


def _setup(p=5, R=3, fracs=(0.5, 0.6, 0.7)):
    x, y = binary_table(p)
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(R)]
    masks = torch.zeros(R, len(y), dtype=torch.bool)
    for r, f in enumerate(fracs):
        masks[r, split_indices(len(y), f, seed=r)[0]] = True
    return x, y, models, masks


@pytest.mark.parametrize("opt,penalty,lr", [("gd", "linf", 0.05), ("ngd", "linf", 0.5), ("sign", "l1", 1e-3),
                                             ("adamw", None, 1e-2), ("sgd_nesterov", "l2", 0.02)])
def test_batched_matches_sequential(opt, penalty, lr):
    x, y, models, masks = _setup()
    cfg = TrainConfig(steps=40, lr=lr, optimizer=opt, penalty=penalty, penalty_weight=0.01 if penalty else 0.0,
                      weight_decay=0.1 if opt == "adamw" else 0.0, dtype="float64", eval_steps=(0, 20, 40))
    hists, params = train_batched(models, Data(x, y), masks, cfg, forward=_logits)
    for r, m in enumerate(models):
        ref = QuadraticNet(5, 10, dtype=torch.float64)
        ref.load_state_dict(m.state_dict())
        h = train(ref, Data(x[masks[r]], y[masks[r]]), Data(x[~masks[r]], y[~masks[r]]), cfg, forward=_logits)
        got = load_run(QuadraticNet(5, 10, dtype=torch.float64), params, r)
        torch.testing.assert_close(got.W, ref.W, rtol=RTOL_F64, atol=1e-12, msg=f"{opt} run {r}: W differs")
        for k in ("train_loss", "test_acc", "linf"):
            assert hists[r].metrics[k] == pytest.approx(h.metrics[k], rel=RTOL_F64, abs=1e-12), f"{opt} {k}"


@pytest.mark.parametrize("opt", ["adam", "gd"])
def test_batched_minibatches_match_sequential(opt):
    """With batch_size B each run draws its minibatches as train() does with the same generator (runs of
    8, 15 and 17 training points at B = 6: reshuffles at different steps); a run with n_r <= B is full batch."""
    x, y, models, masks = _setup(p=5, fracs=(0.3, 0.6, 0.7))
    cfg = TrainConfig(steps=25, lr=1e-2 if opt == "adam" else 0.05, optimizer=opt, batch_size=6, dtype="float64",
                      eval_steps=(0, 10, 25))
    gens = lambda: [torch.Generator().manual_seed(100 + r) for r in range(3)]  # noqa: E731
    hists, params = train_batched(models, Data(x, y), masks, cfg, forward=_logits, generators=gens())
    for r, (m, g) in enumerate(zip(models, gens())):
        ref = QuadraticNet(5, 10, dtype=torch.float64)
        ref.load_state_dict(m.state_dict())
        h = train(ref, Data(x[masks[r]], y[masks[r]]), Data(x[~masks[r]], y[~masks[r]]), cfg, forward=_logits,
                  generator=g)
        got = load_run(QuadraticNet(5, 10, dtype=torch.float64), params, r)
        torch.testing.assert_close(got.W, ref.W, rtol=RTOL_F64, atol=1e-12, msg=f"{opt} run {r}: W differs")
        assert hists[r].metrics["train_loss"] == pytest.approx(h.metrics["train_loss"], rel=RTOL_F64)
    full = TrainConfig(steps=25, lr=0.05, optimizer="gd", batch_size=40, dtype="float64", eval_steps=(0, 25))
    nomb = TrainConfig(steps=25, lr=0.05, optimizer="gd", dtype="float64", eval_steps=(0, 25))
    a = train_batched(models, Data(x, y), masks, full, forward=_logits)[1]  # B >= every n_r: no generator needed
    b = train_batched(models, Data(x, y), masks, nomb, forward=_logits)[1]
    torch.testing.assert_close(a["W"], b["W"], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="needs generators="):
        train_batched(models, Data(x, y), masks, cfg, forward=_logits)
    with pytest.raises(ValueError, match="one per run"):
        train_batched(models, Data(x, y), masks, cfg, forward=_logits, generators=gens()[:2])


def test_batched_regression_with_per_run_lrs():
    p = 5
    x, y = regression_triples(p)
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(2)]
    masks = torch.zeros(2, len(y), dtype=torch.bool)
    masks[:, split_indices(len(y), 0.5, 0)[0]] = True
    fwd = lambda m, inp: m.regression_output(inp)  # noqa: E731
    cfg = TrainConfig(steps=10, lr=0.01, loss="mse", dtype="float64", eval_steps=(0, 10))
    _, params = train_batched(models, Data(x, y), masks, cfg, forward=fwd, lrs=[0.01, 0.02])
    for r, lr in enumerate([0.01, 0.02]):
        ref = QuadraticNet(p, 2 * p, dtype=torch.float64)
        ref.load_state_dict(models[r].state_dict())
        train(ref, Data(x[masks[r]], y[masks[r]]), Data(x[:0], y[:0]), TrainConfig(**{**cfg.__dict__, "lr": lr}), forward=fwd)
        torch.testing.assert_close(params["V"][r], ref.V.detach(), rtol=RTOL_F64, atol=1e-12)


def test_batched_checks_the_data_as_train_does():
    """train_batched refuses what train() refuses: non-finite targets, a (N, 1) target against scalar outputs."""
    x, y, models, masks = _setup()
    cfg = TrainConfig(steps=2, lr=0.1, dtype="float64")
    mse = TrainConfig(steps=2, lr=0.1, loss="mse", dtype="float64")
    scalar = lambda m, t: _logits(m, t)[:, 0]  # noqa: E731
    bad = y.double()
    bad[3] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        train_batched(models, Data(x, bad), masks, mse, forward=scalar)
    with pytest.raises(ValueError, match="scalar outputs"):
        train_batched(models, Data(x, y.double()[:, None]), masks, mse, forward=scalar)
    assert train_batched(models, Data(x, y), masks, cfg, forward=_logits)[0][0].steps[-1] == 2


@pytest.mark.parametrize("engine", ["autograd", "fused"])
def test_regression_accuracy_scale_is_each_runs_own(engine):
    """Regression accuracy counts |f - y| < max|y_train| / 2 with each run's own training targets, as train()
    does; runs whose training sets have different target scales get different accuracies (one shared scale
    was the bug)."""
    from grokcheck.models.fused import train_fused
    p = 5
    x, y = regression_triples(p)
    y = (y + 1) * (1 + torch.arange(len(y), dtype=y.dtype) / len(y))  # non-zero targets of different sizes
    small, large = y.abs() < y.abs().max() / 2, torch.ones(len(y), dtype=torch.bool)
    masks = torch.stack([small & (torch.arange(len(y)) % 2 == 0), large & (torch.arange(len(y)) % 2 == 0)])
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(2)]
    fwd = lambda m, inp: m.regression_output(inp)  # noqa: E731
    cfg = TrainConfig(steps=3, lr=0.01, loss="mse", dtype="float64", eval_steps=(0, 3))
    if engine == "fused":
        hists, _ = train_fused(models, Data(x, y), masks, cfg)
    else:
        hists, _ = train_batched(models, Data(x, y), masks, cfg, forward=fwd)
    for r in range(2):
        ref = QuadraticNet(p, 2 * p, dtype=torch.float64)
        ref.load_state_dict(models[r].state_dict())
        h = train(ref, Data(x[masks[r]], y[masks[r]]), Data(x[~masks[r]], y[~masks[r]]), cfg, forward=fwd)
        for k in ("train_acc", "test_acc"):
            assert hists[r].metrics[k] == pytest.approx(h.metrics[k], abs=1e-12), (engine, r, k)
    assert run_scales(y, masks).tolist() == [float(y[masks[0]].abs().max()), float(y[masks[1]].abs().max())]
    assert run_scales(torch.tensor([3, 1]), masks[:, :2]).tolist() == [1.0, 1.0]  # class ids: no scale


@pytest.mark.parametrize("name", PENALTIES)
def test_batched_penalty_subgradient_matches_per_run(name):
    gen = torch.Generator().manual_seed(0)
    ts = [torch.randn(3, 4, 5, generator=gen, dtype=torch.float64), torch.randn(3, 6, 4, generator=gen, dtype=torch.float64)]
    got = penalty_subgradient(name, ts, runs=True)
    for r in range(3):
        ref = penalty_subgradient(name, [t[r] for t in ts])
        for g, e in zip(got, ref):
            torch.testing.assert_close(g[r], e, rtol=1e-12, atol=1e-12, msg=f"{name} run {r}")


def test_divergent_run_is_frozen_others_continue():
    x, y, models, masks = _setup()
    cfg = TrainConfig(steps=30, lr=1.0, optimizer="gd", dtype="float64", eval_steps=(0, 30))
    hists, _ = train_batched(models, Data(x, y), masks, cfg, forward=_logits, lrs=[1e-2, 1e8, 1e-2])
    assert hists[1].diverged_at is not None and hists[0].diverged_at is None and hists[2].diverged_at is None
    assert hists[0].steps == [0, 30]


def test_masks_validation():
    with pytest.raises(ValueError):
        masks_to_index(torch.zeros(2, 4, dtype=torch.bool))
    idx, w = masks_to_index(torch.tensor([[True, False, True], [False, True, False]]))
    assert idx.shape == (2, 2) and w[1].tolist() == [1.0, 0.0] and idx[0].tolist() == [0, 2]


@pytest.mark.parametrize("masks", [[[True] * 25], torch.ones(1, 25, dtype=torch.int64)])
def test_train_masks_that_are_not_bool_tensors_get_one_line_errors(masks):
    """A list or an integer tensor of train masks without test masks: a ValueError naming train_masks, in both
    engines (before, ~list raised a TypeError)."""
    from grokcheck.models.fused import train_fused
    x, y = binary_table(5)
    for engine in (train_batched, train_fused):
        with pytest.raises(ValueError, match="train_masks must be a bool tensor"):
            engine([QuadraticNet(5, 10)], Data(x, y), masks, TrainConfig(steps=1, lr=0.1))


@pytest.mark.parametrize("task", ["pairs", "triples"])
def test_fused_forward_matches_vmap(task):
    from grokcheck.models.batched import quadratic_pairs_forward, quadratic_triples_forward
    p = 5
    x, y = binary_table(p) if task == "pairs" else regression_triples(p)
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(3)]
    masks = torch.zeros(3, len(y), dtype=torch.bool)
    for r in range(3):
        masks[r, split_indices(len(y), 0.3 + 0.1 * r, seed=r)[0]] = True
    fwd = _logits if task == "pairs" else (lambda m, inp: m.regression_output(inp))
    bf = quadratic_pairs_forward if task == "pairs" else quadratic_triples_forward
    cfg = TrainConfig(steps=15, lr=0.01, optimizer="adamw", loss="ce" if task == "pairs" else "mse", dtype="float64",
                      eval_steps=(0, 15))
    h1, p1 = train_batched(models, Data(x, y), masks, cfg, forward=fwd)
    h2, p2 = train_batched(models, Data(x, y), masks, cfg, forward=fwd, batched_forward=bf)
    for k in p1:
        torch.testing.assert_close(p1[k], p2[k], rtol=RTOL_F64, atol=1e-12, msg=f"fused {task} {k}")
    assert h1[2].metrics["test_loss"] == pytest.approx(h2[2].metrics["test_loss"], rel=RTOL_F64)


def test_run_groups_do_not_change_results_and_size_by_memory():
    """Forward/backward in groups of 1, 2 or all runs gives the same training; the default group
    keeps one run's estimated activation n_max x widest axis x itemsize under GROUP_BYTES."""
    from grokcheck.models.batched import GROUP_BYTES, run_group_size
    p = 5
    x, y = binary_table(p)
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(3)]
    masks = torch.zeros(3, len(y), dtype=torch.bool)
    for r in range(3):
        masks[r, split_indices(len(y), 0.4, seed=r)[0]] = True
    cfg = TrainConfig(steps=10, lr=0.01, optimizer="adamw", dtype="float64", eval_steps=(0, 10))
    ref = train_batched(models, Data(x, y), masks, cfg, forward=_logits, run_group=3)[1]
    for g in (1, 2):
        out = train_batched(models, Data(x, y), masks, cfg, forward=_logits, run_group=g)[1]
        for k in ref:
            torch.testing.assert_close(out[k], ref[k], rtol=RTOL_F64, atol=1e-12, msg=f"group {g} {k}")
    W = [torch.zeros(32, 388, 194), torch.zeros(32, 97, 388)]  # p = 97, h = 4p, R = 32
    g = run_group_size(32, 4704, W, torch.float32)
    assert g * 4704 * 388 * 4 <= GROUP_BYTES < (g + 1) * 4704 * 388 * 4
    assert run_group_size(32, 480, [torch.zeros(32, 124, 62)], torch.float32) == 32
    with pytest.raises(ValueError):
        train_batched(models, Data(x, y), masks, cfg, forward=_logits, run_group=0)
