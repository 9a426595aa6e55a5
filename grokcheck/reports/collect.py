"""What an output folder holds: readable results, crashed claims, and files skipped with a reason.

Layout: `DIR/<claim>/result.json`, `DIR/<claim>/report.pdf`, and, when the claim's
last run crashed, `DIR/<claim>/error.log` (first line: the one-line error; then the traceback).
A claim folder with an `error.log` is in the `error` state: its older result.json (if any) is
stale and is not shown; the next successful run of the claim removes the log.
"""
from __future__ import annotations

import contextlib
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from grokcheck.core import ERROR, Result
from grokcheck.schema import ResultFileError, read_result, single_line
from grokcheck.safeio import atomic_write_bytes

ERROR_LOG = "error.log"


@dataclass
class ClaimError:
    """A claim that crashed: its id, the one-line error, the log file (None if it could not be
    written) and the wall time until the crash."""
    claim: str
    message: str
    log: str | None = None
    wall_time_s: float = 0.0
    verdict: str = ERROR


@dataclass
class Collected:
    """results: readable results in registry order; errors: crashed claims; skipped: one line per
    file that was not used (corrupt, off-schema, foreign or unknown claim)."""
    results: list[Result] = field(default_factory=list)
    errors: list[ClaimError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message` as one printable line (a traceback never goes to the
    console; `core.single_line`)."""
    text = str(exc).strip().splitlines()
    return single_line(f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)


def record_error(out: Path, claim: str, exc: BaseException, wall_time_s: float = 0.0) -> ClaimError:
    """Write `out/claim/error.log` (one-line error, then the traceback) and return the ClaimError;
    when the log cannot be written the ClaimError says so and `log` is None."""
    message = one_line(exc)
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path = Path(out) / claim / ERROR_LOG
    try:
        atomic_write_bytes(path, f"{message}\n\n{tb}".encode())
        return ClaimError(claim, message, str(path), wall_time_s)
    except OSError as log_exc:
        return ClaimError(claim, f"{message} (and {path} could not be written: {one_line(log_exc)})",
                          None, wall_time_s)


def clear_error(out: Path, claim: str) -> None:
    """Remove `out/claim/error.log` after a successful run (missing is fine)."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.unlink(Path(out) / claim / ERROR_LOG)


def collect(out: Path, claim_ids) -> Collected:
    """Scan `out`: the results and errors of `claim_ids` (in that order), and a skip line for every
    result.json that is unreadable, off-schema, of another claim than its folder, or of a claim
    not in `claim_ids`."""
    out = Path(out)
    got = Collected()
    known = list(claim_ids)
    for cid in known:
        folder = out / cid
        log = folder / ERROR_LOG
        if log.is_file():
            try:
                first = log.read_text(errors="replace").splitlines()[0:1] or [""]
            except OSError as exc:
                first = [f"(log unreadable: {one_line(exc)})"]
            got.errors.append(ClaimError(cid, single_line(first[0]), str(log)))
            continue
        path = folder / "result.json"
        if not path.exists():
            continue
        try:
            result = read_result(path)
        except ResultFileError as exc:
            got.skipped.append(f"skipping {exc}")
            continue
        if result.claim != cid:
            got.skipped.append(single_line(f"skipping {path}: holds claim {result.claim!r}, not {cid!r}"))
            continue
        got.results.append(result)
    try:
        others = sorted(p for p in out.iterdir() if p.name not in known and (p / "result.json").exists())
    except OSError:
        others = []
    for p in others:
        got.skipped.append(single_line(f"skipping {p / 'result.json'}: unknown claim {p.name!r}"))
    return got
