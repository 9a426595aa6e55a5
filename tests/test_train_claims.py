"""Unit tests of the rules behind claims sample-complexity and rich-generalization, each fed a wrong input
that a broken rule would pass (controls that bite)."""
import numpy as np
import torch
import pytest

from grokcheck.claims.mohamadi import _nstar
from grokcheck.claims.mohamadi import rich_generalization as rg
from grokcheck.claims.mohamadi import sample_complexity as sc
from grokcheck.core import Observable
from grokcheck.context import Context


def test_n_star_interpolates_and_ignores_a_lucky_small_n():
    ns = [100, 200, 400, 800]
    assert _nstar.n_star(ns, [False, False, True, True]) == (400.0, "inside")
    assert _nstar.n_star(ns, [True, False, True, True]) == (400.0, "inside")  # a lucky small n does not count
    n, where = _nstar.n_star(ns, [False, True, True, True], values=[0.5, 1.0, 1.0, 1.0], threshold=0.75)
    assert where == "inside" and n == pytest.approx(np.sqrt(100 * 200))  # halfway in log n
    assert _nstar.n_star(ns, [True] * 4) == (100.0, "left")
    assert _nstar.n_star(ns, [True, True, True, False]) == (800.0, "right")  # censored: a lower bound


def test_n_star_bad_grid():
    with pytest.raises(ValueError):
        _nstar.n_star([200, 100], [True, True])
    with pytest.raises(ValueError):
        _nstar.n_star([100, 200], [True])


def test_exponent_rule_accepts_thm45_rate_and_rejects_the_kernel_rate():
    """Rule 3 ("interval upper end < 2"): n* ~ p^(5/3) passes; the kernels' n* ~ p^2 (the control's input) fails."""
    rng = np.random.default_rng(0)
    ps = [23, 31, 47, 61]
    iv = _nstar.exponent_interval(ps, [2 * p ** (5 / 3) * np.exp(rng.normal(0, 0.03, 3)) for p in ps])
    assert iv.lo <= sc.THM45_RATE + 0.1 and iv.hi < sc.KERNEL_RATE - 1e-9
    from grokcheck.claims.mohamadi._sc_run import SLOPE_ROUNDOFF
    k2 = _nstar.exponent_interval(ps, [[0.6 * p * p] * 3 for p in ps])
    assert k2.estimate == pytest.approx(2.0) and not Observable("k", k2.hi, sc.KERNEL_RATE - SLOPE_ROUNDOFF, "<").passed
    k3 = _nstar.exponent_interval(ps, [[0.01 * p ** 2.5] * 3 for p in ps])
    assert not Observable("k", k3.lo, sc.THM45_RATE, "<=").passed  # a p^2.5 network refutes "k <= 5/3"
    # the pooled bootstrap exponent (the compare command's) agrees on exact data
    k, (lo, hi) = _nstar.exponent(ps, [[0.6 * p * p] * 3 for p in ps], rng, 50)
    assert k == pytest.approx(2.0) and lo == pytest.approx(2.0) and hi == pytest.approx(2.0)


def test_budget_bound_rule():
    assert _nstar.budget_bound(None, 1000) and _nstar.budget_bound(801, 1000)
    assert not _nstar.budget_bound(800, 1000)


def test_thm43_rule_rejects_the_oracle_kernel_and_accepts_an_equivariant_one():
    """Rule 1 on the kernels' population l2: the oracle 1[a+b=a'+b'] (not equivariant) must fail it."""
    cfg = sc.Config(ps=(13,), kernel_fractions=(0.2, 0.4, 0.6), seeds=3, width_factor=8)
    ctx = Context(scale="ci", seed=0)
    oracle = sc.kernel_curves(13, cfg, "oracle", ctx)
    from grokcheck.claims.mohamadi._sc_run import bound_interval
    oracle_iv = bound_interval(sc.bound_margins(13, cfg.kernel_fractions, oracle["l2"]))
    assert oracle_iv.hi < 0  # every seed of some fraction below the bound: the rule fails on it
    expected = sc.kernel_curves(13, cfg, "expected", ctx)
    assert bound_interval(sc.bound_margins(13, cfg.kernel_fractions, expected["l2"])).lo >= 0


