"""README's verdict table from one result folder (`grokcheck run --out DIR`), as Markdown rows.

    python bench/readme_table.py DIR

One row per claim in the registry's order: the claim's verdict (its paper settings), the verdict of
our settings, the observable that decides it (`Result.key_observable`: name, value, interval with
its true coverage, comparison, bound, outcome, setting), seeds (or instances) from the config, wall
seconds. A claim without a readable result.json gets a row saying so. Last line: the claims' summed
wall time and their verdict counts.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from grokcheck import registry
from grokcheck.schema import ResultFileError, read_result

HEADER = ("| claim | paper's setting | beyond the paper | decisive observable [interval] coverage | seeds | s |\n"
          "|---|---|---|---|---|---|")


def num(x) -> str:
    return "none" if x is None else f"{x:.3g}"


def key_text(o) -> str:
    """'name: value [lo, hi] 75% >= bound (outcome, setting)' of one Observable ('-' for None)."""
    if o is None:
        return "-"
    interval = "" if o.lo is None else f" [{num(o.lo)}, {num(o.hi)}]" + (
        f" {o.coverage:.0%}" if o.coverage is not None else " coverage unknown")
    return f"{o.name}: {num(o.value)}{interval} {o.comparison} {o.bound:g} ({o.outcome}, {o.setting})"


def seeds_text(config: dict) -> str:
    for field in ("seeds", "n_seeds", "instances"):
        if field in config:
            return str(config[field]).replace("|", "/")
    return ""


def rows(folder: Path) -> tuple[list[str], float, Counter]:
    """(Markdown rows, summed wall seconds, Counter of paper verdicts) of the results under `folder`."""
    out, wall, counts = [], 0.0, Counter()
    for cid in registry.CLAIMS:
        path = folder / cid / "result.json"
        if not path.exists():
            out.append(f"| {cid} | not run | - | no {cid}/result.json | | |")
            continue
        try:
            r = read_result(path)
        except ResultFileError as exc:
            out.append(f"| {cid} | no result | - | {str(exc).replace('|', '/')} | | |")
            continue
        wall += r.wall_time_s
        counts[r.verdict_label()] += 1
        key = key_text(r.key_observable()).replace("|", "/")
        out.append(f"| {cid} | {r.verdict_label()} | {r.beyond_label()} | {key} | {seeds_text(r.config)} | "
                   f"{r.wall_time_s:.0f} |")
    return out, wall, counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        print(f"readme_table: {args.folder}: not a folder", file=sys.stderr)
        return 2
    table, wall, counts = rows(args.folder)
    print(HEADER)
    print("\n".join(table))
    print(f"\nclaims' wall time summed: {wall / 60:.1f} min; paper verdicts: "
          + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
