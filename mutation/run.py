"""The kept mutation check (issue 18): plant realistic one-line bugs one at a time in a temporary copy
of the working tree and run only the fast unit tests that should catch each one.

    python mutation/run.py              # every mutant of mutation/mutants.py; prints the score
    python mutation/run.py --only ridge-max-diagonal split-overlap
    python mutation/run.py --list

A mutant is *killed* when its tests fail, *survives* when they pass, and is *stale* when its original
text is no longer in the file (the code moved on: update the mutant). Before any mutant, the same tests
run on the unmutated copy and must pass, so a kill is the mutant's doing. Exit code: 0 when every
mutant is killed, 1 when one survives, 2 when one is stale or the baseline fails.
Cost: one pytest process per mutant (~5-15 s each on 2 cores), no verify/ runs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "mutation"))
from mutants import MUTANTS  # noqa: E402


def copy_tree(dst: Path) -> None:
    """The working tree's tracked and untracked-but-not-ignored files, copied to dst."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f)


def pytest(copy: Path, tests: list[str], timeout: float) -> tuple[bool, str]:
    """(passed, last output line) of `pytest -x` on `tests` inside the copy, importing the copy's code."""
    env = dict(os.environ, PYTHONPATH=str(copy), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow and not paper",
           *tests]
    try:
        out = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timeout after {timeout:.0f}s (counted as killed)"
    lines = [l for l in out.stdout.strip().splitlines() if l.strip()]
    return out.returncode == 0, (lines[-1] if lines else out.stderr.strip()[-200:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="mutant ids to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per pytest run")
    args = ap.parse_args(argv)
    ids = [m["id"] for m in MUTANTS]
    if len(set(ids)) != len(ids):
        raise SystemExit("mutation/mutants.py: duplicate mutant ids")
    chosen = [m for m in MUTANTS if not args.only or m["id"] in args.only]
    if args.only and len(chosen) != len(args.only):
        raise SystemExit(f"unknown mutant ids: {sorted(set(args.only) - set(ids))}")
    if args.list:
        for m in chosen:
            print(f"{m['id']:32s} {m['file']:42s} {m['why']}")
        return 0
    with tempfile.TemporaryDirectory(prefix="grokcheck-mutants-") as tmp:
        copy = Path(tmp)
        copy_tree(copy)
        probe = subprocess.run([sys.executable, "-c", "import grokcheck; print(grokcheck.__file__)"], cwd=copy,
                               env=dict(os.environ, PYTHONPATH=str(copy)), capture_output=True, text=True)
        if not probe.stdout.strip().startswith(str(copy)):
            print(f"the copy's grokcheck is not the one imported ({probe.stdout.strip()}): aborting")
            return 2
        missing = sorted({t for m in chosen for t in m["tests"] if not (copy / t).is_file()})
        if missing:
            print(f"test files that do not exist (their mutants can only survive): {missing}")
        baseline_tests = sorted({t for m in chosen for t in m["tests"]} - set(missing))
        ok, line = pytest(copy, baseline_tests, args.timeout)
        print(f"baseline ({len(baseline_tests)} test files, unmutated): {'pass' if ok else 'FAIL'}: {line}", flush=True)
        if not ok:
            return 2
        killed, survived, stale = [], [], []
        for m in chosen:
            path = copy / m["file"]
            text = path.read_text()
            if text.count(m["old"]) != 1:
                stale.append(m["id"])
                print(f"STALE    {m['id']}: original text found {text.count(m['old'])} times in {m['file']}", flush=True)
                continue
            tests = [t for t in m["tests"] if t not in missing]
            path.write_text(text.replace(m["old"], m["new"]))
            t0 = time.perf_counter()
            try:
                passed, line = pytest(copy, tests, args.timeout) if tests else (True, "no test file exists")
            finally:
                path.write_text(text)
            status = "SURVIVED" if passed else "killed"
            (survived if passed else killed).append(m["id"])
            print(f"{status:8s} {m['id']} ({time.perf_counter() - t0:.0f}s): {line}", flush=True)
    n = len(killed) + len(survived)
    score = len(killed) / n if n else float("nan")
    print(f"\nmutation score: {len(killed)}/{n} killed ({100 * score:.0f}%); "
          f"survivors: {survived or 'none'}; stale: {stale or 'none'}")
    return 2 if stale else (1 if survived else 0)


if __name__ == "__main__":
    sys.exit(main())
