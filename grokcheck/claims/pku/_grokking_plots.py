"""Figures shared by the PKU-project claims; they read only `result.series`."""
from __future__ import annotations

import numpy as np

COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:gray", "tab:olive"]
STYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 2)), (0, (4, 2, 1, 2))]


def clean_log_ticks(axis):
    """Label only the decades of a log axis (minor labels overlap at 8 pt)."""
    from matplotlib.ticker import LogLocator, NullFormatter
    axis.set_major_locator(LogLocator(base=10))
    axis.set_minor_formatter(NullFormatter())


def curve_panel(ax, runs: list, key: str = "test_acc", title: str = "", best: bool = False,
                show_train: bool = True, threshold: float = 0.95):
    """Accuracy against steps (log x) for each run {"label", "steps", key, "train_acc"}."""
    for i, r in enumerate(runs):
        s = np.asarray(r["steps"], dtype=float)
        y = np.asarray(r[key], dtype=float)
        if best:
            y = np.maximum.accumulate(y)
        keep = s >= 1
        c, ls = COLORS[i % len(COLORS)], STYLES[i % len(STYLES)]
        ax.plot(s[keep], y[keep], color=c, ls=ls, lw=1.6, label=f"{r['label']} (test)")
        if show_train and "train_acc" in r:
            ax.plot(s[keep], np.asarray(r["train_acc"], dtype=float)[keep], color=c, ls=ls, lw=0.7,
                    alpha=0.5, label=f"{r['label']} (train)")
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xscale("log")
    clean_log_ticks(ax.xaxis)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(("best " if best else "") + "accuracy (fraction correct)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)


def curves_figure(groups: dict, suptitle: str, best: bool = False, show_train: bool = True):
    """One panel per group name -> list of runs."""
    import matplotlib.pyplot as plt
    n = len(groups)
    rows = max(len(r) for r in groups.values()) * (2 if show_train else 1) + 1
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.0 + 0.14 * rows), squeeze=False)
    for ax, (name, runs) in zip(axes[0], groups.items()):
        curve_panel(ax, runs, title=name, best=best, show_train=show_train)
    fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig
