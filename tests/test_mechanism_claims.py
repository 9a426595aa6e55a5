"""Unit tests of the rich-regime mechanism claims' rules: fourier-features, max-margin,
linf-role, kernel-rich-phase. Each decisive rule is fed a right and a wrong input, without training."""
import math

import pytest
import torch

from grokcheck.claims.mohamadi import fourier_features as ff
from grokcheck.claims.mohamadi import kernel_rich_phase as krp
from grokcheck.claims.mohamadi import linf_role as lr
from grokcheck.claims.mohamadi import max_margin as mm
from grokcheck.claims.mohamadi._rich_runs import make_net, split_mask
from grokcheck.context import Context
from grokcheck.ntk.diagnostics import linearized_outputs
from grokcheck.theory.construction import fourier_weights
from grokcheck.theory.tasks import binary_table, one_hot_pairs

RTOL_F64 = 1e-10  # two float64 evaluations of the same polynomial


def test_fourier_rule_accepts_the_construction_and_rejects_an_init():
    p = 11
    x, y = binary_table(p)
    test = split_mask(Context(seed=0), p, 0.5, 0) == 0
    W, V = fourier_weights(p, half=True)
    good = ff.analyse(p, W, V, y, test)
    assert good["weighted_fraction"] >= ff.FRAC and good["phase"] >= ff.PHASE and good["corr"] >= ff.CORR
    net = make_net(Context(seed=0), p, 4 * p, 0)
    bad = ff.analyse(p, net.W.detach(), net.V.detach(), y, test)
    assert bad["weighted_fraction"] < ff.FRAC and bad["corr"] < ff.CORR


def test_fourier_rules_read_every_seed_through_the_median_interval():
    """C0 on the median over all seeds, C1-C3 over the seeds that grokked: every seed on the claim's side
    holds, a split is undecided (the point min over seeds used to refute it), every grokked seed without the
    features fails; runs that did not grok are pending (C0) and no evidence about the features (undecided);
    one seed (coverage 0) decides nothing."""
    def summaries(frac, phase, corr):
        return [{"weighted_fraction": f, "phase": ph, "corr": c} for f, ph, c in zip(frac, phase, corr)]

    good = ff.claim_observables("ours", [0.99, 0.97, 0.98], summaries([0.9] * 3, [0.95] * 3, [0.6] * 3))
    assert [o.outcome for o in good] == ["holds"] * 4 and good[0].coverage == 0.75
    split = ff.claim_observables("ours", [0.99, 0.96, 0.98], summaries([0.9, 0.7, 0.95], [0.95, 0.5, 0.9],
                                                                       [0.6, 0.1, 0.5]))
    assert [o.outcome for o in split] == ["holds"] + ["undecided"] * 3, [o.describe() for o in split]
    one_failed = ff.claim_observables("ours", [0.99, 0.5, 0.98], summaries([0.9, 0.1, 0.95], [0.95, 0.1, 0.9],
                                                                            [0.6, 0.0, 0.5]))
    assert [o.outcome for o in one_failed] == ["undecided", "holds", "holds", "holds"]  # the non-grokked seed is skipped
    featureless = ff.claim_observables("ours", [0.99, 0.97, 0.98], summaries([0.1] * 3, [0.2] * 3, [0.0] * 3))
    assert [o.outcome for o in featureless] == ["holds"] + ["fails"] * 3
    bad = ff.claim_observables("ours", [0.4, 0.5, 0.2], summaries([0.1] * 3, [0.2] * 3, [0.0] * 3))
    assert [o.outcome for o in bad] == ["pending"] + ["undecided"] * 3 and bad[1].value is None
    one = ff.claim_observables("ours", [0.99], summaries([0.9], [0.95], [0.6]))
    assert all(o.outcome == "undecided" and o.coverage == 0 for o in one)


