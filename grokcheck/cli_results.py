"""The commands that read stored results: `show` (a claim's resolved config per scale), `export`
(tidy tables, `grokcheck.export`), `report` (every PDF and summary.pdf rebuilt from result.json) and
`compare` (kernels vs networks from the sample-complexity result, `grokcheck.compare`);
`render` and `write_summary_safely` are shared with `grokcheck run` (`grokcheck.cli_run`)."""
from __future__ import annotations

import sys
from pathlib import Path

from grokcheck import registry
from grokcheck.cli_common import (
    DEFAULT_OUT,
    UsageError,
    exit_code,
    resolve_device,
    writable_dir,
)
from grokcheck.export import export
from grokcheck.overrides import describe, parse_assignments, resolve_config, to_yaml
from grokcheck.registry import claim_module


def render(result, out: Path) -> None:
    from grokcheck.reports.render import write_claim_report
    module = claim_module(result.claim)
    write_claim_report(result, module.figures(result), out / result.claim / "report.pdf")


def render_summary(results, out: Path, errors=()) -> None:
    """summary.pdf: the verdict table, then the first figure page (kernels vs networks and the phase
    diagram, `grokcheck.reports.overview`, when those results exist), then the claims' summary
    figures (sample-complexity's own n* plot is left out when the first page holds its comparison)."""
    from grokcheck.reports.overview import COMPARE_CLAIM, overview_figure
    from grokcheck.reports.render import write_summary
    extra = []
    try:
        first = overview_figure(results)
    except Exception as exc:  # noqa: BLE001 (the overview never costs the summary)
        from grokcheck.reports.collect import one_line
        print(f"grokcheck: error: summary overview page skipped ({one_line(exc)})", file=sys.stderr)
        first = None
    if first is not None:
        extra.append(first)
    for r in results:
        if first is not None and r.claim == COMPARE_CLAIM:
            continue
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


def cmd_show(args) -> int:
    if args.claim not in registry.CLAIMS:
        raise UsageError(f"unknown claim {args.claim!r}; run `grokcheck list` to see the claims")
    m = claim_module(args.claim)
    if getattr(args, "yaml", False):
        return _show_yaml(args)
    try:
        assignments = parse_assignments(args.set)
        rows = {scale: describe(resolve_config(args.claim, scale, None, assignments)) for scale in registry.SCALES}
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    print(f"{args.claim}: {m.CLAIM.title}  [{m.CLAIM.source}]")
    table = [("field", "type", *registry.SCALES)] + [(name, kind[:10], *(str(rows[s][i][2]) for s in registry.SCALES))
                                              for i, (name, kind, _) in enumerate(rows[registry.SCALES[0]])]
    widths = [max(len(r[j]) for r in table) for j in range(len(table[0]))]
    for r in table:
        print(" ".join(f"{v:{w}s}" for v, w in zip(r, widths)).rstrip())
    return 0


def _show_yaml(args) -> int:
    """`show CLAIM --yaml`: the resolved config of one scale as YAML that `--config` reads back."""
    if args.scale not in registry.SCALES:
        raise UsageError(f"unknown scale {args.scale!r}; expected one of {', '.join(registry.SCALES)}")
    try:
        config = resolve_config(args.claim, args.scale, None, parse_assignments(args.set))
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    sys.stdout.write(to_yaml(config, f"grokcheck show {args.claim} --scale {args.scale}: "
                                     f"edit, then grokcheck run {args.claim} --scale {args.scale} --config FILE"))
    return 0


def cmd_export(args) -> int:
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
    stored = collect(out, registry.CLAIMS)
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
    if getattr(args, "html", False):
        from grokcheck.reports.html import write_index
        try:
            print(f"html: {write_index(stored.results, out, stored.errors, log=lambda m: print(f'grokcheck: error: {m}', file=sys.stderr))}")
        except Exception as exc:  # noqa: BLE001 (the PDFs are already written)
            print(f"grokcheck: error: index.html not written ({one_line(exc)})", file=sys.stderr)
            verdicts.append("error")
    return exit_code(verdicts)


def cmd_compare(args) -> int:
    """`grokcheck compare`: the sample-complexity table (`grokcheck.compare`) printed, written as CSV
    (+ Parquet with pyarrow) and drawn as compare.png / compare.pdf under --to (default --out)."""
    from grokcheck import compare as cmp_mod
    out = writable_dir(args.out)
    to = writable_dir(args.to) if args.to is not None else out
    try:
        ps = _int_list(args.ps, "--ps") if args.ps is not None else None
        assignments = cmp_mod.with_ps(parse_assignments(args.set), ps, args.task)
        cmp_mod.check_targets(args.criterion, args.acc, args.l2, args.task)
        device = resolve_device(args.device)
        result = cmp_mod.find_or_run(out, args.scale, assignments, args.seed, device,
                                     log=lambda msg: print(msg, file=sys.stderr, flush=True), task=args.task)
        table = cmp_mod.comparison(result, args.criterion, args.acc, args.l2, args.task)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    print(f"{cmp_mod.CLAIM_ID} (scale {result.scale}, seed {result.seed}, config {result.config_hash}, "
          f"commit {str(result.environment.get('git_commit', 'unknown'))[:12]}); criterion {args.criterion}")
    print(cmp_mod.table_text(table))
    paths = cmp_mod.write_tables(table, to) + cmp_mod.write_figures(table, to)
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None
    if not values:
        raise UsageError(f"{what} must name at least one modulus")
    return values
