"""The one training loop (Mohamadi+24 eq. 2.2 objective).

Minimizes (1/n) sum_i loss(f(theta; x_i), y_i) + lambda * P(theta) over a model's parameters,
where P is a penalty of models/penalties.py (the paper's P = ||theta||_inf, eq. 2.2) whose
subgradient is added to the loss gradient. Optimizers (lr_t from `lr_at`, g = full gradient):
- "gd":    theta <- theta - lr_t g                    (vanilla (full-batch) gradient descent)
- "ngd":   theta <- theta - lr_t g / ||g||_2          (normalized GD, Mohamadi+24 Sec. 4;
                                                       ||g||_2 over all parameters; no step if g = 0)
- "sign":  theta <- theta - lr_t sign(g)              (l_inf steepest descent)
- "adam", "adamw", "sgd_nesterov": torch.optim (foreach), betas / eps / momentum from the config.
`weight_decay` is decoupled for gd / ngd / sign (theta <- theta - lr_t wd theta), torch's own
meaning for the torch.optim ones (coupled for adam / sgd_nesterov, decoupled for adamw).

The loop reads top to bottom: evaluate (at eval steps), check for NaN/Inf, step. A NaN or Inf
loss or parameter stops the run and records `History.diverged_at` (float32 logits of a
3-homogeneous net overflow at ||theta||_inf ~ 1e12 / h^(1/3); use dtype="float64" to push it away).
Cost per step: one forward + backward on the batch; evaluation runs forward on the whole
train and test sets under no_grad in chunks of `eval_chunk` rows.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from grokcheck.models.penalties import check_penalty, penalty_subgradient, penalty_value
from grokcheck.models.trace import Data, History, default_eval_steps  # noqa: F401  (the run's data and trace)
from grokcheck.theory.validation import check_int, check_real

OPTIMIZERS = ("gd", "ngd", "sign", "adam", "adamw", "sgd_nesterov")
LOSSES = ("ce", "mse")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class TrainConfig:
    steps: int                      # optimizer steps
    lr: float                       # peak learning rate
    optimizer: str = "gd"           # one of OPTIMIZERS
    weight_decay: float = 0.0       # see module docstring for coupled / decoupled
    betas: tuple = (0.9, 0.98)      # adam / adamw
    momentum: float = 0.9           # sgd_nesterov
    eps: float = 1e-8               # adam / adamw
    penalty: str | None = None      # "linf" | "l1" | "l2" | "fro" | "nuclear" (models/penalties.py)
    penalty_weight: float = 0.0     # lambda in eq. 2.2
    loss: str = "ce"                # "ce" (mean cross-entropy) | "mse" (mean over points of the squared error)
    batch_size: int | None = None   # None = full batch
    warmup_steps: int = 0           # linear warm-up from warmup_start * lr to lr
    warmup_start: float = 0.1
    eval_steps: tuple | None = None  # None = log-spaced grid with 0 and steps (`default_eval_steps`)
    dtype: str = "float32"          # "float32" | "float64": parameters and float data
    eval_chunk: int = 1 << 16       # rows per forward pass during evaluation
    n_eval: int = 60                # points of the default eval grid

    def __post_init__(self):
        check_int("steps", self.steps, 0)
        check_real("lr", self.lr, 0.0, lower_open=True)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; expected one of {', '.join(LOSSES)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}; expected one of {', '.join(DTYPES)}")
        if self.penalty is not None:
            check_penalty(self.penalty)
        for name in ("weight_decay", "penalty_weight", "momentum", "eps", "warmup_start"):
            check_real(name, getattr(self, name), 0.0)
        if len(self.betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")
        for b in self.betas:
            check_real("betas", b, 0.0, 1.0, upper_open=True)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, 1)
        check_int("warmup_steps", self.warmup_steps, 0)
        check_int("eval_chunk", self.eval_chunk, 1)
        check_int("n_eval", self.n_eval, 1)


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate at `step`: linear warm-up from warmup_start * lr over warmup_steps, then constant."""
    if step < config.warmup_steps:
        frac = step / config.warmup_steps
        return config.lr * (config.warmup_start + (1 - config.warmup_start) * frac)
    return config.lr