def test_fourier_setting_that_has_not_grokked_is_budget_below_the_paper_and_refuted_at_it():
    """The NGD setting's verdict: not grokked below the paper's 1e5 steps is `inconclusive (budget)`, at
    the paper's budget it refutes; grokked with the features and the init control rejecting is verified."""
    from grokcheck import rules
    from grokcheck.core import setting_decision
    from grokcheck.theory.stats import median_interval

    def summaries(frac):
        return [{"weighted_fraction": f, "phase": 0.95, "corr": 0.6} for f in frac]

    init = rules.control_rule("control: init", median_interval([0.2, 0.3, 0.1]), ff.FRAC, ">=", "init", setting="paper: s")
    slow = ff.claim_observables("paper: s", [0.3, 0.2, 0.4], summaries([0.3] * 3)) + [init]
    verdict, why = setting_decision(slow, "20000 steps, below the paper's 1e+05")
    assert verdict == "inconclusive" and why.startswith("budget:")
    assert setting_decision(slow, None)[0] == "refuted"
    grokked = ff.claim_observables("paper: s", [0.99, 0.97, 0.98], summaries([0.9] * 3)) + [init]
    assert setting_decision(grokked, "below")[0] == "verified"
    assert setting_decision(grokked[:4], "below")[0] == "inconclusive"  # no control of its own


def test_linearized_logits_match_torch_func_jvp():
    """One reference per fast path: the closed form against diagnostics.linearized_outputs."""
    p, ctx = 5, Context(seed=3)
    x, _ = binary_table(p)
    net = make_net(ctx, p, 8, 0).double()
    g = ctx.rng("control")
    W, V = net.W.detach() + 0.1 * torch.randn(8, 2 * p, generator=g, dtype=torch.float64), \
        net.V.detach() + 0.1 * torch.randn(p, 8, generator=g, dtype=torch.float64)
    ref = linearized_outputs(net, {"W": net.W, "V": net.V}, {"W": W, "V": V}, one_hot_pairs(x, p, torch.float64))
    fast = krp.linearized_logits(net.W.detach(), net.V.detach(), W, V, x)
    assert torch.allclose(fast, ref, rtol=RTOL_F64, atol=RTOL_F64), "closed-form linearized logits"


def test_linearization_gap_is_zero_for_a_V_only_move_and_not_for_a_W_move():
    p, ctx = 7, Context(seed=0)
    x, _ = binary_table(p)
    net = make_net(ctx, p, 12, 0).double()
    W0, V0 = net.W.detach(), net.V.detach()
    f0 = krp.logits(W0, V0, x)
    V1 = V0 + 1.0
    assert krp.linearization_gap(krp.logits(W0, V1, x), krp.linearized_logits(W0, V0, W0, V1, x), f0) < RTOL_F64
    W1 = 4 * W0  # f grows 16x, the linear model only 1 + 2 * 3 = 7x: gap (16 - 7) / (16 - 1) = 0.6
    assert krp.linearization_gap(krp.logits(W1, V0, x), krp.linearized_logits(W0, V0, W1, V0, x), f0) > krp.LIN_TOL


def test_antisymmetric_init_is_zero_and_init_scale_is_the_output_scale():
    p, ctx, alpha = 7, Context(seed=0), 8.0
    x, _ = binary_table(p)
    z = make_net(ctx, p, 10, 0, antisymmetric=True).double()
    with torch.no_grad():
        assert float(z.logits(x[:, 0], x[:, 1]).abs().max()) < RTOL_F64  # +-pairs cancel up to round-off
    base, scaled = make_net(ctx, p, 10, 0).double(), make_net(ctx, p, 10, 0, init_scale=alpha ** (1 / 3)).double()
    assert torch.allclose(scaled.logits(x[:, 0], x[:, 1]), alpha * base.logits(x[:, 0], x[:, 1]), rtol=1e-5)
    with pytest.raises(ValueError, match="even width"):
        make_net(ctx, p, 9, 0, antisymmetric=True)


def test_n_star_and_the_boundary_rule():
    row = [{"fraction": 0.3, "pop_l2": 1.0, "bound": 0.6}, {"fraction": 0.6, "pop_l2": 0.1, "bound": 0.3}]
    lazy = [{"fraction": 0.3, "pop_l2": 1.0, "bound": 0.6}, {"fraction": 0.6, "pop_l2": 0.5, "bound": 0.3}]
    assert krp.n_star(row) == 0.6 and krp.n_star(lazy) == math.inf


