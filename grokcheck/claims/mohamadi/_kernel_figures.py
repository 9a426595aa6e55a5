"""Figures of `kernel-exit` and `transformer-kernel-exit`, from a Result's series alone.

`run_figure(run, band)`: one page per tracked run: accuracies (and the after-kernel accuracy when
measured), the scale-free distance d_t on the subset and its train / test / cross blocks with the
init-to-init band shaded and D_exit drawn, the paper's raw drift and the linearization gap with its
tolerance; t_fit, t_gen, t_exit(kernel), t_exit(function) marked on every panel.
`alpha_trend_figure(runs, trend)`: t_gen - t_fit and t_fit against alpha (Fig. 1 middle / Fig. 2 left).
"""
from __future__ import annotations

import math

import numpy as np

from grokcheck.claims.mohamadi._kernel_regime import LIN_TOL

EVENTS = (("t_fit", "--", "tab:blue"), ("t_gen", "-.", "tab:green"), ("t_exit_kernel", ":", "tab:red"),
          ("t_exit_fn", (0, (5, 1, 1, 1)), "tab:purple"))


def mark_events(ax, ev: dict) -> None:
    """Vertical lines at the event steps that happened (step 0 drawn at 0.5 on the log axis)."""
    for key, style, colour in EVENTS:
        if ev.get(key) is not None:
            ax.axvline(max(ev[key], 0.5), ls=style, color=colour, lw=1, label=f"{key} = {ev[key]}")


def _clean(v):
    return [math.nan if x is None else x for x in v]


def run_figure(run: dict, band: dict):
    from matplotlib.figure import Figure
    s, ev = run["series"], run["events"]
    x = np.maximum(np.asarray(s["steps"], dtype=float), 0.5)  # step 0 at 0.5 on the log axis
    fig = Figure(figsize=(12, 4.4))
    a1, a2, a3 = fig.subplots(1, 3, sharex=True)
    a1.plot(x, s["train_acc"], "-", color="tab:blue", label="train acc")
    a1.plot(x, s["test_acc"], "--", color="tab:orange", label="test acc")
    if "after_acc" in s and not all(math.isnan(v) for v in _clean(s["after_acc"])):
        a1.plot(x, _clean(s["after_acc"]), ":", color="black", lw=2, label="after-kernel test acc")
    a1.set_ylabel("accuracy")
    a2.axhspan(band["band_lo"], band["band_hi"], color="grey", alpha=0.3, label="init-to-init band")
    a2.axhline(band["d_exit"], color="black", ls="--", lw=0.8, label=f"D_exit = {band['d_exit']:.3g}")
    for key, style, colour in (("dist", "-", "tab:red"), ("dist_train", "--", "tab:pink"),
                               ("dist_test", ":", "tab:olive"), ("dist_cross", "-.", "tab:cyan")):
        if key in s:
            a2.plot(x, _clean(s[key]), style, color=colour, label=f"d_t {key[5:] or 'subset'}")
    a2.set_yscale("symlog", linthresh=1e-4)
    a2.set_ylim(bottom=0)
    a2.set_ylabel("1 - cos(K_t, K_0), first logit")
    a3.plot(x, _clean(s["raw_drift"]), "-", color="tab:brown", label="paper: ||K_t-K_0|| / ||K_0||")
    a3.plot(x, _clean(s["lin_gap"]), "--", color="tab:purple", label="linearization gap")
    a3.axhline(LIN_TOL, color="tab:purple", ls=":", lw=0.8, label=f"gap tolerance {LIN_TOL:g}")
    a3.set_yscale("symlog", linthresh=1e-3)
    a3.set_ylim(bottom=0)
    a3.set_ylabel("relative change (raw drift, gap)")
    for ax in (a1, a2, a3):
        ax.set_xscale("log")
        ax.set_xlabel("step (log; step 0 at 0.5)")
        mark_events(ax, ev)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{run['label']}: regime {ev['regime']}", fontsize=10)
    fig.tight_layout()
    return fig


def alpha_trend_figure(runs: list, trend: dict):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(10, 4.2))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(trend["alphas"], trend["gap"], "-o", color="tab:green", label="median t_gen - t_fit (censored)")
    a2.plot(trend["alphas"], trend["t_fit"], "--s", color="tab:blue", label="median t_fit (censored)")
    sweep = [r for r in runs if r["kind"] == "paper" and r["p"] == runs[0]["p"]]
    for r in sweep:
        e = r["events"]
        if e["t_fit"] is not None:
            a2.plot(r["alpha"], e["t_fit"], "x", color="black")
            if e["t_gen"] is not None:
                a1.plot(r["alpha"], e["t_gen"] - e["t_fit"], "x", color="black")
    tau = (lambda v: "n/a" if v is None else f"{v:.2f}")
    a1.set_title(f"Grokking gap vs alpha (pooled Kendall tau = {tau(trend['tau_gap'])})", fontsize=9)
    a2.set_title(f"Time to fit vs alpha (pooled Kendall tau = {tau(trend['tau_fit'])})", fontsize=9)
    a1.set_ylabel("t_gen - t_fit (steps)")
    a2.set_ylabel("t_fit (steps)")
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel("init scale alpha")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
