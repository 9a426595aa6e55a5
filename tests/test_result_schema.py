"""result.json schema and strict JSON: off-schema files are named and
skipped, non-finite floats round-trip through RFC 8259 JSON, and `Result` round-trips (hypothesis)."""
from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grokcheck.core import Observable, Result
from grokcheck.schema import ResultFileError, read_result, write_result
from grokcheck.schema import (NONFINITE_KEY, SCHEMA_VERSION, SchemaError, dumps_strict, loads_strict,
                              result_from_dict, result_to_dict, validate_result_dict)
from test_cli import fakes, run_cli  # noqa: F401


def strict_loads(text: str):
    """The strict parser a consumer uses: NaN / Infinity tokens raise (jq, browsers, pandas)."""
    def reject(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=reject)


def good_dict() -> dict:
    r = Result("fake-ok", "t", "s", "src", "ci", {"p": 5, "fraction": 0.5}, "abc", 0,
               [Observable("a", 1.0, 2.0, "<="), Observable("c", 5.0, 2.0, ">", role="control")],
               series={"x": [1.0, math.inf]}, notes=["n"], environment={"torch": "2"}, wall_time_s=1.5,
               budget_gaps={"ours": "fewer steps"})
    return result_to_dict(r)


def _set(path, value):
    def change(d):
        *head, last = path
        for k in head:
            d = d[k]
        if value is _DEL:
            del d[last]
        else:
            d[last] = value
    return change


_DEL = object()
# (id, change to a valid result dict); every one must be rejected on read with a one-line message
BAD_VARIANTS = [
    ("no-series", _set(["series"], _DEL)),
    ("no-config", _set(["config"], _DEL)),
    ("no-observables", _set(["observables"], _DEL)),
    ("config-list", _set(["config"], [1, 2])),
    ("environment-string", _set(["environment"], "linux")),
    ("series-list", _set(["series"], [1.0])),
    ("observables-strings", _set(["observables"], ["a", "b"])),
    ("observables-dict", _set(["observables"], {"a": 1})),
    ("observable-no-value", _set(["observables", 0, "value"], _DEL)),
    ("observable-value-string", _set(["observables", 0, "value"], "1.0")),
    ("observable-bound-null", _set(["observables", 0, "bound"], None)),
    ("observable-comparison", _set(["observables", 0, "comparison"], "~")),
    ("observable-role", _set(["observables", 0, "role"], "boss")),
    ("observable-passed-string", _set(["observables", 0, "passed"], "yes")),
    ("observable-extra-field", _set(["observables", 0, "colour"], "red")),
    ("notes-string", _set(["notes"], "abc")),
    ("notes-ints", _set(["notes"], [1, 2])),
    ("wall-time-string", _set(["wall_time_s"], "fast")),
    ("wall-time-negative", _set(["wall_time_s"], -1.0)),
    ("wall-time-inf", _set(["wall_time_s"], {NONFINITE_KEY: "inf"})),
    ("seed-negative", _set(["seed"], -1)),
    ("seed-string", _set(["seed"], "0")),
    ("seed-2**63", _set(["seed"], 2 ** 63)),
    ("budget-gaps-list", _set(["budget_gaps"], ["ours"])),
    ("budget-gaps-int", _set(["budget_gaps", "ours"], 3)),
    ("setting-verdict", _set(["setting_verdicts", "paper"], "maybe")),
    ("verdict", _set(["verdict"], "great")),
    ("claim-int", _set(["claim"], 3)),
    ("title-null", _set(["title"], None)),
    ("schema-version-missing", _set(["schema_version"], _DEL)),
    ("schema-version-2", _set(["schema_version"], SCHEMA_VERSION + 1)),
    ("unknown-field", _set(["colour"], "red")),
]


def bad_text(change) -> str:
    d = copy.deepcopy(good_dict())
    change(d)
    return dumps_strict(d)


RAW_BAD = [("top-level-list", "[1, 2]"), ("infinity-token", '{"a": Infinity}'), ("nan-token", "NaN"),
           ("truncated", dumps_strict(good_dict())[:50]), ("empty", ""), ("not-json", "{not json")]


@pytest.mark.parametrize("change", [v[1] for v in BAD_VARIANTS], ids=[v[0] for v in BAD_VARIANTS])
def test_off_schema_result_is_named_one_line(tmp_path, change):
    path = tmp_path / "result.json"
    path.write_text(bad_text(change))
    with pytest.raises(ResultFileError) as info:
        read_result(path)
    assert str(path) in str(info.value) and len(str(info.value).splitlines()) == 1


@pytest.mark.parametrize("text", [v[1] for v in RAW_BAD], ids=[v[0] for v in RAW_BAD])
def test_unparseable_result_is_named_one_line(tmp_path, text):
    path = tmp_path / "result.json"
    path.write_text(text)
    with pytest.raises(ResultFileError, match="result.json") as info:
        read_result(path)
    assert len(str(info.value).splitlines()) == 1


