"""Unit tests of the kernel-regime rules (claims/mohamadi/_kernel_regime.py): the eNTK subset
is independent of the split, the calibration gives the init-to-init band, the lazy and the rich
control come out "stays" / "exits" through the one `regime` rule, events read the series AT their
step, and every rule fails on a deliberately wrong input."""
import math

import numpy as np
import pytest
import torch

from grokcheck.claims.mohamadi import _kernel_regime as kr
from grokcheck.claims.mohamadi._kernel_exit_runs import (CenteredScaled, init_norm, lazy_alpha, lazy_run, linearized_run,
                                                          make_net, rich_alpha, tracked_group, train_mask)
from grokcheck.context import Context
from grokcheck.theory.delay import eval_grid
from grokcheck.theory.tasks import binary_table, one_hot_pairs
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.empirical import empirical_ntk

SEEDS = range(20)
Z = 4.0  # a 4-standard-error band: a false alarm has probability ~6e-5


def _train_share(subsets, masks) -> float:
    return sum(float(m[s].double().mean()) for s, m in zip(subsets, masks)) / len(subsets)


def test_subset_is_independent_of_the_split():
    """The share of training points in the subset is n/N within Z standard errors (pooled over seeds);
    the old subset (the split's own permutation, i.e. the first training points) is 100% train and fails."""
    p, S = 23, 128
    N, n = p * p, round(2 * p ** (5 / 3))
    masks = [train_mask(Context(seed=s), p, n) for s in SEEDS]
    subs = [kr.kernel_subset(Context(seed=s).rng("subset"), N, S) for s in SEEDS]
    f = n / N
    se = math.sqrt(f * (1 - f) / S * (N - S) / (N - 1) / len(SEEDS))  # hypergeometric, pooled
    assert abs(_train_share(subs, masks) - f) <= Z * se
    old = [torch.randperm(N, generator=Context(seed=s).rng("split"))[:S] for s in SEEDS]  # the old bug
    assert abs(_train_share(old, masks) - f) > Z * se


def test_subset_validates():
    with pytest.raises(ValueError):
        kr.kernel_subset(torch.Generator(), 10, 1)
    assert len(kr.kernel_subset(torch.Generator().manual_seed(0), 10, 50)) == 10


def _init_kernels(p=11, width=44, k=kr.K_INIT, S=64):
    pairs, _ = binary_table(p)
    sub = kr.kernel_subset(torch.Generator().manual_seed(5), p * p, S)
    return [empirical_ntk(QuadraticNet(p, width, generator=torch.Generator().manual_seed(i), dtype=torch.float64),
                          pairs[sub], method="closed_form", output=0) for i in range(k)]


def test_calibration_gives_the_init_to_init_band():
    ks = _init_kernels()
    band = kr.calibrate(ks)
    assert len(band["pairs"]) == kr.K_INIT * (kr.K_INIT - 1) // 2
    assert 0 < band["band_lo"] <= band["band_hi"] < band["d_exit"]
    assert band["d_exit"] == pytest.approx(band["band_hi"] + band["noise"], rel=0, abs=0)
    # scale-free: rescaling one init (alpha^4) does not move the band
    scaled = kr.calibrate([ks[0] * 81.0] + ks[1:])
    assert scaled["band_hi"] == pytest.approx(band["band_hi"], rel=1e-10)
    # negative control: copies of one kernel have no spread, so the band collapses to 0
    same = kr.calibrate([ks[0]] * 3)
    assert same["band_hi"] < 1e-12 and same["noise"] < 1e-12
    with pytest.raises(ValueError):
        kr.calibrate(ks[:1])


