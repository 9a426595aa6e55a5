"""R independent training runs of one architecture in one pass.

The R runs' parameters are stacked along a new leading axis (`torch.func.stack_module_state`);
the forward is `vmap(functional_call)` over (params, per-run inputs), so one batched matmul
serves all runs. Runs share one data table (N points: every pair or triple of the task) and
differ by their training subsets, given as boolean masks (R, N); internally each run gets a
padded index row (R, n_max) and a weight row (R, n_max) (1 / n_r on its points, 0 on padding),
so the loss of run r is the mean over its own n_r points and the gradient of the summed loss
is each run's own gradient. Inputs stay integer token ids: models that gather rows of W
(QuadraticNet.logits / regression_output) never build one-hot vectors.

Every update of models/train.py is elementwise or per run, so it is reproduced run by run:
gd / sign use a per-run lr (R,); ngd divides by each run's own gradient norm; adam / adamw /
sgd_nesterov act elementwise (torch.optim on the stacked tensors, foreach); penalties use each
run's own max / norm (`penalty_subgradient(..., runs=True)`). A run whose loss turns NaN/Inf is frozen
and its step recorded in its History.diverged_at; the others go on.
Cost per step: forward + backward over R * n_max rows, in groups of runs whose activations stay
under GROUP_BYTES (`run_group_size`), then one stacked update; evaluation over R * N rows, chunked.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from grokcheck.models.groups import GROUP_BYTES, _fit_budget, _widest, group_bytes, run_group_size  # noqa: F401
from grokcheck.models.penalties import penalty_subgradient
from grokcheck.models.train import (Data, History, TrainConfig, _make_torch_optimizer, check_data,
                                    check_targets, default_eval_steps, lr_at)
from grokcheck.theory.validation import check_int


class _Forward(nn.Module):
    """Wraps (model, forward) so functional_call runs the custom forward; parameter names get 'model.'."""

    def __init__(self, model: nn.Module, forward):
        super().__init__()
        self.model = model
        self._fwd = forward

    def forward(self, inputs):
        return self._fwd(self.model, inputs)


def masks_to_index(masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks (R, N) -> padded indices (R, n_max) long and weights (R, n_max) (1/n_r or 0)."""
    if masks.ndim != 2 or masks.dtype != torch.bool:
        raise ValueError(f"masks must be a bool tensor (R, N), got {masks.dtype} {tuple(masks.shape)}")
    counts = masks.sum(1)  # (R,)
    if int(counts.min()) == 0:
        raise ValueError("every run needs at least one training point")
    n_max = int(counts.max())
    order = torch.argsort((~masks).to(torch.int8), dim=1, stable=True)[:, :n_max]  # (R, n_max) train first
    valid = torch.arange(n_max, device=masks.device)[None, :] < counts[:, None]  # (R, n_max)
    idx = torch.where(valid, order, order[:, :1])  # pad with a real point (weight 0)
    return idx, valid.double() / counts[:, None].double()


def _fused_hidden(W: torch.Tensor, tokens: torch.Tensor, p: int) -> torch.Tensor:
    """h = W[:, a] + W[:, p + b] for all runs in one gather: W (R, h, 2p), tokens (R, B, 2) -> (R, B, h).

    The one-hot input x = (e_a, e_b) is never built: rows a and p + b of the stacked table
    W^T (R * 2p, h) are gathered and summed by one embedding_bag (flat index r * 2p + column;
    backward: one scatter-add), so neither one-hot inputs nor the (R, B, 2, h) gather are materialized."""
    R, width, two_p = W.shape
    table = W.transpose(1, 2).reshape(R * two_p, width)  # (R*2p, h)
    cols = tokens + torch.tensor([0, p], device=tokens.device)  # (R, B, 2)
    flat = cols + (torch.arange(R, device=tokens.device) * two_p)[:, None, None]  # (R, B, 2)
    bag = torch.nn.functional.embedding_bag(flat.reshape(-1, 2), table, mode="sum")  # (R*B, h): gather + add fused
    return bag.reshape(R, -1, width)  # (R, B, h)


def quadratic_pairs_forward(params: dict, tokens: torch.Tensor) -> torch.Tensor:
    """Batched QuadraticNet.logits: params W (R, h, 2p), V (R, p, h); tokens (R, B, 2) -> logits (R, B, p)."""
    W, V = params["W"], params["V"]
    h = _fused_hidden(W, tokens, V.shape[1])  # (R, B, h)
    return torch.bmm(h * h, V.transpose(1, 2))  # (R, B, p)