def test_phase_cell_is_the_median_over_seeds():
    """kernel-rich-phase reads the per-cell median: one seed below the bound does not make a cell
    beat it, two of three do; the delay needs every seed."""
    def seed(l2, gap, delay):
        return {"fraction": 0.6, "n": 317, "pop_l2": l2, "bound": 0.3, "test_acc": 0.5, "train_acc": 1.0,
                "lin_gap": gap, "delay": delay}

    one = krp.median_cell([seed(0.1, 0.2, 5), seed(0.9, 0.3, None), seed(0.8, 0.9, 7)])
    assert one["pop_l2"] == 0.8 and one["lin_gap"] == 0.3 and one["delay"] is None
    assert one["pop_l2_range"] == [0.1, 0.9] and len(one["seeds"]) == 3
    assert krp.n_star([one]) == math.inf  # a single lucky seed does not beat the bound
    two = krp.median_cell([seed(0.1, 0.2, 5), seed(0.2, 0.3, 9), seed(0.8, 0.9, 7)])
    assert krp.n_star([two]) == 0.6 and two["delay"] == 7


def test_phase_rules_decide_on_every_seed_of_a_cell():
    """kernel-rich-phase's C0-C3 on the cells' median intervals (3 seeds: [min, max], 75%): a lazy cell
    that one seed of three puts below the bound leaves C1 undecided, all three refute it; a rich row that
    beats the bound in 2 of 3 seeds only leaves C2 (and the n* order) undecided, in no seed fails C2; the
    control fails when the shuffled-label cell beats the bound in every seed; one seed decides nothing."""
    def cell(fraction, l2s, gaps=(0.1, 0.1, 0.1)):
        seeds = [{"fraction": fraction, "pop_l2": l, "bound": 0.5, "lin_gap": g} for l, g in zip(l2s, gaps)]
        return dict(krp.median_cell([dict(x, test_acc=0.5, train_acc=1.0, delay=None) for x in seeds]))

    above, below = (0.9, 0.8, 0.7), (0.1, 0.2, 0.3)

    def grid(lazy_low=above, rich_high=below, lazy_gap=(0.1, 0.1, 0.1)):
        return [[cell(0.3, above), cell(0.6, rich_high)], [cell(0.3, above), cell(0.6, lazy_low, lazy_gap)]]

    ctrl = cell(0.6, above)
    outcomes = lambda g, c=ctrl: [o.outcome for o in krp.rule_observables("s", (0.1, 1000.0), g, c)]  # noqa: E731
    assert outcomes(grid()) == ["holds"] * 6
    assert krp.rule_observables("s", (0.1, 1000.0), grid(), ctrl)[1].coverage == 0.75
    assert outcomes(grid(lazy_low=(0.9, 0.8, 0.2)))[1] == "undecided"   # one seed below B: the median was above
    assert outcomes(grid(lazy_low=below))[1] == "fails"
    assert outcomes(grid(lazy_gap=(0.6, 0.7, 0.9)))[2] == "fails"       # the lazy corner left the kernel regime
    assert outcomes(grid(rich_high=(0.1, 0.2, 0.9)))[3:5] == ["undecided"] * 2  # 2 of 3 seeds beat B
    assert outcomes(grid(rich_high=above))[3:5] == ["fails"] * 2        # the rich corner never beats B
    assert outcomes(grid(), cell(0.6, below))[5] == "fails"             # shuffled labels 'beat' the bound
    one = [[dict(c, seeds=c["seeds"][:1]) for c in row] for row in grid()]
    assert outcomes(one, dict(ctrl, seeds=ctrl["seeds"][:1]))[:5] == ["undecided"] * 5


def test_phase_fit_guard_rejects_a_lazy_corner_that_has_not_fitted():
    """A lazy corner that outputs about 0 (L ~ 1 >= B(n)) passes C1 without fitting anything; the C0 fit
    guard (every seed's final train accuracy >= FIT) must not hold on it: pending below the paper's budget
    (`inconclusive (budget)`), refuted at it; half-fitted seeds leave it undecided."""
    from grokcheck.core import setting_decision

    def cell(fraction, l2, train_accs):
        seeds = [{"fraction": fraction, "pop_l2": l2, "bound": 0.5, "lin_gap": 0.0, "test_acc": 0.04, "train_acc": a,
                  "delay": None} for a in train_accs]
        return krp.median_cell(seeds)

    def obs(lazy_acc):
        rich = [cell(0.3, 0.9, (1.0,) * 3), cell(0.6, 0.1, (1.0,) * 3)]
        zero = [cell(0.3, 1.0, lazy_acc), cell(0.6, 1.0, lazy_acc)]  # the zero predictor: L = 1 at every fraction
        return krp.rule_observables("s", (0.1, 1000.0), [rich, zero], cell(0.6, 0.9, (0.1,) * 3))

    fitted, unfit = obs((1.0, 1.0, 1.0)), obs((0.05, 0.04, 0.05))
    assert fitted[0].outcome == "holds" and unfit[0].outcome == "pending"
    assert unfit[1].outcome == "holds"  # C1 alone cannot tell the zero predictor from a kernel regressor
    assert setting_decision(fitted, "below budget")[0] == "verified"
    verdict, why = setting_decision(unfit, "below budget")
    assert verdict == "inconclusive" and why.startswith("budget:") and "train accuracy" in why
    assert setting_decision(unfit, None)[0] == "refuted"
    assert obs((1.0, 0.5, 0.05))[0].outcome == "undecided"


