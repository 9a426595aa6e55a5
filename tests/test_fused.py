"""models/fused.py (analytic gradients, stacked optimizers) against the autograd reference
models/batched.train_batched, float64: parameters and histories agree to round-off."""
import math

import pytest
import torch

from grokcheck.models.batched import quadratic_pairs_forward, quadratic_triples_forward, train_batched
from grokcheck.models.fused import evaluate_runs, log_prob_floor, quadratic_grads, train_fused, _Rows
from grokcheck.models.batched import masks_to_index
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.tasks import binary_table, regression_triples, split_indices

RTOL = 1e-9  # float64, same arithmetic in another order over <= 20 steps


def _setup(p=7, R=3, fracs=(0.4, 0.5, 0.7), width=None, triples=False):
    x, y = regression_triples(p) if triples else binary_table(p)
    models = [QuadraticNet(p, width or 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
              for s in range(R)]
    masks = torch.zeros(R, len(y), dtype=torch.bool)
    for r, f in enumerate(fracs[:R]):
        masks[r, split_indices(len(y), f, seed=r)[0]] = True
    return Data(x, y), models, masks


def _reference(models, data, masks, cfg, **kw):
    bfwd = quadratic_pairs_forward if data.inputs.shape[1] == 2 else quadratic_triples_forward
    hists, params = train_batched(models, data, masks, cfg, batched_forward=bfwd, **kw)
    return hists, params


def _assert_same(h_ref, p_ref, h_got, p_got, what=""):
    for k in ("W", "V"):
        torch.testing.assert_close(p_got[k], p_ref[k], rtol=RTOL, atol=1e-12, msg=f"{what}: {k} differs")
    for r, (a, b) in enumerate(zip(h_ref, h_got)):
        assert a.steps == b.steps and a.diverged_at == b.diverged_at, (what, r)
        for k in ("train_loss", "train_acc", "test_loss", "test_acc", "linf", "l2", "objective"):
            assert b.metrics[k] == pytest.approx(a.metrics[k], rel=RTOL, abs=1e-12, nan_ok=True), (what, r, k)


@pytest.mark.parametrize("opt,penalty,lr,wd,loss", [
    ("gd", "linf", 0.05, 0.0, "ce"), ("gd", None, 0.02, 0.1, "mse"), ("ngd", "linf", 0.5, 0.01, "ce"),
    ("sign", "l1", 1e-3, 0.0, "ce"), ("adam", "l2", 1e-2, 0.05, "ce"), ("adamw", None, 1e-2, 0.5, "ce"),
    ("adamw", "linf", 1e-2, 1.0, "mse"), ("sgd_nesterov", "l2", 0.02, 0.01, "ce"), ("ngd", "fro", 0.3, 0.0, "mse")])
def test_fused_matches_autograd(opt, penalty, lr, wd, loss):
    data, models, masks = _setup()
    cfg = TrainConfig(steps=16, lr=lr, optimizer=opt, penalty=penalty, penalty_weight=0.01 if penalty else 0.0,
                      weight_decay=wd, loss=loss, dtype="float64", eval_steps=(0, 7, 16), warmup_steps=5)
    h_ref, p_ref = _reference(models, data, masks, cfg)
    h_got, p_got = train_fused(models, data, masks, cfg)
    _assert_same(h_ref, p_ref, h_got, p_got, f"{opt}/{penalty}/{loss}")
    assert not torch.equal(p_got["W"], torch.stack([m.W for m in models]))  # it trained


@pytest.mark.parametrize("opt", ["gd", "ngd", "sign"])
def test_fused_per_run_lrs_match_autograd(opt):
    data, models, masks = _setup()
    cfg = TrainConfig(steps=12, lr=0.1, optimizer=opt, penalty="linf", penalty_weight=1e-3, dtype="float64",
                      eval_steps=(0, 12))
    lrs = [0.1, 0.03, 0.2] if opt != "sign" else [1e-3, 3e-3, 5e-4]
    _assert_same(*_reference(models, data, masks, cfg, lrs=lrs), *train_fused(models, data, masks, cfg, lrs=lrs),
                 f"{opt} lrs")


@pytest.mark.parametrize("opt", ["adamw", "sgd_nesterov"])
def test_fused_per_run_lrs_equal_single_runs(opt):
    """Per-run lrs for the torch.optim rules (train_batched has none): run r equals a lone run at lr_r."""
    data, models, masks = _setup()
    cfg = TrainConfig(steps=10, lr=0.01, optimizer=opt, weight_decay=0.1, dtype="float64", eval_steps=(0, 10))
    lrs = [0.01, 0.003, 0.02]
    _, got = train_fused(models, data, masks, cfg, lrs=lrs)
    for r, lr in enumerate(lrs):
        _, ref = _reference(models[r:r + 1], data, masks[r:r + 1], TrainConfig(**{**cfg.__dict__, "lr": lr}))
        torch.testing.assert_close(got["W"][r], ref["W"][0], rtol=RTOL, atol=1e-12)


def test_fused_regression_triples_match_autograd():
    data, models, masks = _setup(p=5, R=2, fracs=(0.3, 0.5), triples=True)
    cfg = TrainConfig(steps=20, lr=0.01, optimizer="gd", penalty="linf", penalty_weight=1e-3, loss="mse",
                      dtype="float64", eval_steps=(0, 10, 20))
    _assert_same(*_reference(models, data, masks, cfg), *train_fused(models, data, masks, cfg), "triples")


def test_analytic_gradients_equal_autograd():
    """quadratic_grads against torch.autograd on the reference forward, pairs ce / mse and triples."""
    for triples, loss in ((False, "ce"), (False, "mse"), (True, "mse")):
        data, models, masks = _setup(p=5, R=2, triples=triples)
        W = torch.stack([m.W.detach() for m in models]).requires_grad_()
        V = torch.stack([m.V.detach() for m in models]).requires_grad_()
        idx, w = masks_to_index(masks)
        rows = _Rows(data.inputs[idx], data.targets[idx].double() if triples else data.targets[idx], w, 5, 1 << 20)
        fwd = quadratic_triples_forward if triples else quadratic_pairs_forward
        from grokcheck.models.batched import _per_point_loss
        ref_loss = (_per_point_loss(fwd({"W": W, "V": V}, rows.tokens), rows.y, loss) * w).sum(1)
        gW, gV = torch.autograd.grad(ref_loss.sum(), [W, V])
        loss_r, dW, dV = quadratic_grads(W.detach(), V.detach(), rows, loss)
        torch.testing.assert_close(loss_r, ref_loss.detach(), rtol=1e-12, atol=0)
        torch.testing.assert_close(dW, gW, rtol=1e-10, atol=1e-14)
        torch.testing.assert_close(dV, gV, rtol=1e-10, atol=1e-14)
        chunked = quadratic_grads(W.detach(), V.detach(), _Rows(rows.tokens, rows.y, w, 5, 3), loss)  # row chunks
        for a, b in zip(chunked, (loss_r, dW, dV)):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_prob_floor_keeps_exp_normal(dtype):
    """exp of the floor, rounded to the dtype, is a normal number (the CPU's exp is 36x slower on denormal
    results); log(tiny) itself, the floor before stop 36, rounds below it in float32 and fails."""
    tiny = torch.finfo(dtype).tiny
    assert float(torch.tensor(log_prob_floor(dtype), dtype=dtype).exp()) >= tiny
    assert math.exp(log_prob_floor(dtype)) <= 3 * tiny  # the floor changes no probability above ~e * tiny


def test_old_log_prob_floor_is_denormal_in_float32():
    """The control: log(tiny), rounded to float32, exponentiates to a denormal number (what the test above
    rejects)."""
    tiny = torch.finfo(torch.float32).tiny
    assert float(torch.tensor(math.log(tiny), dtype=torch.float32).exp()) < tiny


def test_saturated_float32_gradients_equal_autograd():
    """Large margins in float32 (log-probabilities far below the floor): the floored gradient equals
    autograd's (exact softmax, denormals included) within the floor's e * tiny per entry."""
    data, models, masks = _setup(p=5, R=2)
    W = torch.stack([m.W.detach() for m in models]).float().mul(30).requires_grad_()
    V = torch.stack([m.V.detach() for m in models]).float().mul(30).requires_grad_()
    idx, w = masks_to_index(masks)
    w = w.float()
    rows = _Rows(data.inputs[idx], data.targets[idx], w, 5, 1 << 20)
    from grokcheck.models.batched import _per_point_loss
    out = quadratic_pairs_forward({"W": W, "V": V}, rows.tokens)
    assert float(torch.log_softmax(out.detach(), -1).min()) < log_prob_floor(torch.float32) - 100  # saturated
    gW, gV = torch.autograd.grad((_per_point_loss(out, rows.y, "ce") * w).sum(), [W, V])
    _, dW, dV = quadratic_grads(W.detach(), V.detach(), rows, "ce")
    torch.testing.assert_close(dW, gW, rtol=1e-4, atol=1e-30)
    torch.testing.assert_close(dV, gV, rtol=1e-4, atol=1e-30)


def _alone(W, V, rows, r, loss, chunk):
    """quadratic_grads of run r of `rows` on its own (its own rows only, no padding)."""
    n = int((rows.w[r] > 0).sum())
    one = _Rows(rows.tokens[r:r + 1, :n], rows.y[r:r + 1, :n], rows.w[r:r + 1, :n], rows.p, chunk)
    return quadratic_grads(W[r:r + 1], V[r:r + 1], one, loss)


@pytest.mark.parametrize("triples,loss", [(False, "ce"), (False, "mse"), (True, "mse")])
def test_chunks_skip_runs_without_rows(triples, loss):
    """Runs of different n: a row chunk past a run's n leaves that run out of its products, and every
    run's loss and gradients equal its own computation (its rows alone, same chunk boundaries) to round-off
    (bmm may block a product differently at another batch size)."""
    data, models, masks = _setup(p=5, R=3, fracs=(0.2, 0.5, 0.9), triples=triples)
    W = torch.stack([m.W.detach() for m in models])
    V = torch.stack([m.V.detach() for m in models])
    idx, w = masks_to_index(masks)
    chunk = 4
    rows = _Rows(data.inputs[idx], data.targets[idx].double() if triples else data.targets[idx], w, 5, chunk)
    counts = masks.sum(1).tolist()
    for c, (*_, runs) in enumerate(rows.chunks):  # the chunk starting at row c * chunk keeps the runs with rows there
        want = [r for r in range(3) if counts[r] > c * chunk]
        assert (runs is None) == (len(want) == 3) and (runs is None or runs.tolist() == want)
    assert any(runs is not None for *_, runs in rows.chunks)
    small = rows.subset(torch.tensor([0]))  # only the smallest run: the chunks past its rows are dropped
    assert len(small.chunks) == -(-counts[0] // chunk)
    loss_r, dW, dV = quadratic_grads(W, V, rows, loss)
    for r in range(3):
        l1, dW1, dV1 = _alone(W, V, rows, r, loss, chunk)
        torch.testing.assert_close(loss_r[r:r + 1], l1, rtol=1e-15, atol=0)
        torch.testing.assert_close(dW[r:r + 1], dW1, rtol=1e-15, atol=0)
        torch.testing.assert_close(dV[r:r + 1], dV1, rtol=1e-15, atol=0)


def test_chunk_with_wrong_runs_is_caught():
    """The skip test can fail: a chunk that names the wrong run puts its rows into another run's gradient."""
    data, models, masks = _setup(p=5, R=3, fracs=(0.2, 0.5, 0.9))
    W = torch.stack([m.W.detach() for m in models])
    V = torch.stack([m.V.detach() for m in models])
    idx, w = masks_to_index(masks)
    rows = _Rows(data.inputs[idx], data.targets[idx], w, 5, 4)
    c = next(i for i, ch in enumerate(rows.chunks) if ch[-1] is not None and len(ch[-1]) == 1)
    rows.chunks[c] = (*rows.chunks[c][:-1], torch.tensor([0]))  # run 2's rows booked to run 0
    _, _, dV = quadratic_grads(W, V, rows, "ce")
    _, _, dV2 = _alone(W, V, rows, 2, "ce", 4)
    with pytest.raises(AssertionError):
        torch.testing.assert_close(dV[2:3], dV2, rtol=1e-12, atol=1e-15)


def test_wrong_gradient_is_caught():
    """The agreement test can fail: a sign slip in dV (one run) is far outside the tolerance."""
    data, models, masks = _setup(p=5, R=2)
    idx, w = masks_to_index(masks)
    rows = _Rows(data.inputs[idx], data.targets[idx], w, 5, 1 << 20)
    W = torch.stack([m.W.detach() for m in models])
    V = torch.stack([m.V.detach() for m in models])
    _, _, dV = quadratic_grads(W, V, rows, "ce")
    bad = dV.clone()
    bad[1] *= -1
    with pytest.raises(AssertionError):
        torch.testing.assert_close(bad, dV, rtol=RTOL, atol=1e-12)


def test_divergence_freezes_only_that_run():
    data, models, masks = _setup()
    cfg = TrainConfig(steps=12, lr=1.0, optimizer="gd", dtype="float64", eval_steps=tuple(range(13)))
    lrs = [1e-2, 1e7, 1e-2]  # run 1 blows up
    h_ref, p_ref = _reference(models, data, masks, cfg, lrs=lrs)
    h_got, p_got = train_fused(models, data, masks, cfg, lrs=lrs)
    assert h_got[1].diverged_at is not None and h_got[1].diverged_at == h_ref[1].diverged_at
    assert h_got[0].diverged_at is None and h_got[2].diverged_at is None
    for r in (0, 2):
        torch.testing.assert_close(p_got["W"][r], p_ref["W"][r], rtol=RTOL, atol=1e-12)


def test_early_stop_freezes_the_run_at_its_event():
    data, models, masks = _setup(p=7, R=3, width=28)
    cfg = TrainConfig(steps=60, lr=0.05, optimizer="adamw", weight_decay=0.1, dtype="float64",
                      eval_steps=tuple(range(0, 61, 4)))
    snaps = {}

    def keep(step, params, metrics):
        snaps[step] = {k: v.clone() for k, v in params.items()}

    h_all, p_all = train_fused(models, data, masks, cfg)
    fit = [h.first_step("train_acc", 1.0) for h in h_all]
    assert fit[0] is not None and fit[0] < 60, fit  # the setting must let run 0 fit early
    stop = lambda step, r, m: r == 0 and m["train_acc"] >= 1.0  # noqa: E731
    h_stop, p_stop = train_fused(models, data, masks, cfg, stop=stop, callbacks=[keep])
    assert h_stop[0].steps[-1] == fit[0]  # History ends at the event
    torch.testing.assert_close(p_stop["W"][0], snaps[fit[0]]["W"][0], rtol=0, atol=0)  # frozen from then on
    for r in (1, 2):  # the other runs are untouched by run 0's stop
        assert h_stop[r].steps == h_all[r].steps
        torch.testing.assert_close(p_stop["W"][r], p_all["W"][r], rtol=RTOL, atol=1e-12)


def test_eval_chunking_equals_unchunked():
    data, models, masks = _setup()
    W = torch.stack([m.W.detach() for m in models])
    V = torch.stack([m.V.detach() for m in models])
    cfg = TrainConfig(steps=1, lr=0.1, dtype="float64")
    whole = evaluate_runs(W, V, data.inputs, data.targets, masks, ~masks, cfg, 1.0, len(data))
    for rows in (1, 5, 13):
        got = evaluate_runs(W, V, data.inputs, data.targets, masks, ~masks, cfg, 1.0, rows)
        for a, b in zip(whole, got):
            assert b == pytest.approx(a, rel=1e-12), rows


@pytest.mark.parametrize("opt", ["ngd", "gd", "adam"])
def test_fused_per_run_penalty_weights_equal_single_runs(opt):
    """Per-run l_inf weights (a lambda sweep in one pass): run r equals a lone autograd run at weight_r,
    histories (the objective included) too; a zero weight is the unpenalized run."""
    data, models, masks = _setup()
    cfg = TrainConfig(steps=12, lr=0.3 if opt != "adam" else 1e-2, optimizer=opt, penalty="linf", dtype="float64",
                      eval_steps=(0, 6, 12))
    weights = [0.5, 0.0, 0.05]
    h_got, got = train_fused(models, data, masks, cfg, penalty_weights=weights)
    for r, w in enumerate(weights):
        h_ref, ref = _reference(models[r:r + 1], data, masks[r:r + 1], TrainConfig(**{**cfg.__dict__, "penalty_weight": w}))
        _assert_same(h_ref, ref, h_got[r:r + 1], {k: v[r:r + 1] for k, v in got.items()}, f"{opt} weight {w}")
    _, unpenalized = _reference(models[:1], data, masks[:1], TrainConfig(**{**cfg.__dict__, "penalty_weight": 0.0}))
    assert not torch.allclose(got["W"][0], unpenalized["W"][0])  # the weight acts


def test_fused_refuses_bad_penalty_weights():
    from grokcheck.models.fused import train_quadratic
    data, models, masks = _setup(p=5, R=2)
    cfg = TrainConfig(steps=1, lr=0.1, penalty="linf", dtype="float64")
    for bad in ([0.1], [0.1, -1.0], [0.1, float("nan")]):
        with pytest.raises(ValueError, match="penalty_weights"):
            train_fused(models, data, masks, cfg, penalty_weights=bad)
    with pytest.raises(ValueError, match="penalty_weights need config.penalty"):
        train_fused(models, data, masks, TrainConfig(steps=1, lr=0.1, dtype="float64"), penalty_weights=[0.1, 0.2])
    with pytest.raises(ValueError, match="fused"):
        train_quadratic(models, data, masks, cfg, fused=False, penalty_weights=[0.1, 0.2])


def test_fused_refuses_bad_input():
    data, models, masks = _setup(p=5, R=2)
    cfg = TrainConfig(steps=1, lr=0.1, dtype="float64")
    with pytest.raises(ValueError, match="QuadraticNet"):
        train_fused([torch.nn.Linear(2, 2)] * 2, data, masks, cfg)
    with pytest.raises(ValueError, match="lrs"):
        train_fused(models, data, masks, cfg, lrs=[0.1])
    with pytest.raises(ValueError, match="full batch"):
        train_fused(models, data, masks, TrainConfig(steps=1, lr=0.1, batch_size=4))
    tdata, tmodels, tmasks = _setup(p=5, R=2, triples=True)
    with pytest.raises(ValueError, match="mse"):
        train_fused(tmodels, tdata, tmasks, cfg)


def test_train_quadratic_switch():
    """fused=False is exactly the autograd reference, fused=True exactly train_fused; fused-only options refuse."""
    from grokcheck.models.fused import train_quadratic
    data, models, masks = _setup(p=5, R=2)
    cfg = TrainConfig(steps=5, lr=0.05, optimizer="gd", dtype="float64", eval_steps=(0, 5))
    _, ref = _reference(models, data, masks, cfg)
    _, off = train_quadratic(models, data, masks, cfg, fused=False)
    _, on = train_quadratic(models, data, masks, cfg, fused=True)
    _, fu = train_fused(models, data, masks, cfg)
    assert torch.equal(off["W"], ref["W"]) and torch.equal(on["W"], fu["W"])
    with pytest.raises(ValueError, match="fused"):
        train_quadratic(models, data, masks, cfg, fused=False, stop=lambda *a: False)


def test_row_chunk_evens_out_the_chunks():
    """With n, the rows per chunk split n into equal chunks within the budget; without n, the budget's rows."""
    from grokcheck.models.fused import CHUNK_BYTES, row_chunk
    assert CHUNK_BYTES == 4 << 20  # measured in row_chunk's docstring
    full = row_chunk(8, 188, torch.float64, "cpu")
    assert full == CHUNK_BYTES // (8 * 188 * 8)
    assert row_chunk(24, 388, torch.float64, "cpu", 4096) >= 64  # at least 64 rows (56 by the budget)
    for n in (full - 1, full, full + 1, 3 * full + 7, 10_000):
        rows = row_chunk(8, 188, torch.float64, "cpu", n)
        k = -(-n // rows)
        assert rows <= full and k == -(-n // full), (n, rows)  # as many chunks as the budget needs
        assert n - (k - 1) * rows > rows - k, (n, rows)  # the last chunk is not a thin remainder
