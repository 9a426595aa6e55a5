"""The result store: skip finished claims, resume killed ones.

Layout under an output folder DIR (default `reports/out/`):

    DIR/<claim>/result.json        the Result (`core.write_result`, strict JSON, atomic)
    DIR/<claim>/store.json         its key (below), the SHA-256 of the result.json bytes it vouches
                                   for, the number of sub-runs and the wall time
    DIR/<claim>/cache/<key>.pt     one finished sub-run of `Context.memo` or one item of `Context.map`
                                   (torch.save, atomic)

Result key: (claim, scale, config hash, seed, device, code version). The config hash covers the
resolved config, overrides (`--set`) included; the code version is the package version plus a
SHA-256 over every `grokcheck/**/*.py` file, so any edit of the source invalidates every stored
result and sub-run. A stored result is reused only when store.json holds the same key AND
result.json's bytes hash to the recorded digest AND `read_result` accepts it; anything else is
recomputed, with the reason in one line (`ResultStore.lookup`). The readers of stored results
(report, export, the summary) check the same digest (`schema.read_result`): a result.json whose
bytes no longer match its store.json is skipped with one line, never shown.

Sub-run key: SHA-256 of the canonical JSON of {claim, name, spec, seed, device, code version}; an
item of `Context.map(name, specs, fn)` has the key of `Context.memo(name, spec, ...)`, whichever
executor computed it (`grokcheck.subruns`: Ray workers return the value, this process stores it).
A cache file is `CACHE_MAGIC`, the SHA-256 (hex) of
the payload and a newline, then the payload: torch.save of {format, key, value, meta}. On read
the payload's digest is checked first, so a flipped bit anywhere in the entry (its tensors
included) is caught before anything is unpickled; then the payload must load with
`torch.load(weights_only=True)` and hold this sub-run's key. A file that fails any check (damaged,
foreign, of an older format, not a regular file: a FIFO, a device or a directory is never opened
blocking, `safeio.read_regular_bytes`) is reported in one line, recomputed and overwritten, never
trusted; an entry that cannot be written (a directory in its place, a full disk) is one line
too and the claim goes on with the computed value. Files are written through a
temp file and a rename, so a kill (SIGINT, SIGTERM, kill -9) leaves either the old entry or the
new one; on CPU a resumed run gives bit-identical results because a sub-run's value depends only
on its key (the claim derives its random streams from the spec: `ctx.rng(name, run_index)`).

Values: tensors (detached), Python numbers, strings, None, lists, tuples and dicts; numpy arrays
and scalars travel as tagged tensors and come back as numpy with their dtype. The claim always
gets the value back through torch.save/torch.load (`roundtrip`), with a store or without one
(pytest), so a fresh, a resumed and a storeless run see exactly the same objects.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from grokcheck.core import config_hash
from grokcheck import safeio  # noqa: I001  (safeio's writers read at call time: tests inject faults)
from grokcheck.schema import (
    MAX_RESULT_BYTES,
    ResultFileError,
    parse_result,
    read_record,
    result_bytes,
)
from grokcheck.version import __version__

CACHE_FORMAT = 2
CACHE_MAGIC = b"grokcheck-subrun-v2\n"
_NUMPY_TAG = "__grokcheck_numpy__"
KEY_FIELDS = ("claim", "scale", "config_hash", "seed", "device", "code_version")


def source_digest(root) -> str:
    """12 hex of SHA-256 over every `*.py` under `root` (relative path and bytes, sorted)."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


@lru_cache(maxsize=1)
def code_version() -> str:
    """`<package version>+<source_digest of the installed grokcheck package>`, once per process."""
    return f"{__version__}+{source_digest(Path(__file__).resolve().parent)}"


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-able")