def _series(dist, lin_gap, train=None, test=None, raw=None):
    steps = [0, 1, 2, 5, 10, 20, 50, 100]
    return {"steps": steps, "train_acc": train or [0.0, 0.1, 0.2, 0.5, 0.995, 1.0, 1.0, 1.0],
            "test_acc": test or [0.0, 0.0, 0.0, 0.1, 0.2, 0.5, 0.96, 1.0],
            "dist": dist, "lin_gap": lin_gap, "raw_drift": raw or [0.0, 0.01, 0.02, 0.03, 0.04, 5.0, 9.0, 8.0]}


def test_events_read_the_series_at_the_event_step():
    """Every *_fit value equals the series at t_fit (kills an `at()` that reads one eval point late)."""
    s = _series([0.0, 0.01, 0.02, 0.03, 0.04, 0.5, 0.6, 0.7], [0.0, 0.05, 0.1, 0.2, 0.3, 0.9, 0.9, 0.9])
    ev = kr.events(s, d_exit=0.1)
    i = s["steps"].index(ev["t_fit"])
    assert ev["t_fit"] == 10 and ev["t_gen"] == 50 and ev["t_exit_kernel"] == 20 and ev["t_exit_fn"] == 20
    for key, name in (("dist_fit", "dist"), ("lin_gap_fit", "lin_gap"), ("raw_drift_fit", "raw_drift"),
                      ("test_acc_fit", "test_acc")):
        assert ev[key] == s[name][i] != s[name][i + 1], key
    assert ev["t_raw_max"] == 50 and ev["raw_drift_max"] == 9.0 and ev["regime"] == "exits"


def test_regime_rule_both_ways():
    never = kr.events(_series([0.0] * 8, [0.0] * 8), d_exit=0.1)
    assert never["regime"] == "stays" and never["t_exit_kernel"] is None and never["t_exit_fn"] is None
    kernel_only = kr.events(_series([0.0] * 4 + [0.5] * 4, [0.0] * 8), d_exit=0.1)
    assert kernel_only["regime"] == "mixed"
    at_band = kr.events(_series([0.1] * 8, [0.5] * 8), d_exit=0.1)  # on the threshold: not beyond it
    assert at_band["regime"] == "stays"


def test_interpretation_passes_on_late_exit_and_fails_on_early_exit():
    late = kr.events(_series([0.0] * 5 + [0.5] * 3, [0.0] * 5 + [0.9] * 3), d_exit=0.1)  # exits at 20 > t_fit 10
    early = kr.events(_series([0.0, 0.5] + [0.5] * 6, [0.0, 0.9] + [0.9] * 6), d_exit=0.1)  # exits at step 1
    frozen = kr.events(_series([0.0] * 8, [0.0] * 8), d_exit=0.1)
    ok = kr.interpretation_observables("s", [late, late], 100)  # two seeds: [min, max] at coverage 50%
    assert all(o.outcome == "holds" for o in ok), [o.describe() for o in ok]
    assert all(o.outcome == "fails" for o in kr.interpretation_observables("s", [early, early], 100)[:2])
    mixed = kr.interpretation_observables("s", [late, early], 100)  # one seed each way: undecided
    assert all(o.outcome == "undecided" for o in mixed[:2])
    assert all(o.outcome == "undecided" for o in kr.interpretation_observables("s", [early], 100))  # one seed
    frozen_obs = kr.interpretation_observables("s", [frozen, frozen], 100)
    assert frozen_obs[0].passed and not frozen_obs[2].passed  # a kernel that never moves cannot pass


