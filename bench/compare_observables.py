"""Compare the observables of two result folders, claim by claim (behaviour-unchanged checks of a refactor).

    python bench/compare_observables.py BEFORE_DIR AFTER_DIR

Reads every <claim>/result.json (grokcheck.schema.read_result) and prints, per claim, whether every
observable (name, value, bound, interval, outcome, role, setting) and the verdict are identical, and the
first differences otherwise. Exit 0 when all shared claims are identical, 1 otherwise.
"""
from __future__ import annotations

import math
import sys

from pathlib import Path

from grokcheck.schema import read_result

FIELDS = ("name", "value", "bound", "comparison", "lo", "hi", "coverage", "outcome", "role", "setting", "kind")


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def differences(before, after) -> list[str]:
    out = []
    if before.verdict != after.verdict:
        out.append(f"verdict {before.verdict} -> {after.verdict}")
    if len(before.observables) != len(after.observables):
        out.append(f"{len(before.observables)} -> {len(after.observables)} observables")
    for ob, oa in zip(before.observables, after.observables):
        for f in FIELDS:
            va, vb = getattr(ob, f, None), getattr(oa, f, None)
            if not _same(va, vb):
                out.append(f"{ob.name!r}: {f} {va!r} -> {vb!r}")
    return out


def main(argv) -> int:
    before, after = ({f.parent.name: read_result(f) for f in sorted(Path(d).glob("*/result.json"))}
                     for d in argv[1:3])
    bad = 0
    for cid in sorted(set(before) & set(after)):
        diff = differences(before[cid], after[cid])
        n = len(before[cid].observables)
        print(f"{cid:32s} {'identical' if not diff else 'DIFFERS'} ({n} observables, verdict {after[cid].verdict})")
        for line in diff[:5]:
            print("    " + line)
        bad += bool(diff)
    for cid in sorted(set(before) ^ set(after)):
        print(f"{cid:32s} only in {'before' if cid in before else 'after'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
