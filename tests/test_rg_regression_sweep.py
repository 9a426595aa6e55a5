"""bench/rg_regression_sweep.py: its (alpha = 1, lr = 1) cell is rich-generalization's own regression group
(same splits, init, config), and the init scale reaches the nets."""
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import rg_regression_sweep  # noqa: E402

from grokcheck.claims.mohamadi._rg_runs import grid, train_group  # noqa: E402
from grokcheck.context import make_context  # noqa: E402
from grokcheck.models.train import TrainConfig  # noqa: E402


def test_the_unit_cell_is_the_claims_regression_group():
    p, steps, seeds = 7, 30, 2
    rows = rg_regression_sweep.sweep(p, steps, [1.0, 0.1], [1.0], seeds)
    cfg = TrainConfig(steps=steps, lr=1.0, optimizer="gd", penalty="linf", penalty_weight=1e-4, loss="mse",
                      dtype="float64", eval_steps=grid(steps))
    ref = train_group("reg", p, round(2 * p ** 2.25), seeds, cfg, 4 * p, make_context("default", "cpu", 0), fused=True)
    unit = next(r for r in rows if r["alpha"] == 1.0)
    assert unit["final_test"] == pytest.approx(statistics.median(ref["final_test"]), rel=1e-12)
    assert unit["argmax_test"] == pytest.approx(statistics.median(ref["argmax_test"]), rel=1e-12)
    small = next(r for r in rows if r["alpha"] == 0.1)
    assert small["final_train"] != unit["final_train"] and small["diverged"] == unit["diverged"] == 0