def test_an_exit_inside_the_budget_is_decided_and_a_pending_exit_is_not():
    """Budget gaps shield only events that have not happened: an exit before the fit refutes below the paper's
    budget; a run that exited but never fit exited before its fit (decided too); a kernel that has not left the
    band yet is pending: inconclusive (budget) below the paper's budget, refuted at it."""
    from grokcheck.core import setting_decision
    early = kr.events(_series([0.0, 0.5] + [0.5] * 6, [0.0, 0.9] + [0.9] * 6), d_exit=0.1)
    no_fit = kr.events(_series([0.0, 0.5] + [0.5] * 6, [0.0, 0.9] + [0.9] * 6, train=[0.0] * 8), d_exit=0.1)
    assert no_fit["t_fit"] is None and no_fit["t_exit_kernel"] == 1
    lazy = kr.events(_series([0.0] * 8, [0.0] * 8, test=[0.0] * 8), d_exit=0.1)
    control = kr.control_observables("s", lazy, early, "x", "y")
    assert all(o.passed for o in control)
    for evs in ([early, early], [early, no_fit]):
        obs = kr.interpretation_observables("s", evs, 100)
        assert obs[0].outcome == "fails" and obs[0].kind == "measure", obs[0].describe()
        assert setting_decision(obs + control, budget_gap="short")[0] == "refuted"
    frozen = kr.events(_series([0.0] * 8, [0.0] * 8), d_exit=0.1)
    obs = kr.interpretation_observables("s", [frozen, frozen], 100)
    assert obs[2].outcome == "pending" and obs[2].kind == "event"
    verdict, reason = setting_decision(obs + control, budget_gap="short")
    assert verdict == "inconclusive" and reason.startswith("budget:"), reason
    assert setting_decision(obs + control, budget_gap=None)[0] == "refuted"
    neither = kr.events(_series([0.0] * 8, [0.0] * 8, train=[0.0] * 8), d_exit=0.1)
    assert kr.interpretation_observables("s", [neither, neither], 100)[0].outcome == "pending"


def test_measurement_rule():
    flat = kr.events(_series([0.0] * 8, [0.0] * 8), d_exit=0.1)  # raw drift 0.04 at fit vs max 9
    assert all(o.passed for o in kr.measurement_observables("s", [flat, flat]))
    moved = kr.events(_series([0.0] * 8, [0.0] * 8, raw=[0.0, 1, 2, 3, 4, 5, 3, 2]), d_exit=0.1)
    frac, late = kr.measurement_observables("s", [moved, moved])  # 4/5 of the max at t_fit; peak after it
    assert frac.outcome == "pending" and late.passed  # max_t can still grow: an event not yet happened
    peak_at_fit = kr.events(_series([0.0] * 8, [0.0] * 8, raw=[0.0, 1, 2, 3, 9, 5, 3, 2]), d_exit=0.1)
    assert all(o.outcome == "pending" and o.kind == "event"
               for o in kr.measurement_observables("s", [peak_at_fit, peak_at_fit]))


def test_the_measurement_rule_passes_a_kernel_that_only_rescales():
    """The rescaling control: a kernel K_t = c_t K_0 whose scale grows like ||theta||^4 passes the paper's
    raw-drift rule whenever the norm grows after the fit, so the control fails (the rule cannot tell)."""
    s = _series([0.0] * 8, [0.0] * 8)
    s["l2"] = [1.0, 1.0, 1.0, 1.0, 1.05, 1.5, 2.0, 3.0]  # the norm grows after t_fit = 10
    ev = kr.events(s, d_exit=0.1)
    control = kr.measurement_control("s", [kr.rescaling_events(s, ev)] * 2)
    assert control.value == 1.0 and control.outcome == "fails"
    s["l2"] = [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]  # all growth before the fit: the rule rejects it
    control = kr.measurement_control("s", [kr.rescaling_events(s, kr.events(s, d_exit=0.1))] * 2)
    assert control.value == 0.0 and control.passed


