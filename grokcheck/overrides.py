"""Per-field config overrides: `grokcheck run CLAIM --set steps=30000 --set ps=47,61`.

Each `--set FIELD=VALUE` is parsed against the field of the claim's frozen `Config` and applied
with `dataclasses.replace`, so the Config's own `__post_init__` checks still run.
The type comes from the field's annotation:

    int              `30000`, also `3e4` (an integral float)
    float            `1e-3`, `2` (finite only)
    bool             true/false, yes/no, on/off, 1/0
    str              the text as written
    X | None         `none` for None, else X (a union tries its arms in order: `int | float`)
    tuple[T, ...]    comma-separated `47,61`, each element a T; `()` or nothing for the empty tuple
    tuple[T1, T2]    exactly that many comma-separated values, each of its type
    nested tuples    a Python literal `(("l1", 5e-5), ("none", 0.0))` (any tuple may be given so)
    nested Config    dotted names: `model.steps=500`

Every claim Config annotates its tuples with their element types; the elements of a bare `tuple`
(test configs only) are inferred: none, int, float, else text.

`--config run.yaml` (`config_items`) reads the same fields from a YAML mapping (nested Configs as
nested mappings, tuples as lists) and turns them into `--set` items, so a file and the command line
accept exactly the same fields and values and fail with the same one-line errors; `to_yaml` writes
a config in that form (`grokcheck show CLAIM --yaml`).

Unknown fields and bad values raise `ValueError` with one line naming the claim, the field and
what was expected (the CLI prints it and exits 2). Parsed here rather than with a typed-config
library (tyro, jsonargparse, OmegaConf): the parsing is one function of the annotation, the
errors must stay one line, and those libraries would add a dependency and their own messages.
"""
from __future__ import annotations

import ast
import dataclasses
import math
import types
import typing

from grokcheck.registry import SCALES, scaled_config
from grokcheck.schema import validate_config
from grokcheck.streams import check_seed

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_assignments(items) -> list[tuple[str, str]]:
    """["a=1", "b.c=x"] -> [("a", "1"), ("b.c", "x")]; ValueError for an item without `=`."""
    out = []
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {item!r}: expected FIELD=VALUE")
        out.append((name.strip(), value.strip()))
    return out


def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve: fall back to the default's type
        return {}