def loss_fn(outputs: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """Mean loss over points: cross-entropy (outputs (N, O), targets (N,) long) or squared error
    summed over output dims (outputs (N,) / (N, O); long targets with 2-d outputs mean one-hot)."""
    if loss == "ce":
        return F.cross_entropy(outputs, targets)
    if outputs.ndim == 2 and targets.ndim == 1:
        targets = F.one_hot(targets.long(), outputs.shape[1]).to(outputs.dtype) if not targets.is_floating_point() \
            else targets[:, None].expand_as(outputs)
    diff = outputs - targets.to(outputs.dtype)
    return (diff * diff).reshape(diff.shape[0], -1).sum(1).mean()


def accuracy(outputs: torch.Tensor, targets: torch.Tensor, scale: float = 1.0) -> float:
    """Argmax accuracy for (N, O) outputs; for scalar outputs (N,) the fraction with |f - y| < scale / 2
    (scale = max |y| on the training set, so a prediction is right when it is nearer the target than
    halfway to the other level of a two-level target such as p 1[a+b=c])."""
    if outputs.ndim == 2:
        t = targets if targets.ndim == 1 else targets.argmax(1)
        return float((outputs.argmax(1) == t).double().mean())
    return float(((outputs - targets.to(outputs.dtype)).abs() < scale / 2).double().mean())


def check_targets(n_out: int | None, *datasets: Data) -> None:
    """ValueError unless integer targets are class ids in [0, n_out), n_out = the model's number of
    outputs (None or scalar outputs: nothing to check). Float targets (regression) are not checked.
    Run once at the entry of train / train_batched, never per step."""
    if n_out is None:
        return
    for d in datasets:
        if len(d) and not d.targets.is_floating_point():
            lo, hi = int(d.targets.min()), int(d.targets.max())
            if lo < 0 or hi >= n_out:
                raise ValueError(f"targets must be class ids in [0, {n_out}) (the model's outputs), got min {lo}, max {hi}")


def check_data(out: torch.Tensor, loss: str, **datasets: Data) -> None:
    """ValueError (one line, naming the set) unless every dataset fits the model's outputs `out`
    (the forward of one training input: (1, O) logits or (1,) scalars) and the loss: no complex,
    boolean or meta tensors, finite float inputs and targets, and targets of a shape the loss reads
    without broadcasting. ce: (N,) integer class ids or (N, O) float class probabilities; mse:
    (N,) for scalar outputs, and (N,) integer ids (one-hot), (N,) float (the same target for every
    output) or (N, O) for O outputs. A (N, 1) target against (N,) outputs would otherwise
    broadcast to (N, N) and train on the wrong loss. Run once at the entry of `train`."""
    if loss == "ce" and out.ndim != 2:
        raise ValueError(f"loss 'ce' needs (N, O) logits from the model, got outputs of shape {tuple(out.shape)}")
    n_out = out.shape[1] if out.ndim == 2 else None
    for name, d in datasets.items():
        for part, t in (("inputs", d.inputs), ("targets", d.targets)):
            if t.is_complex() or t.dtype == torch.bool or t.is_meta:
                kind = "on the meta device" if t.is_meta else f"of dtype {t.dtype}"
                raise ValueError(f"{name} {part} are {kind}; train needs real tensors with values")
            if t.is_floating_point() and len(d) and not bool(torch.isfinite(t).all()):
                raise ValueError(f"{name} {part} have {int((~torch.isfinite(t)).sum())} non-finite entries (NaN or inf)")
        y = d.targets
        if loss == "ce":
            ok = (y.ndim == 1 and not y.is_floating_point()) or (y.ndim == 2 and y.is_floating_point()
                                                                 and y.shape[1] == n_out)
            want = f"(N,) integer class ids or (N, {n_out}) float probabilities"
        elif n_out is None:
            ok, want = y.ndim == 1, "(N,) for scalar outputs"
        else:
            ok = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == n_out)
            want = f"(N,) or (N, {n_out}) for {n_out} outputs"
        if not ok:
            raise ValueError(f"{name} targets have shape {tuple(y.shape)} and dtype {y.dtype}; loss {loss!r} needs {want}")


def _cast(data: Data, dtype: torch.dtype, device) -> Data:
    x = data.inputs.to(device)
    y = data.targets.to(device)
    return Data(x.to(dtype) if x.is_floating_point() else x, y.to(dtype) if y.is_floating_point() else y)