def test_kendall_tau_and_alpha_trend():
    assert kr.kendall_tau([1, 2, 3], [1, 2, 3]) == 1.0 and kr.kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    assert kr.kendall_tau([1, 2, 3], [5, 5, 5]) == 0.0 and kr.kendall_tau([1], [1]) is None
    # censored values: two bounds are never ordered; a bound above an exact value is
    assert kr.kendall_tau([1, 2, 3], [10, 50, 40], [False, True, True]) == pytest.approx(2 / 3)
    assert kr.kendall_tau([1, 2], [60, 50], [False, True]) == 0.0  # bound 50 < 60: order unknown

    def ev(alpha, t_fit, t_gen):
        return {"alpha": alpha, "t_fit": t_fit, "t_gen": t_gen}

    paper_like = [ev(0.1, 400, 500), ev(0.3, 200, 400), ev(1.0, 100, 500), ev(3.0, 50, None)]
    tr = kr.alpha_trend(paper_like, budget=1000)
    assert tr["tau_gap"] == 1.0 and tr["tau_fit"] == -1.0 and tr["gap"][-1] == 1001 - 50
    assert tr["tau_gap_seeds"] == [1.0] and tr["tau_fit_seeds"] == [-1.0]
    # one seed: its [v, v] has coverage 0, so the trend rule decides nothing either way (never a refutation)
    assert [o.outcome for o in kr.trend_observables("s", tr)[:2]] == ["undecided"] * 2
    reversed_ = [ev(0.1, 50, 900), ev(0.3, 100, 500), ev(1.0, 200, 300), ev(3.0, 400, 450)]
    assert [o.outcome for o in kr.trend_observables("s", kr.alpha_trend(reversed_, budget=1000))[:2]] == ["undecided"] * 2


