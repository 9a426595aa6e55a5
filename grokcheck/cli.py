"""grokcheck command line: list, run, show, report, export (DESIGN.md "What the user does").

`run` keeps a result store under --out (`grokcheck.store`): a claim whose stored result has the
same key (claim, scale, config hash, seed, device, code version) is skipped and says so; `--force`
recomputes it and its sub-runs; a killed run resumes from its finished sub-runs. `--set F=V`
overrides Config fields (`grokcheck.overrides`); `--jobs N` runs N claims at once in processes,
`--executor ray [--ray-address A]` as Ray tasks (`grokcheck.executors`). `show CLAIM` prints the
resolved config of each scale; `export` writes tidy tables (`grokcheck.export`).

Exit codes (`EXIT_*`): 0 every claim verified; 1 some claim refuted or inconclusive; 2 usage error
(one line on stderr, no traceback: bad argument, unknown claim, unusable --out); 3 some claim
crashed or its files could not be written: it shows as `error` in the table and summary.pdf, its
traceback is in `DIR/<claim>/error.log`, and the other claims still run; 130 interrupted (Ctrl-C),
143 terminated (SIGTERM; no temp file is left behind).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from grokcheck.registry import CLAIMS, SCALES, claim_module

DEFAULT_OUT = Path("reports/out")
EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="grokcheck", description="Executable theorems for grokking on modular arithmetic.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="the claims, one line each")
    run = sub.add_parser("run", help="run claims, write result.json + report.pdf per claim and summary.pdf")
    run.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    run.add_argument("--scale", default="default", help="ci | default | paper (default: default)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    run.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default: {DEFAULT_OUT})")
    run.add_argument("--seed", type=seed_arg, default=None, help="override every claim's seed (0 <= N < 2**63)")
    run.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                     help="override a Config field, e.g. --set steps=30000 --set ps=47,61 (repeatable)")
    run.add_argument("--force", action="store_true", help="recompute stored results and cached sub-runs")
    run.add_argument("--jobs", type=int, default=1, help="claims run at once in processes (default: 1)")
    run.add_argument("--executor", default="local", help="local | ray (default: local)")
    run.add_argument("--ray-address", default=None, help="Ray cluster to join (default: a local one)")
    show = sub.add_parser("show", help="the resolved config of a claim at each scale")
    show.add_argument("claim", metavar="CLAIM")
    show.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="as for run")
    rep = sub.add_parser("report", help="rebuild every PDF and summary.pdf from stored results")
    rep.add_argument("--out", default=str(DEFAULT_OUT), help=f"results folder (default: {DEFAULT_OUT})")
    exp = sub.add_parser("export", help="tidy tables of stored results (one row per observable / point)")
    exp.add_argument("--out", action="append", default=None, metavar="DIR",
                     help=f"results folder(s), repeatable (default: {DEFAULT_OUT})")
    exp.add_argument("--to", default=None, help="a folder, or FILE.csv / FILE.parquet (default: first --out/export)")
    exp.add_argument("--format", default=None, help="csv | parquet (default: csv, or --to's extension)")
    return ap


def seed_arg(text: str) -> int:
    """--seed: an integer in [0, 2**63) (`grokcheck.streams.check_seed`)."""
    from grokcheck.streams import check_seed
    try:
        return check_seed(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc) if "seed" in str(exc) else
                                         f"seed must be an integer in [0, 2**63), got {text!r}") from None


def resolve_device(name: str) -> str:
    import torch
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda requested but no CUDA device is available")
        return "cuda"
    raise UsageError(f"unknown device {name!r}; expected auto, cpu or cuda")


def writable_dir(path: str) -> Path:
    """--out as a writable folder (created if missing; `grokcheck.safeio.check_writable_dir`)."""
    from grokcheck.safeio import check_writable_dir
    if path.strip() == "":
        raise UsageError("--out must not be empty (use --out . for the current folder)")
    try:
        return check_writable_dir(path)
    except ValueError as exc:
        raise UsageError(f"--out {exc}") from None


def numerics_setup() -> None:
    """float64 kernels need exact matmuls: TF32 off everywhere (DESIGN.md Conventions)."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def render(result, out: Path) -> None:
    from grokcheck.reports.render import write_claim_report
    module = claim_module(result.claim)
    write_claim_report(result, module.figures(result), out / result.claim / "report.pdf")