@torch.no_grad()
def evaluate(model, data: Data, config: TrainConfig, forward, scale: float) -> tuple[float, float]:
    """(mean loss, accuracy) over `data` in chunks; NaN for an empty set."""
    if len(data) == 0:
        return float("nan"), float("nan")
    total, correct = 0.0, 0.0
    for s in range(0, len(data), config.eval_chunk):
        x, y = data.inputs[s:s + config.eval_chunk], data.targets[s:s + config.eval_chunk]
        out = forward(model, x)
        total += float(loss_fn(out, y, config.loss)) * len(y)
        correct += accuracy(out, y, scale) * len(y)
    return total / len(data), correct / len(data)


def _norms(params) -> tuple[float, float]:
    linf = max(float(p.detach().abs().max()) for p in params)
    l2 = math.sqrt(sum(float((p.detach().double() ** 2).sum()) for p in params))
    return linf, l2


def _make_torch_optimizer(params, config: TrainConfig):
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, betas=tuple(config.betas), eps=config.eps,
                                weight_decay=config.weight_decay, foreach=True)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, betas=tuple(config.betas), eps=config.eps,
                                 weight_decay=config.weight_decay, foreach=True)
    if config.optimizer == "sgd_nesterov":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, nesterov=True,
                               weight_decay=config.weight_decay, foreach=True)
    return None


@torch.no_grad()
def _manual_step(params, grads, lr: float, config: TrainConfig) -> None:
    """gd / ngd / sign update in place (module docstring), with decoupled weight decay."""
    if config.weight_decay:
        torch._foreach_mul_(params, 1 - lr * config.weight_decay)
    if config.optimizer == "gd":
        torch._foreach_add_(params, grads, alpha=-lr)
    elif config.optimizer == "ngd":
        gnorm = float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))
        if gnorm > 0 and math.isfinite(gnorm):
            torch._foreach_add_(params, grads, alpha=-lr / gnorm)
    else:
        torch._foreach_add_(params, [torch.sign(g) for g in grads], alpha=-lr)


