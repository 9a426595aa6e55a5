"""Shared pieces of the PKU-project claims: one training run of a sequence model, and the
step measures read from its history (t_fit, t95, volatility). Training goes through
models/train.py; nothing here trains by itself.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from grokcheck.models.lstm import LSTM
from grokcheck.models.mlp import MLP
from grokcheck.models.sequence_tasks import sequence_split
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.models.transformer import Transformer
from grokcheck.theory.validation import check_int

ARCHS = ("transformer", "mlp", "lstm")
FIT = 0.99      # train accuracy that counts as "fit" (memorized)
GROK = 0.95     # test accuracy that counts as "grokked" (the PKU/Power+22 threshold)


@dataclass(frozen=True)
class RunSpec:
    arch: str = "transformer"   # "transformer" | "mlp" | "lstm"
    p: int = 41                 # modulus
    op: str = "add"             # add | sub | mul | div
    k: int = 2                  # operands (k > 2: k-ary sum)
    fraction: float = 0.5       # training fraction
    d: int = 128                # embedding / model width
    layers: int = 2             # transformer blocks / LSTM layers / MLP hidden layers
    heads: int = 4              # transformer heads
    hidden: int = 256           # MLP / LSTM hidden width
    dropout: float = 0.0
    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1.0
    batch_size: int | None = 64  # None = full batch
    warmup_steps: int = 10      # PKU: linear warm-up over 10 steps from 0.1 lr
    momentum: float = 0.9       # sgd_nesterov
    steps: int = 30000
    n_eval: int = 100           # uniformly spaced eval points (volatility needs a uniform grid)
    seed: int = 0               # split, init, minibatch order and dropout masks


def build_model(spec: RunSpec, seq_len: int) -> torch.nn.Module:
    g = torch.Generator().manual_seed(1000 + spec.seed)
    if spec.arch == "transformer":
        return Transformer(spec.p, seq_len, spec.d, spec.heads, spec.layers, spec.dropout, g, seed=spec.seed)
    if spec.arch == "mlp":
        return MLP(spec.p, seq_len, spec.d, spec.hidden, spec.layers, spec.dropout, g, seed=spec.seed)
    if spec.arch == "lstm":
        return LSTM(spec.p, seq_len, spec.d, spec.hidden, spec.layers, spec.dropout, g, seed=spec.seed)
    raise ValueError(f"unknown arch {spec.arch!r}; expected one of {ARCHS}")


def mode_aware_forward(model, inputs):
    """train() mode while gradients are on (training step), eval() mode under no_grad (the
    loop's evaluation), so dropout is active only in training steps."""
    model.train(torch.is_grad_enabled())
    return model(inputs)


def uniform_eval_steps(steps: int, n: int) -> tuple:
    steps, n = check_int("steps", steps, 1), check_int("n_eval", n, 1)
    return tuple(sorted({round(i * steps / n) for i in range(n + 1)}))


@contextmanager
def one_thread():
    """Run torch on one intra-op thread, restoring the previous count afterwards. These models are
    tiny (widths 32-128, a few hundred rows): a step is ~10 ms of Python/dispatch overhead, and a
    second OpenMP thread only spins. Measured on the shared 2-core machine: a width-64 transformer
    step took ~7 ms CPU with 1 thread and 29-200 ms CPU with 2 (spin-waiting under contention)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def run_one(spec: RunSpec, log=None, *, callbacks=(), eval_steps=None) -> dict:
    """Train one model (on one torch thread, see `one_thread`); returns {"history"
    (History.to_dict), "t_fit", "t95", ...}. callbacks: models.train callbacks cb(step, model,
    metrics); eval_steps: the eval grid (default: `spec.n_eval` uniform points, which the
    volatility measures need)."""
    with one_thread():
        return _run_one(spec, log, callbacks, eval_steps)


def _run_one(spec: RunSpec, log=None, callbacks=(), eval_steps=None) -> dict:
    (xtr, ytr), (xte, yte) = sequence_split(spec.p, spec.op, spec.fraction, spec.seed, spec.k)
    model = build_model(spec, xtr.shape[1])
    config = TrainConfig(steps=spec.steps, lr=spec.lr, optimizer=spec.optimizer,
                         weight_decay=spec.weight_decay, betas=(0.9, 0.98), momentum=spec.momentum,
                         batch_size=spec.batch_size, warmup_steps=spec.warmup_steps, warmup_start=0.1,
                         eval_steps=eval_steps or uniform_eval_steps(spec.steps, spec.n_eval), seed=spec.seed)
    hist = train(model, Data(xtr, ytr), Data(xte, yte), config, forward=mode_aware_forward, callbacks=callbacks,
                 generator=torch.Generator().manual_seed(2000 + spec.seed), log=log)
    out = {"history": hist.to_dict(), "n_train": len(ytr), "n_test": len(yte),
           "shifted_test_acc": shifted_accuracy(model, xte, yte, spec.p)}
    out.update(step_measures(hist.steps, hist.metrics["train_acc"], hist.metrics["test_acc"]))
    return out


def shifted_accuracy(model, tokens, labels, p: int) -> float:
    """Accuracy of the trained model against deliberately wrong labels z + 1 mod p (the negative
    control: a correct pipeline must score near 0 here, never >= GROK)."""
    with torch.no_grad():
        pred = model.eval()(tokens).argmax(1)  # (N,)
    return float((pred == (labels + 1) % p).double().mean())


def step_measures(steps, train_acc, test_acc) -> dict:
    """t_fit (first eval step with train acc >= FIT), t95 (first with test acc >= GROK), the best
    train and test accuracies, and volatility after t95 on the eval grid:
    - drops: eval points after t95 with test acc < GROK (a grokked run that falls back);
    - min_after: the lowest test accuracy after t95; std_after: its standard deviation.
    None / NaN when the run never grokked."""
    t_fit = next((s for s, a in zip(steps, train_acc) if a >= FIT), None)
    i95 = next((i for i, a in enumerate(test_acc) if a >= GROK), None)
    after = test_acc[i95:] if i95 is not None else []
    mean = sum(after) / len(after) if after else math.nan
    return {"t_fit": t_fit, "t95": None if i95 is None else steps[i95],
            "best_test": max(test_acc), "best_train": max(train_acc),
            "final_test": test_acc[-1], "final_train": train_acc[-1],
            "drops": sum(a < GROK for a in after) if after else math.nan,
            "min_after": min(after) if after else math.nan,
            "std_after": math.sqrt(sum((a - mean) ** 2 for a in after) / len(after)) if after else math.nan}


def best_so_far(values) -> list:
    """Running maximum (the PKU figures plot "best accuracy" against steps)."""
    out, m = [], -math.inf
    for v in values:
        m = max(m, v)
        out.append(m)
    return out


def t_or_budget(t, steps: int) -> float:
    """A step for averaging: t, or the budget when the run never got there (a lower bound)."""
    return float(steps if t is None else t)


def compact(out: dict, label: str, **extra) -> dict:
    """The part of a run kept in Result.series: curves on the eval grid and the step measures."""
    h = out["history"]
    keys = ("shifted_test_acc", "t_fit", "t95", "best_test", "best_train", "final_test", "final_train",
            "drops", "min_after", "std_after")
    return {"label": label, "steps": h["steps"], "train_acc": h["metrics"]["train_acc"],
            "test_acc": h["metrics"]["test_acc"], "train_loss": h["metrics"]["train_loss"],
            "test_loss": h["metrics"]["test_loss"], "diverged_at": h["diverged_at"],
            **{k: out[k] for k in keys}, **extra}


def mean(values) -> float:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return sum(vals) / len(vals) if vals else math.nan
