"""Claim `sample-complexity`: from the measured curves to n*, exponents, observables and the Result (the
rules are stated in `sample_complexity`'s docstring and applied here unchanged)."""
from __future__ import annotations

import numpy as np

from grokcheck import rules
from grokcheck.claims.mohamadi import _nstar
from grokcheck.claims.mohamadi._intervals import extreme, scaled
from grokcheck.claims.mohamadi._paper import PAPER_CLS_STEPS as PAPER_NGD_STEPS  # the paper's classification budget
from grokcheck.claims.mohamadi._sc_regression import REG_SETTING, regression_observables
from grokcheck.core import Observable
from grokcheck.theory.bounds import half_loss_fraction, kernel_lower_bound
from grokcheck.theory.stats import Interval, median_interval

KERNELS = "paper: Thm 4.3 equivariant kernels"
NET = "ours: AdamW network h=8p vs kernels"
NET_EXP = "ours: network exponent vs Thm 4.5"
NET_VS_K = "ours: network exponent vs the kernels' measured exponent"
PAPER_NET = "paper: NGD network h=4p vs kernels"                                 # rule 2, the paper's network
PAPER_NET_VS_K = "paper: NGD network exponent vs the kernels' measured exponent"  # rule 4, the paper's network
PAPER_NET_EXP = "ours: the paper's NGD network exponent vs Thm 4.5"              # rule 3 (an asymptotic rate at p < 97)
PAPER_LABEL = "paper network (NGD h=4p)"  # observable names of the paper network (ours: "network")
ACC = 0.95        # network criterion: test accuracy (Thm 4.5 bounds the 0-1 error; the 95%)
HALF = 0.5        # l2 criterion: relative population l2 <= 1/2, Thm 4.3's 1/2 L(Psi_0)
KERNEL_RATE = 2.0  # Thm 4.3: n* = Omega(p^2)
THM45_RATE = 5 / 3  # Thm 4.5: n* = O~(p^(5/3))
PAPER_P = 97      # the paper's classification sizes reach p = 97 (Sec. 5): below it, exponents are budget-limited



def bound_margins(p: int, fractions, l2) -> list[list[float]]:
    """Rule 1's input per fraction and seed: relative population l2 - Thm D.2 bound at n = round(f p^2);
    l2: (F, S) -> (F, S) margins (>= 0: at or above the bound)."""
    bound = np.array([kernel_lower_bound(p, max(1, round(f * p * p)), "classification") for f in fractions])
    return (np.asarray(l2, float) - bound[:, None]).tolist()


def bound_interval(margins_by_cell) -> Interval:
    """Rule 1's statistic: the min over cells (kernel, p, fraction) of the median margin over seeds, each
    with its order-statistic interval (`_intervals.extreme`: one decision per cell, exact coverage)."""
    return extreme([median_interval(m) for m in margins_by_cell], "min", "(kernel, p, fraction) cells")


def per_seed_n_star(ns, passed, values, threshold) -> tuple[list, list]:
    """n* and its position for each seed (columns of (F, S) arrays)."""
    passed, values = np.asarray(passed), np.asarray(values, float)
    out = [_nstar.n_star(ns, passed[:, s], values[:, s], threshold) for s in range(passed.shape[1])]
    return [o[0] for o in out], [o[1] for o in out]

SLOPE_ROUNDOFF = 1e-9  # a float64 log-log fit of exact p^2 data is 2 to ~1e-15; 1e-9 leaves room


def passes(acc, l2, acc_threshold: float = ACC, l2_threshold: float = HALF) -> np.ndarray:
    """The network criterion per run: test accuracy >= 0.95 and relative population l2 <= 1/2."""
    return (np.asarray(acc, float) >= acc_threshold) & (np.asarray(l2, float) <= l2_threshold)


def seed_points(net: dict, s: int, added=None) -> dict:
    """Seed s's runs of one p, the grid's and the refinement's (`net["bisect"]`, or `added`), sorted by n:
    {"ns", "acc", "l2", "gen_step"} lists."""
    pts = [(n, net["acc"][i][s], net["l2"][i][s], net["gen_step"][i][s]) for i, n in enumerate(net["ns"])]
    pts += [(b["n"], b["acc"], b["l2"], b["gen_step"]) for b in (net.get("bisect", []) if added is None else added)
            if b["seed"] == s]
    pts.sort(key=lambda t: t[0])
    return {k: [t[j] for t in pts] for j, k in enumerate(("ns", "acc", "l2", "gen_step"))}


