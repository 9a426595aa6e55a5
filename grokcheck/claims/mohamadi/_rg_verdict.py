"""Claim `rich-generalization`: per-setting statistics, observables, budget gaps and figures (the rules
are stated in `rich_generalization`'s docstring and applied here unchanged)."""
from __future__ import annotations

import math

import numpy as np

from grokcheck.claims.mohamadi._paper import PAPER_CLS_STEPS, PAPER_REG_STEPS
from grokcheck.core import Observable
from grokcheck.theory.stats import (Interval, bootstrap_ci, loglog_slope, median_interval, rank_correlation,
                                    seedwise_interval)

ACC = 0.95          # rule 1, classification (paper notes claims 7-8)
REL_LOSS = 0.05     # rule 1, regression: relative test loss
FIT_ACC = 0.99      # memorizer control: it must fit its training set for the control to bite
FLAT_BAND = 0.25    # rule 3: |slope| band, half the init's p^(-1/2) rate
REG = {"uniform": "paper: regression GD + l_inf, PyTorch uniform init", "he": "paper: regression GD + l_inf, He init"}
CLS = "paper: classification NGD + l_inf"
OURS = "ours: AdamW classification"
PAPER_STEPS = {"reg": PAPER_REG_STEPS, "cls": PAPER_CLS_STEPS}  # the paper's stated budgets (`_paper`)
PAPER_CLS_P = 47                               # smallest p of the paper-scale classification set
PAPER_REG_P = 47                               # the one regression modulus the paper names (Fig 2 left)



def _rho_or_zero(x, y) -> float:
    r = rank_correlation(x, y)
    return 0.0 if math.isnan(r) else r


def trend_rho(ps, values_by_p) -> Interval:
    """Rule 2: Spearman rho of (p, value) within each seed's sweep over p (a constant sweep: rho 0), the
    median over seeds with its order-statistic interval (exact coverage). values_by_p: (G, S)."""
    return seedwise_interval(ps, values_by_p, _rho_or_zero, what="Spearman rho(p, value)")


def flat_slope(ps, norms_by_p) -> Interval:
    """Rule 3: slope of log ||theta||_inf on log p within each seed's sweep, the median over seeds with
    its order-statistic interval (exact coverage). norms_by_p: (G, S), positive."""
    return seedwise_interval(ps, norms_by_p, loglog_slope, what="slope of log ||theta||_inf on log p")


def ci_misses_band(ci, band: float = FLAT_BAND) -> float:
    """Distance from the CI to [-band, band] (0 when they meet): rule 3 holds when it is 0."""
    lo, hi = ci
    return max(0.0, lo - band, -band - hi)


def _split_reg(group: dict, seeds: int, part: int) -> dict:
    """The `part`-th init's runs (part 0 uniform, 1 He) of a regression group trained with both inits."""
    sl = slice(part * seeds, (part + 1) * seeds)
    return {k: (v[sl] if isinstance(v, list) else v) for k, v in group.items()}


DIVERGED_LOSS = 1e300  # a diverged regression run's relative loss (NaN / inf): fails rule 1, stays strict JSON


def _final(values, cls: bool) -> list:
    """Final test values with diverged (non-finite) runs counted as failures: accuracy 0, loss DIVERGED_LOSS."""
    return [v if math.isfinite(v) else (0.0 if cls else DIVERGED_LOSS) for v in values]


