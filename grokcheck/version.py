"""The code version a result was computed with: the package version, the git commit of the source
tree and whether that tree had uncommitted changes to tracked files (`dirty`).

`grokcheck --version` prints it and every result.json records it in `environment` (`git_commit`,
`git_dirty`), so a number can be traced to the exact code that produced it: a dirty tree means the
commit alone does not reproduce it. Outside a git checkout (an installed wheel) the commit is
"unknown" and the dirty flag None.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

__version__ = "0.2.0"  # keep equal to pyproject.toml [project] version

_ROOT = Path(__file__).resolve().parent


def _git(*args: str) -> str | None:
    """stdout of `git ARGS` run in the package folder, or None when git or the checkout is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str:
    """The full commit hash of HEAD, or "unknown"."""
    out = _git("rev-parse", "HEAD")
    return out.strip() if out and out.strip() else "unknown"


def git_dirty() -> bool | None:
    """True when a tracked file differs from HEAD (staged or not), False when clean, None outside a
    checkout. Untracked files are ignored: they are not part of any commit's code."""
    out = _git("status", "--porcelain", "--untracked-files=no")
    return None if out is None else bool(out.strip())


def version_info() -> dict:
    """{"version": package version, "commit": hash or "unknown", "dirty": bool or None}."""
    return {"version": __version__, "commit": git_commit(), "dirty": git_dirty()}


def version_line(info: dict | None = None) -> str:
    """`grokcheck 0.2.0 (commit 744d8249a3cf, dirty)` as printed by `grokcheck --version`."""
    info = info or version_info()
    state = {True: ", dirty", False: "", None: ", dirty: unknown"}[info["dirty"]]
    commit = info["commit"][:12] if info["commit"] != "unknown" else "unknown"
    return f"grokcheck {info['version']} (commit {commit}{state})"