def bracket(ns, ok) -> tuple:
    """(last failing n, first passing n from which on all pass) of one seed's sorted points; (None, None)
    when n* is censored either side (the largest fails, or the smallest passes)."""
    i = _nstar.first_passing(ok)
    return (None, None) if not i else (ns[i - 1], ns[i])


def network_n_star(net: dict, acc_threshold: float, l2_threshold: float) -> dict:
    """Per-seed n* of one p's networks (pass = acc >= threshold and l2 <= threshold) on each seed's points
    (the grid and its refinement, `seed_points`), with the budget flag input: the gen step of the run at the
    first passing point from which on all pass (None when censored). A censored n* (the largest point
    fails) is set to p^2, its upper value, so rule 2 stays conservative."""
    n, where, steps_at = [], [], []
    for s in range(len(net["acc"][0])):
        pts = seed_points(net, s)
        ok = passes(pts["acc"], pts["l2"], acc_threshold, l2_threshold)
        v, w = _nstar.n_star(pts["ns"], ok, pts["acc"], acc_threshold)
        n.append(float(net["p"] ** 2) if w == _nstar.RIGHT else v)  # censored: all pairs (upper)
        where.append(w)
        i = _nstar.first_passing(ok)
        steps_at.append(None if i is None else pts["gen_step"][i])
    return {"n": n, "where": where, "gen_step": steps_at}


def kernel_n_star(curves: dict, p: int, fractions, threshold: float) -> dict:
    ns = [round(f * p * p) for f in fractions]
    l2, acc = np.asarray(curves["l2"]), np.asarray(curves["acc"])
    n, where = per_seed_n_star(ns, l2 <= threshold, l2, threshold)
    n_acc, where_acc = per_seed_n_star(ns, acc >= 0.95, acc, 0.95)
    return {"n": n, "where": where, "n_acc": n_acc, "where_acc": where_acc}


def headline_ratio(n_by_p, best_kernel) -> Interval:
    """Rule 2's statistic: the max over p of (median n* over seeds, its order-statistic interval) / the best
    kernel's median l2-n*. n_by_p: per p, the per-seed n*; best_kernel: per p, a number."""
    return extreme([scaled(median_interval(n), 1.0 / bk) for n, bk in zip(n_by_p, best_kernel)], "max", "p")


def headline_rule(n_by_p, best_kernel, setting: str = NET, label: str = "network", kind: str = "measure") -> Observable:
    """Rule 2: the max over p of the network's median n* / the best kernel's median l2-n* < 1 (setting: ours,
    a measure; or the paper network's, an event: see the claim's docstring)."""
    return rules.interval_rule(f"max_p {label} median n* / best kernel median l2-n*", headline_ratio(n_by_p, best_kernel),
                               1.0, "<", setting=setting, kind=kind,
                               reason="rule 2: ratio 1 = no advantage; holds when every p's interval lies below 1")


def _mem(label: str) -> str:
    """The memorizer's name in observable names: ours "the memorizer", the paper network's "the paper network's
    memorizer" (names stay unique across settings)."""
    return "the memorizer" if label == "network" else f"the {label}'s memorizer"


def exponent_rules(ek, kk: dict, memorizer=None, setting: str = NET_EXP, label: str = "network") -> list[Observable]:
    """Rule 3 on the network's exponent interval `ek`, with its controls: the kernel whose interval reaches
    lowest ({name: interval} `kk`) fed to the '< 2' rule, and the memorizer's exponent (`memorizer`, an
    interval or None) fed to the '<= 5/3' rule."""
    best = min(kk, key=lambda name: kk[name].hi)
    bound = KERNEL_RATE - SLOPE_ROUNDOFF
    of = "" if label == "network" else f" ({label})"
    out = [
        rules.interval_rule(f"{label} exponent k of n* ~ p^k (rule 3: < 2)", ek, bound, "<", setting=setting,
                            reason="scales better than the kernels' p^2 (Thm 4.3); bound 2 - 1e-9 (fit round-off)"),
        rules.interval_rule(f"{label} exponent k of n* ~ p^k (rule 3: <= 5/3, Thm 4.5)", ek, THM45_RATE, "<=",
                            setting=setting, reason="Thm 4.5's O~(p^(5/3)); fails only when the interval lies above 5/3"),
        rules.control_rule(f"control: the same '< 2' rule on the {best} kernel's l2-n*{of}", kk[best], bound, "<",
                           "n* ~ p^2 (the kernels' own rate) must fail the exponent rule", setting=setting),
    ]
    if memorizer is not None:
        out.append(rules.control_rule(f"control: the '<= 5/3' rule on {_mem(label)}'s n* (shuffled labels)", memorizer,
                                      THM45_RATE, "<=", "a network that cannot generalize (n* censored at p^2) must "
                                      "fail the Thm 4.5 rate", setting=setting))
    return out