def setting_observables(name: str, groups: list, task: str, config, rng) -> tuple[list, dict]:
    """Rules 1-3 of one setting over its groups (one per p); returns (observables, summary for the series).
    A statistic whose input is not finite (a diverged run's ||theta||_inf) is None: it fails."""
    ps = [g["p"] for g in groups]
    cls = task == "cls"
    finals = [_final(g["final_test"], cls) for g in groups]
    meds = [float(np.median(v)) for v in finals]
    cis = [bootstrap_ci(v, np.median, rng, n_boot=config.bootstrap) for v in finals]
    worst = min(meds) if cls else max(meds)
    j = meds.index(worst)
    label = "test accuracy" if cls else "relative test loss L/L(Psi_0)"
    iv = median_interval(finals[j])
    obs = [Observable(f"worst p (p={ps[j]}): median over seeds of final {label}", iv.estimate,
                      ACC if cls else REL_LOSS, ">=" if cls else "<=", setting=name, lo=iv.lo, hi=iv.hi,
                      coverage=iv.coverage, method=iv.method, kind="event",
                      reason="rule 1: generalizes at every p (paper notes claims 7-8: 0.95; loss analogue 0.05)")]
    init = [[t[0] for t in g["test"]] for g in groups if g.get("test") and all(len(t) for t in g["test"])]
    if init:  # rule 1 fed the untrained nets (step 0) of the same runs: it must not hold
        civ = median_interval([x if math.isfinite(x) else (0.0 if cls else DIVERGED_LOSS)
                               for x in (min(v) if cls else max(v) for v in zip(*init))])
        end = civ.lo if cls else civ.hi
        obs.append(Observable("control: rule 1 on the same runs at step 0 (untrained), worst p, deciding end", end,
                              ACC if cls else REL_LOSS, "<" if cls else ">", role="control", setting=name,
                              method="the rule's deciding end", reason="an untrained net must fail rule 1"))
    summ = {"ps": ps, "median": meds, "ci": cis}
    if len(set(ps)) >= 2:
        vals = [v if cls else [-x for x in v] for v in finals]
        tr = trend_rho(ps, vals)
        at_gen = name == CLS  # post hoc: NGD's norm grows with lr x steps, so rule 3 reads it at t_gen (module doc)
        norms = [norms_at_gen(g) for g in groups] if at_gen else [g["linf"] for g in groups]
        finite = all(x is not None and math.isfinite(x) and x > 0 for v in norms for x in v)
        fl = flat_slope(ps, norms) if finite else None
        missing = "a seed without t_gen: no norm at the event" if at_gen else "a diverged run: no slope"
        obs += [Observable(f"trend: median over seeds of Spearman rho(p, final {'test accuracy' if cls else '-test loss'})",
                           tr.estimate, 0.0, ">=", setting=name, lo=tr.lo, hi=tr.hi, coverage=tr.coverage,
                           method=tr.method,
                           reason="rule 2: not worse at larger p (holds when the whole interval >= 0, fails when it is < 0)"),
                Observable(f"flat ||theta||_inf{' at t_gen (post hoc)' if at_gen else ''}: median over seeds of the "
                           "slope of log ||theta||_inf on log p",
                           fl.estimate if fl else None, 0.0, "==", FLAT_BAND, setting=name,
                           lo=fl.lo if fl else None, hi=fl.hi if fl else None, coverage=fl.coverage if fl else None,
                           method=fl.method if fl else missing,
                           reason=f"rule 3: the interval within [-{FLAT_BAND}, {FLAT_BAND}] = half the init's p^(-1/2) rate")]
        if at_gen and all(math.isfinite(x) and x > 0 for g in groups for x in g["linf"]):
            f0 = flat_slope(ps, [g["linf"] for g in groups])
            obs.append(Observable("as first written: rule 3 on the final ||theta||_inf (slope, median over seeds)",
                                  f0.estimate, 0.0, "==", FLAT_BAND, role="observation", setting=name, lo=f0.lo,
                                  hi=f0.hi, coverage=f0.coverage, method=f0.method,
                                  reason="the pre-registered reading; under normalized GD the final norm grows with "
                                  "lr x steps, the same budget at every p, so it measures the budget"))
        lo, hi = tr.lo, tr.hi
        kci = (fl.lo, fl.hi) if fl else (float("nan"), float("nan"))
        k = fl.estimate if fl else float("nan")
        rho = tr.estimate
        summ.update(old_rules={"trend: CI upper end >= 0": bool(hi >= 0),
                               "flat: CI meets the band": bool(finite and ci_misses_band(kci) <= 0)})
        summ.update(rho=[rho, [lo, hi]], slope=[k, list(kci)] if finite else None)
    for g in groups:
        p = g["p"]
        obs.append(Observable(f"p={p}, n={g['n']}: steps to fit / generalize per seed {g['fit_step']} / "
                              f"{g['gen_step']}; final ||theta||_inf {np.round(g['linf'], 3).tolist()}, "
                              f"at t_gen {linf_at_gen(g)}",
                              float(np.median(_final(g["final_test"], cls))), ACC if cls else REL_LOSS, ">=" if cls else "<=",
                              role="observation", setting=name, reason=f"final {label} per seed "
                              f"{np.round(g['final_test'], 4).tolist()}; train {np.round(g['final_train'], 4).tolist()}"))
        if not cls and g.get("argmax_test"):
            obs.append(Observable(f"p={p}: post hoc: median over seeds of the final argmax-over-c accuracy on test pairs "
                                  "(the regression net read as a classifier)", float(np.nanmedian(g["argmax_test"])),
                                  ACC, ">=", role="observation", setting=name,
                                  reason="the paper plots regression 'accuracy' (Fig 2) without defining it; per seed "
                                  f"test {np.round(g['argmax_test'], 4).tolist()}, train "
                                  f"{np.round(g['argmax_train'], 4).tolist()} (_rg_runs.argmax_accuracy)"))
        R, width = float(np.median(g["linf"])), config.width_factor * p
        if not math.isfinite(R):
            continue
        rate = (R ** 6 * width ** 2 * p * math.log(g["n"]) ** 3 / g["n"] / p) if not cls else math.sqrt(p ** (5 / 3) / g["n"])
        obs.append(Observable(f"p={p}: {'Prop 3.7 rate R^6 h^2 p log^3(n)/(n p)' if not cls else 'Thm 4.5 rate sqrt(p^(5/3)/n)'}",
                              rate, 1.0, "<=", role="observation", setting=name,
                              reason="rates with the measured R = median ||theta||_inf; constants unknown"))
    return obs, summ


