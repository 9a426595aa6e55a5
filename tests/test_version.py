"""`grokcheck --version` and the code version recorded in result.json: commit and dirty flag."""
import re
import subprocess

import pytest

from grokcheck import __version__, version
from grokcheck.cli import main


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_version_prints_version_and_commit(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(rf"grokcheck {re.escape(__version__)} \(commit [0-9a-f]{{12}}(, dirty)?\)", out), out
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=version._ROOT, capture_output=True, text=True).stdout
    assert head.startswith(out.split("commit ")[1][:12])


def test_dirty_flag_follows_tracked_files(tmp_path, monkeypatch):
    monkeypatch.setattr(version, "_ROOT", tmp_path)
    assert version.version_info()["commit"] == "unknown" and version.git_dirty() is None  # not a checkout
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    _git(tmp_path, "add", "a.py")
    _git(tmp_path, "commit", "-q", "-m", "a")
    assert version.git_dirty() is False and re.fullmatch(r"[0-9a-f]{40}", version.git_commit())
    (tmp_path / "new.py").write_text("untracked\n")
    assert version.git_dirty() is False  # untracked files are no part of the commit's code
    (tmp_path / "a.py").write_text("x = 2\n")
    assert version.git_dirty() is True
    assert version.version_line().endswith(", dirty)")


@pytest.mark.parametrize("dirty,tail", [(True, ", dirty)"), (False, ")"), (None, ", dirty: unknown)")])
def test_version_line_states_the_flag(dirty, tail):
    line = version.version_line({"version": "9.9", "commit": "a" * 40, "dirty": dirty})
    assert line == f"grokcheck 9.9 (commit {'a' * 12}{tail}"


def test_result_json_records_the_dirty_flag_and_the_schema_checks_it(tmp_path):
    import grokcheck
    from grokcheck.schema import SchemaError, loads_strict, result_bytes, validate_result_dict
    result = grokcheck.run("construction", scale="ci")
    env = result.environment
    assert env["git_commit"] == version.git_commit() and env["git_dirty"] == version.git_dirty()
    d = loads_strict(result_bytes(result).decode())
    validate_result_dict(d)
    assert d["environment"]["git_dirty"] in (True, False)
    d["environment"]["git_dirty"] = "yes"
    with pytest.raises(SchemaError, match="git_dirty"):
        validate_result_dict(d)