def test_n_star_interval_brackets_the_median_n_star():
    def cell(fraction, l2s):
        return {"fraction": fraction, "pop_l2": sorted(l2s)[1], "bound": 0.5,
                "seeds": [{"pop_l2": l, "bound": 0.5} for l in l2s]}

    row = [cell(0.3, (0.9, 0.8, 0.2)), cell(0.45, (0.9, 0.1, 0.2)), cell(0.6, (0.1, 0.2, 0.3))]
    assert krp.n_star_interval(row) == (0.3, 0.6) and krp.n_star(row) == 0.45
    assert krp.n_star_interval([cell(0.3, (0.9, 0.8, 0.7))]) == (math.inf, math.inf)


def test_linf_cell_groks_when_the_median_seed_does():
    """linf-role's point reading (shown, not deciding): a cell groks when its median seed does (>= 2 of 3);
    k_grok counts the seeds."""
    def out(accs):
        h = [{"metrics": {"train_acc": [1.0], "test_acc": [a], "linf": [1.0]}, "diverged_at": None} for a in accs]
        g = Context(seed=0).rng("init")
        W, V = torch.randn(3, 8, 10, generator=g), torch.randn(3, 5, 8, generator=g)
        return {"histories": h, "W": W, "V": V}

    one, two = lr.cell(5, out([0.99, 0.1, 0.2])), lr.cell(5, out([0.99, 0.97, 0.2]))
    assert not one["grokked"] and one["k_grok"] == 1 and one["n"] == 3
    assert two["grokked"] and two["k_grok"] == 2 and two["test_acc"] == pytest.approx(0.97)


def test_linf_rules_decide_on_every_seed_of_a_cell():
    """linf-role's C1-C3 on the cells' median intervals (3 seeds: [min, max], 75%): a cell without l_inf
    geometry that every seed groks refutes C1, one that 2 of 3 seeds grok leaves it undecided (the point
    median used to call it grokking); no l_inf cell grokking fails C2; a grokking cell without the Fourier
    features fails C3; the control fails on a 'structureless' task that groks."""
    def cell(accs, fourier, linf):
        return {"seeds": [{"test_acc": a, "fourier": f} for a, f in zip(accs, fourier)], "linf_geometry": linf}

    low, high = [0.1, 0.2, 0.3], [0.99, 0.98, 0.97]
    feat, nofeat = [0.95, 0.9, 0.92], [0.1, 0.2, 0.3]

    def cells(gd_l2=low, adam=high, adam_fourier=feat):
        return {("gd", "l2"): cell(gd_l2, nofeat, False), ("ngd", "none"): cell(low, nofeat, False),
                ("adam", "none"): cell(adam, adam_fourier, True), ("sign", "l2"): cell(low, nofeat, True)}

    ctrl = cell(low, nofeat, True)
    outcomes = lambda cs, c=ctrl: [o.outcome for o in lr.rule_observables("s", cs, c)]  # noqa: E731
    assert outcomes(cells()) == ["holds"] * 4
    assert lr.rule_observables("s", cells(), ctrl)[0].coverage == 0.75
    assert outcomes(cells(gd_l2=high))[0] == "fails"                       # GD + l2 groks in every seed
    assert outcomes(cells(gd_l2=[0.99, 0.97, 0.2]))[0] == "undecided"     # 2 of 3 seeds: undecided
    assert outcomes(cells(adam=low))[1] == "fails"                         # no l_inf cell groks
    assert outcomes(cells(adam=[0.99, 0.5, 0.4]))[1] == "undecided"
    assert outcomes(cells(adam_fourier=nofeat))[2] == "fails"              # groks without the features
    assert outcomes(cells(adam_fourier=[0.95, 0.5, 0.9]))[2] == "undecided"
    assert outcomes(cells(), cell(high, feat, True))[3] == "fails"         # the control groks: rule rejected nothing
    one = {k: dict(c, seeds=c["seeds"][:1]) for k, c in cells().items()}
    assert outcomes(one)[:3] == ["undecided"] * 3                          # one seed: coverage 0