def norms_at_gen(g: dict) -> list:
    """||theta||_inf per seed at its t_gen (the first eval step that generalizes; None where it did not):
    the norm at a fixed event. Under normalized GD the final norm grows with lr x steps, so the final one
    measures the budget as much as the solution; rule 3 reads this one in the NGD setting (post hoc)."""
    return [None if t is None or t not in steps else float(curve[steps.index(t)])
            for t, steps, curve in zip(g["gen_step"], g["steps"], g["linf_curve"])]


def linf_at_gen(g: dict) -> list:
    """`norms_at_gen` rounded to 3 digits (for the per-p observation)."""
    return [None if v is None else round(v, 3) for v in norms_at_gen(g)]


def assemble(config, ctx, runs, memorizer, claim):
    rng = ctx.np_rng("bootstrap")
    S = config.seeds
    settings = {}
    if runs["reg"]:
        for part, init in enumerate(("uniform", "he")):
            settings[REG[init]] = ("reg", [_split_reg(g, S, part) for g in runs["reg"]])
    settings[CLS] = ("cls", runs["cls"])
    settings[OURS] = ("cls", runs["ours"])
    obs, series = [], {"settings": {}}
    for name, (task, groups) in settings.items():
        o, summ = setting_observables(name, groups, task, config, rng)
        obs += o
        series["settings"][name] = {"task": task, "summary": summ, "groups": groups}
    mem_test, mem_train = float(np.median(memorizer["final_test"])), float(np.median(memorizer["final_train"]))
    obs += [Observable(f"control: memorizer (AdamW wd 0, shuffled labels, p={memorizer['p']}) median final test "
                       "accuracy", mem_test, ACC, "<", role="control", setting=OURS,
                       reason="fits its training set but must fail rule 1 (a rule reading train accuracy would pass)"),
            Observable("control: the memorizer fits its training set (median final train accuracy)", mem_train, FIT_ACC,
                       ">=", role="control", setting=OURS,
                       reason="a memorizer that does not fit exercises nothing; 0.99 = fitted up to ~1% of points")]
    if len(set(config.cls_ps)) >= 2:
        f0 = flat_slope(config.cls_ps, [g["linf0"] for g in runs["ours"]])
        obs.append(Observable(f"control: rule 3 on the init's ||theta_0||_inf (slope {f0.estimate:.2f} [{f0.lo:.2f}, "
                              f"{f0.hi:.2f}] {f0.coverage:.0%}): distance of the interval from the band",
                              ci_misses_band((f0.lo, f0.hi)), 0.0, ">",
                              role="control", setting=OURS, reason="a norm that tracks the init's p^(-1/2) must fail"))
    gaps = {}
    reg_gap = []
    if config.reg_steps < PAPER_STEPS["reg"]:
        reg_gap.append(f"{config.reg_steps} GD steps < the paper's {PAPER_STEPS['reg']} (its '50k, 100k or 200k steps')")
    if config.reg_ps and min(config.reg_ps) < PAPER_REG_P:
        reg_gap.append(f"p = {list(config.reg_ps)} below p = {PAPER_REG_P}, the one regression modulus the paper "
                       "names (Fig 2; Fig 3's moduli are not stated)")
    if reg_gap:
        for init in ("uniform", "he"):
            gaps[REG[init]] = "; ".join(reg_gap)
    cls_gap = []
    if config.cls_steps < PAPER_STEPS["cls"]:
        cls_gap.append(f"{config.cls_steps} NGD steps < the paper's {PAPER_STEPS['cls']} (its '<= 100k steps')")
    if min(config.cls_ps) < PAPER_CLS_P:
        cls_gap.append(f"p = {list(config.cls_ps)} below the paper-scale p in {{47, 61, 97}} "
                       "(GPU reference: 0.66 test accuracy at p = 23 after 3e4 steps)")
    if cls_gap:
        gaps[CLS] = "; ".join(cls_gap)
    old = {name: st["summary"].get("old_rules") for name, st in series["settings"].items() if st["summary"].get("old_rules")}
    notes = [
        "POST HOC (the one interval rule, adopted after the default results were seen): rule 1 now decides on the "
        "order-statistic interval of the worst p's median (was its point value), rule 2 verifies only when the whole "
        "trend CI is >= 0 (was: passes unless the CI's upper end < 0) and rule 3 only when the slope CI lies inside "
        f"the band (was: passes when it meets the band). Under the original rules 2 and 3: {old}.",
        "POST HOC: the classification setting runs p >= 31 since a GPU reference run reached only 0.66 test "
        "accuracy at p = 23 after 3e4 steps (the paper states no classification p; the suite's paper scale runs 47, 61, 97); with p = 23 in the "
        "grid, rule 1 would have refuted the default run (0.66 < 0.95).",
        "POST HOC (after the regression runs at p = 23 and 1e5 GD steps, which never generalize: median relative test "
        "loss 1.839 / 1.733, uniform / He): the regression settings name p = 47 only, the one modulus the paper's "
        "text gives for regression (Fig 2 left; the p of Fig 3 are not stated), and a smaller p is a gap of the "
        "setting (a pending event there is inconclusive (budget)); as first written the paper scale ran p = 23, 31, "
        "47 and p = 23's pending event at 1e5 steps refuted both regression settings. The argmax-over-c accuracy "
        "on test pairs is reported beside rule 1 (an observation): the paper plots regression 'accuracy' without "
        "defining it, and a relative loss above 1 does not rule out a right argmax.",
        f"{S} seeds per (setting, p), batched; regression inits: PyTorch uniform and He normal on the same splits.",
        "Paper settings in float64 (CE gradient of 3-homogeneous logits underflows at margin ~100 in float32).",
        f"Regression: the l_inf subgradient moves only the largest entry (lr x 1e-4 per step); {config.reg_steps} steps "
        "(paper: 5e4-2e5).",
        f"Ours: AdamW lr {config.ours_lr}, wd {config.ours_weight_decay}, {config.ours_steps} steps, float32.",
        f"Memorizer control: train accuracy per seed {np.round(memorizer['final_train'], 3).tolist()}, test "
        f"{np.round(memorizer['final_test'], 3).tolist()}.",
        "Diverged runs: " + str([(n, g["p"], [d for d in g["diverged_at"] if d is not None])
                                 for n, (t, gs) in settings.items() for g in gs if any(g["diverged_at"])]) + ".",
    ]
    return ctx.result(claim, config, obs, series, notes, budget_gaps=gaps)