def render_summary(results, out: Path, errors=()) -> None:
    from grokcheck.reports.render import write_summary
    extra = []
    for r in results:
        hook = getattr(claim_module(r.claim), "summary_figures", None)
        try:
            extra.extend(hook(r) if hook else [])
        except Exception as exc:  # noqa: BLE001 (one claim's figure never costs the summary)
            from grokcheck.reports.collect import one_line
            print(f"grokcheck: error: {r.claim}: summary figure skipped ({one_line(exc)})", file=sys.stderr)
    write_summary(results, out / "summary.pdf", extra, errors=list(errors))


def write_summary_safely(out: Path, collected) -> bool:
    """summary.pdf from what `out` holds; a failure (a claim's summary figure, an unwritable file)
    is one line on stderr and False, never a traceback."""
    from grokcheck.reports.collect import one_line
    try:
        render_summary(collected.results, out, collected.errors)
        print(f"summary: {out / 'summary.pdf'}")
        return True
    except Exception as exc:  # noqa: BLE001 (isolation: the run's results are already written)
        print(f"grokcheck: error: summary.pdf not written ({one_line(exc)})", file=sys.stderr)
        return False


def exit_code(verdicts) -> int:
    """0 all verified, 3 any `error`, else 1 (module docstring)."""
    verdicts = list(verdicts)
    if any(v == "error" for v in verdicts):
        return EXIT_ERROR
    return EXIT_VERIFIED if verdicts and all(v == "verified" for v in verdicts) else EXIT_NOT_VERIFIED


def verdict_table(rows) -> str:
    lines = [f"{'claim':28s} {'verdict':21s} {'key observable vs bound':60s} {'time':>8s}"]
    for claim, verdict, key, secs in rows:
        lines.append(f"{claim:28s} {verdict:21s} {key[:60]:60s} {secs:7.1f}s")
    return "\n".join(lines)


def cmd_list() -> int:
    for cid in CLAIMS:
        m = claim_module(cid)
        print(f"{cid:28s} {m.CLAIM.title}  [{m.CLAIM.source}]")
    return 0


def unique_claims(claims) -> list[str]:
    """Claim ids in order, each once (a repeated id is noted on stderr and run once)."""
    seen = list(dict.fromkeys(claims))
    for c in seen:
        if c not in CLAIMS:
            raise UsageError(f"unknown claim {c!r}; run `grokcheck list` to see the claims")
        if claims.count(c) > 1:
            print(f"grokcheck: note: claim {c!r} given {claims.count(c)} times; running it once",
                  file=sys.stderr)
    return seen


def skip_stored(planned, store, force: bool, progress):
    """({claim: stored Result} for the claims whose stored result matches their key, the tasks
    left to run, {claim: key}); a stored result that does not match says why in one line."""
    outcomes, tasks, keys = {}, [], {}
    for task, key in planned:
        stored, why = (None, "--force") if force else store.lookup(key)
        if stored is not None:
            progress.claim_finished(task.claim, f"{task.claim}: stored result matches (config {key['config_hash']}, "
                                    f"seed {key['seed']}, code {key['code_version']}): {stored.verdict_label()}; "
                                    "skipped (--force recomputes)")
            outcomes[task.claim] = stored
            continue
        if why not in ("no stored result", "--force"):
            progress.line(f"{task.claim}: {why}; recomputing")
        tasks.append(task)
        keys[task.claim] = key
    return outcomes, tasks, keys


def table_row(cid: str, o) -> tuple:
    """(claim, verdict label, key observable vs bound, wall time) of a Result or a ClaimError."""
    from grokcheck.reports.render import fmt
    key = o.key_observable() if hasattr(o, "key_observable") else None
    key_txt = f"{key.name}: {fmt(key.value)} {key.comparison} {fmt(key.bound)}" if key else getattr(o, "message", "")
    return cid, o.verdict_label() if hasattr(o, "verdict_label") else o.verdict, key_txt, o.wall_time_s


def finish(task, outcome, key, args, out: Path, progress):
    """Store, log and render one claim's outcome (a Done or the exception it raised); a failure
    becomes a ClaimError with its traceback in error.log (per-claim isolation, issue 17)."""
    from grokcheck.reports.collect import clear_error, record_error
    from grokcheck.store import ResultStore
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
    except Exception as exc:  # noqa: BLE001 (per-claim isolation, issue 17)
        err = record_error(out, cid, exc, round(time.perf_counter() - progress.started.get(cid, time.perf_counter()), 3))
        where = f"; traceback in {err.log}" if err.log else ""
        print(f"grokcheck: error: {cid}: {err.message}{where}", file=sys.stderr, flush=True)
        progress.claim_finished(cid, f"    -> {cid}: error")
        return err