def difference_rules(diff: Interval, memorizer_diff: Interval | None, kernel: str, setting: str = NET_VS_K,
                     label: str = "network", kind: str = "measure") -> list[Observable]:
    """Rule 4: the network's exponent minus the best-scaling kernel's, per seed, median interval < 0; its
    control: the memorizer's exponent minus the same kernel's must fail it (setting: ours, a measure; or the
    paper network's, an event: see the claim's docstring)."""
    out = [rules.interval_rule(f"exponent of {label} n* - exponent of the {kernel} kernel's l2-n* (rule 4: < 0)", diff,
                               0.0, "<", setting=setting, kind=kind,
                               reason="rule 4: the network's n* grows more slowly in p than the kernel's: the ratio "
                               "n*_net / n*_kernel falls with p")]
    if memorizer_diff is not None:
        out.append(rules.control_rule(f"control: rule 4 on {_mem(label)}'s n* (shuffled labels) vs the {kernel} kernel",
                                      memorizer_diff, 0.0, "<", "a network that cannot generalize (n* censored at "
                                      "p^2) must fail rule 4", setting=setting))
    return out


def paper_network_observables(config, nets, mems, kern_ns, best_kernel) -> tuple[list, dict, dict, list]:
    """Rules 2 and 4 on the paper's own network (NGD lr 10, l_inf 1e-20, h = 4p, float64; settings PAPER_NET,
    PAPER_NET_VS_K: events, so below the paper's 1e5 NGD steps (`_paper`) a failing interval is pending, inconclusive
    (budget)) and rule 3 (PAPER_NET_EXP, ours), each with the same network's memorizer fed to the same rule.
    nets / mems: per p, the grid (and refinement) and the memorizer of the paper network; kern_ns, best_kernel:
    as in `assemble`. Returns (observables, series, budget gaps, notes)."""
    ps, steps = list(config.ps), config.ngd_steps
    net_ns = [network_n_star(net, ACC, HALF) for net in nets]
    mem_ns = [network_n_star(m, ACC, HALF) for m in mems]
    net_iv = [median_interval(r["n"]) for r in net_ns]
    obs = [headline_rule([r["n"] for r in net_ns], best_kernel, PAPER_NET, PAPER_LABEL, kind="event")]
    if mem_ns:
        obs.append(rules.control_rule(f"control: rule 2 on {_mem(PAPER_LABEL)} (shuffled labels, largest grid size)",
                                      headline_ratio([q["n"] for q in mem_ns], best_kernel), 1.0, "<",
                                      "a network that fits random labels and cannot generalize must fail rule 2",
                                      setting=PAPER_NET))
    series = {"steps": steps, "width_factor": config.paper_width_factor,
              "networks": [{"ns": r["ns"], "acc": r["acc"], "l2": r["l2"], "gen_step": r["gen_step"],
                            "bisect": r.get("bisect", []), "n_star": q["n"], "where": q["where"],
                            "n_star_gen_step": q["gen_step"], "ci": [iv.lo, iv.hi]}
                           for r, q, iv in zip(nets, net_ns, net_iv)],
              "memorizers": [{"ns": m["ns"], "acc": m["acc"], "l2": m["l2"], "gen_step": m["gen_step"],
                              "n_star": q["n"], "where": q["where"]} for m, q in zip(mems, mem_ns)],
              "ratio": [iv.estimate / bk for iv, bk in zip(net_iv, best_kernel)]}
    gaps = {}
    # the gap is the paper's step budget (a budget-bound n* at the paper's 1e5 steps is its budget: it decides)
    bound_at = [p for p, r in zip(ps, net_ns) if any(_nstar.budget_bound(g, steps) for g in r["gen_step"])]
    short = [f"{steps} NGD steps < the paper's {PAPER_NGD_STEPS} (Sec. 5: '<= 100k steps')"
             + (f"; n* budget-bound at p={bound_at}" if bound_at else "")] if steps < PAPER_NGD_STEPS else []
    if short:
        gaps[PAPER_NET] = short[0]
    if len(ps) >= 2:
        ek = _nstar.exponent_interval(ps, [r["n"] for r in net_ns])
        kk = {name: _nstar.exponent_interval(ps, [q["n"] for q in v]) for name, v in kern_ns.items()}
        mk = _nstar.exponent_interval(ps, [q["n"] for q in mem_ns]) if mem_ns else None
        series["exponents"] = {n: [iv.estimate, [iv.lo, iv.hi]] for n, iv in
                               {"network": ek, **({"memorizer": mk} if mk else {})}.items()}
        obs += exponent_rules(ek, kk, mk, PAPER_NET_EXP, PAPER_LABEL)
        kmin = min(kk, key=lambda name: kk[name].estimate)  # the kernel whose n* grows most slowly
        diff = _nstar.exponent_difference(ps, [r["n"] for r in net_ns], [q["n"] for q in kern_ns[kmin]])
        mdiff = _nstar.exponent_difference(ps, [q["n"] for q in mem_ns], [q["n"] for q in kern_ns[kmin]]) if mem_ns else None
        series["exponent_difference"] = [diff.estimate, [diff.lo, diff.hi], kmin]
        obs += difference_rules(diff, mdiff, kmin, PAPER_NET_VS_K, PAPER_LABEL, kind="event")
        p_gap = [f"p <= {max(ps)} (the paper's sizes reach p = {PAPER_P}); rates are asymptotic"] if max(ps) < PAPER_P else []
        for s in (PAPER_NET_EXP, PAPER_NET_VS_K):
            if short + p_gap:
                gaps[s] = "; ".join(p_gap + short)
    for j, p in enumerate(ps):
        q = net_ns[j]
        obs.append(rules.interval_rule(f"p={p}: {PAPER_LABEL} median n* vs the best kernel median l2-n* "
                                       f"({best_kernel[j]:.0f})", net_iv[j], best_kernel[j], "<", role="observation",
                                       setting=PAPER_NET, reason=f"steps to 0.95 of the defining runs {q['gen_step']} / "
                                       f"{steps}; positions {q['where']}"))
    censored = [p for p, r in zip(ps, net_ns) if _nstar.INSIDE not in r["where"]]
    notes = [
        f"Paper network (settings '{PAPER_NET}', '{PAPER_NET_VS_K}'; rule 3 in '{PAPER_NET_EXP}'): normalized GD lr 10, "
        f"l_inf 1e-20, cross-entropy, full batch, float64, width {config.paper_width_factor}p, {steps} steps, fused engine, "
        f"the same splits, grid, refinement and pass criterion. Diverged runs: {[r['diverged'] for r in nets]}.",
        "Paper network n* per p (per seed): " + "; ".join(f"p={p}: {[round(v) for v in q['n']]} {q['where']}"
                                                          for p, q in zip(ps, net_ns)) + ".",
        "Paper network's memorizer n* per p (shuffled labels, largest grid size, NGD): " + (
            "; ".join(f"p={p}: {[round(v) for v in q['n']]} {q['where']}" for p, q in zip(ps, mem_ns)) or "not run") + ".",
        f"Paper network: censored n* (no seed crossed inside the grid): {censored or 'none'}; budget-bound p: "
        f"{bound_at or 'none'}.",
    ]
    return obs, series, gaps, notes


