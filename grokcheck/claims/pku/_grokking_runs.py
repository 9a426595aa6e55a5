"""Shared pieces of the PKU-project claims: one training run of a sequence model, the step measures
read from its history (t_fit, t95, volatility), and `run_all`, which runs a claim's independent
runs as the items of `ctx.map` (cached, resumable, optionally in worker processes or on Ray).
Training goes through models/train.py; nothing here trains by itself.

Randomness (grokcheck.streams): run number `index` of a claim draws its training split from stream
("split", index), its initialization from ("init", index), its minibatch order from ("batches",
index) and its dropout masks from the models' per-layer ("dropout", layer) streams under the seed
stream_seed(seed, "dropout", index), all under the run seed `RunSpec.seed`. Runs of
one replicate `index` therefore share their init, and their training sets are nested across
fractions (prefixes of one permutation): comparisons within a replicate are paired.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from grokcheck.models.batched import train_batched
from grokcheck.models.lstm import LSTM
from grokcheck.models.mlp import MLP
from grokcheck.models.sequence_tasks import sequence_table
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.models.transformer import Transformer
from grokcheck.numerics import one_thread
from grokcheck.streams import generator, stream_seed
from grokcheck.theory.delay import eval_grid, first_step
from grokcheck.theory.tasks import split_indices
from grokcheck.theory.validation import check_int

ARCHS = ("transformer", "mlp", "lstm")
LABELS = ("true", "random")
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
    labels: str = "true"        # "true" | "random": every equation relabelled from stream ("control", index)
    seed: int = 0               # the run seed (ctx.seed): all streams derive from it
    index: int = 0              # the run's stream index (replicate number)


def build_model(spec: RunSpec, seq_len: int) -> torch.nn.Module:
    """The model of `spec`, initialized from stream ("init", index), dropout masks from ("dropout", index)."""
    g = generator(spec.seed, "init", spec.index)
    drop = stream_seed(spec.seed, "dropout", spec.index)
    if spec.arch == "transformer":
        return Transformer(spec.p, seq_len, spec.d, spec.heads, spec.layers, spec.dropout, g, seed=drop)
    if spec.arch == "mlp":
        return MLP(spec.p, seq_len, spec.d, spec.hidden, spec.layers, spec.dropout, g, seed=drop)
    if spec.arch == "lstm":
        return LSTM(spec.p, seq_len, spec.d, spec.hidden, spec.layers, spec.dropout, g, seed=drop)
    raise ValueError(f"unknown arch {spec.arch!r}; expected one of {ARCHS}")


def mode_aware_forward(model, inputs):
    """train() mode while gradients are on (training step), eval() mode under no_grad (the
    loop's evaluation), so dropout is active only in training steps."""
    model.train(torch.is_grad_enabled())
    return model(inputs)


def uniform_eval_steps(steps: int, n: int) -> tuple:
    """n + 1 evenly spaced eval steps in [0, steps]: `theory.delay.eval_grid(steps, n_uniform=n)`."""
    return eval_grid(check_int("steps", steps, 1), n_uniform=check_int("n_eval", n, 1))


def task_split(spec: RunSpec) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(tokens (N, L), labels (N,), train indices, test indices) of the task of `spec`: the split from
    stream ("split", index); with labels="random" every label is redrawn uniformly from stream
    ("control", index) first."""
    if spec.labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS}, got {spec.labels!r}")
    tokens, labels = sequence_table(spec.p, spec.op, spec.k)  # (N, 2k), (N,)
    if spec.labels == "random":
        labels = torch.randint(spec.p, labels.shape, generator=generator(spec.seed, "control", spec.index))
    tr, te = split_indices(len(labels), spec.fraction, generator(spec.seed, "split", spec.index))
    if len(te) == 0:
        raise ValueError(f"fraction {spec.fraction} leaves no test data (N = {len(labels)})")
    return tokens, labels, tr, te


def split_data(spec: RunSpec) -> tuple[Data, Data]:
    """(train, test) of the task of `spec` (`task_split`)."""
    tokens, labels, tr, te = task_split(spec)
    return Data(tokens[tr], labels[tr]), Data(tokens[te], labels[te])


def train_config(spec: RunSpec, eval_steps=None) -> TrainConfig:
    """The optimizer, schedule and eval grid of `spec` (AdamW betas (0.9, 0.98), warm-up from 0.1 lr)."""
    return TrainConfig(steps=spec.steps, lr=spec.lr, optimizer=spec.optimizer, weight_decay=spec.weight_decay,
                       betas=(0.9, 0.98), momentum=spec.momentum, batch_size=spec.batch_size,
                       warmup_steps=spec.warmup_steps, warmup_start=0.1,
                       eval_steps=eval_steps or uniform_eval_steps(spec.steps, spec.n_eval))


def _outcome(history, n_train: int, n_test: int, device: str) -> dict:
    out = {"history": history.to_dict(), "n_train": n_train, "n_test": n_test, "device": device}
    out.update(step_measures(history.steps, history.metrics["train_acc"], history.metrics["test_acc"]))
    return out


def run_one(spec: RunSpec, log=None, *, callbacks=(), eval_steps=None, device="cpu") -> dict:
    """Train one model on `device` (on one torch thread, see `one_thread`); returns {"history"
    (History.to_dict), "n_train", "n_test", "t_fit", "t95", ...}. callbacks: models.train callbacks
    cb(step, model, metrics); eval_steps: the eval grid (default: `spec.n_eval` uniform points, which
    the volatility measures need). Every draw is made on the CPU, so CPU and CUDA see the same."""
    with one_thread():
        train_data, test_data = split_data(spec)
        model = build_model(spec, train_data.inputs.shape[1]).to(device)
        hist = train(model, train_data, test_data, train_config(spec, eval_steps), forward=mode_aware_forward,
                     callbacks=callbacks, generator=generator(spec.seed, "batches", spec.index), log=log)
    return _outcome(hist, len(train_data), len(test_data), str(next(model.parameters()).device))


BATCH_MAX_D = 64  # batch only models this narrow: on one CPU thread R = 5 batched runs took 0.69x the
                  # sequential time at d = 32 and 1.28x at d = 128 (bench/bench_pku_batched.py)
BATCH_RUNS = 3    # runs per batched program: a group is cut into chunks of this size (in label order),
                  # so the chunks keep the worker processes busy and the batching never depends on them


def batch_key(spec: RunSpec) -> tuple | None:
    """Runs with equal keys train as one batched program (`run_batched`): everything but the replicate
    `index` and the training `fraction` (a per-run mask) must agree. None: the run trains alone (dropout
    draws its masks from its own stream, which vmap cannot split per run; random labels change the
    table itself; torch has no vmap rule for the LSTM kernel; a model wider than BATCH_MAX_D is as
    fast alone on the CPU)."""
    if spec.dropout > 0 or spec.labels != "true" or spec.arch == "lstm" or spec.d > BATCH_MAX_D:
        return None
    return tuple(sorted((k, v) for k, v in asdict(spec).items() if k not in ("index", "fraction")))


def run_batched(specs: list, device: str = "cpu") -> list[dict]:
    """`[run_one(s) for s in specs]` as one batched program (`models.batched.train_batched`: stacked
    parameters, per-run training masks, each run's minibatches from its own stream ("batches", index)
    drawn exactly as `train` draws them), on one thread. Equal to the sequential runs up to float32
    reduction order (tested); specs must share a `batch_key`."""
    if len({batch_key(s) for s in specs}) != 1 or batch_key(specs[0]) is None:
        raise ValueError("run_batched needs specs that share one batch_key (no dropout, true labels)")
    with one_thread():
        splits = [task_split(s) for s in specs]
        tokens, labels = splits[0][0], splits[0][1]
        masks = torch.zeros(len(specs), len(labels), dtype=torch.bool)
        for r, (_, _, tr, _) in enumerate(splits):
            masks[r, tr] = True
        models = [build_model(s, tokens.shape[1]).to(device) for s in specs]
        hists, _ = train_batched(models, Data(tokens, labels), masks.to(device), train_config(specs[0]),
                                 forward=mode_aware_forward,
                                 generators=[generator(s.seed, "batches", s.index) for s in specs])
    return [_outcome(h, len(tr), len(te), h.device)
            for h, (_, _, tr, te) in zip(hists, splits)]


def run_all(ctx, specs: dict, processes: int = 1) -> dict:
    """{label: run_one(spec)} for `specs` {label: RunSpec}. Runs that share a `batch_key` (every
    replicate and training fraction of one configuration) train as one batched program
    (`run_batched`); each such group is one item of `ctx.map("runs", ...)`, so it is cached as a
    sub-run and resumed, runs as a Ray task under `--executor ray`, and with processes > 1 (CPU) the
    chunks train in that many worker processes (each on one thread; a group is cut into chunks of
    BATCH_RUNS runs, fixed, so the results do not depend on the number of processes)."""
    groups: dict = {}
    for label, spec in specs.items():
        key = batch_key(spec)
        groups.setdefault(key if key is not None else ("alone", label), []).append(label)
    chunks = [labels[i:i + BATCH_RUNS] for labels in groups.values() for i in range(0, len(labels), BATCH_RUNS)]
    items = [{"runs": [asdict(specs[k]) for k in labels]} for labels in chunks]
    outs = ctx.map("runs", items, run_group_item, processes=processes)
    flat = {k: out for labels, group in zip(chunks, outs) for k, out in zip(labels, group)}
    return {k: _logged(ctx, k, flat[k]) for k in specs}


def run_group_item(item: dict, seed: int, device: str) -> list[dict]:
    """One `ctx.map` item {"runs": [RunSpec as dict, ...]}: a group of runs, batched when it has several.
    Every draw comes from streams of the specs' own run seed (`RunSpec.seed`, set from the claim's)."""
    runs = [RunSpec(**s) for s in item["runs"]]
    return [run_one(runs[0], device=device)] if len(runs) == 1 else run_batched(runs, device)


def _logged(ctx, label: str, out: dict) -> dict:
    ctx.log(f"{label}: t_fit {out['t_fit']} t95 {out['t95']} best train {out['best_train']:.3f} "
            f"best test {out['best_test']:.3f}")
    return out


def step_measures(steps, train_acc, test_acc) -> dict:
    """t_fit (first eval step with train acc >= FIT), t95 (first with test acc >= GROK), the best
    and final train and test accuracies, and volatility after t95 on the eval grid:
    - drops: eval points after t95 with test acc < GROK (a grokked run that falls back);
    - min_after: the lowest test accuracy after t95; std_after: its standard deviation.
    None / NaN when the run never grokked."""
    t_fit, t95 = first_step(steps, train_acc, FIT), first_step(steps, test_acc, GROK)
    after = test_acc[list(steps).index(t95):] if t95 is not None else []
    mean = sum(after) / len(after) if after else math.nan
    return {"t_fit": t_fit, "t95": t95,
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
    """A step for ranking: t, or the budget when the run never got there (a lower bound)."""
    return float(steps if t is None else t)


def compact(out: dict, label: str, **extra) -> dict:
    """The part of a run kept in Result.series: curves on the eval grid and the step measures."""
    h = out["history"]
    keys = ("t_fit", "t95", "best_test", "best_train", "final_test", "final_train",
            "drops", "min_after", "std_after", "n_train", "n_test")
    return {"label": label, "steps": h["steps"], "train_acc": h["metrics"]["train_acc"],
            "test_acc": h["metrics"]["test_acc"], "train_loss": h["metrics"]["train_loss"],
            "test_loss": h["metrics"]["test_loss"], "diverged_at": h["diverged_at"],
            **{k: out[k] for k in keys}, **extra}


def mean(values) -> float:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return sum(vals) / len(vals) if vals else math.nan