def test_headline_rule_rejects_a_network_that_is_no_better_than_the_kernel():
    """Rule 2 (CI upper end of network n* / kernel n* < 1): a 'network' whose runs pass exactly where the
    kernel's l2 passes gives ratio >= 1 and must fail."""
    from grokcheck.claims.mohamadi._sc_run import kernel_n_star, network_n_star
    fr = [0.3, 0.5, 0.7, 0.9]
    l2 = np.array([[0.9] * 3, [0.7] * 3, [0.4] * 3, [0.1] * 3])
    kern = kernel_n_star({"l2": l2.tolist(), "acc": (1 - l2).tolist()}, 23, fr, sc.HALF)
    net = {"p": 23, "ns": [round(f * 529) for f in fr], "acc": (l2 < 0.5).astype(float).tolist(), "l2": l2.tolist(),
           "gen_step": [[10] * 3] * 4}
    q = network_n_star(net, sc.ACC, sc.HALF)
    assert not Observable("ratio", max(q["n"]) / np.median(kern["n"]), 1.0, "<").passed


def test_headline_rule_reads_every_seed_of_every_p():
    """Rule 2 on the network's median n* interval over seeds (3 seeds: [min, max], 75%): every seed below the
    kernel's n* at every p holds; one seed at or above it at one p is undecided (the old bootstrap CI's end,
    a point labelled 95%, refuted it); every seed above at one p fails."""
    from grokcheck.claims.mohamadi._sc_run import headline_rule
    kern = [400.0, 800.0]
    assert headline_rule([[200, 250, 300], [500, 600, 700]], kern).outcome == "holds"
    o = headline_rule([[200, 250, 300], [500, 600, 900]], kern)
    assert o.outcome == "undecided" and o.coverage == 0.75, o.describe()
    assert headline_rule([[200, 250, 300], [850, 900, 1000]], kern).outcome == "fails"


def test_exponent_rules_read_per_seed_slopes_and_the_controls_reject_the_kernel_rate():
    """Rule 3 on the median over seeds of per-seed exponents (3 seeds: [min, max], exact 75%): p^1.5 holds
    both rules, p^2.5 fails both, p^(5/3) itself straddles 5/3: undecided; the controls (the kernels' p^2 fed
    to the '< 2' rule, the memorizer's p^2 to the '<= 5/3' rule) hold, and the first fails on a p^(5/3) input."""
    from grokcheck.claims.mohamadi._sc_run import exponent_rules
    rng = np.random.default_rng(0)
    ps = [23, 31, 47, 61]
    noisy = lambda k, c: [[c * p ** k * e for e in np.exp(rng.normal(0, 0.03, 3))] for p in ps]  # noqa: E731
    p2 = _nstar.exponent_interval(ps, [[0.6 * p * p] * 3 for p in ps])
    kern, mem = {"entk": p2}, _nstar.exponent_interval(ps, [[float(p * p)] * 3 for p in ps])
    good = exponent_rules(_nstar.exponent_interval(ps, noisy(1.5, 2)), kern, mem)
    assert [o.outcome for o in good] == ["holds"] * 4 and good[0].coverage == 0.75
    around = [[2 * p ** (5 / 3 + d) for d in (-0.05, 0.0, 0.05)] for p in ps]  # seeds' slopes around 5/3
    at_rate = exponent_rules(_nstar.exponent_interval(ps, around), kern)
    assert [o.outcome for o in at_rate[:2]] == ["holds", "undecided"]  # k = 5/3 itself: not shown to be below
    bad = exponent_rules(_nstar.exponent_interval(ps, noisy(2.5, 0.01)), kern)
    assert [o.outcome for o in bad[:2]] == ["fails"] * 2
    wide = [[2 * p ** (5 / 3) * e for e in (0.5, 1.0, 2.0)] for p in ps]  # seeds a factor 4 apart: slopes differ
    wide = [[v * (p / 23) ** (0.3 * s) for s, v in enumerate(row)] for p, row in zip(ps, wide)]
    assert exponent_rules(_nstar.exponent_interval(ps, wide), kern)[1].outcome == "undecided"
    fake = {"entk": _nstar.exponent_interval(ps, noisy(5 / 3, 2))}
    assert exponent_rules(_nstar.exponent_interval(ps, noisy(5 / 3, 2)), fake)[2].outcome == "fails"


