"""Tidy export of stored results: `grokcheck export [--out DIR ...] [--to PATH] [--format csv|parquet]`.

Two long tables, one row per fact, readable with `pandas.read_csv` / `read_parquet` and no
custom parsing (numbers are numbers, `passed` is a bool, a missing value is empty / NaN):

observables  one row per observable: claim, setting, role, name, value, bound, comparison,
             tolerance, passed, setting_verdict, verdict (the claim's, as shown: e.g.
             "inconclusive (budget)"), scale, seed, config_hash, device, commit, wall_time_s,
             reason, results (the folder it came from)
series       one row per time-series point: claim, scale, seed, config_hash, device, commit,
             results, series (the slash path of the list in `Result.series`, e.g.
             "linf/11"), index (position along the list's first axis; empty for a scalar),
             subindex (row-major position inside a nested element, e.g. the column of a 2-D
             list; empty otherwise), step (from a sibling "steps" / "eval_steps" list of the
             same length, else empty), value (numbers) and text (strings)

Several result folders combine into one table (e.g. one folder per seed: group by `seed`). A
folder is a results folder when it holds `<claim>/result.json`; otherwise each of its direct
subfolders that is one is read (`--out runs/` with runs/seed0, runs/seed1, ...). A claim whose
last run crashed (`error.log`), a result.json that is unreadable, not a regular file (a FIFO or a
device is refused without blocking) or whose bytes no longer match the SHA-256 in its store.json
(`schema.read_result`) are skipped with one line each.

Both formats are written through `safeio.atomic_write_bytes`: a unique temporary file made in the
target folder with O_EXCL, then renamed onto the target. A symlink planted at any name in that
folder is never written through, and two exports to one file at once each rename a complete file
(the last one wins) instead of racing on a shared temporary name.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grokcheck.safeio import atomic_write_bytes
from grokcheck.schema import ResultFileError, read_result

OBSERVABLE_COLUMNS = ("claim", "setting", "role", "name", "value", "lo", "hi", "coverage", "method", "bound",
                      "comparison", "tolerance", "kind", "source", "outcome", "passed", "setting_verdict",
                      "verdict", "beyond_verdict", "scale", "seed", "config_hash", "device",
                      "commit", "wall_time_s", "reason", "results")
SERIES_COLUMNS = ("claim", "scale", "seed", "config_hash", "device", "commit", "results", "series",
                  "index", "subindex", "step", "value", "text")
STEP_KEYS = ("steps", "eval_steps")
FORMATS = ("csv", "parquet")


def results_folders(paths) -> list[Path]:
    """The results folders among `paths` and their direct subfolders (module docstring)."""
    found = []
    for p in map(Path, paths):
        if not p.is_dir():
            raise ValueError(f"--out {p}: no such folder")
        if any(p.glob("*/result.json")):
            found.append(p)
        else:
            found.extend(sorted(q for q in p.iterdir() if q.is_dir() and any(q.glob("*/result.json"))))
    if not found:
        raise ValueError(f"no result.json under {', '.join(map(str, paths))} (run `grokcheck run` first)")
    return found


def load(paths, skipped: list | None = None) -> list[tuple[Path, object]]:
    """(folder, Result) for every readable, current result under `paths`; skip lines appended to
    `skipped`."""
    skipped = [] if skipped is None else skipped
    out = []
    for folder in results_folders(paths):
        for path in sorted(folder.glob("*/result.json")):
            if (path.parent / "error.log").is_file():
                skipped.append(f"skipping {path}: stale (the claim crashed in its last run, see error.log)")
                continue
            try:
                out.append((folder, read_result(path)))
            except ResultFileError as exc:
                skipped.append(f"skipping {exc}")
    return out


def _meta(folder: Path, r) -> dict:
    env = r.environment or {}
    return {"claim": r.claim, "scale": r.scale, "seed": r.seed, "config_hash": r.config_hash,
            "device": env.get("device"), "commit": env.get("git_commit"), "results": str(folder)}


def observable_rows(folder: Path, r) -> list[dict]:
    meta = _meta(folder, r)
    return [{**meta, "setting": o.setting, "role": o.role, "name": o.name, "value": o.value, "lo": o.lo,
             "hi": o.hi, "coverage": o.coverage, "method": o.method, "bound": o.bound, "comparison": o.comparison,
             "tolerance": o.tolerance, "kind": o.kind, "source": o.source, "outcome": o.outcome, "passed": o.passed,
             "setting_verdict": r.setting_verdicts.get(o.setting, ""), "verdict": r.verdict_label(),
             "beyond_verdict": r.beyond_label(),
             "wall_time_s": r.wall_time_s, "reason": o.reason} for o in r.observables]


def _flat(x, prefix=()):
    """(position path, leaf) for the leaves of a nested list, row-major."""
    if isinstance(x, list):
        for i, v in enumerate(x):
            yield from _flat(v, prefix + (i,))
    else:
        yield prefix, x


def _point(meta, path, index, subindex, step, leaf) -> dict:
    number = isinstance(leaf, (int, float)) and not isinstance(leaf, bool)
    return {**meta, "series": path, "index": index, "subindex": subindex, "step": step,
            "value": float(leaf) if number or isinstance(leaf, bool) else None,
            "text": leaf if isinstance(leaf, str) else None}


def series_rows(folder: Path, r) -> list[dict]:
    meta, rows = _meta(folder, r), []

    def walk(node, path):
        if isinstance(node, dict):
            steps = next((node[k] for k in STEP_KEYS if isinstance(node.get(k), list)), None)
            for k, v in node.items():
                sub = f"{path}/{k}" if path else str(k)
                if isinstance(v, list) and steps is not None and len(v) == len(steps) and k not in STEP_KEYS:
                    walk_list(v, sub, steps)
                else:
                    walk(v, sub)
        elif isinstance(node, list):
            walk_list(node, path, None)
        elif node is not None:
            rows.append(_point(meta, path, None, None, None, node))

    def walk_list(values, path, steps):
        for i, v in enumerate(values):
            step = steps[i] if steps is not None and isinstance(steps[i], (int, float)) else None
            if isinstance(v, dict):
                walk(v, f"{path}/{i}")
                continue
            if not isinstance(v, list):
                rows.append(_point(meta, path, i, None, step, v))
                continue
            for rank, (_, leaf) in enumerate(_flat(v)):  # rank: row-major position inside v
                if not isinstance(leaf, dict):  # records inside lists of lists are not points
                    rows.append(_point(meta, path, i, rank, step, leaf))

    walk(r.series or {}, "")
    return rows


def tables(paths, skipped: list | None = None) -> tuple[list[dict], list[dict]]:
    """(observable rows, series rows) of every result under `paths`."""
    obs, ser = [], []
    for folder, r in load(paths, skipped):
        obs.extend(observable_rows(folder, r))
        ser.extend(series_rows(folder, r))
    return obs, ser


def targets(to: str | Path, fmt: str | None) -> tuple[Path, Path, str]:
    """(observables file, series file, format) for `--to`: a folder gets observables.<fmt> and
    series.<fmt>; a file name X.<fmt> gets X.<fmt> and X_series.<fmt>."""
    to = Path(to)
    suffix = to.suffix.lstrip(".").lower()
    if suffix in FORMATS:
        if fmt is not None and fmt != suffix:
            raise ValueError(f"--to {to} has the extension .{suffix} but --format is {fmt}")
        return to, to.with_name(f"{to.stem}_series{to.suffix}"), suffix
    fmt = fmt or "csv"
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected csv or parquet")
    return to / f"observables.{fmt}", to / f"series.{fmt}", fmt


def _write_csv(rows, columns, path: Path) -> None:

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({c: ("" if row.get(c) is None else row[c]) for c in columns})
    atomic_write_bytes(path, buf.getvalue().encode())


def _write_parquet(rows, columns, path: Path) -> None:
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        raise ValueError("--format parquet needs pandas and pyarrow: pip install pandas pyarrow") from None

    buf = io.BytesIO()
    pd.DataFrame(rows, columns=list(columns)).to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue())


def export(paths, to, fmt: str | None = None, skipped: list | None = None) -> tuple[Path, Path, int, int]:
    """Write the two tables; returns (observables file, series file, their row counts)."""
    obs_path, ser_path, fmt = targets(to, fmt)
    obs, ser = tables(paths, skipped)
    write = _write_csv if fmt == "csv" else _write_parquet
    write(obs, OBSERVABLE_COLUMNS, obs_path)
    write(ser, SERIES_COLUMNS, ser_path)
    return obs_path, ser_path, len(obs), len(ser)
