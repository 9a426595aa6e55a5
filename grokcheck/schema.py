"""Validation at the boundary: the versioned result.json schema, strict JSON with explicit
non-finite numbers, and generic config validation from the dataclass annotations.

result.json, schema version 2 (`SCHEMA_VERSION`): one JSON object with
    schema_version  int, == SCHEMA_VERSION (a file of another version is skipped, never guessed at)
    claim, title, statement, source, scale, config_hash   strings
    config          object (the config dataclass as a dict)
    seed            int in [0, 2**63) or null
    observables     list of objects {name: str, value: number|null, bound: number, comparison: one of
                    <= >= < > ==, tolerance: number, reason: str, role: claim|control|observation,
                    setting: str, lo, hi: number|null (the interval), coverage: number|null (its true
                    coverage), method: str, kind: measure|event|absence, source: text|figure|ours,
                    outcome: holds|fails|undecided|pending, passed: bool}
    series          object (plot data; its keys are the claim's business)
    notes           list of strings
    environment     object (versions, device, git commit, git_dirty: true/false/null)
    wall_time_s     finite number >= 0
    verdict         verified|refuted|inconclusive (the paper's settings); beyond_verdict: the same or
                    null (the settings beyond the paper); setting_verdicts: object setting -> verdict;
                    setting_reasons: object setting -> string (a reason starting "budget:" is shown as
                    "inconclusive (budget)"); all four are recomputed from the observables on read
    budget_gaps     object setting -> string
No other top-level field is allowed (a field added to `core.Result` is allowed automatically).

Strict JSON: every file is valid RFC 8259 JSON (no NaN / Infinity tokens; pandas, jq and
browsers read it). A non-finite float is written as the object {"__float__": "nan" | "inf" | "-inf"}
(`NONFINITE_KEY`) and decoded back to the float on read, so reports still show inf. A dict that is
exactly {"__float__": one of those strings} therefore always reads back as that float.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np

from grokcheck.core import (
    COMPARISONS,
    KINDS,
    OUTCOMES,
    ROLES,
    SOURCES,
    VERDICTS,
    Result,
)
from grokcheck.safeio import atomic_write_bytes, read_regular_bytes

SCHEMA_VERSION = 2
NONFINITE_KEY = "__float__"
_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


class SchemaError(ValueError):
    """A result dict that does not follow the schema; the message names the field."""


# ---------------------------------------------------------------------------------- strict JSON

def encode_nonfinite(x: Any) -> Any:
    """`x` with every non-finite float replaced by {"__float__": "nan" | "inf" | "-inf"}."""
    if isinstance(x, float) and not math.isfinite(x):
        return {NONFINITE_KEY: "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
    if isinstance(x, dict):
        return {k: encode_nonfinite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [encode_nonfinite(v) for v in x]
    return x


def _decode_object(d: dict) -> Any:
    if len(d) == 1 and NONFINITE_KEY in d and d[NONFINITE_KEY] in _NONFINITE:
        return _NONFINITE[d[NONFINITE_KEY]]
    return d


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name} (strict JSON only)")


def dumps_strict(obj: Any, indent: int | None = 1) -> str:
    """Strict JSON text of `obj` (non-finite floats encoded as in the module docstring)."""
    return json.dumps(encode_nonfinite(obj), indent=indent, allow_nan=False)


def loads_strict(text: str) -> Any:
    """Parse strict JSON (NaN / Infinity tokens are a ValueError) and decode non-finite floats."""
    return json.loads(text, parse_constant=_reject_constant, object_hook=_decode_object)


# ------------------------------------------------------------------------------- result schema

def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fail(where: str, expected: str, got) -> None:
    shown = repr(got)
    raise SchemaError(f"field {where!r}: expected {expected}, got {shown[:60]}")


def _check(cond: bool, where: str, expected: str, got) -> None:
    if not cond:
        _fail(where, expected, got)


def _check_str_dict(d, where: str, values: tuple | None = None) -> None:
    _check(isinstance(d, dict), where, "an object", d)
    for k, v in d.items():
        ok = isinstance(v, str) and (values is None or v in values)
        _check(ok, f"{where}.{k}", "a string" if values is None else f"one of {values}", v)


def validate_result_dict(d: Any) -> None:
    """Raise SchemaError (naming the field) unless `d` follows schema version SCHEMA_VERSION."""
    _check(isinstance(d, dict), "<top>", "an object", d)
    version = d.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(f"schema_version {version!r} is not {SCHEMA_VERSION} "
                          f"(written by another grokcheck version; rerun the claim)")
    allowed = {f.name for f in dataclasses.fields(Result)} | {"schema_version"}
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise SchemaError(f"unknown fields {unknown}")
    required = ("claim", "title", "statement", "source", "scale", "config", "config_hash", "seed",
                "observables", "series", "notes", "environment", "wall_time_s", "verdict",
                "beyond_verdict", "setting_verdicts", "setting_reasons", "budget_gaps")
    missing = [k for k in required if k not in d]
    if missing:
        raise SchemaError(f"missing fields {missing}")
    for k in ("claim", "title", "statement", "source", "scale", "config_hash"):
        _check(isinstance(d[k], str), k, "a string", d[k])
    _check(d["claim"] != "", "claim", "a non-empty string", d["claim"])
    for k in ("config", "series", "environment"):
        _check(isinstance(d[k], dict), k, "an object", d[k])
    env = d["environment"]  # the code version (grokcheck.version): commit text, dirty flag true/false/null
    _check(isinstance(env.get("git_commit", ""), str), "environment.git_commit", "a string", env.get("git_commit"))
    _check(env.get("git_dirty") in (True, False, None), "environment.git_dirty", "true, false or null",
           env.get("git_dirty"))
    seed = d["seed"]
    _check(seed is None or (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2 ** 63),
           "seed", "an integer in [0, 2**63) or null", seed)
    _check(isinstance(d["notes"], list), "notes", "a list of strings", d["notes"])
    for i, n in enumerate(d["notes"]):
        _check(isinstance(n, str), f"notes[{i}]", "a string", n)
    w = d["wall_time_s"]
    _check(_is_number(w) and math.isfinite(w) and w >= 0, "wall_time_s", "a finite number >= 0", w)
    _check(d["verdict"] in VERDICTS, "verdict", f"one of {VERDICTS}", d["verdict"])
    _check_str_dict(d["setting_verdicts"], "setting_verdicts", VERDICTS)
    _check(d["beyond_verdict"] is None or d["beyond_verdict"] in VERDICTS, "beyond_verdict",
           f"null or one of {VERDICTS}", d["beyond_verdict"])
    _check_str_dict(d["setting_reasons"], "setting_reasons")
    _check_str_dict(d["budget_gaps"], "budget_gaps")
    _check(isinstance(d["observables"], list), "observables", "a list of objects", d["observables"])
    for i, o in enumerate(d["observables"]):
        validate_observable_dict(o, f"observables[{i}]", COMPARISONS, ROLES)


def validate_observable_dict(o: Any, where: str, comparisons, roles) -> None:
    _check(isinstance(o, dict), where, "an object", o)
    fields = ("name", "value", "bound", "comparison", "tolerance", "reason", "role", "setting", "lo", "hi",
              "coverage", "method", "kind", "source", "outcome", "passed")
    missing = [k for k in fields if k not in o]
    if missing:
        raise SchemaError(f"field {where!r}: missing {missing}")
    unknown = sorted(set(o) - set(fields))
    if unknown:
        raise SchemaError(f"field {where!r}: unknown fields {unknown}")
    for k in ("name", "reason", "setting"):
        _check(isinstance(o[k], str), f"{where}.{k}", "a string", o[k])
    _check(o["value"] is None or _is_number(o["value"]), f"{where}.value", "a number or null", o["value"])
    for k in ("bound", "tolerance"):
        _check(_is_number(o[k]), f"{where}.{k}", "a number", o[k])
    _check(o["comparison"] in comparisons, f"{where}.comparison", f"one of {comparisons}", o["comparison"])
    _check(o["role"] in roles, f"{where}.role", f"one of {roles}", o["role"])
    _check(isinstance(o["passed"], bool), f"{where}.passed", "true or false", o["passed"])
    for k in ("lo", "hi", "coverage"):
        _check(o[k] is None or _is_number(o[k]), f"{where}.{k}", "a number or null", o[k])
    _check(isinstance(o["method"], str), f"{where}.method", "a string", o["method"])
    _check(o["kind"] in KINDS, f"{where}.kind", f"one of {KINDS}", o["kind"])
    _check(o["source"] in SOURCES, f"{where}.source", f"one of {SOURCES}", o["source"])
    _check(o["outcome"] in OUTCOMES, f"{where}.outcome", f"one of {OUTCOMES}", o["outcome"])


# ------------------------------------------------------------------------------ result.json I/O

def result_to_dict(result) -> dict:
    """The result.json object of a `core.Result`: its fields and `schema_version`, validated."""
    d = {"schema_version": SCHEMA_VERSION, **result.to_dict()}
    validate_result_dict(d)
    return d


def result_from_dict(d: dict):
    """A `core.Result` from a result.json object; SchemaError (a ValueError naming the field) unless
    it follows the schema. The verdicts are recomputed from the observables."""
    validate_result_dict(d)
    return Result.from_dict(d)


def write_result(result, path: Path) -> None:
    """result.json of `core.Result` as strict JSON (schema-checked), written atomically
    (`grokcheck.safeio`)."""
    atomic_write_bytes(path, result_bytes(result))


def result_bytes(result) -> bytes:
    """The bytes of result.json for `core.Result` `result` (strict JSON, schema-checked)."""
    return dumps_strict(result_to_dict(result)).encode()


def single_line(text: str, limit: int = 400) -> str:
    """`text` as one printable line for the console: control characters (newline, carriage return,
    tab, ...) and lone surrogates written as escapes (\\n, \\r, \\udc80), cut at `limit`
    characters. Every one-line error the CLI prints goes through it."""
    out = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                  for c in str(text))
    return out if len(out) <= limit else out[:limit - 3] + "..."


class ResultFileError(ValueError):
    """A result.json that cannot be read back; the message names the file."""


MAX_RESULT_BYTES = 1 << 30   # a result.json larger than 1 GiB is refused, not read into memory
MAX_RECORD_BYTES = 1 << 20   # store.json: a key, a digest and two numbers
RECORD_NAME = "store.json"


def _unreadable(path, exc) -> ResultFileError:
    msg = str(exc).splitlines()[0] if str(exc).strip() else ""
    return ResultFileError(single_line(f"{path}: unreadable result ({type(exc).__name__}: {msg})"))


def read_record(path: Path) -> dict:
    """The store record (store.json) at `path`: {key: object, result_sha256: 64 hex, subruns: int
    >= 0, wall_time_s: number}. Raises FileNotFoundError when absent, ValueError (one line) when it
    is not a regular file, unreadable, not JSON or off this shape (e.g. {"key": null})."""
    try:
        rec = json.loads(read_regular_bytes(path, MAX_RECORD_BYTES))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise ValueError(single_line(f"{path}: unreadable store record ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc).strip() else ''})")) from None
    sha = rec.get("result_sha256") if isinstance(rec, dict) else None
    ok = (isinstance(rec, dict) and isinstance(rec.get("key"), dict) and isinstance(sha, str) and len(sha) == 64
          and isinstance(rec.get("subruns", 0), int) and not isinstance(rec.get("subruns", 0), bool)
          and rec.get("subruns", 0) >= 0)
    if not ok:
        raise ValueError(single_line(f"{path}: not a store record (expected key, result_sha256, subruns)"))
    return rec


def parse_result(data: bytes, path: Path = Path("result.json")):
    """The `core.Result` of result.json bytes `data`; ResultFileError naming `path` otherwise."""
    try:
        return result_from_dict(loads_strict(data.decode("utf-8")))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _unreadable(path, exc) from None


def read_result(path: Path, verify: bool = True):
    """Read a result.json into a `core.Result`; raise ResultFileError naming the file if it is not
    a regular file (a FIFO, a device, a directory: refused without blocking), larger than
    MAX_RESULT_BYTES, unreadable, not strict JSON or off the schema. verify: when a store.json
    sits beside it (`grokcheck.store`), the file's SHA-256 must equal the digest recorded there,
    so a damaged or edited result is refused, never shown with different numbers."""

    path = Path(path)
    try:
        data = read_regular_bytes(path, MAX_RESULT_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    record = path.parent / RECORD_NAME
    if verify and os.path.lexists(record):
        try:
            want = read_record(record)["result_sha256"]
        except (OSError, ValueError) as exc:
            raise ResultFileError(single_line(f"{path}: cannot be vouched for ({exc})")) from None
        if hashlib.sha256(data).hexdigest() != want:
            raise ResultFileError(single_line(f"{path}: checksum mismatch with {record} (damaged, edited or "
                                              "half-written; rerun the claim)"))
    return parse_result(data, path)


# ------------------------------------------------------------------------------- config checks

def _type_name(tp) -> str:
    if typing.get_origin(tp) is None and isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _matches(value, tp) -> bool:
    """True when `value` has the annotated type `tp` (numbers finite); unknown types pass."""
    if tp is Any or tp is object:
        return True
    if tp is type(None) or tp is None:
        return value is None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(tp, types.UnionType)):
        return any(_matches(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if tp is bool:
        return isinstance(value, (bool, np.bool_))
    if tp is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if tp is float:
        return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
                and math.isfinite(value))
    if tp is str:
        return isinstance(value, str)
    if origin is tuple or tp is tuple:
        if not isinstance(value, tuple):
            return False
        if not args:
            return True
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args))
    if origin is list or tp is list:
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value) if args else isinstance(value, list)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return False
        return not args or all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def validate_config(config) -> None:
    """Check every field of the config dataclass `config` against its annotation: ints are ints (not
    bools), floats are finite real numbers, strings are strings, tuples hold elements of the right
    type and length, Optional / unions / Literal are honoured. Raise ValueError with one line
    naming the field. Range checks (p prime, fraction in (0, 1), ...) stay in the claim's own
    `__post_init__`."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise ValueError(f"config must be a dataclass instance, got {type(config).__name__}")
    cls = type(config)
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved is not checked
        hints = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        tp = hints.get(f.name, Any)
        if not _matches(value, tp):
            shown = repr(value)
            raise ValueError(f"{cls.__name__}.{f.name} must be {_type_name(tp)}"
                             f"{' (finite)' if 'float' in _type_name(tp) else ''}, got {shown[:60]}")