def test_exponent_difference_rule_and_its_memorizer_control():
    """Rule 4: per-seed network exponent minus the kernel's < 0. A network at p^1.6 against a kernel at p^1.9
    holds; the memorizer (n* = p^2) against the same kernel fails it, so its control holds; a network at
    the kernel's own rate is undecided or fails, never holds; unpaired seeds are refused."""
    from grokcheck.claims.mohamadi._sc_run import difference_rules
    ps = [23, 31, 47]
    kern = [[0.5 * p ** 1.9 * (1 + 0.01 * s) for s in range(3)] for p in ps]
    net = [[p ** 1.6 * (1 + 0.02 * s) for s in range(3)] for p in ps]
    mem = [[float(p * p)] * 3 for p in ps]
    obs = difference_rules(_nstar.exponent_difference(ps, net, kern), _nstar.exponent_difference(ps, mem, kern), "entk")
    assert [o.outcome for o in obs] == ["holds", "holds"] and obs[0].coverage == 0.75
    assert obs[0].value == pytest.approx(-0.3, abs=0.02)
    same = difference_rules(_nstar.exponent_difference(ps, kern, kern), None, "entk")[0]
    assert same.outcome != "holds"
    with pytest.raises(ValueError, match="pairs seeds"):
        _nstar.exponent_difference(ps, net, [r[:2] for r in kern])


def test_trend_rule_rejects_a_falling_accuracy():
    ps = [31, 41, 47]
    falling = rg.trend_rho(ps, [[0.99, 0.98, 0.99], [0.8, 0.82, 0.79], [0.5, 0.52, 0.55]])
    assert falling.hi < 0 and falling.coverage == 0.75  # every seed falls: [min, max] of 3 seeds
    assert Observable("rho", falling.estimate, 0.0, ">=", **{k: getattr(falling, k) for k in ("lo", "hi", "coverage")}).outcome == "fails"
    flat = rg.trend_rho(ps, [[1.0] * 3] * 3)  # saturated: ties count as no trend, rho 0 in every seed
    assert (flat.estimate, flat.lo, flat.hi) == (0.0, 0.0, 0.0)
    assert Observable("rho", 0.0, 0.0, ">=", lo=flat.lo, hi=flat.hi, coverage=flat.coverage).outcome == "holds"
    one_seed_falls = rg.trend_rho(ps, [[0.9, 0.9, 0.9], [0.95, 0.96, 0.8], [0.99, 0.99, 0.7]])
    assert one_seed_falls.lo < 0 < one_seed_falls.hi  # straddles: undecided


def test_flat_rule_rejects_the_init_scaling_and_accepts_a_flat_norm():
    ps = [31, 41, 47]
    init_like = [[(2 * p) ** -0.5 * (1 - 1e-3 * s) for s in range(3)] for p in ps]
    iv = rg.flat_slope(ps, init_like)
    assert iv.estimate == pytest.approx(-0.5) and rg.ci_misses_band((iv.lo, iv.hi)) > 0
    iv = rg.flat_slope(ps, [[0.5, 0.51, 0.49]] * 3)
    assert rg.ci_misses_band((iv.lo, iv.hi)) == 0


def test_memorizer_fits_but_fails_the_generalization_rule():
    """The control run: AdamW without weight decay on shuffled labels fits its training set (train acc >= 0.99)
    and fails rule 1 (median test accuracy >= 0.95), which a rule reading train accuracy would pass."""
    from grokcheck.claims.mohamadi._rg_runs import train_group
    cfg = rg._configs(rg.Config(cls_ps=(13,), control_steps=300))["memorizer"]
    out = train_group("cls", 13, round(2 * 13 ** (5 / 3)), 2, cfg, 52, Context(scale="ci"), shuffle=True)
    assert np.median(out["final_train"]) >= rg.FIT_ACC
    assert not Observable("test acc", float(np.median(out["final_test"])), rg.ACC, ">=").passed


def test_he_init_is_normal_with_fan_in_variance():
    from grokcheck.claims.mohamadi._rg_runs import make_net
    net = make_net(31, 124, "he", Context(scale="ci"), 0)
    assert float(net.W.detach().std()) == pytest.approx((2 / 62) ** 0.5, rel=0.05)
    assert float(net.V.detach().std()) == pytest.approx((2 / 124) ** 0.5, rel=0.05)
    with pytest.raises(ValueError):
        make_net(31, 124, "xavier", Context(scale="ci"), 0)


@pytest.mark.parametrize("kw", [dict(ps=(1,)), dict(kernel_fractions=(0.0,)), dict(seeds=1), dict(steps=0),
                                dict(c_grid=(1.0, 0.8)), dict(c_grid=())])
def test_sample_complexity_config_validation(kw):
    with pytest.raises(ValueError):
        sc.Config(**kw)


@pytest.mark.parametrize("kw", [dict(cls_ps=()), dict(reg_ps=(1,)), dict(seeds=0), dict(cls_steps=0)])
def test_rich_generalization_config_validation(kw):
    with pytest.raises(ValueError):
        rg.Config(**kw)


