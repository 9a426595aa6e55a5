"""bench/readme_table.py: README's verdict rows from stored results; a missing or damaged result is a
row that says so, never a row with numbers."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import readme_table  # noqa: E402

from grokcheck.core import Observable, Result  # noqa: E402
from grokcheck.store import ResultStore  # noqa: E402


def _result(claim: str, value: float) -> Result:
    obs = [Observable("t_exit / t_fit", value, 1.0, ">=", lo=value / 2, hi=value * 2, coverage=0.75,
                      method="median", setting="paper"),
           Observable("control", 0.0, 0.5, "<", role="control", setting="paper")]
    return Result(claim, "T", "S", "src", "default", {"seeds": 3}, "h0", 0, obs, wall_time_s=12.4)


def _store(tmp_path, claim, value):
    key = {"claim": claim, "scale": "default", "config_hash": "h0", "seed": 0, "device": "cpu", "code_version": "t"}
    ResultStore(tmp_path).save(_result(claim, value), key)


def test_a_refuting_key_observable_is_the_row(tmp_path):
    _store(tmp_path, "kernel-exit", 0.04)
    rows, wall, counts = readme_table.rows(tmp_path)
    row = next(r for r in rows if r.startswith("| kernel-exit "))
    assert row == ("| kernel-exit | refuted | - | t_exit / t_fit: 0.04 [0.02, 0.08] 75% >= 1 (fails, paper) | 3 | 12 |")
    assert wall == 12.4 and counts == {"refuted": 1}
    assert sum(r.endswith("result.json | | |") for r in rows) == len(rows) - 1  # every other claim: not run


def test_a_damaged_result_is_named_not_read(tmp_path):
    _store(tmp_path, "kernel-exit", 3.0)
    path = tmp_path / "kernel-exit" / "result.json"
    path.write_text(path.read_text().replace("3.0", "9.0", 1))
    rows, wall, _ = readme_table.rows(tmp_path)
    row = next(r for r in rows if r.startswith("| kernel-exit "))
    assert "no result" in row and "checksum mismatch" in row and wall == 0


def test_a_missing_folder_is_exit_2(tmp_path, capsys):
    assert readme_table.main([str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
