"""Render a Result to report.pdf and every Result to summary.pdf (matplotlib PdfPages).

Figures come from the claim module's `figures(result)`; the first page (statement,
setting, measured-vs-bound table, verdict) is the same for every claim.
"""
from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from grokcheck.core import Result  # noqa: E402
from grokcheck.safeio import atomic_write_bytes

PAGE = (8.27, 11.69)  # A4 portrait, inches
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
         "xtick.labelsize": 8, "ytick.labelsize": 8}
VERDICT_COLOURS = {"verified": "#1b7837", "refuted": "#b2182b", "inconclusive": "#8c6d1f", "error": "#762a83"}


def fmt(x) -> str:
    """Compact number formatting for tables."""
    if x is None:
        return "never/none"
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return str(x)
        if x == 0 or 1e-3 <= abs(x) < 1e5:
            return f"{x:.4g}"
        return f"{x:.3e}"
    return str(x)


class _TextPage:
    """Top-down text layout on one figure; starts a new page when full."""

    def __init__(self, pdf: PdfPages):
        self.pdf, self.fig, self.y = pdf, None, 0.0
        self._new()

    def _new(self):
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
        self.fig = plt.figure(figsize=PAGE)
        self.y = 0.96

    def text(self, s: str, size: float = 9, width: int = 105, weight="normal", colour="black", gap=0.004):
        lines = []
        for para in s.split("\n"):
            lines.extend(textwrap.wrap(para, width=width) or [""])
        step = size * 1.45 / 72 / PAGE[1]
        for line in lines:
            if self.y - step < 0.04:
                self._new()
            self.fig.text(0.06, self.y, line, fontsize=size, weight=weight, color=colour,
                          va="top", family="DejaVu Sans")
            self.y -= step
        self.y -= gap

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], size: float = 7.5):
        """A simple ruled table; wraps each cell to its column width (fraction of 0.88)."""
        step = size * 1.4 / 72 / PAGE[1]
        chars = [max(6, int(w * 0.88 * PAGE[0] * 72 / (size * 0.62))) for w in widths]  # ~0.6 em per char

        def draw(cells, weight):
            wrapped = [textwrap.wrap(c, cw) or [""] for c, cw in zip(cells, chars)]
            height = max(len(w) for w in wrapped) * step + 0.004
            if self.y - height < 0.04:
                self._new()
            x = 0.06
            for w, cw, frac in zip(wrapped, chars, widths):
                for i, line in enumerate(w):
                    self.fig.text(x, self.y - i * step, line, fontsize=size, weight=weight, va="top",
                                  family="DejaVu Sans")
                x += frac * 0.88
            self.y -= height
            self.fig.add_artist(plt.Line2D([0.06, 0.94], [self.y + 0.002] * 2, lw=0.3, color="grey"))

        draw(header, "bold")
        for r in rows:
            draw(r, "normal")
        self.y -= 0.01

    def close(self):
        self.pdf.savefig(self.fig)
        plt.close(self.fig)


