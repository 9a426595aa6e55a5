"""Kernels vs trained networks: the samples each needs on modular addition, as one tidy table.

Mohamadi+24 Thm 4.3 (equivariant kernels need n = Omega(p^2) pairs before their population l2 drops
below 1/2 L(Psi_0)) against Thm 4.5 (a trained width-8p network needs n* = O~(p^(5/3))). The claim
`sample-complexity` measures both on grids of training-set sizes and stores the curves in its
result.json; this module reads them back and lays them out for a researcher:

- `rows`: one row per (p, method, seed): n_star, its bracket [lo, hi] on the grid and where it was
  censored. Methods: the trained networks (ours: AdamW, h = 8p; the paper's: NGD lr 10, h = 4p, when
  the result ran it, with its own memorizer) and each kernel
  (eNTK at init, the expected NTK of Prop B.3, and the non-equivariant oracle kernel, the claim's
  negative control, run at the smallest p only), and the networks' control, the memorizer (random
  labels, the largest grid size only: its n* is censored unless it generalizes).
- `exponents`: k of n* ~ p^k per method: the log-log slope of each seed's n* on p, read as the median
  over seeds with its order-statistic interval and exact coverage (the claim's statistic,
  `_nstar.exponent_interval`), over the p's of the result.
- `figure`: the log-log plot of both, with the p^2 and p^(5/3) rates.

Criteria (`criterion`): "claim" is the claim's own rule (a network passes at test accuracy >= `acc`
AND relative population l2 <= `l2`, interpolated on accuracy; a kernel passes at l2 <= `l2`,
interpolated on l2); "acc" reads every method by test accuracy >= `acc`; "l2" every method by
relative population l2 <= `l2`. With the claim's rule and targets, n_star equals the stored n* of
the result exactly (tested) and so do the exponents (checked on reading); otherwise both are
recomputed from the stored curves. A network's curve per seed is its grid plus the claim's refinement
points (`series["networks"][j]["bisect"]`), so its bracket is the bisected one.

Censoring (`censored`): "left" when the smallest grid size already passes (n* <= lo = 0 .. hi =
ns[0]); "right" when the largest fails (n* in [ns[-1], p^2]). n_star is the value the claim uses:
a right-censored network n* enters as p^2 (all pairs, its upper value), a right-censored kernel n*
as ns[-1] (a lower bound): both conservative for "the network needs fewer samples".
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grokcheck import api  # noqa: I001  (api.run read at call time, so it can be replaced in tests)
from grokcheck.claims.mohamadi import _nstar
from grokcheck.core import config_hash
from grokcheck.overrides import resolve_config
from grokcheck.registry import SCALES
from grokcheck.safeio import atomic_write_bytes
from grokcheck.schema import ResultFileError, read_result

CLAIM_ID = "sample-complexity"
CRITERIA = ("claim", "acc", "l2")
TASKS = ("classification", "regression")
ACC, L2 = 0.95, 0.5  # the claim's targets: test accuracy >= 0.95, relative population l2 <= 1/2 (Thm 4.3)
METHODS = {"network": "network (AdamW, h=8p)", "entk": "kernel: eNTK at init",
           "expected": "kernel: expected NTK (Prop B.3)", "oracle": "control: oracle kernel (not equivariant)",
           "memorizer": "control: memorizer network (random labels)",
           "paper_network": "network (paper: NGD lr 10, h=4p)",
           "paper_memorizer": "control: memorizer of the paper's network",
           "regression": "network, regression (GD + l_inf, Thm 3.6)"}
NETWORKS = ("network", "memorizer", "paper_network", "paper_memorizer")  # judged on accuracy and l2 (the claim's rule)
COLUMNS = ("p", "method", "seed", "n_star", "lo", "hi", "censored")
EXP_COLUMNS = ("method", "k", "k_lo", "k_hi", "n_p", "source")


@dataclass
class Comparison:
    """The comparison of one sample-complexity result: rows (dicts with `COLUMNS`), exponents (dicts
    with `EXP_COLUMNS`), the criterion and targets it was read with, and the result it came from."""
    rows: list
    exponents: list
    criterion: str = "claim"
    acc: float = ACC
    l2: float = L2
    task: str = "classification"
    result: object = None
    notes: list = field(default_factory=list)

    def frame(self):
        """The rows as a pandas DataFrame (columns `COLUMNS`)."""
        import pandas as pd
        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def exponent_frame(self):
        import pandas as pd
        return pd.DataFrame(self.exponents, columns=list(EXP_COLUMNS))


def _bracket(ns, passed) -> tuple[float, float, str]:
    """(lo, hi, censored) of the crossing on the grid `ns` (the rule of `_nstar.n_star`)."""
    i = _nstar.first_passing(passed)
    if i is None:
        return float(ns[-1]), math.nan, _nstar.RIGHT
    if i == 0:
        return 0.0, float(ns[0]), _nstar.LEFT
    return float(ns[i - 1]), float(ns[i]), "none"


def _seed_curve(ns, acc, l2, s: int, bisect=()) -> tuple:
    """Seed s's (ns, acc, l2) as arrays sorted by n: the grid's column s plus its refinement points."""
    pts = [(n, acc[i][s], l2[i][s]) for i, n in enumerate(ns)]
    pts += [(b["n"], b["acc"], b["l2"]) for b in bisect if b["seed"] == s]
    pts.sort(key=lambda t: t[0])
    return tuple(np.array([t[j] for t in pts], float) for j in range(3))


def _method_rows(p, method, ns, acc, l2, criterion, acc_t, l2_t, censored_value, upper=None, bisect=()) -> list[dict]:
    """Rows of one (p, method): per seed (columns of the (F, S) curves, plus that seed's `bisect` points)
    n*, bracket and censoring; a right-censored n* becomes `censored_value(largest n)` with bracket
    [largest n, upper] (upper: all p^2 pairs unless given)."""
    rows = []
    for s in range(np.asarray(acc).shape[1]):
        ns_s, acc_s, l2_s = _seed_curve(ns, acc, l2, s, bisect)
        if criterion == "acc" or (criterion == "claim" and method in NETWORKS):
            passed = acc_s >= acc_t
            if criterion == "claim":
                passed = passed & (l2_s <= l2_t)
            values, threshold = acc_s, acc_t
        else:
            passed, values, threshold = l2_s <= l2_t, l2_s, l2_t
        n, where = _nstar.n_star(ns_s, passed, values, threshold)
        lo, hi, cens = _bracket(ns_s, passed)
        if where == _nstar.RIGHT:
            n, hi = censored_value(n), float(p * p if upper is None else upper)
        rows.append({"p": int(p), "method": METHODS[method], "seed": s, "n_star": float(n), "lo": lo, "hi": hi,
                     "censored": cens})
    return rows


def rows_from_result(result, criterion: str = "claim", acc: float = ACC, l2: float = L2,
                     task: str = "classification") -> list[dict]:
    """The tidy rows (module docstring) of a stored sample-complexity Result; ValueError (one line)
    for a result of another claim, an unknown criterion or task, or a task the result did not run."""
    _check(result, criterion, acc, l2, task)
    s = result.series
    rows = []
    if task == "regression":
        reg = s.get("regression")
        if not reg:
            raise ValueError("this result ran no regression side (config reg_ps is empty; it runs at "
                             "--scale paper or with --set reg_ps=...)")
        for g in reg["groups"]:
            p, ns = g["p"], g["ns"]
            l2c = np.asarray(g["l2"], float)
            rows += _method_rows(p, "regression", ns, np.zeros_like(l2c), l2c, "l2", acc, l2,
                                 lambda n, p=p: float(p ** 3), upper=p ** 3)
        return rows
    fractions = s["kernel_fractions"]
    for j, p in enumerate(s["ps"]):
        net = s["networks"][j]
        rows += _method_rows(p, "network", net["ns"], net["acc"], net["l2"], criterion, acc, l2,
                             lambda n, p=p: float(p * p), bisect=net.get("bisect", ()))
        kns = [round(f * p * p) for f in fractions]
        for kind, curves in s["kernels"].items():
            c = curves[j]
            rows += _method_rows(p, kind, kns, c["acc"], c["l2"], criterion, acc, l2, lambda n: n)
    for j, m in enumerate(s.get("memorizers", [])):  # the networks' control, at the largest grid size only
        rows += _method_rows(s["ps"][j], "memorizer", m["ns"], m["acc"], m["l2"], criterion, acc, l2,
                             lambda n, p=s["ps"][j]: float(p * p))
    paper = s.get("paper_network")  # the paper's own network (NGD, h = 4p) and its memorizer, when run
    for j, net in enumerate(paper["networks"] if paper else []):
        p = s["ps"][j]
        rows += _method_rows(p, "paper_network", net["ns"], net["acc"], net["l2"], criterion, acc, l2,
                             lambda n, p=p: float(p * p), bisect=net.get("bisect", ()))
    for j, m in enumerate(paper["memorizers"] if paper else []):
        rows += _method_rows(s["ps"][j], "paper_memorizer", m["ns"], m["acc"], m["l2"], criterion, acc, l2,
                             lambda n, p=s["ps"][j]: float(p * p))
    oracle = s.get("oracle")
    if oracle:
        p0 = min(s["ps"])
        rows += _method_rows(p0, "oracle", [round(f * p0 * p0) for f in fractions], oracle["acc"], oracle["l2"],
                             criterion, acc, l2, lambda n: n)
    return rows


def _check(result, criterion, acc, l2, task) -> None:
    if getattr(result, "claim", None) != CLAIM_ID:
        raise ValueError(f"compare reads a {CLAIM_ID!r} result, got {getattr(result, 'claim', result)!r}")
    check_targets(criterion, acc, l2, task)


def check_targets(criterion: str, acc: float, l2: float, task: str = "classification") -> None:
    """ValueError (one line) for an unknown criterion or task, or a target out of range."""
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; expected one of {', '.join(CRITERIA)}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if not (isinstance(acc, (int, float)) and 0 < acc <= 1):
        raise ValueError(f"accuracy target must be in (0, 1], got {acc!r}")
    if not (isinstance(l2, (int, float)) and 0 < l2 and math.isfinite(l2)):
        raise ValueError(f"l2 target must be a finite number > 0, got {l2!r}")


def _by_method(rows) -> dict:
    """method -> (ps, per-p lists of n_star), p ascending."""
    out = {}
    for r in rows:
        out.setdefault(r["method"], {}).setdefault(r["p"], []).append(r["n_star"])
    return {m: (sorted(d), [d[p] for p in sorted(d)]) for m, d in out.items()}


def exponent_rows(rows, result, stored: bool) -> list[dict]:
    """k of n* ~ p^k per method with 2+ p's (`_nstar.exponent_interval`: per-seed slopes, the median over
    seeds with its order-statistic interval). stored: the result stored that method's exponent (the
    claim's own statistic on the same n*), which must agree with the recomputed one."""
    saved = dict(result.series.get("exponents", {})) if stored else {}
    paper = result.series.get("paper_network") if stored else None
    if paper:  # the paper network's exponents are stored under its own series, as "network" / "memorizer"
        saved.update({f"paper_{k}": v for k, v in paper.get("exponents", {}).items() if f"paper_{k}" in METHODS})
    keys = {v: k for k, v in METHODS.items()}
    out = []
    for method, (ps, groups) in _by_method(rows).items():
        if len(ps) < 2:
            continue
        iv = _nstar.exponent_interval(ps, groups)
        key = keys[method]
        if key in saved and not math.isclose(iv.estimate, saved[key][0], rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"{method}: exponent {iv.estimate} recomputed from the stored n* differs from the "
                             f"stored {saved[key][0]} (result.json edited?)")
        out.append({"method": method, "k": float(iv.estimate), "k_lo": float(iv.lo), "k_hi": float(iv.hi),
                    "n_p": len(ps), "source": f"{'stored, ' if key in saved else ''}median of {iv.n} per-seed slopes, "
                    f"coverage {iv.coverage:.0%}"})
    return out


