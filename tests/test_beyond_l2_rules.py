"""Unit tests of the beyond-l2 claims' decisive rules and statistics (grokcheck/claims/beyond_l2/_common.py
and the rule functions of each claim): each control's wrong input fails the rule it is fed to, and the
budget rule turns a failing setting into `inconclusive (budget)` unless a statistic excludes the claim."""
import math

import numpy as np
import pytest
import torch

from grokcheck.claims.beyond_l2._common import (LEVEL, budget_gaps, grok_ratio, kendall_rows, median_ci,
                                                median_kendall, spreads, stat_observable)
from grokcheck.core import Observable, setting_verdicts


def test_median_ci_order_statistics_and_coverage():
    x = [5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 7.0, 8.0, 6.0, 10.0]
    med, lo, hi, cov = median_ci(x)
    assert med == 5.5 and cov >= LEVEL
    k = sorted(x).index(lo) + 1                               # the CI is [x_(k), x_(n+1-k)]
    assert hi == sorted(x)[len(x) - k]
    below = sum(math.comb(10, j) for j in range(k + 1)) / 2 ** 10   # one k more would drop the coverage
    assert 1 - 2 * below < LEVEL
    assert median_ci([1.0, float("nan"), 3.0])[:3] == (2.0, 1.0, 3.0)
    assert median_ci([1.0, 2.0, float("inf")])[0] == 2.0


def test_delay_law_spread_rejects_unmatched_labels():
    lb = torch.tensor([1e-4, 2e-4, 4e-4], dtype=torch.float64)
    t2 = (0.1 / lb)[:, None] * torch.tensor([[1.0, 1.3]], dtype=torch.float64)   # exact 1/(lr beta), 2 instances
    assert spreads(t2, lb).abs().max() < 1e-12
    assert (spreads(t2, lb.flip(0)) > 0.15).all()                                 # the control's input fails
    t2[1, 0] = math.nan                                                           # not recovered: NaN, never passes
    assert math.isnan(float(spreads(t2, lb)[0]))


def test_grokking_ratio_rejects_a_simultaneous_run():
    steps = [0, 10, 100, 1000]
    train = [1.0, 0.01, 0.01, 0.01]
    delayed, together = [1.0, 0.8, 0.8, 0.01], [1.0, 0.05, 0.02, 0.01]
    assert grok_ratio(steps, train, delayed, 0.05, 0.8) >= 0.5
    assert grok_ratio(steps, train, together, 0.05, 0.8) < 0.5
    assert math.isnan(grok_ratio(steps, [1.0] * 4, delayed, 0.05, 0.8))         # never fit


def test_depth_monotone_rule_rejects_reversed_init_order():
    from grokcheck.claims.beyond_l2.depth_implicit_bias import MONO_TOL, largest_decrease
    final = torch.tensor([[0.02, 0.03, 0.7], [0.04, 0.04, 0.6]], dtype=torch.float64)
    assert (largest_decrease(final) <= MONO_TOL).all()
    assert (largest_decrease(final.flip(1)) > MONO_TOL).all()


def test_median_kendall_interval():
    rows = [[1.0, 2.0, 3.0], [1.0, 3.0, 2.0], [3.0, 2.0, 1.0]]
    assert kendall_rows(rows) == pytest.approx([1.0, 1 / 3, -1.0])
    est, lo, hi, cov = median_kendall(rows, 0.0)
    assert (est, lo, hi) == pytest.approx((1 / 3, -1.0, 1.0)) and cov == 0.75  # [min, max] of 3 instances
    assert median_kendall([[1.0, 2.0]] * 4, 0.0)[:3] == (1.0, 1.0, 1.0)


def test_interval_rule_at_every_scale():
    """The interval decides, below the paper's budget as at it: straddling is inconclusive, wholly
    on the failing side refutes (whatever its coverage, which the observable records)."""
    s = "ours"
    control = Observable("c", 0.0, 0.0, "==", role="control", setting=s)
    straddle = stat_observable("x", 0.3, 0.2, 0.6, 0.5, ">=", "r", s)      # CI straddles the bound
    assert straddle.outcome == "undecided"
    assert setting_verdicts([straddle, control], budget_gaps(s, "short", paper=False)) == {s: "inconclusive"}
    below = stat_observable("x", 0.3, 0.2, 0.4, 0.5, ">=", "r", s, coverage=0.75)  # whole CI below the bound
    assert below.outcome == "fails" and below.coverage == 0.75
    assert setting_verdicts([below, control], budget_gaps(s, "short", paper=False)) == {s: "refuted"}
    passing = stat_observable("x", 0.7, 0.6, 0.9, 0.5, ">=", "r", s)
    assert passing.passed and passing.outcome == "holds"
    point_only = stat_observable("x", 0.7, 0.4, 0.9, 0.5, ">=", "r", s)   # the estimate alone decides nothing
    assert point_only.outcome == "undecided"
    assert budget_gaps("paper", "short", paper=True) == {}          # the paper's setting is judged as run


