"""`grokcheck report --html`: one static page, DIR/index.html, opened from disk (no server, no script).

The page holds the verdict table (one row per claim: its verdict in the paper's settings and beyond
them, each setting's verdict, the decisive observable with its interval and bound, the wall time;
then one `error` row per crashed claim), the summary's first figure (kernels vs networks and the
phase diagram, `grokcheck.reports.overview`, when those results exist) and one section per claim: statement and source, every
observable with its interval, the claim's figures (PNG files written beside the page under
DIR/<claim>/figures/), the command that reproduces the result and the code version it was computed
with (commit and dirty flag from result.json's environment). Everything is escaped with
`html.escape`; figures are linked by relative paths, so the folder can be moved or served as is.

The reproduce command is `grokcheck run CLAIM --scale S --seed N` plus one `--set FIELD=VALUE` per
config field that differs from the scale's config (nested fields dotted), so running it resolves the
same config hash (tested).
"""
from __future__ import annotations

import dataclasses
import html
import io
import shlex
from pathlib import Path

from grokcheck.registry import claim_module, scaled_config
from grokcheck.safeio import atomic_write_bytes
from grokcheck.version import version_line

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3} code{background:#f6f6f6;padding:1px 4px}
.verified{color:#1b7837;font-weight:bold}.refuted{color:#b2182b;font-weight:bold}
.inconclusive{color:#8c6d1f;font-weight:bold}.error{color:#762a83;font-weight:bold}
img{max-width:100%;border:1px solid #ddd;margin:0.3em 0} section{border-top:2px solid #ddd;margin-top:2em}
"""


def e(x) -> str:
    return html.escape(str(x), quote=True)


def _verdict(label: str) -> str:
    word = label.split(" ")[0]
    return f'<span class="{e(word)}">{e(label)}</span>'


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def _as_tuple(x):
    return tuple(_as_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


def _set_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        t = _as_tuple(value)
        if all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in t) and \
                not any(isinstance(v, str) and ("," in v or v.lower() == "none") for v in t):
            return ",".join(repr(v) if isinstance(v, float) else str(v) for v in t) if t else "()"
        return repr(t)
    return repr(value) if isinstance(value, float) else str(value)


def reproduce_command(result) -> str:
    """`grokcheck run CLAIM --scale S --seed N [--set FIELD=VALUE ...]`, shell-quoted: the fields of
    result.config that differ from the scale's config (module docstring)."""
    parts = ["grokcheck", "run", result.claim, "--scale", result.scale]
    if result.seed is not None:
        parts += ["--seed", str(result.seed)]
    try:
        base = _flatten(dataclasses.asdict(scaled_config(result.claim, result.scale)))
    except ValueError:  # an unknown claim or scale: show the command without overrides
        base = {}
    for name, value in _flatten(result.config).items():
        if name == "seed" or name not in base:
            continue
        if _as_tuple(value) != _as_tuple(base[name]):
            parts += ["--set", f"{name}={_set_text(value)}"]
    return " ".join(shlex.quote(p) for p in parts)


def code_version(result) -> str:
    """`commit 744d8249a3cf (dirty)` from result.json's environment."""
    env = result.environment
    commit = str(env.get("git_commit", "unknown"))
    dirty = env.get("git_dirty")
    state = {True: " (dirty: uncommitted changes)", False: " (clean)", None: " (dirty: unknown)"}.get(dirty, "")
    return f"commit {commit[:12] if commit != 'unknown' else 'unknown'}{state}"


def _interval(o) -> str:
    from grokcheck.reports.render import fmt
    lo = getattr(o, "lo", None)
    if lo is None:
        return ""
    cov = getattr(o, "coverage", None)
    return f"[{fmt(lo)}, {fmt(o.hi)}]" + ("" if cov is None else f" ({cov:.0%})")


def verdict_rows(results, errors=()) -> list[dict]:
    """One dict per row of the verdict table: claim, source, verdict, beyond, settings, decisive
    (name), value, interval, bound, time; crashed claims as verdict `error`."""
    from grokcheck.reports.render import fmt
    rows = []
    for r in results:
        key = r.key_observable()
        beyond = r.beyond_label() if hasattr(r, "beyond_label") else "-"
        rows.append({"claim": r.claim, "source": r.source, "verdict": r.verdict_label(), "beyond": beyond,
                     "settings": "; ".join(f"{s}: {r.verdict_label(s)}" for s in r.setting_verdicts),
                     "decisive": key.name if key else "", "value": fmt(key.value) if key else "",
                     "interval": _interval(key) if key else "",
                     "bound": f"{key.comparison} {fmt(key.bound)}" if key else "", "time": f"{r.wall_time_s:.1f}"})
    for err in errors:
        rows.append({"claim": err.claim, "source": "", "verdict": "error", "beyond": "", "settings": "",
                     "decisive": err.message, "value": "", "interval": "", "bound": "",
                     "time": f"{err.wall_time_s:.1f}"})
    return rows


COLUMNS = ("claim", "source", "verdict", "beyond", "settings", "decisive", "value", "interval", "bound", "time")
HEADERS = ("claim", "source", "verdict (paper)", "beyond the paper", "per setting", "decisive observable",
           "value", "interval", "bound", "time (s)")


def _figures(result, out: Path) -> list[str]:
    """The claim's report figures as PNG files under out/<claim>/figures/; relative paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = out / result.claim / "figures"
    paths = []
    for i, fig in enumerate(claim_module(result.claim).figures(result), 1):
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=90)
        finally:
            plt.close(fig)
        atomic_write_bytes(folder / f"figure-{i}.png", buf.getvalue())
        paths.append(f"{result.claim}/figures/figure-{i}.png")
    return paths


def _section(result, figures: list[str]) -> str:
    from grokcheck.reports.render import fmt
    obs = "".join(
        f"<tr><td>{e(o.name)}</td><td>{e(o.setting)}</td><td>{e(o.role)}</td><td>{e(fmt(o.value))}</td>"
        f"<td>{e(_interval(o))}</td><td>{e(o.comparison)} {e(fmt(o.bound))}</td>"
        f"<td>{e(getattr(o, 'outcome', '') or ('holds' if o.passed else 'fails'))}</td><td>{e(o.reason)}</td></tr>"
        for o in result.observables)
    imgs = "".join(f'<p><img src="{e(p)}" alt="{e(result.claim)} figure {i}"></p>' for i, p in enumerate(figures, 1))
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    return (f'<section id="{e(result.claim)}"><h2>{e(result.claim)}: {e(result.title)}</h2>'
            f"<p>Verdict: {_verdict(result.verdict_label())}; beyond the paper: "
            f"{e(result.beyond_label() if hasattr(result, 'beyond_label') else '-')}. Source: {e(result.source)}.</p>"
            f"<p>{e(result.statement)}</p>"
            f'<p>Reproduce: <code class="reproduce">{e(reproduce_command(result))}</code><br>'
            f'Code: <span class="code-version">{e(code_version(result))}</span>; scale {e(result.scale)}, seed '
            f"{e(result.seed)}, config {e(result.config_hash)}, device {e(result.environment.get('device', '?'))}, "
            f"{result.wall_time_s:.1f} s.</p>"
            "<table><tr><th>observable</th><th>setting</th><th>role</th><th>value</th><th>interval</th>"
            f"<th>bound</th><th>outcome</th><th>why this bound</th></tr>{obs}</table>"
            f"{imgs}{'<ul>' + notes + '</ul>' if notes else ''}</section>")


def _overview(results, out: Path, log) -> str:
    """The summary's first figure (kernels vs networks, phase diagram) as out/overview.png, or ""."""
    import matplotlib.pyplot as plt

    from grokcheck.reports.overview import overview_figure
    try:
        fig = overview_figure(results)
        if fig is None:
            return ""
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=90)
        finally:
            plt.close(fig)
        atomic_write_bytes(out / "overview.png", buf.getvalue())
    except Exception as exc:  # noqa: BLE001 (the overview never costs the page)
        if log:
            log(f"overview figure left out of index.html ({type(exc).__name__}: {exc})")
        return ""
    return ('<h2>Kernels vs trained networks</h2><p><img src="overview.png" '
            'alt="samples needed by networks and kernels; kernel-to-rich phase diagram"></p>')


def write_index(results, out, errors=(), figures: bool = True, log=None) -> Path:
    """Write out/index.html (and the figures beside it) for `results` and crashed `errors`; a claim
    whose figures fail is shown without them and named through `log`. Returns the page's path."""
    out = Path(out)
    sections = []
    for r in results:
        figs = []
        if figures:
            try:
                figs = _figures(r, out)
            except Exception as exc:  # noqa: BLE001 (one claim's figures never cost the page)
                if log:
                    log(f"{r.claim}: figures left out of index.html ({type(exc).__name__}: {exc})")
        sections.append(_section(r, figs))
    rows = verdict_rows(results, errors)
    head = "".join(f"<th>{e(h)}</th>" for h in HEADERS)
    body = "".join("<tr>" + "".join(
        f'<td>{_verdict(row[c]) if c in ("verdict", "beyond") and row[c] else e(row[c])}</td>'
        if c != "claim" else f'<td><a href="#{e(row[c])}">{e(row[c])}</a></td>' for c in COLUMNS) + "</tr>"
        for row in rows)
    counts = {}
    for row in rows:
        word = row["verdict"].split(" ")[0]
        counts[word] = counts.get(word, 0) + 1
    overview = _overview(results, out, log)
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>grokcheck report</title>"
            f"<style>{CSS}</style></head><body><h1>grokcheck: verdicts</h1>"
            f"<p>{e(', '.join(f'{n} {v}' for v, n in counts.items()))}. Report written by "
            f"{e(version_line())}.</p>"
            f'<table id="verdicts"><tr>{head}</tr>{body}</table>{overview}{"".join(sections)}</body></html>\n')
    path = out / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
