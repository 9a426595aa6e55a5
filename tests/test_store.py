"""The result store and the sub-run cache (grokcheck.store): values round-trip
exactly, finished sub-runs are read back instead of recomputed, and a corrupt, foreign or
malicious cache entry is reported in one line and recomputed, never trusted."""
import hashlib
import json
import pickle

import numpy as np
import pytest
import torch

from grokcheck import store
from grokcheck.core import Observable, Result
from grokcheck.context import Context
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


# --- damaged and special files are never trusted ------------------------------------------------

def _flip_a_payload_bit(path):
    """Flip one bit inside the tensor bytes of a cache file (the payload after the header)."""
    data = bytearray(path.read_bytes())
    body = data.index(b"\x00\x00\x80?", len(store.CACHE_MAGIC))  # float32 1.0 of torch.arange(3.0)
    data[body + 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_bit_flipped_in_a_cached_tensor_is_caught_and_recomputed(tmp_path):
    lines, f = [], Counter()
    good = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append).memo("run", {"i": 0}, f)
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    path = entry_path(cache, {"i": 0})
    _flip_a_payload_bit(path)
    # negative control: without the checksum the flipped payload loads and differs silently
    head = len(store.CACHE_MAGIC) + 65
    silently = store._decode(store._loads(path.read_bytes()[head:])["value"])
    assert not torch.equal(silently["t"], good["t"])
    again = cache.memo("run", {"i": 0}, f)
    assert f.calls == 2 and len(lines) == 1 and "checksum mismatch" in lines[0] and str(path) in lines[0]
    assert_same(again, good)


def test_an_old_format_entry_is_recomputed(tmp_path):
    lines, f = [], Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    cache.memo("run", {}, f)
    path = entry_path(cache, {})
    torch.save({"format": 1, "key": cache.key("run", {}), "value": 1}, path)  # an entry without checksum
    cache.memo("run", {}, f)
    assert f.calls == 2 and "not a cache entry of this format" in lines[0]


@pytest.fixture
def alarm():
    """Fail instead of hanging forever if a read blocks (a FIFO opened without O_NONBLOCK)."""
    import signal

    def boom(*_):
        raise TimeoutError("blocked on a special file")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _plant(path, kind):
    import os
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        path.write_bytes(b"x")
        path.chmod(0)
    elif kind == "dangling-symlink":
        path.symlink_to(path.parent / "nowhere")


SPECIAL = ["fifo", "dev-zero", "directory", "unreadable", "dangling-symlink"]


@pytest.mark.parametrize("kind", SPECIAL)
def test_a_special_file_in_place_of_a_cache_entry_is_refused_not_opened_blocking(tmp_path, kind, alarm):
    import os
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a mode-000 file")
    lines, f = [], Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    good = cache.memo("run", {}, f)
    _plant(entry_path(cache, {}), kind)
    again = cache.memo("run", {}, f)
    assert f.calls == 2 and len(lines) >= 1 and all("\n" not in x for x in lines)
    assert_same(again, good)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "unreadable"])
def test_a_special_file_in_place_of_result_or_store_json_is_refused(tmp_path, kind, alarm):
    import os

    from grokcheck.schema import ResultFileError, read_result
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a mode-000 file")
    for name in ("result.json", "store.json"):
        st = ResultStore(tmp_path / name)
        st.save(_result(), _key())
        _plant(tmp_path / name / "fake" / name, kind)
        got, why = st.lookup(_key())
        assert got is None and why and "\n" not in why
        if name == "result.json":
            with pytest.raises(ResultFileError, match="result.json"):
                read_result(tmp_path / name / "fake" / "result.json")


@pytest.mark.parametrize("record", ['{"key": null}', '{"key": {}, "result_sha256": 5}', "[1]", "{", '"x"',
                                    '{"key": {}, "result_sha256": "' + "0" * 64 + '", "subruns": "many"}'])
def test_a_malformed_store_json_is_one_line_not_a_traceback(tmp_path, record):
    from grokcheck.schema import ResultFileError, read_result
    st = ResultStore(tmp_path)
    st.save(_result(), _key())
    (tmp_path / "fake" / "store.json").write_text(record)
    got, why = st.lookup(_key())
    assert got is None and "store.json" in why and "\n" not in why
    assert st.record("fake") is None
    with pytest.raises(ResultFileError, match="cannot be vouched for"):
        read_result(tmp_path / "fake" / "result.json")


def test_a_damaged_result_is_refused_by_every_reader(tmp_path):
    """A digit changed in result.json still parses (negative control) but no longer matches the
    SHA-256 in store.json: lookup recomputes and read_result (report, export) refuses it."""
    from grokcheck.schema import ResultFileError, read_result
    st = ResultStore(tmp_path)
    st.save(_result(), _key())
    path = tmp_path / "fake" / "result.json"
    assert read_result(path).observables[0].value == 1.0
    path.write_text(path.read_text().replace('"value": 1.0', '"value": 7.0', 1))
    assert read_result(path, verify=False).observables[0].value == 7.0  # parses: only the digest tells
    with pytest.raises(ResultFileError, match="checksum mismatch"):
        read_result(path)
    assert st.lookup(_key())[0] is None
    (tmp_path / "fake" / "store.json").unlink()  # a result written outside a store is read unverified
    assert read_result(path).observables[0].value == 7.0


