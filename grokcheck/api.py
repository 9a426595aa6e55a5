"""The Python API: run a claim, look at its observables as a table, load many stored results.

    import grokcheck
    result = grokcheck.run("construction", scale="ci")                 # a Result (grokcheck.core)
    result.verdict, result.observable("...").value
    grokcheck.to_frame(result)                                         # one row per observable
    result = grokcheck.run("sample-complexity", scale="ci", overrides={"ps": (23, 31)}, out="runs/a")
    grokcheck.load_results("runs")                                     # every stored result below runs/

`run` goes through the same steps as `grokcheck run CLAIM`: the config of the scale, `seed` and
`overrides` applied and validated before any work (`grokcheck.overrides`, the same rules and
one-line `ValueError`s as `--set`), TF32 off, and with `out` the result store of that folder: a
stored result with the same key is returned without recomputing, a killed run resumes from its
finished sub-runs, and result.json + report.pdf are written under `out/CLAIM/`. Data frames need
pandas (`pip install pandas`); nothing else here does.
"""
from __future__ import annotations

import sys
from pathlib import Path

from grokcheck import registry  # noqa: I001  (registry.CLAIMS read at call time: tests add fake claims)
from grokcheck.core import Result
from grokcheck.executors import Task, execute, plan
from grokcheck.overrides import parse_assignments, resolve_config
from grokcheck.registry import SCALES, claim_module
from grokcheck.safeio import check_writable_dir
from grokcheck.schema import ResultFileError, read_result
from grokcheck.store import ResultStore

__all__ = ["run", "to_frame", "load_results", "override_items"]


def override_items(overrides) -> list[str]:
    """`{"steps": 300, "ps": (23, 31), "model.width": 64}` as `--set` items (`["steps=300",
    "ps=(23, 31)", ...]`); a string value is taken as written on the command line. A list of
    "FIELD=VALUE" strings passes through. ValueError for anything else."""
    if overrides is None:
        return []
    if isinstance(overrides, (list, tuple)):
        if not all(isinstance(o, str) for o in overrides):
            raise ValueError(f"overrides must be a dict or a list of 'FIELD=VALUE' strings, got {overrides!r:.80}")
        return list(overrides)
    if not isinstance(overrides, dict):
        raise ValueError(f"overrides must be a dict of field -> value, got {type(overrides).__name__}")
    items = []
    for name, value in overrides.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif value is None:
            text = "none"
        elif isinstance(value, (list, tuple)):
            text = repr(_as_tuple(value))
        else:
            text = str(value)
        items.append(f"{name}={text}")
    return items


def _as_tuple(x):
    return tuple(_as_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


def run(claim: str, scale: str = "ci", overrides=None, out=None, *, seed: int | None = None,
        device: str = "cpu", force: bool = False, log=None) -> Result:
    """Run `claim` (an id of `grokcheck list`) at `scale` ("ci", "default" or "paper") and return its
    Result.

    overrides: Config fields to change, `{"steps": 300, "ps": (23, 31)}` (nested fields dotted:
    `{"model.steps": 500}`), checked exactly like `--set` before anything runs. seed: the run seed
    (0 <= seed < 2**63; default: the config's). out: a results folder; when given, a stored result
    with the same key (claim, scale, config, seed, device, code version) is returned unless `force`,
    and otherwise the run resumes from the folder's sub-run cache and writes
    `out/CLAIM/result.json` and `report.pdf`. log: a callable receiving progress lines.
    Raises ValueError (one line) for an unknown claim or scale, a bad override or seed."""
    if claim not in registry.CLAIMS:
        raise ValueError(f"unknown claim {claim!r}; run `grokcheck list` to see the claims")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    sets = override_items(overrides)
    if out is None:
        return _run_storeless(claim, scale, seed, sets, device, log)
    from grokcheck.reports.collect import clear_error
    from grokcheck.reports.render import write_claim_report
    out = check_writable_dir(str(out))
    [(task, key)] = plan([claim], scale, seed, sets, device, out, force)
    store = ResultStore(out)
    if not force:
        stored, _ = store.lookup(key)
        if stored is not None:
            return stored
    emit = None if log is None else (lambda kind, cid, *rest: log(rest[0]) if kind == "log" else None)
    done = execute(task, emit)
    result = done.result
    if sets:
        result.notes.append(f"config overridden: --set {' --set '.join(sets)}")
    store.save(result, key, done.computed + done.cached)
    clear_error(out, claim)
    write_claim_report(result, claim_module(claim).figures(result), out / claim / "report.pdf")
    return result


def _run_storeless(claim, scale, seed, sets, device, log) -> Result:
    config = resolve_config(claim, scale, seed, parse_assignments(sets))
    task = Task(claim, registry.CLAIMS[claim], config, scale, device)
    emit = None if log is None else (lambda kind, cid, *rest: log(rest[0]) if kind == "log" else None)
    result = execute(task, emit).result
    if sets:
        result.notes.append(f"config overridden: --set {' --set '.join(sets)}")
    return result


def to_frame(result: Result):
    """The observables of `result` as a pandas DataFrame, one row per observable (`Result.to_frame`)."""
    return result.to_frame()


def load_results(path):
    """Every readable result.json under the folder `path` (searched recursively, e.g. one folder per
    seed), as one DataFrame of observables (`to_frame`) with a `results` column naming the folder
    each came from. A file that fails the schema is skipped with one line on stderr; ValueError when `path`
    is not a folder."""

    import pandas as pd

    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{path}: not a folder")
    frames = []
    for file in sorted(root.rglob("result.json")):
        try:
            result = read_result(file)
        except ResultFileError as exc:
            print(f"grokcheck: skipping {exc}", file=sys.stderr)
            continue
        frame = to_frame(result)
        frame["results"] = str(file.parent.parent)
        frames.append(frame)
    if not frames:
        empty = Result("", "", "", "", "", {}, "", None, [])
        return pd.DataFrame(columns=[*empty.to_frame().columns, "results"])
    return pd.concat(frames, ignore_index=True)
