"""The Python API (`grokcheck.run`, `Result.to_frame`, `grokcheck.load_results`) and the quickstart."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import grokcheck
from grokcheck import api

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    results = [grokcheck.run("construction", scale="ci", seed=s, out=root / f"seed{s}") for s in (0, 1)]
    return root, results


def test_run_stores_and_reuses_the_result(two_runs, monkeypatch):
    root, (r0, _) = two_runs
    assert (root / "seed0" / "construction" / "result.json").is_file()
    assert (root / "seed0" / "construction" / "report.pdf").is_file()
    monkeypatch.setattr("grokcheck.executors.execute", lambda *a, **k: pytest.fail("recomputed a stored result"))
    again = grokcheck.run("construction", scale="ci", seed=0, out=root / "seed0")
    assert again.to_dict()["observables"] == r0.to_dict()["observables"]


def test_to_frame_has_one_row_per_observable(two_runs):
    _, (r0, _) = two_runs
    frame = r0.to_frame()
    assert list(frame["name"]) == [o.name for o in r0.observables]
    assert list(frame["value"]) == [o.value for o in r0.observables]
    assert set(frame["verdict"]) == {r0.verdict} and set(frame["seed"]) == {0}


def test_load_results_reads_every_folder_and_skips_a_bad_file(two_runs, capsys):
    root, results = two_runs
    (root / "broken" / "construction").mkdir(parents=True, exist_ok=True)
    (root / "broken" / "construction" / "result.json").write_text("{not json")
    frame = grokcheck.load_results(root)
    assert len(frame) == sum(len(r.observables) for r in results)
    assert sorted(set(frame["seed"])) == [0, 1]
    assert {Path(p).name for p in frame["results"]} == {"seed0", "seed1"}
    assert "skipping" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not a folder"):
        grokcheck.load_results(root / "nowhere")


@pytest.mark.parametrize("kwargs,msg", [
    ({"claim": "no-such-claim"}, "unknown claim"),
    ({"claim": "construction", "scale": "huge"}, "unknown scale"),
    ({"claim": "construction", "overrides": {"nope": 1}}, "unknown field"),
    ({"claim": "construction", "overrides": {"ps": "x,y"}}, "ps"),
    ({"claim": "construction", "overrides": 3}, "overrides must be"),
])
def test_bad_input_is_a_one_line_value_error(kwargs, msg):
    with pytest.raises(ValueError, match=msg) as exc:
        grokcheck.run(**kwargs)
    assert "\n" not in str(exc.value)


def test_override_items_follow_the_set_syntax():
    assert api.override_items({"steps": 300, "ps": [23, 31], "flag": True, "opt": None}) == \
        ["steps=300", "ps=(23, 31)", "flag=true", "opt=none"]
    assert api.override_items(["a=1"]) == ["a=1"]


def test_quickstart_script_runs(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "construction: verified" in out.stdout
    assert sorted(p.name for p in tmp_path.glob("*.png"))[:1] == ["construction_1.png"]


def test_quickstart_notebook_is_the_script_as_cells():
    nb = json.loads((ROOT / "examples" / "quickstart.ipynb").read_text())
    assert nb["nbformat"] == 4
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    for src in code:
        ast.parse("\n".join(line for line in src.splitlines() if not line.startswith("%")))
    joined = "\n".join(code)
    for call in ("empirical_ntk(", "kernel_regression(", "grokcheck.run(", ".to_frame()", ".figures("):
        assert call in joined