def test_data_selection_signed_rules_fail_on_a_trend_of_the_wrong_sign():
    from grokcheck.claims.beyond_l2.data_selection import CHANGE, DIRECTION, TREND, oriented, signed_trend
    assert DIRECTION == {"sparse recovery": 1, "completion": -1}         # pre-registered (docstring)
    growing = [[100.0, 150.0, 300.0], [80.0, 90.0, 200.0], [120.0, 130.0, 500.0], [90.0, 200.0, 250.0],
               [100.0, 110.0, 400.0]]                                     # t2 grows with tau in every instance
    shrinking = [row[::-1] for row in growing]
    rng = lambda: np.random.default_rng(0)
    for rows, ok in ((growing, "sparse recovery"), (shrinking, "completion")):
        bad = "completion" if ok == "sparse recovery" else "sparse recovery"
        est, lo, hi = signed_trend(rows, DIRECTION[ok], rng())
        assert est >= TREND and lo >= TREND                               # the stated direction passes
        est, lo, hi = signed_trend(rows, DIRECTION[bad], rng())
        assert est < TREND and hi < TREND                                 # the wrong sign fails, its CI excludes it
        assert abs(est) >= TREND                                          # while the post hoc |tau| rule passes
        med, mlo, mhi, _ = median_ci([math.log(r[-1] / r[0]) for r in rows])
        assert oriented(med, mlo, mhi, DIRECTION[ok])[0] >= math.log(CHANGE)
        assert oriented(med, mlo, mhi, DIRECTION[bad])[0] < math.log(CHANGE)
    with pytest.raises(ValueError):
        oriented(0.5, 0.4, 0.6, 0)


def test_data_selection_reads_each_tasks_own_thresholds(tmp_path):
    """Completion's t2 comes from its own thresholds (the paper's 1e-4, against 1e-3 for sparse recovery): an
    unreachable completion threshold leaves every completion t2 at inf and sparse recovery's t2 unchanged; a
    run that read the shared thresholds for both tasks would change neither."""
    import grokcheck
    base = grokcheck.run("data-selection", scale="ci", out=tmp_path / "base").series
    strict = grokcheck.run("data-selection", scale="ci", out=tmp_path / "strict",
                           overrides={"mc_train_threshold": 1e-30, "mc_test_threshold": 1e-30}).series
    assert torch.isfinite(torch.as_tensor(base["completion"]["t2"])).any()
    assert not torch.isfinite(torch.as_tensor(strict["completion"]["t2"])).any()
    assert torch.equal(torch.as_tensor(base["sparse recovery"]["t2"]), torch.as_tensor(strict["sparse recovery"]["t2"]))
    from grokcheck.claims.beyond_l2.data_selection import SCALES
    paper = SCALES["paper"]
    assert (paper.train_threshold, paper.test_threshold, paper.mc_train_threshold, paper.mc_test_threshold) == \
        (1e-3, 1e-3, 1e-4, 1e-4)                                          # the reference note, A1


def test_nuclear_identity_init_is_the_papers_and_keeps_the_beta0_control(tmp_path):
    """The paper scale starts completion at A0 = 1e-6 I (reference note, A2); at ci the identity start runs
    through the claim and its beta = 0 control (unobserved entries stay at their init) still holds."""
    import grokcheck
    from grokcheck.claims.beyond_l2.nuclear_matrix_completion import SCALES
    assert SCALES["paper"].init_identity and not SCALES["default"].init_identity
    res = grokcheck.run("nuclear-matrix-completion", scale="ci", out=tmp_path / "eye", overrides={"init_identity": True})
    beta0 = [o for o in res.observables if o.name.startswith(("beta=0:", "control: beta=0"))]
    assert len(beta0) == 2 and all(o.passed for o in beta0)
    ones = grokcheck.run("nuclear-matrix-completion", scale="ci", out=tmp_path / "ones")
    gap = {r: next(o.value for o in x.observables if o.name.startswith("beta=0:")) for r, x in (("eye", res), ("ones", ones))}
    assert gap["eye"] != gap["ones"]          # the unobserved entries kept different starts: the flag reached the runs
