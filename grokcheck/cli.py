"""grokcheck command line: list, run, report (DESIGN.md "What the user does").

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

from grokcheck.registry import CLAIMS, SCALES, claim_module, run_claim

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
    rep = sub.add_parser("report", help="rebuild every PDF and summary.pdf from stored results")
    rep.add_argument("--out", default=str(DEFAULT_OUT), help=f"results folder (default: {DEFAULT_OUT})")
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


def run_one(cid: str, args, device: str, out: Path, i: int, n: int):
    """Run, write and render one claim; a crash becomes a ClaimError (traceback in error.log)."""
    from grokcheck.core import write_result
    from grokcheck.reports.collect import clear_error, record_error
    t0 = time.perf_counter()
    print(f"[{i}/{n}] {cid} (scale {args.scale}, device {device}) ...", flush=True)

    def log(msg):
        print(f"    [{cid} {time.perf_counter() - t0:7.1f}s] {msg}", flush=True)

    try:
        result = run_claim(cid, args.scale, args.seed, device, log)
        write_result(result, out / cid / "result.json")
        clear_error(out, cid)
        render(result, out)
        return result
    except Exception as exc:  # noqa: BLE001 (per-claim isolation, issue 17)
        err = record_error(out, cid, exc, round(time.perf_counter() - t0, 3))
        where = f"; traceback in {err.log}" if err.log else ""
        print(f"grokcheck: error: {cid}: {err.message}{where}", file=sys.stderr, flush=True)
        return err


def cmd_run(args) -> int:
    from grokcheck.reports.collect import collect
    from grokcheck.reports.render import fmt
    claims = unique_claims(args.claims) if args.claims else list(CLAIMS)
    if args.scale not in SCALES:
        raise UsageError(f"unknown scale {args.scale!r}; expected one of {', '.join(SCALES)}")
    device = resolve_device(args.device)
    out = writable_dir(args.out)
    numerics_setup()
    rows, verdicts = [], []
    for i, cid in enumerate(claims, 1):
        outcome = run_one(cid, args, device, out, i, len(claims))
        key = outcome.key_observable() if hasattr(outcome, "key_observable") else None
        key_txt = (f"{key.name}: {fmt(key.value)} {key.comparison} {fmt(key.bound)}" if key
                   else getattr(outcome, "message", ""))
        label = outcome.verdict_label() if hasattr(outcome, "verdict_label") else outcome.verdict
        rows.append((cid, label, key_txt, outcome.wall_time_s))
        verdicts.append(outcome.verdict)
        print(f"    -> {label} in {outcome.wall_time_s:.1f}s", flush=True)
    stored = collect(out, CLAIMS)
    for line in stored.skipped:
        print(line, file=sys.stderr)
    summary_ok = write_summary_safely(out, stored)
    print(verdict_table(rows))
    code = exit_code(verdicts)
    return code if summary_ok or code == EXIT_ERROR else EXIT_ERROR


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
