"""The result store and the sub-run cache (grokcheck.store, issue 16 item 1): values round-trip
exactly, finished sub-runs are read back instead of recomputed, and a corrupt, foreign or
malicious cache entry is reported in one line and recomputed, never trusted."""
import hashlib
import pickle

import numpy as np
import pytest
import torch

from grokcheck import store
from grokcheck.core import Context, Observable, Result
from grokcheck.store import ResultStore, SubrunCache, memo, roundtrip, source_digest


@pytest.fixture(autouse=True)
def pinned_code(monkeypatch):
    monkeypatch.setattr(store, "code_version", lambda: "test")


class Counter:
    """compute() that counts its calls and returns a value of every supported kind."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"t": torch.arange(3.0), "a": np.arange(4, dtype=np.int32), "s": np.float32(1.5),
                "tuple": (1, "x", None, True, 2.5), 7: [np.bool_(False), float("inf")]}


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


def test_roundtrip_keeps_types_dtypes_and_bits():
    v = Counter()()
    assert_same(roundtrip(v), v)


@pytest.mark.parametrize("bad, where", [({"m": torch.nn.Linear(2, 2)}, "value['m']"),
                                        ([np.array(["a"])], "value[0]"), ({1, 2}, "value")])
def test_unstorable_value_is_one_line_error(bad, where):
    with pytest.raises(ValueError, match=r"Context\.memo: " + where.replace("[", r"\[")) as e:
        roundtrip(bad)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("name, spec", [("", {}), ("run", [1]), ("run", {"x": object()})])
def test_bad_name_or_spec_is_rejected(name, spec):
    with pytest.raises(ValueError, match="Context.memo"):
        memo(None, name, spec, lambda: 1)


def test_memo_without_store_gives_the_roundtripped_value():
    ctx = Context()
    v = ctx.memo("run", {"i": 0}, Counter())
    assert_same(v, roundtrip(Counter()()))


def test_finished_subrun_is_read_back_not_recomputed(tmp_path):
    f = Counter()
    cache = SubrunCache(tmp_path, "c", seed=0, device="cpu")
    first = cache.memo("run", {"i": 0}, f)
    again = SubrunCache(tmp_path, "c", seed=0, device="cpu").memo("run", {"i": 0}, f)  # a new process
    assert f.calls == 1
    assert_same(again, first)
    # a different spec, seed, device, name or code version is another sub-run
    for kw, spec, name in [({}, {"i": 1}, "run"), ({"seed": 1}, {"i": 0}, "run"),
                           ({"device": "cuda"}, {"i": 0}, "run"), ({}, {"i": 0}, "other")]:
        SubrunCache(tmp_path, "c", **{"seed": 0, "device": "cpu", **kw}).memo(name, spec, f)
    assert f.calls == 5


def test_code_version_invalidates(tmp_path, monkeypatch):
    f = Counter()
    SubrunCache(tmp_path, "c", 0, "cpu").memo("run", {}, f)
    monkeypatch.setattr(store, "code_version", lambda: "edited")
    SubrunCache(tmp_path, "c", 0, "cpu").memo("run", {}, f)
    assert f.calls == 2


def test_source_digest_changes_with_any_edit(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = source_digest(tmp_path)
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert source_digest(tmp_path) != before


def test_force_recomputes_and_overwrites(tmp_path):
    f = Counter()
    SubrunCache(tmp_path, "c", 0, "cpu").memo("run", {}, f)
    SubrunCache(tmp_path, "c", 0, "cpu", read=False).memo("run", {}, f)
    SubrunCache(tmp_path, "c", 0, "cpu").memo("run", {}, f)
    assert f.calls == 2


class Evil:
    """A pickle that would create the file `flag` when unpickled: weights_only must refuse it."""

    def __init__(self, flag):
        self.flag = str(flag)

    def __reduce__(self):
        return (open, (self.flag, "w"))


def entry_path(cache: SubrunCache, spec):
    return cache.folder / f"{cache.key('run', spec)}.pt"


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on the evil pickle
@pytest.mark.parametrize("corruption", ["garbage", "truncated", "foreign", "not_a_dict", "evil_pickle"])
def test_corrupt_or_foreign_entry_is_reported_and_recomputed(tmp_path, corruption):
    lines, f = [], Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    good = cache.memo("run", {"i": 0}, f)
    path, other, flag = entry_path(cache, {"i": 0}), entry_path(cache, {"i": 1}), tmp_path / "flag"
    if corruption == "garbage":
        path.write_bytes(b"\x00not a torch file")
    elif corruption == "truncated":
        path.write_bytes(path.read_bytes()[:50])
    elif corruption == "foreign":  # a valid entry of another sub-run copied over this one
        cache.memo("run", {"i": 1}, f)
        path.write_bytes(other.read_bytes())
    elif corruption == "not_a_dict":
        torch.save([1, 2, 3], path)
    else:
        evil = pickle.dumps({"format": 1, "key": cache.key("run", {"i": 0}), "value": Evil(flag)})
        path.write_bytes(evil)
    calls = f.calls
    again = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append).memo("run", {"i": 0}, f)
    assert f.calls == calls + 1, "a bad entry must be recomputed"
    assert not flag.exists(), "the cache executed code from a pickle"
    if corruption == "evil_pickle":  # negative control: a plain unpickler does run it
        pickle.loads(evil)
        assert flag.exists()
    assert_same(again, good)
    assert len(lines) == 1 and "\n" not in lines[0] and str(path) in lines[0] and "recomputing" in lines[0]
    SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append).memo("run", {"i": 0}, f)
    assert f.calls == calls + 1 and len(lines) == 1, "the recomputed entry replaced the bad one"


def _result(seed=0):
    obs = [Observable("a", 1.0, 2.0, "<="), Observable("c", 3.0, 2.0, ">", role="control")]
    return Result("fake", "t", "s", "src", "ci", {"seed": seed}, "h", seed, obs, series={"x": [1, 2]})


def _key(**kw):
    return {"claim": "fake", "scale": "ci", "config_hash": "h", "seed": 0, "device": "cpu",
            "code_version": "test", **kw}


def test_result_store_lookup(tmp_path):
    st = ResultStore(tmp_path)
    assert st.lookup(_key()) == (None, "no stored result")
    st.save(_result(), _key(), subruns=4)
    got, why = st.lookup(_key())
    assert why == "" and got.to_dict() == _result().to_dict()
    assert st.record("fake")["subruns"] == 4
    for field, value in [("config_hash", "h2"), ("seed", 1), ("device", "cuda"), ("code_version", "v2"),
                         ("scale", "default")]:
        got, why = st.lookup(_key(**{field: value}))
        assert got is None and f"differs in {field}" in why
    path = tmp_path / "fake" / "result.json"
    path.write_text(path.read_text().replace('"ci"', '"ci" '))  # any edit of the bytes
    got, why = st.lookup(_key())
    assert got is None and "does not match store.json" in why
    assert hashlib.sha256(path.read_bytes()).hexdigest() != st.record("fake")["result_sha256"]