def figures(result):
    import matplotlib.pyplot as plt
    figs = []
    for name, st in result.series["settings"].items():
        cls = st["task"] == "cls"
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for i, g in enumerate(st["groups"]):
            c = f"C{i}"
            for s in range(len(g["steps"])):
                steps = [max(t, 1) for t in g["steps"][s]]
                lab = (lambda x: x) if s == 0 else (lambda x: None)
                a1.plot(steps, g["train"][s], color=c, ls="-", lw=0.8, label=lab(f"p={g['p']} train"))
                a1.plot(steps, g["test"][s], color=c, ls="--", lw=1.2, label=lab(f"p={g['p']} test"))
                a2.plot(steps, g["linf_curve"][s], color=c, ls=["-", "--", ":", "-."][i % 4], label=lab(f"p={g['p']}"))
        a1.axhline(0.95 if cls else 0.05, color="k", lw=1, ls=":", label="rule 1 threshold")
        a1.set_ylabel("accuracy" if cls else "relative loss L / L(Psi_0)")
        if not cls:
            a1.set_yscale("log")
        a2.set_ylabel("||theta||_inf")
        for a in (a1, a2):
            a.set_xscale("log")
            a.set_xlabel("step (log)")
            a.legend(fontsize=7)
        a1.set_title(f"{name}: every seed", fontsize=9)
        a2.set_title("largest weight along training", fontsize=9)
        fig.tight_layout()
        figs.append(fig)
    return figs