def quadratic_triples_forward(params: dict, triples: torch.Tensor) -> torch.Tensor:
    """Batched QuadraticNet.regression_output: triples (R, B, 3) -> g = f_c(a, b), (R, B)."""
    W, V = params["W"], params["V"]
    R, p, width = V.shape
    h = _fused_hidden(W, triples[..., :2], p)  # (R, B, h)
    flat_c = triples[..., 2] + (torch.arange(R, device=triples.device) * p)[:, None]  # (R, B)
    v_c = torch.nn.functional.embedding(flat_c, V.reshape(R * p, width))  # (R, B, h)
    return (h * h * v_c).sum(2)  # (R, B)


def _bshape(v: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *[1] * (t.ndim - 1)).to(t.dtype)


def load_run(model: nn.Module, params: dict, r: int) -> nn.Module:
    """Copy run r of stacked params (names as in `model`) into `model`; returns it."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(params[name][r])
    return model


def train_batched(models: list, data: Data, train_masks: torch.Tensor, config: TrainConfig, *,
                  forward=lambda model, inputs: model(inputs), test_masks: torch.Tensor | None = None,
                  lrs=None, callbacks=(), log=None, batched_forward=None,
                  run_group: int | None = None, generators: list | None = None) -> tuple[list, dict]:
    """Train R = len(models) independent copies in one pass; the models themselves are not changed.

    Args:
        models: R modules of one architecture (their initial parameters differ by seed).
        data: the shared table, inputs (N, ...), targets (N,).
        train_masks: (R, N) bool, run r trains on data[train_masks[r]].
        config: as for models.train.train; with batch_size B each run r draws its minibatches exactly
            as `models.train.train` does with generator=generators[r] (a fresh torch.randperm of its
            n_r training points, in mask order, whenever fewer than B remain); a run with n_r <= B
            trains full batch.
        forward: (model, inputs (B, ...)) -> (B, O) or (B,), as for train(); traced under vmap.
        test_masks: (R, N) bool; default ~train_masks (the rest of the table).
        lrs: optional per-run learning rates (R,) (gd / ngd / sign only); default config.lr.
        callbacks: cb(step, params, metrics) with params {name: (R, ...)} and metrics a list of R dicts.
        batched_forward: optional hand-batched forward (params {name: (R, ...)}, inputs (R, B, ...)) ->
            (R, B, O) / (R, B) used instead of vmap(functional_call), e.g. `quadratic_pairs_forward`.
        run_group: runs per forward/backward pass (default `run_group_size`: as many as keep the
            largest activation under GROUP_BYTES); results do not depend on it.
        generators: R CPU torch.Generators, one named stream per run (e.g. ctx.rng("batches", r));
            required when batch_size is below some run's number of training points.
    Returns: (histories: list of R History, params: {name: (R, ...)} final stacked parameters).
    """
    R = len(models)
    if R == 0:
        raise ValueError("need at least one model")
    N = len(data)
    test_masks = default_test_masks(train_masks, test_masks)
    _check_masks(train_masks, test_masks, R, N)
    _check_same_architecture(models)
    dtype = {"float32": torch.float32, "float64": torch.float64}[config.dtype]
    base = _Forward(copy.deepcopy(models[0]).to(dtype), forward).to("meta")
    params, _ = stack_module_state([_Forward(copy.deepcopy(m).to(dtype), forward) for m in models])
    plist = list(params.values())
    device = plist[0].device
    train_masks, test_masks = train_masks.to(device), test_masks.to(device)
    x = data.inputs.to(device)
    x = x.to(dtype) if x.is_floating_point() else x
    y = data.targets.to(device)
    y = y.to(dtype) if y.is_floating_point() else y
    scale = run_scales(y, train_masks)
    idx, wts = masks_to_index(train_masks)
    wts = wts.to(dtype)
    xb, yb = x[idx], y[idx]  # (R, n_max, ...), (R, n_max)
    batches = None if config.batch_size is None else \
        _Minibatches(idx, train_masks.sum(1).tolist(), config.batch_size, generators, dtype)

    def f_one(p, inp):
        return functional_call(base, p, (inp,))

    fwd = vmap(f_one) if batched_forward is None else \
        (lambda p, inp: batched_forward({k[len("model."):]: v for k, v in p.items()}, inp))
    with torch.no_grad():
        out = fwd({k: v[:1] for k, v in params.items()}, x[:1][None])  # (1, 1, O) or (1, 1)
    check_data(out[0], config.loss, data=Data(x, y))  # as train() does: finite, target shapes the loss reads
    check_targets(out.shape[-1] if out.ndim == 3 else None, Data(x, y))
    if lrs is not None:
        if config.optimizer not in ("gd", "ngd", "sign"):
            raise ValueError("per-run lrs need optimizer gd, ngd or sign")
        lrs = torch.as_tensor(lrs, dtype=torch.float64).to(device)
        if lrs.shape != (R,):
            raise ValueError(f"lrs must have shape ({R},), got {tuple(lrs.shape)}")
        if not bool(torch.isfinite(lrs).all()) or bool((lrs <= 0).any()):
            raise ValueError(f"lrs must be positive finite learning rates, got min {float(lrs.min())}")
    lr_scale = lrs / config.lr if lrs is not None else torch.ones(R, dtype=torch.float64, device=device)
    opt = _make_torch_optimizer(plist, config)
    group = run_group_size(R, idx.shape[1], plist, dtype) if run_group is None else check_int("run_group", run_group, 1)
    # evaluation chunks: R runs x eval_rows rows, capped by eval_chunk and by the device's group budget
    eval_rows = _fit_budget(R * _widest(plist) * torch.empty((), dtype=dtype).element_size(),
                            max(1, config.eval_chunk // R), group_bytes(device))
    use_penalty = config.penalty is not None and config.penalty_weight > 0
    alive = torch.ones(R, dtype=torch.bool, device=device)
    histories = [History(device=str(device)) for _ in range(R)]
    eval_steps = set(config.eval_steps if config.eval_steps is not None else default_eval_steps(config.steps, config.n_eval))
    eval_steps = {s for s in eval_steps if 0 <= s <= config.steps} | {0, config.steps}

    for step in range(config.steps + 1):
        if step in eval_steps:
            metrics = _measure(fwd, params, x, y, train_masks, test_masks, config, scale, eval_rows)
            for cb in callbacks:
                cb(step, params, metrics)
            for r in range(R):
                if histories[r].diverged_at is None:
                    histories[r].append(step, metrics[r])
                    if not math.isfinite(metrics[r]["train_loss"]) or not math.isfinite(metrics[r]["linf"]):
                        histories[r].diverged_at = step
                        alive[r] = False
            if log and step in _log_points(eval_steps):
                tr = [m["train_acc"] for m in metrics]
                te = [m["test_acc"] for m in metrics]
                log(f"step {step}: {R} runs, mean train acc {sum(tr) / R:.3f}, mean test acc {sum(te) / R:.3f}")
        if step == config.steps or not bool(alive.any()):
            break
        if batches is None:
            grads, run_loss = _loss_and_grads(fwd, params, xb, yb, wts, alive, config.loss, group)
        else:
            bidx, bwts = batches.next()
            grads, run_loss = _loss_and_grads(fwd, params, x[bidx], y[bidx], bwts, alive, config.loss, group)
        bad = ~torch.isfinite(run_loss) & alive
        if bool(bad.any()):
            for r in torch.nonzero(bad).flatten().tolist():
                histories[r].diverged_at = step
                if log:
                    log(f"run {r} diverged (non-finite loss) at step {step}; frozen")
            alive &= ~bad
        if use_penalty:
            torch._foreach_add_(grads, penalty_subgradient(config.penalty, plist, runs=True), alpha=config.penalty_weight)
        grads = [torch.where(_bshape(alive, g) > 0, g, torch.zeros_like(g)) for g in grads]
        lr = lr_at(step, config)
        _step(plist, grads, lr, lr_scale * alive.double(), config, opt)
    return histories, {k[len("model."):]: v.detach() for k, v in params.items()}


class _Minibatches:
    """Per-run minibatches of `train_batched`, drawn as `models.train.train` draws them: run r keeps a
    permutation of its n_r training points (`idx[r, :n_r]`, mask order) from generators[r] and a
    position; when fewer than B points remain it draws a fresh torch.randperm. Runs with n_r <= B
    train full batch. `next()` -> (indices (R, W) long, weights (R, W)), W = min(B, n_max)."""

    def __init__(self, idx: torch.Tensor, counts, batch_size: int, generators, dtype):
        self.idx, self.B, self.dtype = idx, int(batch_size), dtype
        self.n = [int(c) for c in counts]
        self.W = min(self.B, idx.shape[1])
        if generators is not None and len(generators) != len(self.n):
            raise ValueError(f"generators: one per run, got {len(generators)} for {len(self.n)} runs")
        if generators is None and max(self.n) > self.B:
            raise ValueError(f"minibatch training (batch_size {self.B} < {max(self.n)} points) needs generators=, "
                             "one named stream per run such as ctx.rng('batches', r)")
        self.generators = generators
        self.perm = [None] * len(self.n)
        self.pos = list(self.n)  # "fewer than B left": the first batch draws a permutation

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        rows, wts = [], []
        for r, n in enumerate(self.n):
            if n <= self.B:  # full batch: the run's padded index row and its weights 1/n_r
                j = torch.arange(self.W, device=self.idx.device)
                rows.append(self.idx[r, :self.W])
                wts.append((j < n).to(self.dtype) / n)
                continue
            if self.pos[r] + self.B > n:
                g = self.generators[r]
                self.perm[r], self.pos[r] = torch.randperm(n, generator=g, device=g.device).to(self.idx.device), 0
            sel = self.perm[r][self.pos[r]:self.pos[r] + self.B]
            self.pos[r] += self.B
            rows.append(self.idx[r, sel])
            wts.append(torch.full((self.W,), 1.0 / self.B, dtype=self.dtype, device=self.idx.device))
        return torch.stack(rows), torch.stack(wts)


def run_scales(y: torch.Tensor, train_masks: torch.Tensor) -> torch.Tensor:
    """Each run's regression accuracy scale (R,): the largest |target| of its own training points, as
    `models.train.train` takes it (1 where that is 0, and for class targets)."""
    R = train_masks.shape[0]
    if not y.is_floating_point():
        return torch.ones(R, dtype=torch.float64, device=y.device)
    per_point = y.abs().reshape(len(y), -1).amax(1).double()  # (N,): the largest |target| of each point
    s = torch.where(train_masks, per_point[None, :], torch.zeros((), dtype=torch.float64, device=y.device)).amax(1)
    return torch.where(s > 0, s, torch.ones_like(s))


def default_test_masks(train_masks, test_masks):
    """test_masks, or the rest of the table (~train_masks) when None; a ValueError (one line) when
    train_masks is not a bool tensor, before anything is computed from it."""
    if not isinstance(train_masks, torch.Tensor) or train_masks.dtype != torch.bool:
        got = f"{train_masks.dtype} tensor" if isinstance(train_masks, torch.Tensor) else type(train_masks).__name__
        raise ValueError(f"train_masks must be a bool tensor of shape (R, N), got {got}")
    return ~train_masks if test_masks is None else test_masks


def _check_masks(train_masks, test_masks, R: int, N: int) -> None:
    """ValueError unless train / test masks are bool (R, N) and disjoint run by run."""
    for name, m in (("train_masks", train_masks), ("test_masks", test_masks)):
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool or tuple(m.shape) != (R, N):
            got = f"{m.dtype} {tuple(m.shape)}" if isinstance(m, torch.Tensor) else type(m).__name__
            raise ValueError(f"{name} must be a bool tensor of shape (R, N) = {(R, N)}, got {got}")
    if bool((train_masks & test_masks.to(train_masks.device)).any()):
        raise ValueError("test_masks overlap train_masks: a run's test points must not be training points")


def _check_same_architecture(models: list) -> None:
    """ValueError unless every model has the first one's parameter names and shapes."""
    ref = [(n, tuple(p.shape)) for n, p in models[0].named_parameters()]
    for r, m in enumerate(models[1:], 1):
        got = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
        if got != ref:
            raise ValueError(f"models must share one architecture: model {r} has parameters {got}, model 0 {ref}")


