"""The figures shared by the delay-law claims (l1-sparse-recovery, nuclear-matrix-completion):
errors against steps on log-log axes, and the figure frame of the delay-law panel."""
from __future__ import annotations

import numpy as np


def errors_vs_step(series: dict, extras: list, ref: tuple, threshold: float, ylabel: str):
    """Figure: test error of every run in series["runs"] {name: {"steps", "test_err", "train_err"}},
    the first run's train error, extra runs [(label, run, style, colour)], a reference level
    ref = (value, label) and the test threshold; step 0 is left out (log axis)."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 4.8))
    tail = (lambda r, key: (np.asarray(r["steps"][1:], float), np.asarray(r[key])[1:]))
    for i, (name, r) in enumerate(series["runs"].items()):
        ax.plot(*tail(r, "test_err"), ["-", "--", ":", "-."][i % 4], color=f"C{i}", label=f"test, {name}")
    first = next(iter(series["runs"]))
    ax.plot(*tail(series["runs"][first], "train_err"), "-", color="grey", lw=1, label=f"train, {first}")
    for label, r, style, colour in extras:
        ax.plot(*tail(r, "test_err"), style, color=colour, lw=2 if style == ":" else 1.5, label=label)
    ax.axhline(ref[0], color="r", lw=0.8, ls="--", label=ref[1])
    ax.axhline(threshold, color="k", lw=0.8, ls=":", label="test threshold")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title("Instance 0: errors vs step")
    return legend_right(fig, ax)


def delay_law_axes():
    """(figure, axes) for a delay-law panel: t2 lr beta against lr beta on a log x axis."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 4.8))
    ax.set_xscale("log")
    ax.set_xlabel("lr * beta")
    ax.set_ylabel("t2 * lr * beta")
    return fig, ax


def legend_right(fig, ax):
    """Legend outside on the right, minor x labels off; returns fig."""
    from matplotlib.ticker import NullFormatter
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.xaxis.set_minor_formatter(NullFormatter())
    fig.subplots_adjust(left=0.08, right=0.66, bottom=0.12)
    return fig