def _pdf_bytes(build) -> bytes:
    """Run `build(pdf)` into an in-memory PDF (written atomically by the caller)."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE), PdfPages(buf, metadata={"CreationDate": None}) as pdf:
        build(pdf)
    return buf.getvalue()


def _setting_text(result: Result) -> str:
    cfg = ", ".join(f"{k}={v}" for k, v in result.config.items())
    env = result.environment
    return (f"Scale: {result.scale}. Config ({result.config_hash}): {cfg}.\n"
            f"Seed: {result.seed}. Device: {env.get('device')} {env.get('device_name', '')}; "
            f"python {env.get('python')}, torch {env.get('torch')}, numpy {env.get('numpy')}; "
            f"commit {str(env.get('git_commit', ''))[:10]}; wall time {result.wall_time_s:.1f} s.")


def observable_rows(result: Result) -> list[list[str]]:
    rows = []
    for o in result.observables:
        tol = f" ± {fmt(o.tolerance)}" if o.tolerance else ""
        value = fmt(o.value) if o.lo is None else (
            f"{fmt(o.value)} [{fmt(o.lo)}, {fmt(o.hi)}] "
            + ("coverage ?" if o.coverage is None else f"{o.coverage:.0%}"))
        rows.append([o.name, o.setting, o.role, value, f"{o.comparison} {fmt(o.bound)}{tol}",
                     {"holds": "holds", "fails": "FAILS"}.get(o.outcome, o.outcome), o.reason])
    return rows


def write_claim_report(result: Result, figures: list, path: Path) -> None:
    """report.pdf: the text page(s), then one page per figure. Written atomically."""

    def build(pdf):
        pdf.infodict()["Title"] = f"grokcheck: {result.claim}"
        pdf.infodict()["Subject"] = result.title
        page = _TextPage(pdf)
        page.text(f"{result.claim}: {result.title}", size=13, weight="bold", width=70)
        page.text(f"Source: {result.source}", size=9, colour="#333333")
        v = result.verdict
        detail = "; ".join(f"{k}: {result.verdict_label(k)}" for k in result.setting_verdicts)
        page.text(f"Verdict (the paper's settings): {result.verdict_label().upper()}; beyond the paper: "
                  f"{result.beyond_label()}   ({detail})", size=12, weight="bold",
                  colour=VERDICT_COLOURS.get(v, "black"), gap=0.01)
        page.text("Claim", size=10, weight="bold")
        page.text(result.statement, gap=0.01)
        page.text("Setting", size=10, weight="bold")
        page.text(_setting_text(result), size=8, width=120, gap=0.01)
        page.text("Measured against the theory", size=10, weight="bold")
        page.table(["observable", "setting", "role", "measured", "bound", "", "why this bound / tolerance"],
                   observable_rows(result), [0.25, 0.08, 0.08, 0.10, 0.12, 0.05, 0.32])
        page.text("Verdict rule: refuted if a claim observable fails at the paper's budget; inconclusive "
                  "(budget) if it fails in a setting run below that budget; inconclusive if a negative control "
                  "fails (the check could not reject a wrong input) or there is none; verified otherwise. "
                  "Observations are reported, never decisive.", size=7.5, colour="#444444", gap=0.01)
        if result.notes:
            page.text("Notes and discussion", size=10, weight="bold")
            for n in result.notes:
                page.text(n, gap=0.006)
        page.close()
        for fig in figures:
            fig.set_size_inches(max(fig.get_size_inches()[0], 6), max(fig.get_size_inches()[1], 4))
            pdf.savefig(fig)
            plt.close(fig)

    atomic_write_bytes(path, _pdf_bytes(build))


def summary_rows(results: list[Result], errors: list | None = None) -> list[list[str]]:
    """The summary table: claim, source, verdict label (per setting), scale, key observable vs its
    bound, wall time; then one `error` row per crashed claim (`reports.collect.ClaimError`)."""
    rows = []
    for r in results:
        key = r.key_observable()
        rows.append([r.claim, r.source, r.verdict_label() + f" | beyond: {r.beyond_label()} (" + "; ".join(
            f"{k}: {r.verdict_label(k)}" for k in r.setting_verdicts) + ")", r.scale,
            key.describe() if key else "",
            f"{r.wall_time_s:.1f}"])
    for e in errors or []:
        rows.append([e.claim, "", "error", "", f"{e.message} (log: {e.log or 'not written'})",
                     f"{e.wall_time_s:.1f}"])
    return rows


def write_summary(results: list[Result], path: Path, extra_figures: list | None = None,
                  errors: list | None = None) -> None:
    """summary.pdf: one table of every claim with its verdict (`verdict_label`; claims that crashed,
    `reports.collect.ClaimError`, as `error` with their one-line error and log), then any extra
    figures."""
    errors = list(errors or [])

    def build(pdf):
        pdf.infodict()["Title"] = "grokcheck summary"
        page = _TextPage(pdf)
        page.text("grokcheck: summary of claims", size=14, weight="bold")
        counts = {v: sum(r.verdict == v for r in results) for v in ("verified", "refuted", "inconclusive")}
        counts["error"] = len(errors)
        page.text(", ".join(f"{n} {v}" for v, n in counts.items()), size=10, gap=0.01)
        rows = summary_rows(results, errors)
        page.table(["claim", "source", "verdict", "scale", "key observable", "time (s)"], rows,
                   [0.16, 0.17, 0.2, 0.07, 0.32, 0.08])
        page.close()
        for fig in extra_figures or []:
            pdf.savefig(fig)
            plt.close(fig)

    atomic_write_bytes(path, _pdf_bytes(build))
