"""`grokcheck compare`: the kernels-vs-networks table equals the stored sample-complexity Result."""
import copy
import csv
import math

import numpy as np
import pytest

import grokcheck
from grokcheck import compare
from grokcheck.cli import EXIT_USAGE, main
from grokcheck.schema import read_result

# a small sample-complexity run (two moduli so exponents exist; seconds on a CPU)
SETS = {"ps": (7, 11), "steps": 100, "seeds": 2}
ARGS = ["--scale", "ci", "--ps", "7,11", "--set", "steps=100", "--set", "seeds=2"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("sc")
    result = grokcheck.run("sample-complexity", scale="ci", overrides=SETS, out=out)
    return out, result


def _col(rows, method, p, key="n_star"):
    return [r[key] for r in rows if r["method"] == method and r["p"] == p]


def test_rows_equal_the_stored_n_star_and_exponents(stored):
    out, _ = stored
    result = read_result(out / "sample-complexity" / "result.json")
    cmp = compare.comparison(result)
    s = result.series
    assert {r["p"] for r in cmp.rows} == set(s["ps"]) == {7, 11}
    for j, p in enumerate(s["ps"]):
        assert _col(cmp.rows, compare.METHODS["network"], p) == s["networks"][j]["n_star"]
        for kind, curves in s["kernels"].items():
            assert _col(cmp.rows, compare.METHODS[kind], p) == curves[j]["n_star"]
        assert _col(cmp.rows, compare.METHODS["network"], p, "seed") == [0, 1]
    for r in cmp.rows:  # n* lies in its bracket (censored: at its conservative value)
        if r["censored"] == "none":
            assert r["lo"] <= r["n_star"] <= r["hi"]
    exps = {e["method"]: e for e in cmp.exponents}
    for kind, (k, (lo, hi)) in s["exponents"].items():
        e = exps[compare.METHODS[kind]]
        assert (e["k"], e["k_lo"], e["k_hi"]) == pytest.approx((k, lo, hi), rel=1e-12)
        assert e["source"].startswith("stored, median of 2 per-seed slopes")


def test_the_papers_network_rows_equal_its_stored_n_star_and_exponents(stored):
    """The paper's network (NGD, h = 4p) and its memorizer are judged by the networks' rule (accuracy
    AND l2); read by the kernels' l2-only rule their n* would differ from the stored ones."""
    out, _ = stored
    result = read_result(out / "sample-complexity" / "result.json")
    paper = result.series["paper_network"]
    cmp = compare.comparison(result)
    for j, p in enumerate(result.series["ps"]):
        assert _col(cmp.rows, compare.METHODS["paper_network"], p) == paper["networks"][j]["n_star"]
        assert _col(cmp.rows, compare.METHODS["paper_memorizer"], p) == paper["memorizers"][j]["n_star"]
    exps = {e["method"]: e for e in cmp.exponents}
    for kind in ("network", "memorizer"):
        k, (lo, hi) = paper["exponents"][kind]
        e = exps[compare.METHODS[f"paper_{kind}"]]
        assert (e["k"], e["k_lo"], e["k_hi"]) == pytest.approx((k, lo, hi), rel=1e-12)
        assert e["source"].startswith("stored")
    edited = copy.deepcopy(result)
    edited.series["paper_network"]["exponents"]["network"][0] += 0.5
    with pytest.raises(ValueError, match="differs from the stored"):
        compare.comparison(edited)


def test_an_edited_result_is_caught(stored):
    out, _ = stored
    result = read_result(out / "sample-complexity" / "result.json")
    result.series["exponents"]["network"][0] += 0.5  # the stored exponent no longer fits its n*
    with pytest.raises(ValueError, match="differs from the stored"):
        compare.comparison(result)
    result = read_result(out / "sample-complexity" / "result.json")
    net = result.series["networks"][0]
    net["acc"] = np.zeros_like(net["acc"]).tolist()  # no run reaches the target
    got = [r for r in compare.rows_from_result(result) if r["method"] == compare.METHODS["network"] and r["p"] == 7]
    assert all(r["censored"] == "right" and r["n_star"] == 49.0 and r["hi"] == 49.0 for r in got)
    net["acc"], net["l2"] = np.ones_like(net["acc"]).tolist(), np.zeros_like(net["l2"]).tolist()  # every run passes
    got = [r for r in compare.rows_from_result(result) if r["method"] == compare.METHODS["network"] and r["p"] == 7]
    assert all(r["censored"] == "left" and r["n_star"] == net["ns"][0] for r in got)
    assert [r["n_star"] for r in got] != net["n_star"]  # the stored n* came from other curves


def test_other_criteria_change_the_table_and_recompute_intervals(stored):
    _, result = stored
    loose = compare.comparison(result, criterion="acc", acc=0.5)
    strict = compare.comparison(result, criterion="acc", acc=0.99)
    for a, b in zip(loose.rows, strict.rows):
        assert a["n_star"] <= b["n_star"] + 1e-9
    assert all(e["source"].startswith("median of 2 per-seed slopes") for e in loose.exponents)


def test_censoring_and_brackets():
    rows = compare._method_rows(7, "network", [10, 20, 40], [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 0.0, 1.0]],
                                [[0.0] * 3] * 3, "claim", 0.95, 0.5, lambda n: 49.0)
    assert [r["censored"] for r in rows] == ["left", "right", "none"]
    assert (rows[0]["lo"], rows[0]["hi"], rows[0]["n_star"]) == (0.0, 10.0, 10.0)
    assert (rows[1]["lo"], rows[1]["hi"], rows[1]["n_star"]) == (40.0, 49.0, 49.0)
    assert (rows[2]["lo"], rows[2]["hi"]) == (10.0, 20.0) and 10 <= rows[2]["n_star"] <= 20


