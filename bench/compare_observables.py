"""Compare the observables of two result folders, claim by claim (behaviour-unchanged checks of a refactor).

    python bench/compare_observables.py BEFORE_DIR AFTER_DIR [--rtol R]

Reads every <claim>/result.json (grokcheck.schema.read_result) and prints, per claim, whether every
observable (name, value, bound, interval, outcome, role, setting) and the verdict are identical, and the
first differences otherwise. With --rtol R, numbers (value, lo, hi) may differ by up to R relative
(e.g. an engine change at round-off); every other field and the verdict must still be identical, and
the largest relative difference is printed. Exit 0 when all shared claims agree, 1 otherwise.
"""
from __future__ import annotations

import math
import sys

from pathlib import Path

from grokcheck.schema import read_result

FIELDS = ("name", "value", "bound", "comparison", "lo", "hi", "coverage", "outcome", "role", "setting", "kind")
NUMBERS = ("value", "lo", "hi")  # measured: may move by round-off under --rtol


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _rel(a, b) -> float:
    """Relative difference of two numbers (0 when equal, inf when not both numbers)."""
    if _same(a, b):
        return 0.0
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def largest_rel(before, after) -> float:
    """Largest relative difference of the measured numbers (value, lo, hi) over the observables."""
    return max((_rel(getattr(ob, f, None), getattr(oa, f, None))
                for ob, oa in zip(before.observables, after.observables) for f in NUMBERS), default=0.0)


def differences(before, after, rtol: float = 0.0) -> list[str]:
    out = []
    if before.verdict != after.verdict:
        out.append(f"verdict {before.verdict} -> {after.verdict}")
    if len(before.observables) != len(after.observables):
        out.append(f"{len(before.observables)} -> {len(after.observables)} observables")
    for ob, oa in zip(before.observables, after.observables):
        for f in FIELDS:
            va, vb = getattr(ob, f, None), getattr(oa, f, None)
            if not _same(va, vb) and not (f in NUMBERS and _rel(va, vb) <= rtol):
                out.append(f"{ob.name!r}: {f} {va!r} -> {vb!r}")
    return out


def main(argv) -> int:
    args = list(argv[1:])
    rtol = 0.0
    if "--rtol" in args:
        i = args.index("--rtol")
        rtol = float(args[i + 1])
        del args[i:i + 2]
    before, after = ({f.parent.name: read_result(f) for f in sorted(Path(d).glob("*/result.json"))}
                     for d in args[:2])
    bad = 0
    for cid in sorted(set(before) & set(after)):
        diff = differences(before[cid], after[cid], rtol)
        n = len(before[cid].observables)
        same = "identical" if not rtol else f"agree within rtol {rtol:g} (largest {largest_rel(before[cid], after[cid]):.1e})"
        print(f"{cid:32s} {same if not diff else 'DIFFERS'} ({n} observables, verdict {after[cid].verdict})")
        for line in diff[:5]:
            print("    " + line)
        bad += bool(diff)
    for cid in sorted(set(before) ^ set(after)):
        print(f"{cid:32s} only in {'before' if cid in before else 'after'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
