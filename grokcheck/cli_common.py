"""What every command of the command line shares: the exit codes, the default results folder, the
usage error and the argument checks (seed, device, --out, claim ids). The commands
(`grokcheck.cli_run`, `grokcheck.cli_results`) and the parser (`grokcheck.cli`) import it; it
imports none of them.

Exit codes (`EXIT_*`): 0 every claim verified; 1 some claim refuted or inconclusive; 2 usage error;
3 some claim crashed or its files could not be written; 130 interrupted; 143 terminated.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grokcheck import registry

DEFAULT_OUT = Path("reports/out")
EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit code 2."""


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


def exit_code(verdicts) -> int:
    """0 all verified, 3 any `error`, else 1 (module docstring)."""
    verdicts = list(verdicts)
    if any(v == "error" for v in verdicts):
        return EXIT_ERROR
    return EXIT_VERIFIED if verdicts and all(v == "verified" for v in verdicts) else EXIT_NOT_VERIFIED


def unique_claims(claims) -> list[str]:
    """Claim ids in order, each once (a repeated id is noted on stderr and run once)."""
    seen = list(dict.fromkeys(claims))
    for c in seen:
        if c not in registry.CLAIMS:  # read at call time (tests add fake claims)
            raise UsageError(f"unknown claim {c!r}; run `grokcheck list` to see the claims")
        if claims.count(c) > 1:
            print(f"grokcheck: note: claim {c!r} given {claims.count(c)} times; running it once",
                  file=sys.stderr)
    return seen
