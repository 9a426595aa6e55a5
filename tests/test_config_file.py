"""`--config run.yaml` and `grokcheck show CLAIM --yaml`: the same fields and checks as `--set`,
validated before any work; every claim Config has element-typed tuple annotations."""
import dataclasses
import typing

import pytest

from grokcheck.cli import main
from grokcheck.core import config_hash
from grokcheck.overrides import config_items, parse_assignments, resolve_config
from grokcheck.registry import CLAIMS, SCALES, scaled_config


def _hints(cls):
    out = {}
    for name, tp in typing.get_type_hints(cls).items():
        out[name] = tp
    return out


@pytest.mark.parametrize("claim", list(CLAIMS))
def test_every_tuple_field_is_element_typed(claim):
    config = scaled_config(claim, "ci")
    todo = [config]
    while todo:
        c = todo.pop()
        for f in dataclasses.fields(c):
            tp = _hints(type(c))[f.name]
            assert tp is not tuple, f"{claim}: {type(c).__name__}.{f.name} is a bare tuple"
            if dataclasses.is_dataclass(getattr(c, f.name)):
                todo.append(getattr(c, f.name))


@pytest.mark.parametrize("claim", list(CLAIMS))
def test_show_yaml_reads_back_to_the_same_config(claim, capsys, tmp_path):
    for scale in SCALES:
        assert main(["show", claim, "--yaml", "--scale", scale]) == 0
        path = tmp_path / f"{scale}.yaml"
        path.write_text(capsys.readouterr().out)
        config = resolve_config(claim, scale, None, parse_assignments(config_items(path)))
        assert config == scaled_config(claim, scale)
        assert config_hash(config) == config_hash(scaled_config(claim, scale))


@pytest.mark.parametrize("claim, yaml_text, sets", [
    ("sample-complexity", "ps: [7, 11]\nsteps: 3e4\nlr: 1\n", ["ps=7,11", "steps=30000", "lr=1"]),
    ("transformer-kernel-exit", "ours:\n  batch_size: 64\n  d: 16\n", ["ours.batch_size=64", "ours.d=16"]),
    ("transformer-kernel-exit", "ours.lr: 0.05\n", ["ours.lr=0.05"]),
    ("l2-not-a-proxy", "arms: [[none, 0], [l1, 1.0e-4]]\n", ['arms=(("none", 0.0), ("l1", 1e-4))']),
    ("division-architectures", "mlp: [16, 1, 32, 0.01, 50]\n", ["mlp=16,1,32,0.01,50"]),
])
def test_config_file_and_set_give_the_same_config(claim, yaml_text, sets, tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml_text)
    from_file = resolve_config(claim, "ci", None, parse_assignments(config_items(path)))
    from_set = resolve_config(claim, "ci", None, parse_assignments(sets))
    assert from_file == from_set != scaled_config(claim, "ci")
    for f in dataclasses.fields(from_file):  # floats stay floats, ints stay ints
        a, b = getattr(from_file, f.name), getattr(from_set, f.name)
        assert repr(a) == repr(b)


def test_set_wins_over_the_config_file(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text("ps: [5, 7]\ncopies: [1]\n")
    assert main(["show", "construction", "--config", str(path), "--set", "ps=11"]) == 0
    rows = {line.split()[0]: line.split()[2:] for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["ps"] == ["(11,)"] * 3 and rows["copies"] == ["(1,)"] * 3


@pytest.mark.parametrize("yaml_text, msg", [
    ("stepz: 1\n", "unknown field 'stepz'"),
    ("steps: abc\n", "expected an integer"),
    ("steps: 1.5\n", "expected an integer"),
    ("ps: [a, b]\n", "expected an integer"),
    ("lr: .nan\n", "finite"),
    ("ps:\n  p: 3\n", "not a nested config"),
    ("- ps\n", "expected a mapping"),
    ("ps: [1, 2\n", "not valid YAML"),
    ("1: 2\n", "field names must be text"),
])
def test_bad_config_file_is_one_line_exit_2_before_any_work(yaml_text, msg, tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text(yaml_text)
    out = tmp_path / "out"
    code = main(["run", "sample-complexity", "--scale", "ci", "--config", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and msg in err, err
    assert not list(out.glob("*/result.json"))


@pytest.mark.parametrize("yaml_text, msg", [
    ("ours:\n  nope: 1\n", "unknown field 'ours.nope'"),
    ("ours:\n  d: x\n", "expected an integer"),
    ("ours:\n  batch_size: 1.5\n", "ours.batch_size"),
    ("ours:\n  d: 0\n", "ours.d"),
])
def test_nested_fields_are_checked_too(yaml_text, msg, tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text(yaml_text)
    assert main(["show", "transformer-kernel-exit", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and msg in err, err


def test_missing_config_file_is_one_line_exit_2(tmp_path, capsys):
    assert main(["show", "construction", "--config", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No such file" in err


def test_literal_list_for_a_text_tuple_must_hold_text(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("optimizers: [1, 2]\n")
    with pytest.raises(ValueError, match="expected text"):
        resolve_config("equivariance", "ci", None, parse_assignments(config_items(path)))