def comparison(result, criterion: str = "claim", acc: float = ACC, l2: float = L2,
               task: str = "classification") -> Comparison:
    """The Comparison of a stored sample-complexity Result (module docstring)."""
    rows = rows_from_result(result, criterion, acc, l2, task)
    stored = criterion == "claim" and acc == ACC and l2 == L2 and task == "classification"
    return Comparison(rows, exponent_rows(rows, result, stored), criterion, acc, l2, task, result)


# ------------------------------------------------------------------------------------ output

def table_text(cmp: Comparison) -> str:
    """The rows and the exponents as aligned text for the terminal."""
    def num(x):
        if isinstance(x, float):
            return "nan" if x != x else (f"{x:.0f}" if abs(x) >= 100 else f"{x:.4g}")
        return str(x)

    lines = []
    for cols, rows in ((COLUMNS, cmp.rows), (EXP_COLUMNS, cmp.exponents)):
        if not rows:
            continue
        cells = [list(cols)] + [[num(r[c]) if not isinstance(r[c], float) or c not in ("k", "k_lo", "k_hi")
                                 else f"{r[c]:.3f}" for c in cols] for r in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
        text = {"method", "censored", "source"}
        lines += [" ".join(v.ljust(w) if c in text else v.rjust(w) for c, v, w in zip(cols, row, widths)).rstrip()
                  for row in cells]
        lines.append("")
    if not cmp.exponents:
        lines.append("exponents: need 2 or more moduli p (e.g. --ps 23,31)")
    return "\n".join(lines).rstrip()


def write_tables(cmp: Comparison, out: Path, stem: str = "compare") -> list[Path]:
    """OUT/STEM.csv and OUT/STEM_exponents.csv, plus .parquet twins when pyarrow is installed;
    each written atomically. Returns the paths written."""

    out = Path(out)
    written = []
    for name, cols, rows in ((stem, COLUMNS, cmp.rows), (f"{stem}_exponents", EXP_COLUMNS, cmp.exponents)):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(cols), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        atomic_write_bytes(out / f"{name}.csv", buf.getvalue().encode())
        written.append(out / f"{name}.csv")
        try:
            import pandas as pd
            import pyarrow  # noqa: F401
        except ImportError:
            continue
        pq = io.BytesIO()
        pd.DataFrame(rows, columns=list(cols)).to_parquet(pq, index=False)
        atomic_write_bytes(out / f"{name}.parquet", pq.getvalue())
        written.append(out / f"{name}.parquet")
    return written


STYLES = {"network": ("C0", "-", "o"), "entk": ("C1", "--", "s"), "expected": ("C2", ":", "^"),
          "oracle": ("C7", "none", "x"), "memorizer": ("C5", "none", "+"), "regression": ("C3", "-", "D"),
          "paper_network": ("C4", "-.", "v"), "paper_memorizer": ("C6", "none", "1")}


def draw(ax, cmp: Comparison) -> None:
    """The log-log plot on `ax`: per method the median n* over seeds (bars: the seeds' min..max),
    each seed as a faint point, censored medians circled, fitted p^k lines, the p^2 and p^(5/3) rates."""
    keys = {v: k for k, v in METHODS.items()}
    exps = {e["method"]: e for e in cmp.exponents}
    allp = sorted({r["p"] for r in cmp.rows})
    for j, (method, (ps, groups)) in enumerate(_by_method(cmp.rows).items()):
        c, ls, mk = STYLES[keys[method]]
        x = np.asarray(ps, float) * (1 + 0.025 * (j - 1))  # small offsets so the bars do not overlap
        med = np.array([np.median(g) for g in groups])
        lo, hi = np.array([min(g) for g in groups]), np.array([max(g) for g in groups])
        e = exps.get(method)
        label = method + (f": k = {e['k']:.2f} [{e['k_lo']:.2f}, {e['k_hi']:.2f}]" if e else "")
        ax.errorbar(x, med, yerr=[med - lo, hi - med], color=c, ls=ls, marker=mk, capsize=3, label=label)
        for xi, g in zip(x, groups):
            ax.plot([xi] * len(g), g, mk, color=c, alpha=0.3, ms=4)
        cens = [[r for r in cmp.rows if r["method"] == method and r["p"] == p and r["censored"] != "none"]
                for p in ps]
        for xi, m, cr in zip(x, med, cens):
            if cr and len(cr) * 2 > len([r for r in cmp.rows if r["method"] == method]) / len(ps):
                ax.plot([xi], [m], "o", ms=13, mfc="none", color=c)
    grid = np.geomspace(min(allp) * 0.9, max(allp) * 1.1, 50)
    ax.plot(grid, grid ** 2, "k-", lw=1, label="p^2 (all pairs; kernel rate, Thm 4.3)")
    ax.plot(grid, grid ** (5 / 3), "k--", lw=1, label="p^(5/3) (Thm 4.5 rate)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(allp, [str(p) for p in allp])
    from matplotlib.ticker import NullFormatter
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("modulus p")
    ax.set_ylabel("samples n* (median over seeds; bars: seed min..max)")
    crit = {"claim": f"network: acc >= {cmp.acc:g} and l2 <= {cmp.l2:g}; kernels: l2 <= {cmp.l2:g}",
            "acc": f"test acc >= {cmp.acc:g}", "l2": f"relative population l2 <= {cmp.l2:g}"}[cmp.criterion]
    ax.set_title(f"Samples needed: networks vs kernels ({crit}); circled: censored", fontsize=8)
    ax.legend(fontsize=6.5)


def figure(cmp: Comparison):
    """A new matplotlib Figure holding `draw(cmp)`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    draw(ax, cmp)
    fig.tight_layout()
    return fig


def write_figures(cmp: Comparison, out: Path, stem: str = "compare") -> list[Path]:
    """OUT/STEM.png and OUT/STEM.pdf, written atomically."""

    import matplotlib.pyplot as plt

    fig = figure(cmp)
    paths = []
    try:
        for ext in ("png", "pdf"):
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, dpi=130, metadata={"CreationDate": None} if ext == "pdf" else None)
            atomic_write_bytes(Path(out) / f"{stem}.{ext}", buf.getvalue())
            paths.append(Path(out) / f"{stem}.{ext}")
    finally:
        plt.close(fig)
    return paths


# ------------------------------------------------------------------------------ stored or run

def find_or_run(out: Path, scale: str | None, assignments=(), seed: int | None = None, device: str = "cpu",
                log=print, task: str = "classification"):
    """The sample-complexity Result for the comparison: the one stored in `out` when it matches
    (scale, config with every override, and seed; any stored one when `scale` is None and nothing is
    overridden), else the claim is run at `scale` (default "default") and stored in `out` exactly as
    `grokcheck run` does (`grokcheck.api.run`: resumes from cached sub-runs, writes result.json and
    report.pdf). A stored result of an older code version is used as it is (its result.json names
    its commit). ValueError with one line for a bad scale or override."""
    path = Path(out) / CLAIM_ID / "result.json"
    stored = None
    if path.exists():
        try:
            stored = read_result(path)
        except ResultFileError as exc:
            log(f"compare: {exc}; running the claim")
    if scale is None and not assignments and seed is None and stored is not None:
        return stored
    scale = scale or (stored.scale if stored is not None else "default")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    config = resolve_config(CLAIM_ID, scale, seed, assignments)
    if task == "regression" and not config.reg_ps:
        raise ValueError(f"the regression side runs only for the moduli in reg_ps, empty at scale {scale} "
                         "(give --ps, or --scale paper)")
    if stored is not None and stored.scale == scale and stored.config_hash == config_hash(config):
        return stored
    log(f"compare: no stored {CLAIM_ID} result at scale {scale} with this config in {out}; running it")
    return api.run(CLAIM_ID, scale, [f"{k}={v}" for k, v in assignments], out, seed=seed, device=device,
               log=lambda msg: log(f"    {msg}"))


def with_ps(assignments, ps, task: str) -> list:
    """`assignments` with the p list set on the field of `task` (ps, or reg_ps for regression)."""
    if not ps:
        return list(assignments)
    name = "reg_ps" if task == "regression" else "ps"
    return [a for a in assignments if a[0] != name] + [(name, ",".join(str(p) for p in ps))]