def _loss_and_grads(fwd, params: dict, xb, yb, wts, alive, loss: str, group: int):
    """Per-run mean losses (R,) and gradients (list like params) of the stacked runs, computed over
    groups of `group` runs (independent leaf slices; a frozen or non-finite run's loss is masked
    out of the backward pass, its gradient is zeroed by the caller)."""
    R = wts.shape[0]
    grads = [torch.zeros_like(v) for v in params.values()]
    run_loss = torch.empty(R, dtype=torch.float64, device=wts.device)
    for g0 in range(0, R, group):
        sl = slice(g0, min(R, g0 + group))
        leaves = {k: v[sl].detach().requires_grad_() for k, v in params.items()}
        out = fwd(leaves, xb[sl])  # (g, n_max, O) or (g, n_max)
        rl = (_per_point_loss(out, yb[sl], loss) * wts[sl]).sum(1)  # (g,) mean loss of each run
        run_loss[sl] = rl.detach()
        ok = alive[sl] & torch.isfinite(rl.detach())
        gs = torch.autograd.grad(torch.where(ok, rl, torch.zeros_like(rl)).sum(), list(leaves.values()),
                                 allow_unused=True)
        for full, g in zip(grads, gs):
            if g is not None:
                full[sl] = g
    return grads, run_loss


