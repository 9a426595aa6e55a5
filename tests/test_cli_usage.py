"""One-line usage errors: whatever the argv, a usage error is exactly one printable line
on stderr with exit code 2; control characters in the offending argument are escaped
(`core.single_line`), so `grokcheck report $'\\r0'` cannot print two lines or overwrite its own."""
import pytest

from grokcheck.cli import EXIT_USAGE, main


@pytest.mark.parametrize("argv", [
    ["report", "\r0"],                       # unrecognized argument with a carriage return
    ["report", "a\nb"],                      # ... with a newline
    ["run", "no-such-claim\r\n", "--out", "x"],
    ["show", "bad\tclaim\x1b[2J"],           # a tab and an escape sequence
    ["nope\r"],                              # unknown command
], ids=["cr", "newline", "claim-crlf", "show-escape", "command-cr"])
def test_usage_error_is_one_printable_line(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1 and err.startswith("grokcheck: error: "), repr(err)
    assert err[:-1].isprintable(), repr(err)


@pytest.mark.parametrize("claim,assignment,message", [
    ("rich-generalization", "seed=-1", "seed must be in"),
    ("sample-complexity", "ps=()", "ps must not be empty"),
    ("sample-complexity", "ps=1", "p must be >= 2"),
    ("transformer-grokking", "fractions=0", "fraction must be in (0, 1]"),
    ("kernel-exit", "alphas=-1", "alphas must include 1.0"),
    ("transformer-kernel-exit", "ps=1", "p must be >= 2"),
    ("sample-complexity", "bisect_points=0", "bisect_points must be >= 1"),
    ("l2-not-a-proxy", "batch_size=0", "batch_size must be >= 1"),
])
def test_out_of_range_overrides_are_refused_before_any_work(capsys, tmp_path, claim, assignment, message):
    """A --set that the claim's range checks refuse is a usage error (exit 2, one line, no error.log)."""
    code = main(["run", claim, "--scale", "ci", "--set", assignment, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_USAGE and message in err and "\n" not in err, err
    assert not (tmp_path / claim / "error.log").exists()


def test_an_optional_part_can_be_emptied_where_a_scale_runs_it_empty():
    """sample-complexity runs no regression at ci and default (reg_ps = ()), so paper scale may switch it off;
    ps, never empty at any scale, stays refused (above)."""
    from grokcheck.overrides import parse_assignments, resolve_config
    c = resolve_config("sample-complexity", "paper", None, parse_assignments(["reg_ps=()", "ps=23,31"]))
    assert c.reg_ps == () and c.ps == (23, 31)
    with pytest.raises(ValueError, match="ps must not be empty"):
        resolve_config("sample-complexity", "paper", None, parse_assignments(["ps=()"]))