def _parse_scalar(text: str, kind: type, what: str):
    low = text.lower()
    if kind is bool:
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise ValueError(f"{what}: expected true or false, got {text!r}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            f = float(text)
        except ValueError:
            f = math.nan
        if math.isfinite(f) and f.is_integer():
            return int(f)
        raise ValueError(f"{what}: expected an integer, got {text!r}")
    if kind is float:
        try:
            f = float(text)
        except ValueError:
            raise ValueError(f"{what}: expected a number, got {text!r}") from None
        if not math.isfinite(f):
            raise ValueError(f"{what}: expected a finite number, got {text!r}")
        return f
    if kind is str:
        return text
    raise ValueError(f"{what}: fields of type {kind.__name__} cannot be set from the command line")


def _kind(value) -> type:
    for k in (bool, int, float, str):
        if isinstance(value, k):
            return k
    return type(value)


def _as_tuple(x):
    return tuple(_as_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


def _infer(text: str, what: str):
    """An element of a bare `tuple`: none, else int, else float, else the text."""
    if text.lower() == "none":
        return None
    for k in (int, float):
        try:
            return _parse_scalar(text, k, what)
        except ValueError:
            pass
    return text


def _is_union(annotation) -> bool:
    return typing.get_origin(annotation) is typing.Union or (
        hasattr(types, "UnionType") and isinstance(annotation, types.UnionType))


def parse_value(text: str, annotation, default, what: str):
    """`text` as a value for a field annotated `annotation` whose current value is `default`. A tuple
    is parsed by its element annotation (`tuple[int, ...]`, `tuple[int, float]`,
    `tuple[tuple[str, float], ...]`); the elements of a bare `tuple` are inferred (none, int, float,
    text)."""
    if _is_union(annotation):  # X | None, int | float: `none`, else the first arm that parses
        args = typing.get_args(annotation)
        if text.lower() == "none" and type(None) in args:
            return None
        error = None
        for arm in (a for a in args if a is not type(None)):
            try:
                return parse_value(text, arm, default, what)
            except ValueError as exc:
                error = error or exc
        raise error if error else ValueError(f"{what}: expected none, got {text!r}")
    origin = typing.get_origin(annotation) or annotation
    if origin is tuple or isinstance(default, tuple):
        return _parse_typed_tuple(text, typing.get_args(annotation) or (typing.Any, ...), default, what)
    if annotation is typing.Any:
        return _infer(text, what)
    kind = origin if origin in (bool, int, float, str) else _kind(default)
    return _parse_scalar(text, kind, what)


def _parse_typed_tuple(text: str, args: tuple, default, what: str) -> tuple:
    """A tuple annotated `tuple[T, ...]` (any length) or `tuple[T1, T2, ...]` (fixed length) from
    comma-separated text or a Python literal (needed when the elements are tuples)."""
    if text in ("", "()"):
        items = []
    elif text[0] in "([":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(f"{what}: not a Python tuple literal: {text!r}") from None
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{what}: expected a tuple, got {text!r}")
        items = list(value)
    else:
        if any(typing.get_origin(a) is tuple for a in args if a is not Ellipsis):
            raise ValueError(f"{what}: nested tuple; give a Python literal such as {default!r}")
        items = [p.strip() for p in text.split(",")]
    if len(args) == 2 and args[1] is Ellipsis:
        kinds = [args[0]] * len(items)
    elif len(items) != len(args):
        raise ValueError(f"{what}: expected {len(args)} comma-separated values like {default!r}")
    else:
        kinds = list(args)
    return tuple(_typed_item(v, k, what) for v, k in zip(items, kinds))


def _typed_item(value, annotation, what: str):
    """One tuple element: text is parsed (`parse_value`); a value from a literal is checked and
    converted (an int where a float is expected becomes a float, an integral float for an int an int)."""
    if annotation is str and not isinstance(value, str):
        raise ValueError(f"{what}: expected text, got {value!r}")
    if annotation is typing.Any:
        return _infer(value, what) if isinstance(value, str) else _as_tuple(value)
    if isinstance(value, str) and annotation is not str:
        return parse_value(value, annotation, None, what)
    return parse_value(_literal_text(value), annotation, None, what) if not isinstance(value, str) else value


def _literal_text(value) -> str:
    """A Python value as the text `--set` would take for it (tuples as a literal)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return repr(_as_tuple(value)) if value else "()"
    return repr(value) if isinstance(value, float) else str(value)


def apply_overrides(config, assignments, label: str = "config"):
    """A copy of the frozen dataclass `config` with each (field, text) of `assignments` parsed and
    replaced (dotted names reach nested Configs); ValueError with one line otherwise."""
    for name, text in assignments:
        config = _apply_one(config, name.split("."), text, label, name)
    return config


def _apply_one(config, path, text, label, full):
    fields = {f.name: f for f in dataclasses.fields(config)}
    head = path[0]
    if head not in fields:
        raise ValueError(f"{label}: unknown field {full!r}; fields: {', '.join(fields)}")
    current = getattr(config, head)
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise ValueError(f"{label}: {head!r} is not a nested config, so {full!r} is not a field")
        value = _apply_one(current, path[1:], text, label, full)
    else:
        if dataclasses.is_dataclass(current):
            raise ValueError(f"{label}: {full!r} is a nested config; set its fields as {full}.FIELD=VALUE")
        value = parse_value(text, _hints(type(config)).get(head), current, f"{label}: {full}")
    try:
        return dataclasses.replace(config, **{head: value})
    except (ValueError, TypeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{label}: {full}={text}: {msg}") from None


def config_items(path) -> list[str]:
    """The fields of the YAML file `path` as `--set` items ("FIELD=VALUE"): a mapping of field names
    to values, nested Configs as nested mappings (or dotted names), tuples as YAML lists, `null` for
    None. The values then go through exactly the checks of `--set`. ValueError with one line for a
    missing or unreadable file, invalid YAML or anything but a mapping."""
    import yaml
    where = f"--config {path}"
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise ValueError(f"{where}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{where}: not valid YAML{at} ({getattr(exc, 'problem', None) or type(exc).__name__})") from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping of FIELD: VALUE, got a {type(data).__name__}")
    items = []

    def walk(d, prefix):
        for key, value in d.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"{where}: field names must be text, got {key!r}")
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                items.append(f"{prefix}{key}={_literal_text(value)}")
    walk(data, "")
    return items


def to_yaml(config, header: str = "") -> str:
    """The config as YAML that `--config` reads back to the same config (tuples as flow lists,
    nested Configs as mappings); `header` becomes a leading comment."""
    import yaml

    def plain(x):
        if dataclasses.is_dataclass(x):
            return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        return x

    class _Flow(yaml.SafeDumper):
        pass

    _Flow.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
    body = yaml.dump(plain(config), Dumper=_Flow, sort_keys=False, default_flow_style=False)
    return (f"# {header}\n" if header else "") + body


def describe(config, prefix: str = "") -> list[tuple[str, str, object]]:
    """(name, type, value) for every field, nested Configs flattened with dotted names."""
    rows = []
    hints = _hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            rows.extend(describe(value, f"{prefix}{f.name}."))
            continue
        ann = hints.get(f.name, f.type)
        rows.append((prefix + f.name, getattr(ann, "__name__", None) or str(ann).replace("typing.", ""), value))
    return rows


def resolve_config(claim_id: str, scale: str, seed: int | None = None, assignments=()):
    """The config `grokcheck run` uses for `claim_id`: the scale's, `--seed` and then `--set`
    applied, validated against its annotations (`grokcheck.schema.validate_config`); ValueError
    with one line otherwise."""
    config = apply_overrides(scaled_config(claim_id, scale, seed), assignments, claim_id)
    try:
        validate_config(config)
        if getattr(config, "seed", None) is not None:  # the run seed's range, before any work
            check_seed(config.seed)
        scales = [scaled_config(claim_id, s) for s in SCALES]  # `scale` is one of them
        for f in dataclasses.fields(config):  # a sweep emptied by an override has nothing to run, unless one
            # of the claim's own scales runs it empty (an optional part: e.g. sample-complexity's reg_ps)
            if getattr(config, f.name) == () and all(getattr(c, f.name) != () for c in scales):
                raise ValueError(f"{f.name} must not be empty")
    except ValueError as exc:
        raise ValueError(f"{claim_id}: {str(exc).splitlines()[0]}") from None
    return config