def canonical(obj) -> str:
    """Canonical JSON of `obj` (sorted keys; tuples as lists; numpy scalars and dataclasses allowed);
    ValueError with one line when it is not JSON-able."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Context.memo: spec must be JSON-able ({exc})") from None


def digest(obj) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


# --- values ------------------------------------------------------------------------------------

def _encode(x, where: str):
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, (np.ndarray, np.generic)):
        arr = np.array(x, copy=True, order="C")  # keeps 0-d arrays 0-d
        try:
            t = torch.from_numpy(arr)
        except TypeError:
            raise ValueError(f"Context.memo: {where} is a numpy array of dtype {arr.dtype}, "
                             "which torch cannot hold") from None
        return {_NUMPY_TAG: t, "scalar": isinstance(x, np.generic)}
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (list, tuple)):
        items = [_encode(v, f"{where}[{i}]") for i, v in enumerate(x)]
        return items if isinstance(x, list) else tuple(items)
    if isinstance(x, dict):
        for k in x:
            if not isinstance(k, (str, int, float, bool)) or k == _NUMPY_TAG:
                raise ValueError(f"Context.memo: {where} has a key {k!r:.40}; keys must be str or numbers")
        return {k: _encode(v, f"{where}[{k!r}]") for k, v in x.items()}
    raise ValueError(f"Context.memo: {where} is a {type(x).__name__}; a sub-run value must be made of "
                     "tensors, numpy arrays, numbers, strings, None, lists, tuples and dicts")


def _decode(x):
    if isinstance(x, dict):
        if set(x) == {_NUMPY_TAG, "scalar"} and isinstance(x[_NUMPY_TAG], torch.Tensor):
            arr = x[_NUMPY_TAG].numpy()
            return arr[()] if x["scalar"] else arr
        return {k: _decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_decode(v) for v in x)
    return x


def _entry_bytes(entry: dict) -> bytes:
    """A cache file: CACHE_MAGIC, the payload's SHA-256 in hex and a newline, then the payload."""
    payload = _dumps(entry)
    return CACHE_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _entry_payload(data: bytes) -> bytes:
    """The payload of a cache file; ValueError naming the failed check (format or checksum)."""
    head = len(CACHE_MAGIC)
    if not data.startswith(CACHE_MAGIC) or len(data) < head + 65 or data[head + 64:head + 65] != b"\n":
        raise ValueError("not a cache entry of this format")
    payload = data[head + 65:]
    if hashlib.sha256(payload).hexdigest().encode() != data[head:head + 64]:
        raise ValueError("checksum mismatch (damaged entry)")
    return payload


def _dumps(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _loads(data: bytes):
    return torch.load(io.BytesIO(data), weights_only=True)


def roundtrip(value):
    """`value` as it comes back from the cache (ValueError when it cannot be stored)."""
    return _decode(_loads(_dumps(_encode(value, "value"))))


# --- sub-runs ----------------------------------------------------------------------------------

def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class SubrunCache:
    """Finished sub-runs of one claim run, on disk under `folder` (None: keep nothing, round-trip
    only). `read=False` (`--force`) recomputes every sub-run and overwrites its entry.
    `report(line)` gets the one-line notice of a corrupt or foreign entry; `on_subrun(name,
    cached, seconds)` is called after every sub-run (progress ticks)."""
    folder: Path | None
    claim: str
    seed: int
    device: str
    read: bool = True
    report: Callable[[str], None] = _stderr
    on_subrun: Callable[[str, bool, float], None] | None = None
    hits: int = 0
    misses: int = 0

    def key(self, name: str, spec: dict) -> str:
        return digest({"claim": self.claim, "name": name, "spec": spec, "seed": self.seed,
                       "device": self.device, "code_version": code_version()})

    def _load(self, path: Path, key: str):
        """(True, value) for a valid entry; (False, None) when absent; corrupt/foreign: reported."""
        if not self.read or not os.path.lexists(path):
            return False, None
        try:  # the checksum is checked before anything is unpickled
            entry = _loads(_entry_payload(safeio.read_regular_bytes(path)))
            ok = isinstance(entry, dict) and entry.get("format") == CACHE_FORMAT and entry.get("key") == key
            why = "key mismatch (foreign entry)" if isinstance(entry, dict) and "key" in entry else "not a cache entry"
        except ValueError as exc:  # format or checksum
            ok, why = False, str(exc)
        except OSError as exc:  # a FIFO, a device, a directory, no permission
            ok, why = False, f"unreadable ({getattr(exc, 'reason', None) or exc.strerror or exc})"
        except Exception as exc:  # any unreadable file is recomputed, never trusted
            ok, why = False, f"unreadable ({type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''})"
        if not ok:
            self.report(f"{self.claim}: cache entry {path} {why}; recomputing")
            return False, None
        return True, _decode(entry["value"])

    def lookup(self, name: str, spec: dict):
        """(found, value, key) of sub-run (name, spec): found is True for a valid finished entry."""
        _check_name_spec(name, spec)
        key = self.key(name, spec)
        found, value = (False, None) if self.folder is None else self._load(Path(self.folder) / f"{key}.pt", key)
        return found, value, key

    def store(self, name: str, spec: dict, key: str, value) -> Any:
        """Write the freshly computed `value` of sub-run (name, spec) under `key`; the value as the
        claim gets it back (through torch.save/torch.load)."""
        entry = {"format": CACHE_FORMAT, "key": key, "value": _encode(value, "value"),
                 "meta": {"claim": self.claim, "name": name, "spec": canonical(spec),
                          "seed": self.seed, "device": self.device, "code_version": code_version()}}
        data = _entry_bytes(entry)
        if self.folder is not None:
            path = Path(self.folder) / f"{key}.pt"
            try:
                safeio.atomic_write_bytes(path, data)
            except OSError as exc:  # the cache only saves time: the computed value is still right
                self.report(f"{self.claim}: cache entry {path} not written ({exc.strerror or exc}); continuing")
        self.misses += 1
        return _decode(_loads(data[len(CACHE_MAGIC) + 65:])["value"])

    def tick(self, name: str, cached: bool, seconds: float) -> None:
        """Count a sub-run read back from disk and tell `on_subrun` (progress)."""
        self.hits += bool(cached)
        if self.on_subrun is not None:
            self.on_subrun(name, cached, seconds)

    def memo(self, name: str, spec: dict, compute: Callable[[], Any]):
        """The value of sub-run (name, spec): from disk when finished before, else computed and stored."""
        t0 = time.perf_counter()
        found, value, key = self.lookup(name, spec)
        if not found:
            value = self.store(name, spec, key, compute())
        self.tick(name, found, time.perf_counter() - t0)
        return value


def _check_name_spec(name, spec) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"Context.memo: name must be a non-empty string, got {name!r}")
    if not isinstance(spec, dict):
        raise ValueError(f"Context.memo: spec must be a dict, got {type(spec).__name__}")
    canonical(spec)


