"""Claim `transformer-kernel-exit`: a transformer's eNTK barely changes until the training set is
fit (Mohamadi+24 arXiv version, Sec. 5 "eNTK measurements" on the transformer; issue 7 item 6).

The kernel-exit check of verify/kernel_exit.py, run on the PKU transformer of
`transformer-grokking` through the generic torch.func eNTK (ntk.diagnostics.KernelTrajectory):
the eNTK of the first logit on a fixed random subset of S equations (train and test mixed),
float64, at every eval step of one training run.

Rules (the same constants as kernel-exit, fixed there before any run; nothing tuned here):
- t_fit: first eval step with train accuracy >= FIT_ACC = 0.99; t_gen: test accuracy >= 0.95;
  t_exit: first step with d_t = 1 - cos(K_t, K_0) >= EXIT_D = 0.01 (an ~8 degree turn).
- The claim holds when (a) t_exit > t_fit, (b) d(t_fit) <= KERNEL_FRAC * max_t d_t with
  KERNEL_FRAC = 0.1, and (c) max_t d_t >= EXIT_D: the kernel does change "drastically" later.
  (c) is added here because without it a kernel that never moves would pass (a) and (b)
  vacuously. A run that never fits is refuted for lack of evidence.
- Control: the same pipeline on a run whose lr is LR_CONTROL = 1e-6 for CONTROL_STEPS steps
  (a run that cannot move) must stay below EXIT_D.
The eval grid is the union of a uniform grid and a log grid (every step <= 10), because the
quadratic net's kernel turned within the first few steps (kernel-exit's finding).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from grokcheck.models.sequence_tasks import sequence_table
from grokcheck.ntk.diagnostics import KernelTrajectory, event_steps, exit_threshold_table
from grokcheck.theory.validation import check_int
from grokcheck.claims.pku import transformer_grokking as tg
from grokcheck.claims.pku._grokking_runs import GROK, run_one, uniform_eval_steps
from grokcheck.core import Claim, Context, Observable, Result
from grokcheck.claims.mohamadi.kernel_exit import EXIT_D, FIT_ACC, KERNEL_FRAC, THRESHOLDS

CLAIM = Claim(
    id="transformer-kernel-exit",
    title="A transformer's eNTK barely changes until the training set is fit",
    statement=("For the decoder-only transformer of transformer-grokking (AdamW, wd 1) on x + y mod p, the "
               "eNTK of the first logit on a fixed subset stays (nearly) constant in direction until the "
               "training set is fit (t_exit > t_fit, d(t_fit) <= 0.1 max d) and changes afterwards."),
    source="Mohamadi+24 (arXiv v1/v2) Sec. 5, eNTK measurements on a transformer; kernel-exit rules",
)

SETTING = "transformer (PKU AdamW setting)"
LR_CONTROL, CONTROL_STEPS = 1e-6, 50


@dataclass(frozen=True)
class Config:
    model: tg.Config = tg.Config()   # the transformer-grokking setting at this scale
    fraction: float = 0.7            # training fraction of the tracked run (the fastest to grok)
    subset: int = 256                # S equations for the eNTK (paper: 20,000 pairs on the quadratic net)
    n_log: int = 40                  # log-spaced eval points (plus the model's uniform grid)
    seed: int = 0


SCALES = {
    # ours: ci/default reuse transformer-grokking's reduced transformer (p = 23, one block)
    "ci": Config(model=replace(tg.SCALES["ci"], n_eval=20), fraction=0.9, subset=64, n_log=20),
    "default": Config(model=tg.SCALES["default"], fraction=0.7, subset=128, n_log=40),
    "paper": Config(model=tg.SCALES["paper"], fraction=0.7, subset=512, n_log=60),
}


def eval_grid(steps: int, n_uniform: int, n_log: int) -> tuple:
    """Uniform grid of n_uniform points, log grid of n_log points and every step <= 10, sorted."""
    steps = check_int("steps", steps, 1)
    log_grid = torch.logspace(0, torch.log10(torch.tensor(float(steps))), check_int("n_log", n_log, 1),
                              dtype=torch.float64).round().long().tolist()
    return tuple(sorted({*uniform_eval_steps(steps, n_uniform), *log_grid, *range(min(11, steps + 1))}))


def kernel_events(steps, train_acc, test_acc, dist, rel_drift) -> dict:
    """t_fit, t_gen, t_exit and d / raw drift at t_fit and at their maxima, from one tracked run."""
    ev = event_steps(steps, train_acc, test_acc, dist, fit_threshold=FIT_ACC, gen_threshold=GROK, exit_threshold=EXIT_D)
    i_fit = None if ev["t_fit"] is None else list(steps).index(ev["t_fit"])
    ev.update({"dist_fit": None if i_fit is None else dist[i_fit], "dist_max": max(dist),
               "rel_drift_fit": None if i_fit is None else rel_drift[i_fit], "rel_drift_max": max(rel_drift),
               "t_exit_table": {str(k): v for k, v in exit_threshold_table(steps, dist, THRESHOLDS).items()}})
    return ev


def kernel_observables(ev: dict, total_steps: int, control_max_d: float) -> list[Observable]:
    """Rules (a), (b), (c) of the module docstring, the raw-drift observation and the control."""
    t_fit, t_exit = ev["t_fit"], ev["t_exit"]
    ratio = None if t_fit is None else (t_exit if t_exit is not None else total_steps + 1) / max(t_fit, 1)
    frac = None if ev["dist_fit"] is None or ev["dist_max"] == 0 else ev["dist_fit"] / ev["dist_max"]
    raw = None if ev["rel_drift_fit"] is None or ev["rel_drift_max"] == 0 else ev["rel_drift_fit"] / ev["rel_drift_max"]
    gen = None if ev["t_gen"] is None or not t_exit else ev["t_gen"] / t_exit
    return [
        Observable(f"t_exit / t_fit (d >= {EXIT_D:g})", ratio, 1.0, ">", setting=SETTING,
                   reason="the kernel leaves only after the fit (never exiting counts as after the budget)"),
        Observable("d(t_fit) / max_t d", frac, KERNEL_FRAC, "<=", setting=SETTING,
                   reason="'barely changes until the training set is fit': at most 0.1 of its later maximum"),
        Observable("max_t d", ev["dist_max"], EXIT_D, ">=", setting=SETTING,
                   reason="'changes drastically afterwards'; without it a frozen kernel would pass vacuously"),
        Observable("raw drift(t_fit) / max_t raw drift", raw, 0.05, "<=", role="observation", setting=SETTING,
                   reason="the paper's own, scale-dependent measure ||K_t - K_0||_F / ||K_0||_F"),
        Observable("t_gen / t_exit", gen, 1.0, ">=", role="observation", setting=SETTING,
                   reason="generalization comes with (not before) the exit"),
        Observable(f"control: lr {LR_CONTROL:g}, {CONTROL_STEPS} steps: max_t d", control_max_d, EXIT_D, "<",
                   role="control", setting=SETTING, reason="a run that cannot move must not trigger t_exit"),
    ]


def _tracked_run(config: Config, lr: float, steps: int, x_sub: torch.Tensor, log) -> tuple[dict, KernelTrajectory]:
    m = replace(config.model, seed=config.seed)  # the claim's seed (CLI --seed) drives the run
    spec = replace(tg.run_spec(m, config.fraction, m.batch_sizes[0], m.seeds[0], m.weight_decay), lr=lr, steps=steps)
    tracker = KernelTrajectory(x_sub, output=0)
    out = run_one(spec, log, callbacks=[tracker], eval_steps=eval_grid(steps, min(m.n_eval, steps), config.n_log))
    return out, tracker


def run(config: Config, ctx: Context) -> Result:
    m = config.model
    tokens, _ = sequence_table(m.p, "add")
    g = torch.Generator().manual_seed(config.seed)
    x_sub = tokens[torch.randperm(len(tokens), generator=g)[:check_int("subset", config.subset, 2)]]  # (S, 4)
    out, tr = _tracked_run(config, m.lr, m.steps, x_sub, ctx.log)
    h = out["history"]
    ev = kernel_events(tr.steps, h["metrics"]["train_acc"], h["metrics"]["test_acc"], tr.dist, tr.rel_drift)
    ctx.log(f"t_fit {ev['t_fit']} t_exit {ev['t_exit']} t_gen {ev['t_gen']} d(t_fit) {ev['dist_fit']} "
            f"max d {ev['dist_max']:.3g}")
    _, ctrl = _tracked_run(config, LR_CONTROL, CONTROL_STEPS, x_sub, ctx.log)
    obs = kernel_observables(ev, m.steps, max(ctrl.dist))
    series = {"steps": tr.steps, "train_acc": h["metrics"]["train_acc"], "test_acc": h["metrics"]["test_acc"],
              "dist": tr.dist, "rel_drift": tr.rel_drift, "events": ev, "control_dist": ctrl.dist}
    notes = [f"Tracked run: p = {m.p}, width {m.d}, {m.layers} block(s), AdamW lr {m.lr:g} wd {m.weight_decay:g}, "
             f"fraction {config.fraction:g}, batch {m.batch_sizes[0] or 'full'}, seed {m.seeds[0] + config.seed}, "
             f"{m.steps} steps; eNTK of logit 0 on {config.subset} random equations (float64, jacobian method).",
             f"Events: t_fit = {ev['t_fit']}, t_exit = {ev['t_exit']}, t_gen = {ev['t_gen']}; t_exit by threshold: "
             f"{ev['t_exit_table']}.",
             "Same rules as kernel-exit (d = 1 - cos(K_t, K_0), EXIT_D = 0.01, KERNEL_FRAC = 0.1) plus rule (c) "
             "max d >= EXIT_D; the raw relative drift (the paper's measure) is an observation."]
    if ctx.scale != "paper":
        notes.append(f"Scale '{ctx.scale}' is ours: the reduced transformer of transformer-grokking at this scale.")
    return ctx.result(CLAIM, config, obs, series, notes)


def figures(result: Result):
    import numpy as np
    from matplotlib.figure import Figure
    from grokcheck.claims.mohamadi.kernel_exit import _mark_events
    s, ev = result.series, result.series["events"]
    x = np.maximum(np.asarray(s["steps"], dtype=float), 0.5)
    fig = Figure(figsize=(10, 4.2))
    a1, a2 = fig.subplots(1, 2, sharex=True)
    a1.plot(x, s["train_acc"], "-", color="tab:blue", label="train acc")
    a1.plot(x, s["test_acc"], "--", color="tab:orange", label="test acc")
    a1.set_ylabel("accuracy")
    a2.plot(x, s["dist"], "-", color="tab:red", label="d_t = 1 - cos(K_t, K_0)")
    a2.plot(x, s["rel_drift"], "--", color="tab:brown", label="||K_t - K_0|| / ||K_0||")
    a2.axhline(EXIT_D, color="black", ls=":", lw=0.8, label=f"exit threshold {EXIT_D:g}")
    a2.set_yscale("symlog", linthresh=1e-4)
    a2.set_ylim(bottom=0)
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel("step (log; step 0 at 0.5)")
        _mark_events(ax, ev)
        ax.legend(fontsize=8)
    fig.suptitle("Transformer: eNTK of logit 0 on a fixed subset along training", fontsize=10)
    fig.tight_layout()
    return [fig]