def test_save_never_leaves_a_record_vouching_for_other_bytes(tmp_path, monkeypatch):
    """A kill between result.json and store.json (simulated: the second write fails) leaves no
    store.json, so readers do not refuse the new result and run recomputes it."""
    from grokcheck import safeio
    from grokcheck.schema import read_result
    st = ResultStore(tmp_path)
    st.save(_result(0), _key())
    real = safeio.atomic_write_bytes

    def fail_on_record(path, data):
        if path.name == "store.json":
            raise KeyboardInterrupt
        real(path, data)
    monkeypatch.setattr(safeio, "atomic_write_bytes", fail_on_record)
    with pytest.raises(KeyboardInterrupt):
        st.save(_result(1), _key(seed=1))
    assert not (tmp_path / "fake" / "store.json").exists()
    assert read_result(tmp_path / "fake" / "result.json").seed == 1
    assert st.lookup(_key(seed=1)) == (None, "no stored result")


def test_an_unwritable_cache_entry_is_one_line_and_the_value_is_kept(tmp_path):
    lines, f = [], Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    entry_path(cache, {}).mkdir(parents=True)  # a directory where the entry goes
    value = cache.memo("run", {}, f)
    assert_same(value, roundtrip(Counter()()))
    assert "a directory" in lines[0] and "not written" in lines[-1] and all("\n" not in x for x in lines)


# --- counts, keys and records (each pins a behaviour a mutation tool found unchecked) ------------

def test_hits_misses_and_progress_ticks(tmp_path):
    ticks, f = [], Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu", on_subrun=lambda *t: ticks.append(t))
    cache.memo("run", {"i": 0}, f)
    cache.memo("run", {"i": 0}, f)
    cache.memo("run", {"i": 1}, f)
    assert (cache.misses, cache.hits, f.calls) == (2, 1, 2)
    assert [(name, cached) for name, cached, _ in ticks] == [("run", False), ("run", True), ("run", False)]
    assert all(isinstance(s, float) and 0 <= s < 60 for _, _, s in ticks)


def test_sub_run_keys_ignore_dict_order_and_take_numpy_scalars():
    cache = SubrunCache(None, "c", 0, "cpu")
    assert cache.key("run", {"a": 1, "b": 2}) == cache.key("run", {"b": 2, "a": 1})
    assert cache.key("run", {"n": np.int64(3)}) == cache.key("run", {"n": 3})
    keys = {cache.key("run", {"a": 1}), cache.key("other", {"a": 1}), cache.key("run", {"a": 2}),
            SubrunCache(None, "c", 1, "cpu").key("run", {"a": 1}), SubrunCache(None, "c", 0, "cuda").key("run", {"a": 1}),
            SubrunCache(None, "d", 0, "cpu").key("run", {"a": 1})}
    assert len(keys) == 6


def test_result_key_and_the_claim_cache(tmp_path):
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Cfg:
        p: int = 5
        seed: int = 7
    key = store.result_key("c", "ci", Cfg(), "cpu")
    assert key == {"claim": "c", "scale": "ci", "config_hash": key["config_hash"], "seed": 7, "device": "cpu",
                   "code_version": "test"}
    assert store.result_key("c", "ci", Cfg(p=7), "cpu")["config_hash"] != key["config_hash"]
    lines = []
    cache = ResultStore(tmp_path).cache("c", np.int64(3), "cpu", report=lines.append)
    assert cache.folder == tmp_path / "c" / "cache" and cache.read and cache.seed == 3 and type(cache.seed) is int
    assert (cache.claim, cache.device, cache.report) == ("c", "cpu", lines.append)
    assert not ResultStore(tmp_path).cache("c", 0, "cpu", force=True).read


def test_the_default_report_is_one_line_on_stderr(tmp_path, capsys):
    f = Counter()
    cache = SubrunCache(tmp_path, "c", 0, "cpu")
    cache.memo("run", {}, f)
    entry_path(cache, {}).write_bytes(b"junk")
    cache.memo("run", {}, f)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a cache entry of this format; recomputing" in err


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_correctly_framed_evil_pickle_is_still_refused(tmp_path):
    """The checksum only proves the bytes are the ones written: a payload that is not a cache
    entry (here a pickle that would run code) is refused by torch.load(weights_only=True)."""
    lines, f, flag = [], Counter(), tmp_path / "flag"
    cache = SubrunCache(tmp_path, "c", 0, "cpu", report=lines.append)
    cache.memo("run", {}, f)
    payload = pickle.dumps({"format": store.CACHE_FORMAT, "key": cache.key("run", {}), "value": Evil(flag)})
    framed = store.CACHE_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    entry_path(cache, {}).write_bytes(framed)
    cache.memo("run", {}, f)
    assert f.calls == 2 and not flag.exists() and len(lines) == 1 and "unreadable (" in lines[0]


def test_entry_framing_boundaries():
    empty = store.CACHE_MAGIC + hashlib.sha256(b"").hexdigest().encode() + b"\n"
    assert store._entry_payload(empty) == b""
    for bad in (empty[:-1], empty[:-1] + b"x", b"x" + empty, empty + b"x"):
        with pytest.raises(ValueError, match="not a cache entry|checksum mismatch"):
            store._entry_payload(bad)


def test_lookup_messages_name_what_differs(tmp_path):
    st = ResultStore(tmp_path)
    st.save(_result(), _key(), subruns=2)
    assert st.lookup(_key(config_hash="h2", seed=1))[1] == "stored result differs in config_hash (h -> h2), seed (0 -> 1)"
    rec = st.record("fake")
    assert rec["wall_time_s"] == _result().wall_time_s and rec["subruns"] == 2
    path = tmp_path / "fake" / "result.json"
    path.write_text("{not json")  # and a record that vouches for these bytes: only the parse fails
    (tmp_path / "fake" / "store.json").write_text(json.dumps({**rec, "result_sha256": hashlib.sha256(
        path.read_bytes()).hexdigest()}))
    got, why = st.lookup(_key())
    assert got is None and why.startswith(f"{path}: unreadable result")