@pytest.mark.parametrize("kwargs", [{"alphas": (1.0,)}, {"alphas": (10.0, 1.0)}, {"alphas": (0.0, 1.0)},
                                    {"fractions": (0.6, 0.3)}, {"fractions": (0.0, 0.5)}, {"steps": 0},
                                    {"n_seeds": 0}])
def test_phase_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        krp.Config(**kwargs)


@pytest.mark.parametrize("kwargs", [{"wds": (1.0,)}, {"wds": (0.1, 1.0)}, {"wds": (1.0, 0.0)}, {"seeds": 0},
                                    {"lams": (1e-2,)}, {"lams": (1e-3, 1e-1)}, {"lams": (1e-1, 1e-1)},
                                    {"lams": (1e-1, -1e-2)}, {"ngd_lr": 0.0}, {"steps": 2}])
def test_max_margin_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        mm.Config(**kwargs)


MM_LAMS = (1e-1, 1e-2, 1e-3, 1e-4)
MM_RISING = [[4.0, 5.0, 4.5], [5.0, 6.0, 5.5], [6.0, 7.0, 6.5], [7.0, 8.0, 7.5]]  # gamma_bar[lambda][seed]
MM_NOISE = [[6.0, 5.0, 7.0], [5.0, 7.0, 6.0], [7.0, 6.0, 5.0], [6.5, 5.5, 6.5]]  # one lambda, 4 x 3 runs


def _mm_decision(ends, placebo, drifts, gap=None):
    from grokcheck.core import Observable, setting_decision
    obs = mm.sweep_rules(mm.NGD, "lambda", MM_LAMS, ends, placebo, drifts, 46.0)
    obs.append(Observable("calibration", 0.0, 0.0, "==", role="control", setting=mm.NGD))
    return {o.name.split(":")[0]: o for o in obs}, setting_decision(obs, gap)


def test_max_margin_rule_holds_on_a_rising_sweep_and_fails_on_a_falling_one():
    """P1 (Prop 4.4) at convergence: every seed's gamma_bar rising as lambda decreases verifies, the same
    values falling refute; the placebo (lambda fixed, seeds varied) is rejected in both."""
    obs, (verdict, _) = _mm_decision(MM_RISING, MM_NOISE, [0.01] * 21)
    assert obs["P1"].role == "claim" and obs["P1"].outcome == "holds" and obs["P1"].value == 1.0
    assert obs["control (placebo)"].outcome == "holds" and verdict == "verified"
    obs, (verdict, why) = _mm_decision(MM_RISING[::-1], MM_NOISE, [0.01] * 21)
    assert obs["P1"].outcome == "fails" and verdict == "refuted" and "P1" in why


def test_max_margin_placebo_control_rejects_an_ordered_placebo():
    """The control is P1's own rule: a placebo sweep whose runs happen to be ordered (a rise without a
    change of lambda) makes the rule unable to tell, so the setting is inconclusive, not verified."""
    obs, (verdict, why) = _mm_decision(MM_RISING, MM_RISING, [0.01] * 21)
    assert obs["control (placebo)"].outcome == "fails" and verdict == "inconclusive" and "placebo" in why


def test_max_margin_unconverged_sweep_decides_nothing_below_budget():
    """A run whose gamma_bar still moves (drift > CONV_TOL) or has no positive margin: P1 is only an
    observation, the convergence event is pending: inconclusive (budget) below the paper's budget, refuted
    at it."""
    drifts = [0.01] * 20 + [2 * mm.CONV_TOL]
    obs, (verdict, why) = _mm_decision(MM_RISING[::-1], MM_NOISE, drifts, gap="short")
    assert obs["P1"].role == "observation" and obs["converged"].outcome == "pending"
    assert verdict == "inconclusive" and why.startswith("budget:")
    _, (verdict, _) = _mm_decision(MM_RISING, MM_NOISE, drifts)
    assert verdict == "refuted"
    obs, _ = _mm_decision(MM_RISING, MM_NOISE, [0.01] * 20 + [math.inf], gap="short")
    assert obs["converged"].value is None and obs["converged"].outcome == "pending"


