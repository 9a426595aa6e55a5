"""grokcheck command line: list, run, show, report, export, compare.

`run` keeps a result store under --out (`grokcheck.store`): a claim whose stored result has the
same key (claim, scale, config hash, seed, device, code version) is skipped and says so; `--force`
recomputes it and its sub-runs; a killed run resumes from its finished sub-runs. `--set F=V`
overrides Config fields (`grokcheck.overrides`); `--jobs N` runs N claims at once in processes,
`--executor ray [--ray-address A]` as Ray tasks, and on the CPU the sub-runs inside each claim
(`ctx.map`) as Ray tasks too (`grokcheck.executors`, `grokcheck.subruns`). `show CLAIM` prints the
resolved config of each scale; `export` writes tidy tables (`grokcheck.export`); `compare` lays out
the samples kernels and networks need (`grokcheck.compare`); `--version` prints the code version.

This module holds the parser, the argument checks, the exit codes and `main`; the commands live in
`grokcheck.cli_run` (run) and `grokcheck.cli_results` (show, export, report: stored results).

Exit codes (`EXIT_*`): 0 every claim verified; 1 some claim refuted or inconclusive; 2 usage error
(one line on stderr, no traceback: bad argument, unknown claim, unusable --out); 3 some claim
crashed or its files could not be written: it shows as `error` in the table and summary.pdf, its
traceback is in `DIR/<claim>/error.log`, and the other claims still run; 130 interrupted (Ctrl-C),
143 terminated (SIGTERM; no temp file is left behind).
"""
from __future__ import annotations

import argparse
import sys

from grokcheck.cli_common import (DEFAULT_OUT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_NOT_VERIFIED,  # noqa: F401
                                  EXIT_TERMINATED, EXIT_USAGE, EXIT_VERIFIED, UsageError, exit_code,
                                  resolve_device, seed_arg, unique_claims, writable_dir)
from grokcheck.registry import CLAIMS, claim_module


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


class _VersionAction(argparse.Action):
    """`--version`: `grokcheck 0.2.0 (commit 744d8249a3cf, dirty)`; git runs only when asked."""

    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        from grokcheck.version import version_line
        print(version_line())
        parser.exit(0)


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="grokcheck", description="Executable theorems for grokking on modular arithmetic.")
    ap.add_argument("--version", action=_VersionAction, help="print the version and git commit (dirty flag) and exit")
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
    run.add_argument("--config", default=None, metavar="FILE.yaml",
                     help="Config fields from a YAML file (same fields as --set; --set wins)")
    run.add_argument("--force", action="store_true", help="recompute stored results and cached sub-runs")
    run.add_argument("--no-guard", action="store_true",
                     help="run configs whose memory or time floor exceeds the machine (grokcheck.guards)")
    run.add_argument("--jobs", type=int, default=1, help="claims run at once in processes (default: 1)")
    run.add_argument("--executor", default="local", help="local | ray (default: local)")
    run.add_argument("--ray-address", default=None, help="Ray cluster to join (default: a local one)")
    show = sub.add_parser("show", help="the resolved config of a claim at each scale")
    show.add_argument("claim", metavar="CLAIM")
    show.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="as for run")
    show.add_argument("--config", default=None, metavar="FILE.yaml", help="as for run")
    show.add_argument("--yaml", action="store_true", help="print one scale's config as YAML (for --config)")
    show.add_argument("--scale", default="default", help="the scale --yaml prints (default: default)")
    rep = sub.add_parser("report", help="rebuild every PDF and summary.pdf from stored results")
    rep.add_argument("--out", default=str(DEFAULT_OUT), help=f"results folder (default: {DEFAULT_OUT})")
    rep.add_argument("--html", action="store_true",
                     help="also write DIR/index.html: verdicts, decisive observables, figures, reproduce commands")
    cmp = sub.add_parser("compare", help="kernels vs networks: n* per p, method and seed, exponents, log-log figure")
    cmp.add_argument("--out", default=str(DEFAULT_OUT),
                     help=f"results folder holding (or receiving) sample-complexity (default: {DEFAULT_OUT})")
    cmp.add_argument("--scale", default=None,
                     help="ci | default | paper: use the stored result of this scale, else run it "
                          "(default: whatever is stored; nothing stored: default)")
    cmp.add_argument("--task", default="classification", help="classification | regression (default: classification)")
    cmp.add_argument("--criterion", default="claim",
                     help="claim (network: acc and l2; kernels: l2) | acc | l2 (default: claim)")
    cmp.add_argument("--acc", type=float, default=0.95, help="test-accuracy target (default: 0.95)")
    cmp.add_argument("--l2", type=float, default=0.5, help="relative population l2 target (default: 0.5, Thm 4.3)")
    cmp.add_argument("--ps", default=None, help="moduli p, comma-separated, e.g. 23,31,47 (runs what is not stored)")
    cmp.add_argument("--seed", type=seed_arg, default=None, help="the run seed (0 <= N < 2**63)")
    cmp.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="as for run")
    cmp.add_argument("--config", default=None, metavar="FILE.yaml", help="as for run")
    cmp.add_argument("--device", default="auto", help="auto | cpu | cuda, when the claim runs (default: auto)")
    cmp.add_argument("--to", default=None, help="folder for compare.csv / .parquet / .png / .pdf (default: --out)")
    exp = sub.add_parser("export", help="tidy tables of stored results (one row per observable / point)")
    exp.add_argument("--out", action="append", default=None, metavar="DIR",
                     help=f"results folder(s), repeatable (default: {DEFAULT_OUT})")
    exp.add_argument("--to", default=None, help="a folder, or FILE.csv / FILE.parquet (default: first --out/export)")
    exp.add_argument("--format", default=None, help="csv | parquet (default: csv, or --to's extension)")
    return ap


def cmd_list() -> int:
    for cid in CLAIMS:
        m = claim_module(cid)
        print(f"{cid:28s} {m.CLAIM.title}  [{m.CLAIM.source}]")
    return 0


def _command(argv) -> int:
    """Parse `argv` and run its command; its exit code."""
    args = parser().parse_args(argv)
    if getattr(args, "config", None) is not None:
        from grokcheck.overrides import config_items
        try:
            args.set = config_items(args.config) + args.set
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.command == "list":
        return cmd_list()
    if args.command == "run":
        from grokcheck.cli_run import cmd_run
        return cmd_run(args)
    from grokcheck.cli_results import cmd_compare, cmd_export, cmd_report, cmd_show
    if args.command == "compare":
        return cmd_compare(args)
    if args.command == "show":
        return cmd_show(args)
    if args.command == "export":
        return cmd_export(args)
    return cmd_report(args)


def main(argv=None) -> int:
    from grokcheck.progress import pipe_safe_stdout
    from grokcheck.safeio import Terminated, terminate_on_sigterm
    try:
        with terminate_on_sigterm(), pipe_safe_stdout() as stdout:  # a closed or full stdout: `progress`
            code = _command(argv)
        return EXIT_ERROR if stdout.error is not None and code < EXIT_ERROR else code
    except UsageError as exc:
        from grokcheck.schema import single_line
        print(f"grokcheck: error: {single_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `grokcheck list | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file the command needed failed in a way no check caught: one line
        from grokcheck.schema import single_line
        print(f"grokcheck: error: {single_line(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
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
