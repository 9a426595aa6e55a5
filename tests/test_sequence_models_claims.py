"""Unit tests of the PKU-project claim checks: step measures on synthetic curves, and
deliberately wrong inputs that each check must reject (house rule 4)."""
import math

import pytest
import torch

from grokcheck.claims.pku._grokking_runs import (GROK, RunSpec, best_so_far, build_model, shifted_accuracy,
                                   step_measures, uniform_eval_steps)
from grokcheck.claims.pku.transformer_grokking import Config, _observables


def test_step_measures_on_synthetic_curves():
    steps = [0, 10, 20, 30, 40, 50]
    m = step_measures(steps, [0.1, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.1, 0.96, 0.5, 0.97, 1.0])
    assert m["t_fit"] == 10 and m["t95"] == 20 and m["drops"] == 1
    assert m["min_after"] == 0.5 and m["best_test"] == 1.0
    never = step_measures(steps, [0.1] * 6, [0.0] * 6)
    assert never["t_fit"] is None and never["t95"] is None and math.isnan(never["drops"])
    assert best_so_far([0.1, 0.5, 0.2, 0.7]) == [0.1, 0.5, 0.5, 0.7]
    assert uniform_eval_steps(10, 5) == (0, 2, 4, 6, 8, 10)


class _Oracle(torch.nn.Module):
    """Predicts x + y mod p from the tokens (shift = 0) or a deliberately wrong x + y + 1."""

    def __init__(self, p, shift):
        super().__init__()
        self.p, self.shift = p, shift

    def forward(self, tokens):
        z = (tokens[:, 0] + tokens[:, 2] + self.shift) % self.p
        return torch.nn.functional.one_hot(z, self.p).float()


def test_shifted_label_control_rejects_a_wrong_pipeline():
    from grokcheck.models.sequence_tasks import sequence_table
    tokens, labels = sequence_table(7, "add")
    assert shifted_accuracy(_Oracle(7, 0), tokens, labels, 7) == 0.0  # correct model: control passes
    assert shifted_accuracy(_Oracle(7, 1), tokens, labels, 7) >= GROK  # wrong labels leak: control fails


def _run(fraction, t95, t_fit=10, batch=64, drops=0.0, best=1.0, shifted=0.0):
    return {"fraction": fraction, "batch": batch, "seed": 0, "t95": t95, "t_fit": t_fit, "drops": drops,
            "std_after": 0.0, "best_test": best, "shifted_test_acc": shifted}


def test_transformer_grokking_observables_reject_wrong_inputs():
    cfg = Config(fractions=(0.3, 0.7), batch_sizes=(64,), steps=1000)
    good = _observables(cfg, [_run(0.3, 500), _run(0.7, 100)], [_run(0.3, None, best=0.1)])
    assert all(o.passed for o in good)
    by_name = {o.name: o for o in _observables(cfg, [_run(0.3, 100), _run(0.7, 500)], [_run(0.3, 50, best=1.0)])}
    assert not by_name["order violations of mean t95 over fractions (0.3, 0.7) (bs 64)"].passed
    assert not by_name["wd 0: max best test accuracy"].passed
    leaky = _observables(cfg, [_run(0.3, 500, shifted=1.0), _run(0.7, 100)], [_run(0.3, None, best=0.1)])
    assert not [o for o in leaky if o.role == "control"][0].passed


def test_runspec_validation():
    with pytest.raises(ValueError):
        build_model(RunSpec(arch="cnn"), 4)
    with pytest.raises(ValueError):
        uniform_eval_steps(0, 10)
