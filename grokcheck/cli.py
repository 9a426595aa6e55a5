"""grokcheck command line: list, run, report (DESIGN.md "What the user does").

Exit codes: 0 when every claim run is verified, 1 when any is refuted or inconclusive,
2 for usage errors (one line on stderr, no traceback).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from grokcheck.registry import CLAIMS, SCALES, claim_module, run_claim

DEFAULT_OUT = Path("reports/out")


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
    run.add_argument("--seed", type=int, default=None, help="override every claim's seed")
    rep = sub.add_parser("report", help="rebuild every PDF and summary.pdf from stored results")
    rep.add_argument("--out", default=str(DEFAULT_OUT), help=f"results folder (default: {DEFAULT_OUT})")
    return ap


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
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".grokcheck-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--out {path}: not a writable folder ({exc.strerror or exc})") from None
    return out


def numerics_setup() -> None:
    """float64 kernels need exact matmuls: TF32 off everywhere (DESIGN.md Conventions)."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def render(result, out: Path) -> None:
    from grokcheck.reports.render import write_claim_report
    module = claim_module(result.claim)
    write_claim_report(result, module.figures(result), out / result.claim / "report.pdf")


def render_summary(results, out: Path) -> None:
    from grokcheck.reports.render import write_summary
    extra = []
    for r in results:
        hook = getattr(claim_module(r.claim), "summary_figures", None)
        if hook:
            extra.extend(hook(r))
    write_summary(results, out / "summary.pdf", extra)


def verdict_table(rows) -> str:
    lines = [f"{'claim':28s} {'verdict':13s} {'key observable vs bound':60s} {'time':>8s}"]
    for claim, verdict, key, secs in rows:
        lines.append(f"{claim:28s} {verdict:13s} {key[:60]:60s} {secs:7.1f}s")
    return "\n".join(lines)


def cmd_list() -> int:
    for cid in CLAIMS:
        m = claim_module(cid)
        print(f"{cid:28s} {m.CLAIM.title}  [{m.CLAIM.source}]")
    return 0


def cmd_run(args) -> int:
    from grokcheck.reports.render import fmt
    from grokcheck.core import write_result
    claims = args.claims or list(CLAIMS)
    for c in claims:
        if c not in CLAIMS:
            raise UsageError(f"unknown claim {c!r}; run `grokcheck list` to see the claims")
    if args.scale not in SCALES:
        raise UsageError(f"unknown scale {args.scale!r}; expected one of {', '.join(SCALES)}")
    device = resolve_device(args.device)
    out = writable_dir(args.out)
    numerics_setup()
    rows, results = [], []
    for i, cid in enumerate(claims, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(claims)}] {cid} (scale {args.scale}, device {device}) ...", flush=True)

        def log(msg, cid=cid, t0=t0):
            print(f"    [{cid} {time.perf_counter() - t0:7.1f}s] {msg}", flush=True)

        result = run_claim(cid, args.scale, args.seed, device, log)
        write_result(result, out / cid / "result.json")
        render(result, out)
        results.append(result)
        key = result.key_observable()
        key_txt = f"{key.name}: {fmt(key.value)} {key.comparison} {fmt(key.bound)}" if key else ""
        rows.append((cid, result.verdict, key_txt, result.wall_time_s))
        print(f"    -> {result.verdict} in {result.wall_time_s:.1f}s; {out / cid / 'report.pdf'}", flush=True)
    stored = load_results(out, quiet=True)
    render_summary(stored, out)
    print(verdict_table(rows))
    print(f"summary: {out / 'summary.pdf'}")
    return 0 if all(r.verdict == "verified" for r in results) else 1


def load_results(out: Path, quiet: bool = False):
    """Every readable result.json under `out` in registry order; corrupt files are named and skipped."""
    from grokcheck.core import ResultFileError, read_result
    results = []
    for cid in CLAIMS:
        path = out / cid / "result.json"
        if not path.exists():
            continue
        try:
            results.append(read_result(path))
        except ResultFileError as exc:
            print(f"skipping {exc}", file=sys.stderr)
    return results


def cmd_report(args) -> int:
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"--out {args.out}: no such folder (run `grokcheck run` first)")
    results = load_results(out)
    if not results:
        raise UsageError(f"--out {args.out}: no readable result.json found")
    for r in results:
        render(r, out)
        print(f"{r.claim:28s} {r.verdict:13s} {out / r.claim / 'report.pdf'}")
    render_summary(results, out)
    print(f"summary: {out / 'summary.pdf'}")
    return 0 if all(r.verdict == "verified" for r in results) else 1


def main(argv=None) -> int:
    try:
        args = parser().parse_args(argv)
        if args.command == "list":
            return cmd_list()
        if args.command == "run":
            return cmd_run(args)
        return cmd_report(args)
    except UsageError as exc:
        print(f"grokcheck: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `grokcheck list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("grokcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
