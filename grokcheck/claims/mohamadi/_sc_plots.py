"""Figures of claim `sample-complexity`, from the Result alone."""
from __future__ import annotations

import numpy as np

STYLES = {"network": ("C0", "-", "o"), "paper_network": ("C4", "-.", "D"), "entk": ("C1", "--", "s"),
          "expected": ("C2", ":", "^")}
LABELS = {"network": "trained network, acc >= 0.95 and l2 <= 1/2 (ours: AdamW, h=8p)",
          "paper_network": "the paper's network, acc >= 0.95 and l2 <= 1/2 (NGD lr 10 + l_inf, h=4p)",
          "entk": "kernel: eNTK at init, l2 <= 1/2", "expected": "kernel: expected (Prop B.3), l2 <= 1/2"}


def _plot_nstar(ax, s):
    ps = np.asarray(s["ps"], float)
    ex = dict(s.get("exponents", {}))
    nets = {"network": s["networks"]}
    if s.get("paper_network"):  # the paper's own network, a setting of its own
        nets["paper_network"] = s["paper_network"]["networks"]
        if "exponents" in s["paper_network"]:
            ex["paper_network"] = s["paper_network"]["exponents"]["network"]
    curves = {k: [(r["n_star"], r["where"]) for r in v] for k, v in nets.items()}
    curves.update({k: [(c["n_star"], c["where"]) for c in v] for k, v in s["kernels"].items()})
    for j, (k, rows) in enumerate(curves.items()):
        c, ls, mk = STYLES[k]
        med = np.array([np.median(n) for n, _ in rows])
        if k in nets:
            lo = np.array([r["ci"][0] for r in nets[k]])
            hi = np.array([r["ci"][1] for r in nets[k]])
        else:
            lo = np.array([min(n) for n, _ in rows])
            hi = np.array([max(n) for n, _ in rows])
        lab = LABELS[k] + (f"; k={ex[k][0]:.2f} [{ex[k][1][0]:.2f}, {ex[k][1][1]:.2f}]" if k in ex else "")
        x = ps * (1 + 0.02 * (j - 1))  # small offsets so error bars do not overlap
        ax.errorbar(x, med, yerr=[med - lo, hi - med], color=c, ls=ls, marker=mk, capsize=3, label=lab)
        cens = np.array([all(w == "right" for w in wh) for _, wh in rows])
        if cens.any():
            ax.plot(x[cens], med[cens], "o", ms=13, mfc="none", color=c, label=f"{k}: censored (above grid)")
    reg = s.get("regression")
    if reg:  # the regression task side by side (paper scale): n* of the p^3-triple task, Thm 3.4's kernel floor
        rp = np.asarray(reg["ps"], float)
        ax.plot(rp, [np.median(n) for n in reg["n_star"]], "-D", color="C3", label="regression network n* (Thm 3.6)")
        ax.plot(rp, reg["kernel_floor"], ":", color="C3", label="regression kernel floor (Thm 3.4)")
    grid = np.linspace(ps.min() * 0.9, ps.max() * 1.1, 50)
    ax.plot(grid, grid ** 2, "k-", lw=1, label="p^2 (all pairs; kernel rate, Thm 4.3)")
    ax.plot(grid, grid ** (5 / 3), "k--", lw=1, label="p^(5/3) (Thm 4.5 rate)")
    hf = np.asarray(s["half_loss_fraction"])
    ax.plot(ps, hf * ps ** 2, "kv", ms=6, label="Thm D.2: kernel l2 >= 1/2 below this n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ps, [str(int(p)) for p in ps])
    from matplotlib.ticker import NullFormatter
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("modulus p")
    ax.set_ylabel("samples n* (median over seeds; bars: interval of the median)")
    ax.set_title("Sample complexity: network vs equivariant kernels")
    ax.legend(fontsize=7)


def summary_figures(result):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5.5))
    _plot_nstar(ax, result.series)
    fig.tight_layout()
    return [fig]


def figures(result):
    import matplotlib.pyplot as plt
    s = result.series
    figs = summary_figures(result)
    n = len(s["ps"])
    fig, axes = plt.subplots(2, n, figsize=(4.4 * n, 7.5), squeeze=False)
    for j, p in enumerate(s["ps"]):
        net = s["networks"][j]
        rows = [("network", np.asarray(net["ns"], float) / p ** 2, net["acc"], net["l2"])]
        if s.get("paper_network"):
            pn = s["paper_network"]["networks"][j]
            rows.append(("paper_network", np.asarray(pn["ns"], float) / p ** 2, pn["acc"], pn["l2"]))
        rows += [(k, np.asarray(s["kernel_fractions"]), v[j]["acc"], v[j]["l2"]) for k, v in s["kernels"].items()]
        for k, fr, acc, l2 in rows:
            c, ls, mk = STYLES[k]
            for ax, vals in ((axes[0, j], acc), (axes[1, j], l2)):
                v = np.asarray(vals, float)
                ax.errorbar(fr, v.mean(1), yerr=v.std(1), color=c, ls=ls, marker=mk, capsize=2, label=k)
        axes[0, j].axhline(0.95, color="k", lw=1, ls="--", label="0.95")
        axes[1, j].axhline(0.5, color="k", lw=1, ls="--", label="1/2 L(Psi_0)")
        for i, lab in enumerate(("test accuracy", "relative population l2")):
            axes[i, j].set_xlabel("training fraction n / p^2")
            axes[i, j].set_ylabel(lab + " (mean +- sd over seeds)")
            axes[i, j].set_title(f"p = {p}")
            axes[i, j].legend(fontsize=7)
    fig.tight_layout()
    return figs + [fig]