def test_alpha_trend_rule_reads_the_median_over_seeds_of_the_per_seed_taus():
    """Seeds tie in alpha; each seed's sweep gives its own tau. A clean trend in every seed of three holds
    ([min, max] at 75%), every seed reversed fails, a trend in one seed of three (the others reversed) is
    undecided; the control (alpha order reversed) rejects a clean trend and fails on a reversed one."""
    def ev(alpha, t_fit, t_gen, init):
        return {"alpha": alpha, "t_fit": t_fit, "t_gen": t_gen, "init": init}

    clean = [ev(a, 400 // a, 400 // a + 100 * a, i) for i in range(3) for a in (1, 2, 4)]
    clean[3]["t_fit"] += 7  # seeds differ within an alpha; ties in alpha never count
    tr = kr.alpha_trend(clean, budget=5000)
    assert tr["tau_gap"] == 1.0 and tr["tau_fit"] == -1.0 and tr["tau_gap_seeds"] == [1.0, 1.0, 1.0]
    obs = kr.trend_observables("s", tr)
    assert [o.outcome for o in obs[:2]] == ["holds"] * 2 and obs[0].coverage == 0.75
    assert kr.trend_control("s", tr).outcome == "holds"
    sp = kr.trend_spread(clean, 5000, np.random.default_rng(0))
    assert sp["rho_gap"][0] > 0.9  # Spearman: x ties keep it < 1
    mixed = [ev(a, 400 // a, 400 // a + 100 * (a if i == 0 else 8 - a), i) for i in range(3) for a in (1, 2, 4)]
    tm = kr.alpha_trend(mixed, budget=5000)
    assert tm["tau_gap_seeds"] == [1.0, -1.0, -1.0] and kr.trend_observables("s", tm)[0].outcome == "undecided"
    backwards = [ev(a, 400 * a, 400 * a + 800 // a, i) for i in range(3) for a in (1, 2, 4)]
    tb = kr.alpha_trend(backwards, budget=50_000)
    assert [o.outcome for o in kr.trend_observables("s", tb)[:2]] == ["fails"] * 2
    assert kr.trend_control("s", tb).outcome == "fails"  # the reversed order passes the rule: control fails


def test_lazy_and_rich_controls_through_the_same_rule():
    """A linearized net (never leaves K_0) "stays"; the paper's NGD lr 10 run, whose first step moves theta
    by more than ||theta_0||, "exits"."""
    ctx = Context(seed=0)
    p, width, n, steps = 7, 28, 40, 30
    grid = eval_grid(steps, per_decade=6, dense_until=5)
    kw = dict(p=p, width=width, n=n, steps=steps, eval_steps=grid, subset=49)
    band = kr.calibrate(_init_kernels(p=7, width=28, S=49))
    lazy = linearized_run(ctx, optimizer="ngd", lr=2.0, weight_decay=0.0, penalty_weight=0.0, **kw)
    rich = tracked_group(ctx, runs=[(1.0, 0)], optimizer="ngd", lr=10.0, weight_decay=0.0, penalty_weight=0.0,
                         after_kernel=False, **kw)[0]
    ev_lazy, ev_rich = kr.events(lazy, band["d_exit"]), kr.events(rich, band["d_exit"])
    assert max(lazy["dist"]) < 1e-10 and max(lazy["lin_gap"]) < 1e-8
    assert ev_lazy["regime"] == "stays", ev_lazy
    assert ev_rich["regime"] == "exits", ev_rich


def _norm0(ctx, p, width):
    return math.sqrt(sum(float(v.detach().pow(2).sum()) for v in make_net(ctx, p, width, 0, 1.0).parameters()))


def test_trained_lazy_control_stays_and_the_same_control_rejects_an_exiting_run():
    """The quadratic net trained by NGD in the lazy scaling (alpha_out (f - f_0), lr / alpha_out) "stays" under
    `regime` and its control holds; fed the paper's NGD lr 10 run (first step > ||theta_0||) as its "lazy" input,
    the same lazy control fails: it can reject."""
    ctx = Context(seed=0)
    p, width, n, steps = 7, 28, 40, 30
    grid = eval_grid(steps, per_decade=6, dense_until=5)
    kw = dict(p=p, width=width, n=n, steps=steps, eval_steps=grid, subset=49)
    band = kr.calibrate(_init_kernels(p=7, width=28, S=49))
    lazy = lazy_run(ctx, lr=10.0, penalty_weight=0.0, factor=100.0, **kw)
    moving = tracked_group(ctx, runs=[(1.0, 0)], optimizer="ngd", lr=10.0, weight_decay=0.0, penalty_weight=0.0,
                           after_kernel=False, **kw)[0]
    ev_lazy, ev_moving = kr.events(lazy, band["d_exit"]), kr.events(moving, band["d_exit"])
    assert ev_lazy["regime"] == "stays" and ev_moving["regime"] == "exits", (ev_lazy, ev_moving)
    assert max(lazy["disp"]) <= 1 / 100 + 1e-12  # the budget bound steps * lr / alpha_out <= ||theta_0|| / factor
    assert lazy["train_acc"][-1] > lazy["train_acc"][0]  # it trains (not a frozen net)
    name = "lazy control (x): regime == stays"
    holds = {o.name: o.outcome for o in kr.control_observables("s", ev_lazy, ev_moving, "x", "y")}
    wrong = {o.name: o.outcome for o in kr.control_observables("s", ev_moving, ev_moving, "x", "y")}
    assert holds[name] == "holds" and wrong[name] == "fails"


def test_small_init_rich_control_exits_and_the_same_control_rejects_a_lazy_run():
    """The rich control (NGD from the small init alpha = lr / (10 ||theta_0(1)||): first step = 10 ||theta_0||)
    "exits" under `regime` and its control holds; fed the trained lazy control as its "rich" input, the same
    control fails: it can reject."""
    ctx = Context(seed=0)
    p, width, n, steps = 7, 28, 40, 30
    grid = eval_grid(steps, per_decade=6, dense_until=5)
    kw = dict(p=p, width=width, n=n, steps=steps, eval_steps=grid, subset=49)
    band = kr.calibrate(_init_kernels(p=7, width=28, S=49))
    norm1 = init_norm(ctx, p, width)
    assert norm1 == pytest.approx(_norm0(ctx, p, width), rel=1e-12)
    alpha = rich_alpha(10.0, 10.0, norm1)
    rich = tracked_group(ctx, runs=[(alpha, 0)], optimizer="ngd", lr=10.0, weight_decay=0.0, penalty_weight=0.0,
                         after_kernel=False, **kw)[0]
    lazy = lazy_run(ctx, lr=10.0, penalty_weight=0.0, factor=100.0, **kw)
    assert rich["disp"][1] == pytest.approx(10.0, rel=1e-9)  # the first step is rich_factor init norms
    ev_rich, ev_lazy = kr.events(rich, band["d_exit"]), kr.events(lazy, band["d_exit"])
    assert ev_rich["regime"] == "exits" and ev_lazy["regime"] == "stays", (ev_rich, ev_lazy)
    name = "rich control (y): regime == exits"
    holds = {o.name: o.outcome for o in kr.control_observables("s", ev_lazy, ev_rich, "x", "y")}
    wrong = {o.name: o.outcome for o in kr.control_observables("s", ev_lazy, ev_lazy, "x", "y")}
    assert holds[name] == "holds" and wrong[name] == "fails"
    with pytest.raises(ValueError):
        rich_alpha(0.0, 10.0, norm1)


def test_lazy_alpha_and_the_centred_scaled_model():
    assert lazy_alpha(100.0, 200, 10.0, 5.0) == pytest.approx(100 * 200 * 10 / 5.0)
    assert lazy_alpha(100.0, 1, 0.1, 5.0) == 100.0  # never below factor
    net = QuadraticNet(5, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    m = CenteredScaled(net, 300.0)
    x = one_hot_pairs(binary_table(5)[0], 5, dtype=torch.float64)  # (25, 10)
    assert m(x).abs().max() == 0  # centred at theta_0
    with torch.no_grad():
        net.W.add_(1e-3)
    f0 = QuadraticNet(5, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)(x)
    assert torch.allclose(m(x), 300.0 * (net(x) - f0), rtol=1e-12, atol=0)
    assert [n for n, _ in m.named_parameters()] == ["net.W", "net.V"]  # theta_0 is not trained
    K, Ka = (empirical_ntk(mod, x, method="jacobian", output=0) for mod in (net, m))
    assert torch.allclose(Ka, 300.0 ** 2 * K, rtol=1e-10)  # eNTK of the scaled model: alpha^2 K
    with pytest.raises(ValueError):
        CenteredScaled(net, 0.0)


def test_first_step_length_is_lr_over_the_init_norm_for_ngd():
    """The probe's displacement at step 1 is ||theta_1 - theta_0|| / ||theta_0||: lr / ||theta_0|| for NGD
    (the init norm computed here independently), lr / (alpha_out ||theta_0||) for the lazy control; a GD run
    (step length lr ||g||) gives something else, so the check can fail."""
    ctx = Context(seed=2)
    p, width, n = 5, 20, 12
    kw = dict(p=p, width=width, n=n, steps=3, eval_steps=(0, 1, 2, 3), subset=8)
    norm0 = _norm0(ctx, p, width)
    ngd = tracked_group(ctx, runs=[(1.0, 0)], optimizer="ngd", lr=0.3, weight_decay=0.0, penalty_weight=0.0,
                        after_kernel=False, **kw)[0]
    gd = tracked_group(ctx, runs=[(1.0, 0)], optimizer="gd", lr=0.3, weight_decay=0.0, penalty_weight=0.0,
                       after_kernel=False, **kw)[0]
    lazy = lazy_run(ctx, lr=0.3, penalty_weight=0.0, factor=100.0, **kw)
    assert ngd["disp"][0] == 0 and ngd["disp"][1] == pytest.approx(0.3 / norm0, rel=1e-10)
    assert lazy["disp"][1] == pytest.approx(0.3 / lazy["lazy_alpha"] / norm0, rel=1e-8)
    assert lazy["lazy_alpha"] == pytest.approx(lazy_alpha(100.0, 3, 0.3, norm0), rel=1e-12)
    assert abs(gd["disp"][1] - 0.3 / norm0) > 1e-3 * 0.3 / norm0
    evs = [{"first_step": v} for v in (0.2, 0.1, 0.3)]
    o = kr.step_length_observation("ours: x", evs)
    assert (o.value, o.lo, o.hi, o.role) == (0.2, 0.1, 0.3, "observation")


def test_bad_configs_raise_one_line_value_errors():
    from dataclasses import replace
    from grokcheck.claims.mohamadi import kernel_exit as ke, transformer_kernel_exit as tke
    for bad in (dict(alphas=(0.5,)), dict(ps=()), dict(ps=(1,)), dict(subset=2), dict(steps=0), dict(step_lrs=(0.0,)),
                dict(step_lrs=(10.0,)), dict(step_lrs=(1.0, 1.0)), dict(step_lrs=(math.inf,)), dict(lazy_factor=10.0),
                dict(lazy_factor=math.nan), dict(rich_factor=1.0), dict(rich_factor=math.inf)):
        with pytest.raises(ValueError) as err:
            ke._validate(replace(ke.SCALES["ci"], **bad))
        assert "\n" not in str(err.value), bad
    for bad in (dict(ps=()), dict(ps=(1,)), dict(subset=3), dict(lazy_steps=0), dict(lazy_scale=10.0),
                dict(lazy_scale=math.nan)):
        with pytest.raises(ValueError):
            tke._validate(replace(tke.SCALES["ci"], **bad))
    ke._validate(ke.SCALES["paper"])
    tke._validate(tke.SCALES["paper"])


def test_the_runs_draw_their_subset_from_the_subset_stream(monkeypatch):
    """Every call site draws the eNTK subset from ctx.rng("subset"): a spy records the state of
    the generator each call receives; the split's stream ("split"), which gave the old all-train subset,
    must never reach kernel_subset."""
    from grokcheck.claims.mohamadi import _kernel_exit_runs as runs_mod
    states = []
    real = runs_mod.kernel_subset

    def spy(generator, n_total, size):
        states.append(generator.get_state().clone())
        return real(generator, n_total, size)

    monkeypatch.setattr(runs_mod, "kernel_subset", spy)
    ctx = Context(seed=3)
    common = dict(p=5, width=20, n=12, steps=2, optimizer="gd", lr=0.01, weight_decay=0.0, penalty_weight=0.0,
                  eval_steps=(0, 2), subset=8)
    tracked_group(ctx, runs=[(1.0, 0)], after_kernel=False, **common)
    linearized_run(ctx, **common)
    assert len(states) == 2
    want = ctx.rng("subset").get_state()
    assert all(torch.equal(s, want) for s in states), "a run drew its subset from another stream"


def test_each_seed_of_a_group_draws_its_own_split(monkeypatch):
    """Issue 14: run (alpha, i) trains on split ctx.rng("split", i): the alphas of one seed share it (a paired
    sweep), different seeds do not."""
    from grokcheck.claims.mohamadi import _kernel_exit_runs as runs_mod
    states = []
    real = runs_mod.tasks_train_mask

    def spy(n_total, n, generator):
        states.append(generator.get_state().clone())
        return real(n_total, n, generator)

    monkeypatch.setattr(runs_mod, "tasks_train_mask", spy)
    ctx = Context(seed=3)
    tracked_group(ctx, runs=[(1.0, 0), (2.0, 0), (1.0, 1)], p=5, width=20, n=12, steps=2, optimizer="gd", lr=0.01,
                  weight_decay=0.0, penalty_weight=0.0, eval_steps=(0, 2), subset=8, after_kernel=False)
    want = [ctx.rng("split", i).get_state() for i in (0, 0, 1)]
    assert len(states) == 3 and all(torch.equal(s, w) for s, w in zip(states, want))
    assert not torch.equal(want[0], want[2])