def assemble(config, ctx, nets, kerns, oracle, claim, reg=(), mems=(), paper_nets=(), paper_mems=()):
    """The Result of the measured networks, kernels, oracle kernel, regression runs and memorizers (one per p,
    trained on shuffled labels at the largest grid size: their n* is censored unless they generalize); the
    paper's own network and its memorizers (`paper_nets`, `paper_mems`, empty: not run) as settings of their own
    (`paper_network_observables`)."""
    ps, S = list(config.ps), config.seeds
    boot = ctx.np_rng("bootstrap")
    mem_ns = [network_n_star(m, ACC, HALF) for m in mems]
    net_ns = [network_n_star(net, ACC, HALF) for net in nets]
    kern_ns = {k: [kernel_n_star(c, p, config.kernel_fractions, HALF) for c, p in zip(v, ps)] for k, v in kerns.items()}
    # rule 1: Thm 4.3 bound on the kernels' population l2
    margins = {k: [bound_margins(p, config.kernel_fractions, c["l2"]) for c, p in zip(v, ps)] for k, v in kerns.items()}
    kernel_iv = bound_interval([cell for v in margins.values() for m in v for cell in m])
    oracle_iv = bound_interval(bound_margins(min(ps), config.kernel_fractions, oracle["l2"]))
    # rule 2: the network's median n* (order-statistic interval over seeds) vs the best kernel's median l2-n*
    net_iv = [median_interval(r["n"]) for r in net_ns]
    best_kernel = [min(float(np.median(kern_ns[k][j]["n"])) for k in kern_ns) for j in range(len(ps))]
    # budget-bound n* (the defining run needed > 0.8 of the steps)
    bound_at = [p for p, r in zip(ps, net_ns) if any(_nstar.budget_bound(g, config.steps) for g in r["gen_step"])]
    censored = [p for p, r in zip(ps, net_ns) if _nstar.INSIDE not in r["where"]]
    obs = [
        rules.interval_rule("min over kernels, p, n of the median over seeds of (relative population l2 - Thm D.2 "
                            "bound)", kernel_iv, 0.0, ">=", setting=KERNELS,
                            reason="rule 1, Thm 4.3 / D.2: equivariant kernels' l2 >= 1 - 1/p - (n/p^2) e^{2/(p-1)}"),
        rules.control_rule("control: rule 1 on the oracle kernel 1[a+b=a'+b']", oracle_iv, 0.0, ">=",
                           "a non-equivariant kernel that knows the task must fail the Thm 4.3 rule", setting=KERNELS),
        headline_rule([r["n"] for r in net_ns], best_kernel),
    ]
    if mem_ns:
        obs.append(rules.control_rule("control: rule 2 on the memorizer (shuffled labels, largest grid size)",
                                      headline_ratio([q["n"] for q in mem_ns], best_kernel), 1.0, "<",
                                      "a network that fits random labels and cannot generalize must fail rule 2",
                                      setting=NET))
    notes = []
    series = {"ps": ps, "kernel_fractions": list(config.kernel_fractions), "steps": config.steps, "seeds": S,
              "networks": [{"ns": r["ns"], "acc": r["acc"], "l2": r["l2"], "gen_step": r["gen_step"],
                            "bisect": r.get("bisect", []),
                            "n_star": q["n"], "where": q["where"], "n_star_gen_step": q["gen_step"], "ci": [iv.lo, iv.hi]}
                           for r, q, iv in zip(nets, net_ns, net_iv)],
              "kernels": {k: [dict(c, n_star=q["n"], where=q["where"], n_star_acc=q["n_acc"], margin=m)
                              for c, q, m in zip(v, kern_ns[k], margins[k])] for k, v in kerns.items()},
              "memorizers": [{"ns": m["ns"], "acc": m["acc"], "l2": m["l2"], "gen_step": m["gen_step"], "n_star": q["n"],
                              "where": q["where"]} for m, q in zip(mems, mem_ns)],
              "oracle": oracle, "half_loss_fraction": [half_loss_fraction(p, "classification") for p in ps]}
    gaps = {}
    if len(ps) >= 2:
        ek = _nstar.exponent_interval(ps, [r["n"] for r in net_ns])
        kk = {name: _nstar.exponent_interval(ps, [q["n"] for q in v]) for name, v in kern_ns.items()}
        mk = _nstar.exponent_interval(ps, [q["n"] for q in mem_ns]) if mem_ns else None
        series["exponents"] = {n: [iv.estimate, [iv.lo, iv.hi]] for n, iv in
                               {"network": ek, **kk, **({"memorizer": mk} if mk else {})}.items()}
        obs += exponent_rules(ek, kk, mk)
        kmin = min(kk, key=lambda name: kk[name].estimate)  # the kernel whose n* grows most slowly
        diff = _nstar.exponent_difference(ps, [r["n"] for r in net_ns], [q["n"] for q in kern_ns[kmin]])
        mdiff = _nstar.exponent_difference(ps, [q["n"] for q in mem_ns], [q["n"] for q in kern_ns[kmin]]) if mem_ns else None
        obs += difference_rules(diff, mdiff, kmin)
        notes.append("Post hoc (rule 4 was first an observation added after seeing the default run, since at p <= 47 the "
                     "kernels' l2-n* grows more slowly than p^2; it decides now, on per-seed exponent differences): under "
                     "the first reading (network interval upper end 1.34 < the eNTK kernel's lower end 1.88) it held.")
        if max(ps) < PAPER_P:
            gaps[NET_EXP] = f"p <= {max(ps)} (the paper's sizes reach p = {PAPER_P}); rates are asymptotic"
    for j, p in enumerate(ps):
        q = net_ns[j]
        obs.append(rules.interval_rule(f"p={p}: network median n* vs the best kernel median l2-n* ({best_kernel[j]:.0f})",
                                       net_iv[j], best_kernel[j], "<", role="observation", setting=NET,
                                       reason=f"steps to 0.95 of the defining runs {q['gen_step']} / {config.steps}; "
                                       f"positions {q['where']}"))
        for name in kerns:
            c = kerns[name][j]
            f0 = config.kernel_fractions[0]
            obs.append(Observable(f"p={p}: {name} relative population l2 at n/p^2={f0} "
                                  f"(test acc {np.mean(c['acc'][0]):.3f}, not decisive)", float(np.median(c["l2"][0])),
                                  kernel_lower_bound(p, max(1, round(f0 * p * p)), "classification"), ">=",
                                  role="observation", setting=KERNELS, reason="median over seeds vs Thm D.2's bound"))
    if reg:
        o, series["regression"], gap = regression_observables(list(reg), config, boot)
        obs += o
        if gap:
            gaps[REG_SETTING] = gap
    if bound_at:
        for s in (NET, NET_EXP, NET_VS_K):
            gaps[s] = "; ".join(filter(None, [gaps.get(s), f"n* budget-bound at p={bound_at} ({config.steps} steps)"]))
    paper_notes = []
    if paper_nets:
        o, series["paper_network"], g, paper_notes = paper_network_observables(config, list(paper_nets), list(paper_mems),
                                                                               kern_ns, best_kernel)
        obs += o
        gaps.update(g)
    notes += [
        f"Network: AdamW lr {config.lr}, wd {config.weight_decay}, {config.steps} steps, width {config.width_factor}p, "
        f"n = c p^(5/3) for c in {list(config.c_grid)}, float32, {S} seeds; pass = test acc >= {ACC} and relative "
        f"population l2 <= {HALF}. Diverged runs: {[r['diverged'] for r in nets]}.",
        "Network n* per p (per seed): " + "; ".join(f"p={p}: {[round(v) for v in q['n']]} {q['where']}"
                                                    for p, q in zip(ps, net_ns)) + ".",
        "Kernel l2-n* per p (per seed): " + "; ".join(f"{k} p={p}: {[round(v) for v in q['n']]} {q['where']}"
                                                      for k, v in kern_ns.items() for p, q in zip(ps, v)) + ".",
        "Kernel accuracy-n* (shown, not decisive; no 0-1 lower bound is proved): " + "; ".join(
            f"{k} p={p}: {[round(v) for v in q['n_acc']]} {q['where_acc']}" for k, v in kern_ns.items()
            for p, q in zip(ps, v)) + " ('right' = never reached 0.95 on the grid: censored).",
        "Memorizer n* per p (shuffled labels, largest grid size only): " + (
            "; ".join(f"p={p}: {[round(v) for v in q['n']]} {q['where']}" for p, q in zip(ps, mem_ns)) or "not run") + ".",
        f"Censored network n* (no seed crossed inside the grid): {censored or 'none'}; budget-bound p: "
        f"{bound_at or 'none'} (rule: the defining run reached 0.95 after > {_nstar.BUDGET_FRACTION} of the steps).",
        "Thm 3.6 / Prop 3.7 regression n* ~ p^2: " + (f"run at p = {list(config.reg_ps)}, {config.reg_steps} GD steps."
                                                       if reg else "configured for paper scale only (5e4-2e5 GD steps)."),
        "Ours: the network side uses AdamW (implicit l_inf-like bias), not the paper's normalized GD; labelled ours.",
    ] + (paper_notes or ["The paper's own network (NGD, h=4p): not run (config paper_network=False)."])
    return ctx.result(claim, config, obs, series, notes, budget_gaps=gaps)