def test_non_utf8_result_is_named(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ResultFileError, match="result.json"):
        read_result(path)


def test_report_skips_each_bad_result_and_rebuilds_the_rest(tmp_path, capsys, fakes):  # noqa: F811
    """Item 1: one bad result.json (of 32 kinds) per claim folder; report names each, rebuilds fake-ok."""
    code, _, _ = run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    assert code == 0
    folders = [c for c in fakes if c.startswith("fake") is False]
    for (name, change), cid in zip(BAD_VARIANTS, folders):
        (tmp_path / cid).mkdir()
        d = copy.deepcopy(good_dict())
        d["claim"] = cid
        change(d)
        (tmp_path / cid / "result.json").write_text(dumps_strict(d))
    (tmp_path / "fake-ok" / "report.pdf").unlink()
    code, out, err = run_cli(capsys, "report", "--out", str(tmp_path))
    used = min(len(BAD_VARIANTS), len(folders))
    assert code == 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == used and err.count("skipping") == used
    assert (tmp_path / "fake-ok" / "report.pdf").exists() and (tmp_path / "summary.pdf").exists()


def test_written_result_is_strict_json_and_reads_back_inf(tmp_path):
    r = Result("x", "", "", "", "ci", {}, "", 0, [Observable("a", math.inf, 2.0, ">=")],
               series={"error": [0.1, math.inf, -math.inf, math.nan]})
    write_result(r, tmp_path / "result.json")
    raw = strict_loads((tmp_path / "result.json").read_text())
    assert raw["series"]["error"][1] == {NONFINITE_KEY: "inf"} and raw["schema_version"] == SCHEMA_VERSION
    back = read_result(tmp_path / "result.json")
    e = back.series["error"]
    assert e[1] == math.inf and e[2] == -math.inf and math.isnan(e[3]) and back.observables[0].value == math.inf


def test_write_rejects_off_schema_result(tmp_path):
    r = Result("x", "", "", "", "ci", {}, "", 0, [Observable("a", 1.0, 2.0, "<=")], wall_time_s=math.nan)
    with pytest.raises(SchemaError, match="wall_time_s"):
        write_result(r, tmp_path / "result.json")
    assert not list(tmp_path.iterdir())


def test_validate_accepts_the_good_dict():
    validate_result_dict(good_dict())  # the baseline every variant above breaks


# --------------------------------------------------------------------------- hypothesis round trip
floats = st.floats(allow_nan=True, allow_infinity=True)
text = st.text(max_size=8)
keys = text.filter(lambda k: k != NONFINITE_KEY)
leaf = st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | floats | text
jsonish = st.recursive(leaf, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4),
                       max_leaves=20)
observables = st.builds(
    Observable, name=text, value=st.none() | floats, bound=floats,
    comparison=st.sampled_from(["<=", ">=", "<", ">", "=="]), tolerance=floats, reason=text,
    role=st.sampled_from(["claim", "control", "observation"]), setting=st.sampled_from(["paper", "ours", "x"]))
results = st.builds(
    Result, claim=text.filter(bool), title=text, statement=text, source=text, scale=text,
    config=st.dictionaries(keys, jsonish, max_size=4), config_hash=text,
    seed=st.none() | st.integers(0, 2 ** 63 - 1), observables=st.lists(observables, max_size=5),
    series=st.dictionaries(keys, jsonish, max_size=4), notes=st.lists(text, max_size=3),
    environment=st.dictionaries(keys, jsonish, max_size=3),
    wall_time_s=st.floats(0, 1e6), budget_gaps=st.dictionaries(st.sampled_from(["paper", "ours"]), text))


def same(a, b) -> bool:
    """Equality with NaN == NaN (what a round trip must preserve)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(results)
def test_result_round_trips_through_strict_json(result):
    text_ = dumps_strict(result_to_dict(result))
    strict_loads(text_)  # parses with a strict parser
    back = result_from_dict(loads_strict(text_))
    assert same(back.to_dict(), result.to_dict())
    assert back.verdict == result.verdict and back.verdict_label() == result.verdict_label()


def test_verify_conftest_round_trip_can_fail():
    """verify/conftest.py's strict_round_trip passes a good result and rejects an unstorable one."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location(
        "_verify_conftest", Path(__file__).resolve().parents[1] / "verify" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    good = result_from_dict(good_dict())
    assert module.strict_round_trip(good).verdict == good.verdict
    with pytest.raises(SchemaError, match="wall_time_s"):
        module.strict_round_trip(Result("x", "", "", "", "ci", {}, "", 0, [], wall_time_s=math.inf))