def test_regression_side_runs_and_its_floor_rule_rejects_a_kernel_like_n_star():
    """The paper-scale regression side (configured off at ci/default) runs end to end on a tiny config, and
    rule (a) fails for an n* at the kernel floor itself."""
    from grokcheck.claims.mohamadi._sc_regression import REG_SETTING, regression_observables, train_regression
    from grokcheck.theory.bounds import half_loss_fraction
    cfg = sc.Config(ps=(5,), reg_ps=(5, 7), reg_c_grid=(1.0, 2.0), reg_steps=20, seeds=2)
    groups = [train_regression(p, [p * p, 2 * p * p], 2, 20, Context(scale="ci")) for p in (5, 7)]
    obs, series, gap = regression_observables(groups, cfg, np.random.default_rng(0))
    assert gap and {o.setting for o in obs} == {REG_SETTING} and len(series["n_star"]) == 2
    at_floor = [{"p": p, "ns": [round(half_loss_fraction(p, "regression") * p ** 3) - 1, p ** 3 - 1],
                 "l2": [[0.9, 0.9], [0.1, 0.1]]} for p in (11, 13)]
    obs, _, _ = regression_observables(at_floor, cfg, np.random.default_rng(0))
    assert not obs[0].passed


def _sc_grid(p, ns, passing_from, seeds=3):
    """A network grid of one p whose runs pass (acc 1, l2 0.1) from ns[passing_from] on, and fail (acc 0.02,
    l2 0.98) below; gen step 10 where they pass."""
    ok = [i >= passing_from for i in range(len(ns))]
    return {"p": p, "ns": ns, "bisect": [], "diverged": 0,
            "acc": [[1.0 if o else 0.02] * seeds for o in ok], "l2": [[0.1 if o else 0.98] * seeds for o in ok],
            "gen_step": [[10 if o else None] * seeds for o in ok]}


@pytest.mark.parametrize("steps, swapped_verdict", [(400, "inconclusive"), (30_000, "inconclusive"),
                                                    (100_000, "refuted")])
def test_paper_network_rules_reject_the_memorizer_swapped_in_as_the_network(steps, swapped_verdict):
    """Rules 2 and 4 on the paper's network (settings "paper: ..."): a network that passes from n ~ p^1.5 holds
    both, and its memorizer (never passes: n* censored at p^2) is rejected by the controls. Swapping the
    memorizer in as the network must not verify: its rules fail (events: pending, inconclusive (budget) below
    the paper's 1e5 NGD steps (3e4 too: below it since stop 35), refuted at them) and the control fed the real network does not reject it."""
    from grokcheck.claims.mohamadi._sc_run import PAPER_NET, PAPER_NET_VS_K, PAPER_NGD_STEPS, paper_network_observables
    from grokcheck.core import setting_decisions
    ps = [23, 47, 97]  # up to the paper's p = 97: at 1e5 steps no budget gap is left
    cfg = sc.Config(ps=tuple(ps), ngd_steps=steps)
    grids = {p: [round(c * p ** 1.5) for c in (0.25, 0.5, 1.0, 2.0, 4.0)] for p in ps}
    nets = [_sc_grid(p, grids[p], 2) for p in ps]  # passes from p^1.5
    mems = [_sc_grid(p, grids[p][-1:], 1) for p in ps]  # the largest grid size, never passes
    kern_ns = {"entk": [{"n": [0.6 * p ** 1.9 * (1 + 0.01 * s) for s in range(3)]} for p in ps]}  # below p^2
    best = [float(np.median(q["n"])) for q in kern_ns["entk"]]

    def decide(net, mem):
        obs, _, gaps, _ = paper_network_observables(cfg, net, mem, kern_ns, best)
        return {o.name: o for o in obs}, setting_decisions(obs, gaps)

    obs, dec = decide(nets, mems)
    assert all(o.outcome == "holds" for o in obs.values() if o.role in ("claim", "control")
               and o.setting in (PAPER_NET, PAPER_NET_VS_K))
    assert dec[PAPER_NET][0] == dec[PAPER_NET_VS_K][0] == "verified"
    obs, dec = decide(mems, nets)  # wrong input: the memorizer as the network, the network as its control
    rule2 = obs["max_p paper network (NGD h=4p) median n* / best kernel median l2-n*"]
    assert rule2.kind == "event" and rule2.outcome == "pending" and rule2.lo >= 1
    assert dec[PAPER_NET][0] != "verified" and dec[PAPER_NET_VS_K][0] != "verified"
    # with a correct control (the real memorizer) the swapped network's failing rules decide by the budget
    obs, dec = decide(mems, mems)
    assert dec[PAPER_NET][0] == dec[PAPER_NET_VS_K][0] == swapped_verdict
    assert (dec[PAPER_NET][1].startswith("budget:")) == (steps < PAPER_NGD_STEPS)