def test_cli_prints_and_writes_from_the_stored_result(stored, capsys, tmp_path):
    out, _ = stored
    assert main(["compare", "--out", str(out), "--to", str(tmp_path), *ARGS]) == 0
    got = capsys.readouterr()
    assert "running it" not in got.err  # the stored result was used, nothing ran
    assert "network (AdamW, h=8p)" in got.out and "k_lo" in got.out
    for name in ("compare.csv", "compare_exponents.csv", "compare.png", "compare.pdf"):
        assert (tmp_path / name).stat().st_size > 0
    with open(tmp_path / "compare.csv") as f:
        table = list(csv.DictReader(f))
    ref = compare.comparison(read_result(out / "sample-complexity" / "result.json")).rows
    assert len(table) == len(ref)
    for a, b in zip(table, ref):
        assert (int(a["p"]), a["method"], int(a["seed"]), a["censored"]) == (b["p"], b["method"], b["seed"], b["censored"])
        assert math.isclose(float(a["n_star"]), b["n_star"], rel_tol=1e-15)


@pytest.mark.parametrize("extra,msg", [
    (["--criterion", "best"], "unknown criterion"),
    (["--acc", "1.5"], "accuracy target"),
    (["--ps", "7,x"], "comma-separated integers"),
    (["--task", "regression"], "regression side runs only"),
    (["--set", "nope=1"], "unknown field"),
    (["--scale", "huge"], "unknown scale"),
])
def test_bad_input_is_one_line_exit_2(stored, capsys, tmp_path, extra, msg):
    out, _ = stored
    base = [a for a in ARGS if a not in ("--ps", "7,11")] if "--task" in extra else ARGS  # reg_ps stays empty
    args = ["compare", "--out", str(out), "--to", str(tmp_path), *base, *extra]
    assert main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and msg in err, err


def test_compare_refuses_another_claims_result(stored):
    result = copy.deepcopy(stored[1])
    result.claim = "kernel-exit"
    with pytest.raises(ValueError, match="compare reads"):
        compare.comparison(result)


def test_a_missing_or_other_config_runs_the_claim(stored, monkeypatch, tmp_path):
    out, result = stored
    calls = []

    def fake_run(claim, scale, overrides, where, **kw):
        calls.append((claim, scale, list(overrides), str(where)))
        return result
    monkeypatch.setattr("grokcheck.api.run", fake_run)
    sets = [(k, ",".join(map(str, v)) if isinstance(v, tuple) else str(v)) for k, v in SETS.items()]
    assert compare.find_or_run(out, "ci", sets, log=lambda m: None) is not result  # stored, read back
    assert calls == []
    compare.find_or_run(tmp_path, "ci", sets, log=lambda m: None)  # nothing stored there
    assert calls[-1][:2] == ("sample-complexity", "ci") and "steps=100" in calls[-1][2]
    compare.find_or_run(out, "ci", compare.with_ps(sets, [7, 13], "classification"), log=lambda m: None)
    assert len(calls) == 2 and "ps=7,13" in calls[-1][2]  # another p list: runs


def test_regression_rows_equal_the_claims_regression_n_star(stored):
    from types import SimpleNamespace

    from grokcheck.claims.mohamadi._sc_regression import regression_observables
    result = copy.deepcopy(stored[1])
    groups = [{"p": 5, "ns": [25, 50, 100], "l2": [[0.9, 0.8], [0.4, 0.7], [0.1, 0.6]]},
              {"p": 7, "ns": [49, 98, 196], "l2": [[0.3, 0.9], [0.2, 0.6], [0.1, 0.2]]}]
    _, series, _ = regression_observables(groups, SimpleNamespace(bootstrap=20, reg_steps=100),
                                          np.random.default_rng(0))
    result.series = dict(result.series, regression=series)
    rows = compare.rows_from_result(result, task="regression")
    method = compare.METHODS["regression"]
    assert [_col(rows, method, p) for p in (5, 7)] == series["n_star"]
    assert [r["censored"] for r in rows] == ["none", "right", "left", "none"]
    assert rows[1]["n_star"] == rows[1]["hi"] == 125.0  # censored: p^3, the claim's upper value
    k = compare.comparison(result, task="regression").exponents[0]["k"]
    assert k == pytest.approx(series["exponent"][0], rel=1e-12)
