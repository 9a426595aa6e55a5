"""`--set FIELD=VALUE` (grokcheck.overrides): typed against the claim's frozen
Config, one-line errors and exit 2 for unknown fields or bad values, the overridden config is
recorded and changes the result key; `grokcheck show CLAIM` prints each scale's config."""
from dataclasses import dataclass, field

import pytest

from grokcheck.cli import main
from grokcheck.schema import read_result
from grokcheck.overrides import apply_overrides, describe, parse_assignments, resolve_config
from grokcheck.registry import scaled_config
from grokcheck.store import result_key


@dataclass(frozen=True)
class Inner:
    steps: int = 10
    sizes: tuple[int | None, ...] = (None, 64)


@dataclass(frozen=True)
class Cfg:
    steps: int = 100
    lr: float = 1e-3
    flag: bool = False
    name: str = "gd"
    batch: int | None = 64
    ps: tuple[int, ...] = (23, 31)
    fractions: tuple[float, ...] = (0.1, 0.5)
    mixed: tuple[int, float, str] = (128, 1e-3, "adam")
    arms: tuple[tuple[str, float], ...] = (("none", 0.0), ("l1", 5e-5))
    empty: tuple = ()  # bare: elements inferred
    typed_empty: tuple[float, ...] = ()  # typed: elements follow the annotation, not the (empty) default
    inner: Inner = field(default_factory=Inner)


@pytest.mark.parametrize("text, field_, expected", [
    ("steps=30000", "steps", 30000), ("steps=3e4", "steps", 30000), ("lr=2", "lr", 2.0),
    ("flag=true", "flag", True), ("flag=0", "flag", False), ("name=adamw", "name", "adamw"),
    ("batch=none", "batch", None), ("batch=128", "batch", 128), ("ps=47,61", "ps", (47, 61)),
    ("ps=47", "ps", (47,)), ("fractions=0.2, 0.3", "fractions", (0.2, 0.3)),
    ("mixed=64,0.01,sgd", "mixed", (64, 0.01, "sgd")), ("empty=1,2.5", "empty", (1, 2.5)),
    ("typed_empty=1,2", "typed_empty", (1.0, 2.0)), ("ps=(47.0, 61)", "ps", (47, 61)),
    ("ps=()", "ps", ()), ('arms=(("l1", 1e-4), ("none", 0))', "arms", (("l1", 1e-4), ("none", 0.0))),
    ("inner.steps=5", "inner", Inner(steps=5)), ("inner.sizes=none,128", "inner", Inner(sizes=(None, 128))),
])
def test_values_are_typed_by_the_config(text, field_, expected):
    got = getattr(apply_overrides(Cfg(), parse_assignments([text])), field_)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, tuple):
        assert [type(v) for v in got] == [type(v) for v in expected]


@pytest.mark.parametrize("text, msg", [
    ("stepz=1", "unknown field 'stepz'; fields: steps, lr"), ("steps=abc", "expected an integer"),
    ("steps=1.5", "expected an integer"), ("lr=nan", "finite"), ("lr=inf", "finite"),
    ("flag=maybe", "true or false"), ("ps=a,b", "expected an integer"), ("mixed=1,2", "3 comma-separated"),
    ("arms=1,2", "nested tuple"), ("arms=((1, 2),)", "expected text"), ("ps=(1.5,)", "expected an integer"), ("arms=((1, 2)", "not a Python tuple literal"), ("inner=3", "nested config"),
    ("steps.x=1", "not a nested config"), ("inner.nope=1", "unknown field 'inner.nope'"), ("steps", "FIELD=VALUE"),
    ("=3", "FIELD=VALUE"),
])
def test_bad_overrides_are_one_line_value_errors(text, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")) as e:
        apply_overrides(Cfg(), parse_assignments([text]), "claim-x")
    assert "\n" not in str(e.value)


def test_post_init_checks_still_run():
    @dataclass(frozen=True)
    class Checked:
        p: int = 5

        def __post_init__(self):
            if self.p < 2:
                raise ValueError(f"p must be >= 2, got {self.p}")

    with pytest.raises(ValueError, match="claim-x: p=1: p must be >= 2"):
        apply_overrides(Checked(), [("p", "1")], "claim-x")


def test_override_changes_the_result_key():
    base = scaled_config("sample-complexity", "ci")
    over = resolve_config("sample-complexity", "ci", None, parse_assignments(["ps=7,11"]))
    assert over.ps == (7, 11) and over != base
    assert result_key("sample-complexity", "ci", base, "cpu")["config_hash"] != \
        result_key("sample-complexity", "ci", over, "cpu")["config_hash"]


@pytest.mark.parametrize("argv", [
    ("run", "construction", "--set", "pz=5"), ("run", "construction", "--set", "ps=five"),
    ("run", "construction", "--set", "ps"), ("show", "construction", "--set", "copies=1.5"),
    ("show", "no-such-claim"), ("run", "construction", "--jobs", "0"),
    ("run", "construction", "--ray-address", "auto"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys, argv):
    code = main([*argv, *(["--out", str(tmp_path)] if argv[0] == "run" else [])])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*/result.json")), "nothing may run before the input is validated"


def test_cli_records_the_overridden_config(tmp_path, capsys):
    assert main(["run", "construction", "--scale", "ci", "--out", str(tmp_path), "--set", "ps=5,7"]) == 0
    r = read_result(tmp_path / "construction" / "result.json")
    assert r.config["ps"] == [5, 7] and any("--set ps=5,7" in n for n in r.notes)
    assert r.config_hash != result_key("construction", "ci", scaled_config("construction", "ci"), "cpu")["config_hash"]


def test_show_prints_each_scale(capsys):
    assert main(["show", "kernel-exit"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("kernel-exit:") and out[1].split()[:5] == ["field", "type", "ci", "default", "paper"]
    rows = {line.split()[0]: line for line in out[2:]}
    assert set(rows) == {name for name, _, _ in describe(scaled_config("kernel-exit", "ci"))}


def test_show_applies_set(capsys):
    assert main(["show", "construction", "--set", "ps=77"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("ps "))
    assert line.split()[2:] == ["(77,)", "(77,)", "(77,)"]