def _log_points(eval_steps) -> set:
    s = sorted(eval_steps)
    return set(s[:: max(1, len(s) // 10)]) | {s[-1]}


def _per_point_loss(out, y, loss: str) -> torch.Tensor:
    """(R, n, O) / (R, n) outputs -> (R, n) per-point losses, matching train.loss_fn's mean."""
    if loss == "ce":
        return torch.nn.functional.cross_entropy(out.transpose(1, 2), y, reduction="none") if out.ndim == 3 else \
            torch.nn.functional.cross_entropy(out, y, reduction="none")
    if out.ndim == 3 and y.ndim == 2:
        y = torch.nn.functional.one_hot(y, out.shape[2]).to(out.dtype) if not y.is_floating_point() \
            else y[..., None].expand_as(out)
    d = out - y.to(out.dtype)
    return (d * d).flatten(2).sum(2) if d.ndim == 3 else d * d


@torch.no_grad()
def _step(plist, grads, lr, scale, config, opt) -> None:
    """One update of every run; scale (R,) = per-run lr multiplier (0 for frozen runs)."""
    if opt is not None:
        for p, g in zip(plist, grads):
            p.grad = g
        for group in opt.param_groups:
            group["lr"] = lr
        saved = [p.detach().clone() for p in plist] if bool((scale == 0).any()) else None
        opt.step()
        if saved is not None:
            for p, s in zip(plist, saved):
                p.copy_(torch.where(_bshape(scale, p) > 0, p, s))
        return
    steps = [_bshape(scale * lr, p) for p in plist]  # per-run lr, broadcastable
    stateless_step(plist, grads, steps, config.optimizer, config.weight_decay)


@torch.no_grad()
def stateless_step(params: list, grads: list, steps: list, optimizer: str, weight_decay: float) -> None:
    """One gd / ngd / sign update of R stacked runs in place: params, grads (R, ...) each; steps: per-run
    step sizes broadcastable to them (0 freezes a run); decoupled weight decay first; NGD divides by each
    run's global gradient norm (a zero or non-finite norm gives no step)."""
    if weight_decay:
        torch._foreach_mul_(params, [1 - s * weight_decay for s in steps])
    if optimizer == "gd":
        upd = grads
    elif optimizer == "sign":
        upd = [torch.sign(g) for g in grads]
    else:
        sq = sum(g.double().pow(2).flatten(1).sum(1) for g in grads)  # (R,)
        norm = sq.sqrt()
        inv = torch.where((norm > 0) & torch.isfinite(norm), 1 / norm.clamp_min(1e-300), torch.zeros_like(norm))
        upd = [g * _bshape(inv, g) for g in grads]
    torch._foreach_sub_(params, torch._foreach_mul(upd, steps))


@torch.no_grad()
def _measure(fwd, params, x, y, train_masks, test_masks, config, scale, rows: int) -> list:
    """Per-run metrics over the whole table, chunked over N: R x `rows` rows per forward pass."""
    R, N = train_masks.shape
    chunk = rows
    loss_parts, acc_parts = [], []
    for s in range(0, N, chunk):
        xs, ys = x[s:s + chunk], y[s:s + chunk]
        out = fwd(params, xs.expand(R, *xs.shape))  # (R, c, O) or (R, c)
        yr = ys.expand(R, *ys.shape)
        loss_parts.append(_per_point_loss(out, yr, config.loss))
        if out.ndim == 3:
            t = yr if yr.ndim == 2 else yr.argmax(2)
            acc_parts.append((out.argmax(2) == t).double())
        else:
            acc_parts.append(((out - yr.to(out.dtype)).abs() < scale[:, None] / 2).double())
    losses, accs = torch.cat(loss_parts, 1).double(), torch.cat(acc_parts, 1)  # (R, N)
    plist = list(params.values())
    linf = torch.stack([p.detach().abs().flatten(1).amax(1) for p in plist]).amax(0).double()  # (R,)
    l2 = sum(p.detach().double().pow(2).flatten(1).sum(1) for p in plist).sqrt()  # (R,)
    out = []
    for r in range(R):
        tr, te = train_masks[r], test_masks[r]
        m = {"train_loss": float(losses[r][tr].mean()), "train_acc": float(accs[r][tr].mean()),
             "test_loss": float(losses[r][te].mean()) if te.any() else float("nan"),
             "test_acc": float(accs[r][te].mean()) if te.any() else float("nan"),
             "linf": float(linf[r]), "l2": float(l2[r])}
        if config.penalty is not None and config.penalty_weight > 0 and config.penalty == "linf":
            m["objective"] = m["train_loss"] + config.penalty_weight * m["linf"]
        else:
            m["objective"] = m["train_loss"]
        out.append(m)
    return out
