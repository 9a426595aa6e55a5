"""The first figure page of summary.pdf: kernels vs networks and the kernel-to-rich phase diagram.

Left: `grokcheck compare`'s log-log plot of n* per p for the trained network and each kernel
(claim `sample-complexity`, Mohamadi+24 Thm 4.3 vs Thm 4.5). Right: the phase diagram of claim
`kernel-rich-phase`, log10 of the network's population l2 over the equivariant-kernel bound B(n)
(Thm 4.3) per output scale alpha (lazy up) and training fraction: below 0 (red) the network beats
every equivariant kernel, so it has left the kernel regime. Each panel is drawn from its stored
Result alone; a missing result leaves its panel out.
"""
from __future__ import annotations

import numpy as np

COMPARE_CLAIM, PHASE_CLAIM = "sample-complexity", "kernel-rich-phase"


def draw_phase(ax, result) -> None:
    """The log10 L / B(n) heatmap of a kernel-rich-phase Result on `ax`."""
    s = result.series
    alphas, fractions = s["alphas"], s["fractions"]
    z = np.array([[np.log10(max(c["pop_l2"] / c["bound"], 1e-3)) if c["bound"] > 0 else np.nan for c in row]
                  for row in s["grid"]])
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    im = ax.imshow(z, origin="lower", aspect="auto", cmap="RdBu", vmin=-lim, vmax=lim)
    for i in range(len(alphas)):
        for j in range(len(fractions)):
            ax.text(j, i, f"{z[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    bbox=dict(facecolor="white", alpha=0.6, lw=0))
    ax.set_xticks(range(len(fractions)), [f"{f:g}" for f in fractions])
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
    ax.set_xlabel("training fraction n / p^2")
    ax.set_ylabel("output scale alpha (lazy up)")
    ax.set_title(f"Kernel-to-rich phase: log10 L / B(n) ({result.verdict_label()});\n"
                 "< 0 (red): beats every equivariant kernel (Thm 4.3)", fontsize=8)
    ax.figure.colorbar(im, ax=ax, fraction=0.046)


def overview_figure(results):
    """A landscape Figure with the comparison and the phase diagram, or None when neither result is
    among `results`. A panel whose result cannot be drawn says so in its place."""
    by_claim = {r.claim: r for r in results}
    panels = [c for c in (COMPARE_CLAIM, PHASE_CLAIM) if c in by_claim]
    if not panels:
        return None
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 5.6), squeeze=False)
    for ax, claim in zip(axes[0], panels):
        try:
            if claim == COMPARE_CLAIM:
                from grokcheck.compare import comparison, draw
                draw(ax, comparison(by_claim[claim]))
            else:
                draw_phase(ax, by_claim[claim])
        except Exception as exc:  # noqa: BLE001 (an old series layout never costs the summary)
            ax.clear()
            ax.axis("off")
            ax.text(0.5, 0.5, f"{claim}: panel not drawn\n({type(exc).__name__}: {str(exc)[:80]})",
                    ha="center", va="center", fontsize=8, wrap=True)
    fig.suptitle("Kernels vs trained networks", fontsize=11)
    fig.tight_layout()
    return fig
