"""CLI behaviour: exit codes, one-line usage errors, atomic results, corrupt files."""
import json

import pytest

from grokcheck.cli import main
from grokcheck.core import Observable, Result, read_result, ResultFileError


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [
    ("run", "no-such-claim"), ("run", "construction", "--scale", "huge"),
    ("run", "construction", "--device", "tpu"), ("frobnicate",), ("run", "--seed", "x"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_run_construction_writes_verified_result_and_pdfs(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(tmp_path))
    assert code == 0 and "verified" in out
    r = read_result(tmp_path / "construction" / "result.json")
    assert r.verdict == "verified" and r.environment["torch"] and r.config_hash
    for pdf in (tmp_path / "construction" / "report.pdf", tmp_path / "summary.pdf"):
        assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.rglob("*.tmp"))


def test_report_skips_corrupt_result(tmp_path, capsys):
    run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(tmp_path))
    bad = tmp_path / "construction" / "result.json"
    bad.write_text("{not json")
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path))
    assert code == 2 and str(bad) in err


def test_unwritable_out_is_usage_error(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    code, _, err = run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(f / "sub"))
    assert code == 2 and "--out" in err


def test_read_result_names_file(tmp_path):
    p = tmp_path / "result.json"
    p.write_text(json.dumps({"claim": "x"}))
    with pytest.raises(ResultFileError, match=str(p)):
        read_result(p)


def test_verdict_rule():
    ok = Observable("a", 1.0, 2.0, "<=")
    bad = Observable("b", 3.0, 2.0, "<=")
    ctrl = Observable("c", 5.0, 2.0, ">", role="control")
    ctrl_bad = Observable("c", 1.0, 2.0, ">", role="control")
    mk = lambda obs: Result("x", "", "", "", "ci", {}, "", 0, obs).verdict
    assert mk([ok, ctrl]) == "verified"
    assert mk([ok, bad, ctrl]) == "refuted"
    assert mk([ok, ctrl_bad]) == "inconclusive"
    assert mk([ok]) == "inconclusive"  # no negative control
    assert Observable("n", None, 1.0, "<=").passed is False


def test_key_observable_is_the_one_that_decides():
    ok = Observable("a", 1.0, 2.0, "<=")
    bad = Observable("b", 3.0, 2.0, "<=")
    ctrl_bad = Observable("c", 1.0, 2.0, ">", role="control")
    mk = lambda obs: Result("x", "", "", "", "ci", {}, "", 0, obs).key_observable()
    assert mk([ok, bad, ctrl_bad]).name == "b"  # refuted: the failing claim
    assert mk([ok, ctrl_bad]).name == "c"       # inconclusive: the failing control
    assert mk([ok, Observable("d", 0.0, 1.0, "<")]).name == "a"  # verified: the first claim
    assert mk([Observable("o", 0.0, 1.0, "<", role="observation")]) is None