def memo(cache: SubrunCache | None, name: str, spec: dict, compute: Callable[[], Any]):
    """`Context.memo`: through `cache` when there is one, else computed and round-tripped."""
    if cache is not None:
        return cache.memo(name, spec, compute)
    _check_name_spec(name, spec)
    return roundtrip(compute())


# --- whole results -----------------------------------------------------------------------------

def result_key(claim: str, scale: str, config, device: str) -> dict:
    """The key of a claim run: claim, scale, config hash (overrides included), seed, device, code."""
    return {"claim": claim, "scale": scale, "config_hash": config_hash(config),
            "seed": int(getattr(config, "seed", 0) or 0), "device": device, "code_version": code_version()}


class ResultStore:
    """Results and sub-run caches under one output folder (module docstring)."""

    def __init__(self, root):
        self.root = Path(root)

    def claim_dir(self, claim: str) -> Path:
        return self.root / claim

    def record(self, claim: str) -> dict | None:
        """The claim's store.json, or None when absent, unreadable or malformed."""
        return self._record(claim)[0]

    def _record(self, claim: str) -> tuple[dict | None, str]:
        """(store.json, "") or (None, why in one line)."""
        try:
            return read_record(self.claim_dir(claim) / "store.json"), ""
        except FileNotFoundError:
            return None, "no stored result"
        except (OSError, ValueError) as exc:
            return None, str(exc)

    def lookup(self, key: dict):
        """(Result, "") when a finished result with this key is stored, else (None, reason)."""
        rec, why = self._record(key["claim"])
        path = self.claim_dir(key["claim"]) / "result.json"
        if rec is None:
            return None, why
        if not os.path.lexists(path):
            return None, "no stored result"
        diff = [f for f in KEY_FIELDS if rec["key"].get(f) != key[f]]
        if diff:
            old = rec["key"]
            return None, "stored result differs in " + ", ".join(f"{f} ({old.get(f)} -> {key[f]})" for f in diff)
        try:
            data = safeio.read_regular_bytes(path, MAX_RESULT_BYTES)
        except OSError as exc:
            return None, f"result.json unreadable ({getattr(exc, 'reason', None) or exc.strerror or exc})"
        if hashlib.sha256(data).hexdigest() != rec["result_sha256"]:
            return None, "result.json does not match store.json (damaged, edited or half-written)"
        try:
            return parse_result(data, path), ""
        except ResultFileError as exc:
            return None, str(exc)

    def save(self, result, key: dict, subruns: int = 0) -> Path:
        """Remove the old store.json, write result.json, then a store.json vouching for its bytes
        (a kill in between leaves a result.json with no record: it is recomputed by `run` and read
        unverified by report/export, never a record vouching for other bytes)."""
        path, record = self.claim_dir(key["claim"]) / "result.json", self.claim_dir(key["claim"]) / "store.json"
        data = result_bytes(result)
        if os.path.lexists(record):
            os.unlink(record)
        safeio.atomic_write_bytes(path, data)
        rec = {"key": key, "result_sha256": hashlib.sha256(data).hexdigest(),
               "subruns": int(subruns), "wall_time_s": result.wall_time_s}
        safeio.atomic_write_bytes(record, json.dumps(rec, indent=1).encode())
        return path

    def cache(self, claim: str, seed: int, device: str, *, force: bool = False, **kw) -> SubrunCache:
        """The sub-run cache of `claim` under DIR/<claim>/cache/ (force: recompute and overwrite)."""
        return SubrunCache(self.claim_dir(claim) / "cache", claim, int(seed), device, read=not force, **kw)
