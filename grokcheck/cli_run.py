"""`grokcheck run`: plan the claims, skip the stored ones, run the rest on an executor, store,
render and summarize each outcome (`grokcheck.cli` has the options and exit codes; `grokcheck.store`
the store, `grokcheck.executors` where claims run, `grokcheck.progress` the display)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from grokcheck import registry
from grokcheck.cli_common import (
    EXIT_ERROR,
    UsageError,
    exit_code,
    resolve_device,
    unique_claims,
    writable_dir,
)
from grokcheck.cli_results import render, write_summary_safely
from grokcheck.executors import check_options, plan, run_tasks
from grokcheck.numerics import set_numerics
from grokcheck.progress import Progress, pipe_safe_stdout
from grokcheck.store import ResultStore


def verdict_table(rows) -> str:
    lines = [f"{'claim':28s} {'verdict (paper | ours)':44s} {'key observable vs bound':50s} {'time':>8s}"]
    for claim, verdict, key, secs in rows:
        lines.append(f"{claim:28s} {verdict:44s} {key[:50]:50s} {secs:7.1f}s")
    return "\n".join(lines)


def table_row(cid: str, o) -> tuple:
    """(claim, verdict label, key observable vs bound, wall time) of a Result or a ClaimError."""
    from grokcheck.reports.render import fmt
    key = o.key_observable() if hasattr(o, "key_observable") else None
    key_txt = f"{key.name}: {fmt(key.value)} {key.comparison} {fmt(key.bound)}" if key else getattr(o, "message", "")
    verdict = f"{o.verdict_label()} | ours: {o.beyond_label()}" if hasattr(o, "verdict_label") else o.verdict
    return cid, verdict, key_txt, o.wall_time_s


def skip_stored(planned, store, force: bool, progress):
    """({claim: stored Result} for the claims whose stored result matches their key, the tasks
    left to run, {claim: key}); a stored result that does not match says why in one line. A reused
    result clears the claim's error.log (left by a later crashed run of another config), so the
    summary shows the stored verdict, not `error`."""
    from grokcheck.reports.collect import clear_error
    outcomes, tasks, keys = {}, [], {}
    for task, key in planned:
        stored, why = (None, "--force") if force else store.lookup(key)
        if stored is not None:
            progress.claim_finished(task.claim, f"{task.claim}: stored result matches (config {key['config_hash']}, "
                                    f"seed {key['seed']}, code {key['code_version']}): {stored.verdict_label()}; "
                                    "skipped (--force recomputes)")
            clear_error(store.root, task.claim)
            outcomes[task.claim] = stored
            continue
        if why not in ("no stored result", "--force"):
            progress.line(f"{task.claim}: {why}; recomputing")
        tasks.append(task)
        keys[task.claim] = key
    return outcomes, tasks, keys


def finish(task, outcome, key, args, out: Path, progress):
    """Store, log and render one claim's outcome (a Done or the exception it raised); a failure
    becomes a ClaimError with its traceback in error.log (per-claim isolation)."""
    from grokcheck.reports.collect import clear_error, record_error
    cid = task.claim
    try:
        if isinstance(outcome, BaseException):
            raise outcome
        result = outcome.result
        if args.set:
            result.notes.append(f"config overridden on the command line: --set {' --set '.join(args.set)}")
        ResultStore(out).save(result, key, outcome.computed + outcome.cached)
        clear_error(out, cid)
        render(result, out)
        progress.claim_finished(cid, f"    -> {cid}: {result.verdict_label()} in {result.wall_time_s:.1f}s")
        return result
    except Exception as exc:  # noqa: BLE001 (per-claim isolation)
        err = record_error(out, cid, exc, round(time.perf_counter() - progress.started.get(cid, time.perf_counter()), 3))
        where = f"; traceback in {err.log}" if err.log else ""
        print(f"grokcheck: error: {cid}: {err.message}{where}", file=sys.stderr, flush=True)
        progress.claim_finished(cid, f"    -> {cid}: error")
        return err


def cmd_run(args) -> int:
    """`grokcheck run`; a closed stdout silences the output and never fails a claim, a stdout that
    cannot be written (full disk) too, with exit 3 at the end (`progress.pipe_safe_stdout`)."""
    with pipe_safe_stdout() as stdout:
        code = _run(args)
    return EXIT_ERROR if stdout.error is not None and code < EXIT_ERROR else code


def _run(args) -> int:
    from grokcheck.reports.collect import collect
    claims = unique_claims(args.claims) if args.claims else list(registry.CLAIMS)
    if args.scale not in registry.SCALES:
        raise UsageError(f"unknown scale {args.scale!r}; expected one of {', '.join(registry.SCALES)}")
    try:
        check_options(args.executor, args.jobs, args.ray_address)
        device = resolve_device(args.device)
        out = writable_dir(args.out)
        planned = plan(claims, args.scale, args.seed, args.set, device, out, args.force, args.executor)
        if not getattr(args, "no_guard", False):
            from grokcheck.guards import check
            for task, _ in planned:
                check(task.claim, task.config, device)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    set_numerics()
    store, progress = ResultStore(out), Progress(len(claims))
    outcomes, tasks, keys = skip_stored(planned, store, args.force, progress)
    index = {cid: i for i, cid in enumerate(claims, 1)}

    def on_event(kind, cid, *rest):
        if kind == "start":
            rec = store.record(cid) or {}
            progress.claim_started(cid, f"[{index[cid]}/{len(claims)}] {cid} (scale {args.scale}, device {device}) ...",
                                   rec.get("subruns"))
        elif kind == "log":
            progress.log(cid, rest[0], rest[1])
        elif kind == "subrun":
            progress.subrun(cid, *rest)

    try:
        for task, outcome in run_tasks(tasks, executor=args.executor, jobs=args.jobs,
                                       ray_address=args.ray_address, on_event=on_event):
            outcomes[task.claim] = finish(task, outcome, keys[task.claim], args, out, progress)
    except ValueError as exc:  # the executor could not start (e.g. a Ray address that does not answer)
        raise UsageError(str(exc).splitlines()[0]) from None
    finally:
        progress.close()
    collected = collect(out, registry.CLAIMS)
    for line in collected.skipped:
        print(line, file=sys.stderr)
    summary_ok = write_summary_safely(out, collected)
    print(verdict_table([table_row(cid, outcomes[cid]) for cid in claims]))
    code = exit_code(outcomes[cid].verdict for cid in claims)
    return code if summary_ok or code == EXIT_ERROR else EXIT_ERROR