def cmd_run(args) -> int:
    from grokcheck.executors import check_options, plan, run_tasks
    from grokcheck.progress import Progress
    from grokcheck.reports.collect import collect
    from grokcheck.store import ResultStore
    claims = unique_claims(args.claims) if args.claims else list(CLAIMS)
    if args.scale not in SCALES:
        raise UsageError(f"unknown scale {args.scale!r}; expected one of {', '.join(SCALES)}")
    try:
        check_options(args.executor, args.jobs, args.ray_address)
        device = resolve_device(args.device)
        out = writable_dir(args.out)
        planned = plan(claims, args.scale, args.seed, args.set, device, out, args.force, args.executor)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    numerics_setup()
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
    collected = collect(out, CLAIMS)
    for line in collected.skipped:
        print(line, file=sys.stderr)
    summary_ok = write_summary_safely(out, collected)
    print(verdict_table([table_row(cid, outcomes[cid]) for cid in claims]))
    code = exit_code(outcomes[cid].verdict for cid in claims)
    return code if summary_ok or code == EXIT_ERROR else EXIT_ERROR


def cmd_show(args) -> int:
    from grokcheck.overrides import describe, parse_assignments, resolve_config
    if args.claim not in CLAIMS:
        raise UsageError(f"unknown claim {args.claim!r}; run `grokcheck list` to see the claims")
    m = claim_module(args.claim)
    try:
        assignments = parse_assignments(args.set)
        rows = {scale: describe(resolve_config(args.claim, scale, None, assignments)) for scale in SCALES}
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    print(f"{args.claim}: {m.CLAIM.title}  [{m.CLAIM.source}]")
    table = [("field", "type", *SCALES)] + [(name, kind[:10], *(str(rows[s][i][2]) for s in SCALES))
                                              for i, (name, kind, _) in enumerate(rows[SCALES[0]])]
    widths = [max(len(r[j]) for r in table) for j in range(len(table[0]))]
    for r in table:
        print(" ".join(f"{v:{w}s}" for v, w in zip(r, widths)).rstrip())
    return 0


def cmd_export(args) -> int:
    from grokcheck.export import export
    outs = args.out or [str(DEFAULT_OUT)]
    skipped = []
    try:
        obs, ser, n_obs, n_ser = export(outs, args.to or Path(outs[0]) / "export", args.format, skipped)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    for line in skipped:
        print(line, file=sys.stderr)
    print(f"{n_obs} observables: {obs}\n{n_ser} series points: {ser}")
    return 0


def cmd_report(args) -> int:
    from grokcheck.reports.collect import collect, one_line
    if args.out.strip() == "":
        raise UsageError("--out must not be empty (use --out . for the current folder)")
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"--out {args.out}: no such folder (run `grokcheck run` first)")
    writable_dir(args.out)
    stored = collect(out, CLAIMS)
    for line in stored.skipped:
        print(line, file=sys.stderr)
    if not stored.results and not stored.errors:
        raise UsageError(f"--out {args.out}: no readable result.json found")
    verdicts = []
    for r in stored.results:
        try:
            render(r, out)
            verdicts.append(r.verdict)
            print(f"{r.claim:28s} {r.verdict_label():13s} {out / r.claim / 'report.pdf'}")
        except Exception as exc:  # noqa: BLE001 (one bad result never stops the other reports)
            verdicts.append("error")
            print(f"grokcheck: error: {r.claim}: report.pdf not written ({one_line(exc)})", file=sys.stderr)
    for e in stored.errors:
        verdicts.append("error")
        print(f"{e.claim:28s} {'error':13s} {e.message}; see {e.log}")
    if not write_summary_safely(out, stored):
        verdicts.append("error")
    return exit_code(verdicts)


def main(argv=None) -> int:
    from grokcheck.safeio import Terminated, terminate_on_sigterm
    try:
        with terminate_on_sigterm():
            args = parser().parse_args(argv)
            if args.command == "list":
                return cmd_list()
            if args.command == "run":
                return cmd_run(args)
            if args.command == "show":
                return cmd_show(args)
            if args.command == "export":
                return cmd_export(args)
            return cmd_report(args)
    except UsageError as exc:
        print(f"grokcheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `grokcheck list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("grokcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("grokcheck: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except SystemExit as exc:  # --help / --version from argparse
        return exc.code if isinstance(exc.code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