def test_linf_at_gen_reads_the_norm_at_each_seeds_own_event():
    """||theta||_inf at t_gen per seed: the curve's value at that seed's t_gen, None where it never
    generalized; a wrong index (the final or the first value) would differ."""
    from grokcheck.claims.mohamadi._rg_verdict import linf_at_gen
    g = {"gen_step": [20, None, 0], "steps": [[0, 10, 20, 30], [0, 10, 20, 30], [0, 5]],
         "linf_curve": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [0.5, 0.7]]}
    assert linf_at_gen(g) == [3.0, None, 0.5]


def test_argmax_accuracy_reads_the_regression_net_as_a_classifier():
    """The paper's construction (f_c(a, b) = 4p 1[a+b=c]) is right on every pair, trained or not; the same
    net with its output rows shifted by one (f_c reads c - 1) is right on none; the split follows the true
    triple: a pair is a training pair exactly when (a, b, a + b) is in the training set."""
    from grokcheck.claims.mohamadi._rg_runs import argmax_accuracy
    from grokcheck.theory.construction import fourier_weights
    p = 7
    W, V = fourier_weights(p)
    masks = torch.zeros(2, p ** 3, dtype=torch.bool)
    masks[:, ::3] = True  # every third triple trained
    params = {"W": torch.stack([W, W]), "V": torch.stack([V, V.roll(1, 0)])}
    train, test = argmax_accuracy(params, p, masks)
    assert train[0] == test[0] == 1.0 and train[1] == test[1] == 0.0
    only = torch.zeros(1, p ** 3, dtype=torch.bool)
    only[0, (0 * p + 1) * p + 1] = True  # the true triple of pair (0, 1) only
    only[0, (0 * p + 2) * p + 5] = True  # a false triple of pair (0, 2): not a training pair
    V_bad = V.clone()
    V_bad[1] = -V_bad[1] - 1  # wrong on pair (0, 1), whose answer is 1 (and on the other pairs with answer 1)
    train, test = argmax_accuracy({"W": W[None], "V": V_bad[None]}, p, only)
    assert train == [0.0] and test == [pytest.approx((p * p - 1 - (p - 1)) / (p * p - 1))]


def test_ngd_setting_reads_rule_3_at_t_gen_and_reports_the_final_norm_beside():
    """In the NGD setting rule 3 reads the norm at each seed's t_gen: norms flat at t_gen that end as p^(-1/2)
    pass there (the final reading, -1/2, is an observation beside it) and fail in a setting that reads the
    final norm; a seed without t_gen leaves rule 3 without a value."""
    from grokcheck.claims.mohamadi._rg_verdict import CLS, OURS, setting_observables

    def group(p, gen, final_scale):
        steps = [0, 10, 20, 30]
        return {"p": p, "n": 10, "final_test": [1.0, 1.0, 1.0], "final_train": [1.0] * 3, "fit_step": [10] * 3,
                "gen_step": gen, "linf0": [0.1] * 3, "linf": [final_scale * (1 + 0.01 * s) for s in range(3)],
                "steps": [steps] * 3, "test": [[0.0, 0.5, 1.0, 1.0]] * 3, "train": [[0.0, 1.0, 1.0, 1.0]] * 3,
                "linf_curve": [[0.1, 0.2, 0.5 + 0.001 * s, final_scale] for s in range(3)], "diverged_at": [None] * 3}

    cfg = rg.Config(cls_ps=(31, 41, 47), seeds=3, bootstrap=10)
    rng = np.random.default_rng(0)
    groups = [group(p, [20] * 3, p ** -0.5) for p in (31, 41, 47)]  # flat at t_gen, p^(-1/2) at the end
    flat = lambda obs: next(o for o in obs if o.name.startswith("flat"))  # noqa: E731
    obs, _ = setting_observables(CLS, groups, "cls", cfg, rng)
    assert "t_gen" in flat(obs).name and flat(obs).outcome == "holds"
    first = next(o for o in obs if o.name.startswith("as first written"))
    assert first.role == "observation" and first.value == pytest.approx(-0.5, abs=0.01)
    obs, _ = setting_observables(OURS, groups, "cls", cfg, rng)
    assert flat(obs).outcome == "fails"
    groups[1]["gen_step"] = [20, None, 20]
    obs, _ = setting_observables(CLS, groups, "cls", cfg, rng)
    assert flat(obs).value is None and flat(obs).outcome == "undecided"