def train(model, train_data: Data, test_data: Data, config: TrainConfig, *,
          forward=lambda model, inputs: model(inputs), callbacks=(), generator=None, log=None,
          post_step=None, optimizer_state=None, on_optimizer=None) -> History:
    """Train `model` in place on `train_data`; metrics at the eval steps.

    Args:
        model: an nn.Module; cast to config.dtype; all parameters with requires_grad are trained.
        train_data, test_data: Data; test_data may be empty (metrics NaN).
        forward: (model, inputs (B, ...)) -> outputs (B, O) logits or (B,) scalars.
        callbacks: each cb(step, model, metrics) at every eval step; may add keys to metrics.
        generator: torch.Generator (CPU) for minibatch order, a named stream of the run (e.g.
            `ctx.rng("batches", run)`); required when config.batch_size < len(train_data), since a
            fallback stream would silently ignore the run's seed. Permutations are drawn on the
            CPU and moved to the model's device, so CPU and CUDA runs see the same batches.
        log: progress callable (one line per ~10% of the eval steps).
        post_step: optional post_step(step, model), called under no_grad after every optimizer
            step (e.g. a proximal operator: gd + prox_l1(theta, lr beta) is ISTA).
        optimizer_state: optional `state_dict()` of the torch optimizer of a run with the same config
            (adam / adamw / sgd_nesterov), loaded (a copy) before the first step, so the run continues
            that state: moments and step count (e.g. one step from a state saved at an eval step).
            gd / ngd / sign keep no state and refuse it.
        on_optimizer: optional on_optimizer(opt), called once with the torch optimizer built here (None
            for gd / ngd / sign) before the first step, so a callback can read opt.state_dict().
    Returns: History with train_loss / train_acc / test_loss / test_acc / linf / l2 / objective
        (train_loss + penalty_weight * penalty) at each eval step, and diverged_at.
    """
    dtype = DTYPES[config.dtype]
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    device = params[0].device
    model.to(dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    for name, d in (("train_data", train_data), ("test_data", test_data)):
        if d.inputs.is_meta or d.targets.is_meta:
            raise ValueError(f"{name} is on the meta device (shapes only, no values)")
    train_data, test_data = _cast(train_data, dtype, device), _cast(test_data, dtype, device)
    n = len(train_data)
    if n == 0:
        raise ValueError("train_data is empty")
    was_training = model.training
    with torch.no_grad():
        out = forward(model.eval(), train_data.inputs[:1])  # one input: the number of outputs (eval: no dropout draw)
    model.train(was_training)
    check_data(out, config.loss, train_data=train_data, test_data=test_data)
    check_targets(out.shape[-1] if out.ndim == 2 else None, train_data, test_data)
    scale = float(train_data.targets.abs().max()) if train_data.targets.is_floating_point() else 1.0
    scale = scale if scale > 0 else 1.0
    if generator is None and config.batch_size is not None and config.batch_size < n:
        raise ValueError(f"minibatch training (batch_size {config.batch_size} < {n} points) needs generator=, "
                         f"a named stream of the run such as ctx.rng('batches', run)")
    eval_steps = set(config.eval_steps if config.eval_steps is not None else default_eval_steps(config.steps, config.n_eval))
    eval_steps = {s for s in eval_steps if 0 <= s <= config.steps} | {0, config.steps}
    n_evals, done_evals = len(eval_steps), 0
    opt = _make_torch_optimizer(params, config)
    if optimizer_state is not None:
        if opt is None:
            raise ValueError(f"optimizer {config.optimizer!r} keeps no state to load (optimizer_state is for "
                             f"adam / adamw / sgd_nesterov)")
        opt.load_state_dict(copy.deepcopy(optimizer_state))  # a copy: the step updates its tensors in place
    if on_optimizer is not None:
        on_optimizer(opt)
    use_penalty = config.penalty is not None and config.penalty_weight > 0
    history = History(device=str(device))
    perm, pos = None, n

    for step in range(config.steps + 1):
        if step in eval_steps:
            metrics = _measure(model, params, train_data, test_data, config, forward, scale)
            for cb in callbacks:
                cb(step, model, metrics)
            history.append(step, metrics)
            done_evals += 1
            if not all(math.isfinite(v) for v in (metrics["train_loss"], metrics["linf"])):
                history.diverged_at = step
                if log:
                    log(f"diverged (NaN/Inf) at step {step}; stopping")
                break
            if log and (done_evals % max(1, n_evals // 10) == 0 or step == config.steps):
                log(f"step {step}: train loss {metrics['train_loss']:.3g} acc {metrics['train_acc']:.3f}, "
                    f"test loss {metrics['test_loss']:.3g} acc {metrics['test_acc']:.3f}, linf {metrics['linf']:.3g}")
        if step == config.steps:
            break
        if config.batch_size is None or config.batch_size >= n:
            x, y = train_data.inputs, train_data.targets
        else:
            if pos + config.batch_size > n:
                perm, pos = torch.randperm(n, generator=generator, device=generator.device).to(device), 0
            idx = perm[pos:pos + config.batch_size]
            pos += config.batch_size
            x, y = train_data.inputs[idx], train_data.targets[idx]
        for p in params:
            p.grad = None
        loss = loss_fn(forward(model, x), y, config.loss)
        if not torch.isfinite(loss):
            history.diverged_at = step
            if log:
                log(f"diverged (non-finite loss {float(loss)}) at step {step}; stopping")
            break
        loss.backward()
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        if use_penalty:
            torch._foreach_add_(grads, penalty_subgradient(config.penalty, params), alpha=config.penalty_weight)
        lr = lr_at(step, config)
        if opt is None:
            _manual_step(params, grads, lr, config)
        else:
            for p, g in zip(params, grads):
                p.grad = g
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
        if post_step is not None:
            with torch.no_grad():
                post_step(step, model)
    return history


def _measure(model, params, train_data, test_data, config, forward, scale) -> dict:
    tr_loss, tr_acc = evaluate(model, train_data, config, forward, scale)
    te_loss, te_acc = evaluate(model, test_data, config, forward, scale)
    linf, l2 = _norms(params)
    obj = tr_loss
    if config.penalty is not None and config.penalty_weight > 0:
        with torch.no_grad():
            obj = tr_loss + config.penalty_weight * float(penalty_value(config.penalty, params))
    return {"train_loss": tr_loss, "train_acc": tr_acc, "test_loss": te_loss, "test_acc": te_acc,
            "linf": linf, "l2": l2, "objective": obj}