def test_max_margin_drift():
    steps = [0, 10, 50, 75, 90, 100]
    assert mm.drift(steps, [0, 1, 2, 8.0, 9.0, 10.0]) == pytest.approx(0.2)  # from step 75 (first >= 3T/4)
    assert mm.drift(steps, [0, 1, 2, 3, 3, -0.5]) == math.inf                  # no positive margin
    assert mm.drift(steps, [0, 1, 2, float("nan"), 3, 3]) == math.inf


def test_linf_paper_setting_judges_each_optimizer_at_its_best_lr():
    """linf-role's paper setting on (cell, lr) units: the explicit-penalty cell groks when one lr of its grid
    does in every seed (P1), a comparison cell that groks at any lr refutes P2 at any budget; P2 holding
    is an absence, `inconclusive (budget)` below 1e5 steps, verified at the paper's budget; a penalty unit
    that groks without the Fourier features fails P3; the NGD + l_inf shuffled-label control must not grok."""
    from grokcheck.core import setting_decision

    low, high = [0.1, 0.2, 0.3], [0.99, 0.98, 0.97]
    feat, nofeat = [0.95, 0.9, 0.92], [0.1, 0.2, 0.3]

    def grid(accs_by_lr, fourier=feat, linf=False):
        return {"linf_geometry": linf, "grid": [{"lr_mult": m, "seeds": [{"test_acc": a, "fourier": f}
                                                                        for a, f in zip(accs, fourier)]}
                                                for m, accs in zip(lr.LR_MULTS, accs_by_lr)]}

    def cells(penalty=(low, high, low), comparison=(low, low, low), fourier=feat):
        out = {k: grid(penalty, fourier, True) for k in lr.MECHANISM}
        out.update({k: grid(comparison) for k in lr.COMPARISON})
        out[("adam", "none")] = grid((high, high, high), linf=True)  # not read by the paper setting
        return out

    ctrl = {"seeds": [{"test_acc": a, "fourier": f} for a, f in zip(low, nofeat)]}
    obs = lambda cs, c=ctrl: lr.paper_observables("paper: s", cs, c)  # noqa: E731
    assert [o.outcome for o in obs(cells())] == ["holds"] * 4
    assert setting_decision(obs(cells()), "300 steps")[1].startswith("budget:")  # an absence below the budget
    assert setting_decision(obs(cells()), None)[0] == "verified"
    assert obs(cells(penalty=(low, low, low)))[0].outcome == "pending"           # no lr of the grid groks
    assert obs(cells(penalty=(low, [0.99, 0.5, 0.97], low)))[0].outcome == "undecided"
    refuted = obs(cells(comparison=(low, low, high)))                             # GD / NGD groks at x10
    assert refuted[1].outcome == "fails" and setting_decision(refuted, "300 steps")[0] == "refuted"
    assert obs(cells(fourier=nofeat))[2].outcome == "fails"
    assert obs(cells(), {"seeds": [{"test_acc": a, "fourier": 0.9} for a in high]})[3].outcome == "fails"
    assert len(lr.units(cells())) == 3 * (len(lr.MECHANISM) + len(lr.COMPARISON) + 1)


def test_linf_geometry_table():
    assert lr.linf_geometry("gd", "linf") and lr.linf_geometry("adam", None) and lr.linf_geometry("sign", "l2")
    assert not lr.linf_geometry("gd", "l2") and not lr.linf_geometry("ngd", None)


def test_matched_first_steps_have_equal_l2_length():
    """Every optimizer's first step has the l2 length of a sign step of size STEP (linf_role docstring)."""
    P, g0 = 300, 0.02
    sign_len = lr.lr_for("sign", P, g0) * math.sqrt(P)
    assert lr.lr_for("ngd", P, g0) == pytest.approx(sign_len)
    assert lr.lr_for("gd", P, g0) * g0 == pytest.approx(sign_len)
