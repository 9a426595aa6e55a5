"""A run's data and its trace (the run layer's input and output; `models.train`, `models.batched`).

`Data` is the table a run trains or is evaluated on; `History` is what a run returns: the eval
steps, every metric (and every series a callback added), the device the run lived on, the step it
diverged at, and its events through the one rule `theory.delay.first_step`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from grokcheck.theory.delay import first_step
from grokcheck.theory.validation import check_int


@dataclass
class Data:
    """A dataset: inputs (N, ...) long token ids or float features; targets (N,) long (ce) or float (mse)."""
    inputs: torch.Tensor
    targets: torch.Tensor

    def __post_init__(self):
        if self.inputs.shape[0] != self.targets.shape[0]:
            raise ValueError(f"inputs and targets differ in length: {self.inputs.shape[0]} vs {self.targets.shape[0]}")

    def __len__(self) -> int:
        return int(self.targets.shape[0])


@dataclass
class History:
    """The trace of one run: metrics[name][i] was measured at steps[i].

    metrics holds train_loss / train_acc / test_loss / test_acc / linf / l2 / objective plus every
    key a callback added at that eval step (a tracked series, e.g. a kernel distance); events come
    from `first_step` / `events` (the one rule, `theory.delay.first_step`). `device` is where the
    run's parameters lived (str(tensor.device)), `diverged_at` the step a NaN/Inf stopped it.
    """
    steps: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    diverged_at: int | None = None
    device: str | None = None

    def append(self, step: int, metrics: dict) -> None:
        n = len(self.steps)
        self.steps.append(int(step))
        for k, v in metrics.items():
            self.metrics.setdefault(k, [float("nan")] * n).append(float(v))
        for k, vals in self.metrics.items():
            if len(vals) < n + 1:
                vals.append(float("nan"))

    def last(self, name: str) -> float:
        return self.metrics[name][-1]

    def first_step(self, name: str, threshold: float, comparison: str = ">=") -> int | None:
        """The first eval step where metrics[name] `comparison` threshold holds (None if never;
        NaN never counts): `theory.delay.first_step` on this trace. KeyError for an unknown name."""
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r} in this history; have {sorted(self.metrics)}")
        return first_step(self.steps, self.metrics[name], threshold, comparison)

    def events(self, rules: dict) -> dict:
        """{event: first_step(metric, threshold, comparison)} for rules {event: (metric, threshold[, comparison])},
        e.g. {"t_fit": ("train_acc", 1.0), "t_gen": ("test_acc", 0.95)}."""
        return {event: self.first_step(*rule) for event, rule in rules.items()}

    def to_dict(self) -> dict:
        return {"steps": list(self.steps), "metrics": {k: list(v) for k, v in self.metrics.items()},
                "diverged_at": self.diverged_at, "device": self.device}


def default_eval_steps(steps: int, n: int = 60) -> tuple:
    """About n log-spaced integer steps in [1, steps], plus 0 and steps: sorted, unique."""
    steps = check_int("steps", steps, 0)
    if steps == 0:
        return (0,)
    grid = np.logspace(0, math.log10(steps), n).round().astype(np.int64).tolist()  # host-side: no device tensor
    return tuple(sorted({0, steps, *grid}))
