"""Resume: a run killed mid-claim (kill -9, SIGTERM, SIGINT) resumes from
its finished sub-runs and gives the same result, bit for bit, as an uninterrupted run; a stored
result is skipped and --force recomputes it.

The claim is tests/fake_claim.py, registered as "fake-claim" for the test (in a subprocess through
a small driver script, in this process with monkeypatch). The code version is pinned to "test" so
that other edits of the source tree during the test cannot invalidate the cache between runs.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fake_claim
from grokcheck import registry, store
from grokcheck.cli import main

TESTS = Path(__file__).resolve().parent
DRIVER = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
import grokcheck.registry as registry, grokcheck.store as store
registry.CLAIMS[{fake_claim.CLAIM_ID!r}] = "fake_claim"
store.code_version = lambda: "test"
from grokcheck.cli import main
sys.exit(main(sys.argv[1:]))
"""
SLEEP = 0.4   # s per sub-run: long enough to kill between sub-runs, short enough for CI
RUNS = 6


@pytest.fixture
def fake(monkeypatch):
    """Register the fake claim and pin the code version in this process."""
    monkeypatch.setitem(registry.CLAIMS, fake_claim.CLAIM_ID, "fake_claim")
    monkeypatch.setattr(store, "code_version", lambda: "test")


def argv(out, marker, *extra):
    return ["run", fake_claim.CLAIM_ID, "--scale", "ci", "--out", str(out), "--set", f"runs={RUNS}",
            "--set", f"sleep={SLEEP}", "--set", f"marker={marker}", *extra]


def computed(marker: Path) -> list[tuple[int, int]]:
    """(pid, run) of every computed sub-run."""
    if not marker.exists():
        return []
    return [tuple(map(int, line.split())) for line in marker.read_text().splitlines()]


def comparable(path: Path) -> dict:
    """result.json without what legitimately differs between two runs (wall time, environment)."""
    d = json.loads(path.read_text())
    for k in ("wall_time_s", "environment", "config_hash", "notes"):  # the notes name the marker file
        d.pop(k)
    d["config"].pop("marker")  # the marker file name differs between the two runs
    return d


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    """result.json of the run that nobody killed."""
    tmp = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(registry.CLAIMS, fake_claim.CLAIM_ID, "fake_claim")
        mp.setattr(store, "code_version", lambda: "test")
        assert main(argv(tmp / "ref", tmp / "marker")) == 0
    assert len(computed(tmp / "marker")) == RUNS
    return comparable(tmp / "ref" / fake_claim.CLAIM_ID / "result.json")


@pytest.mark.parametrize("sig", [signal.SIGKILL,  # kill -9 always; the signals the CLI handles: -m slow
                                 pytest.param(signal.SIGTERM, marks=pytest.mark.slow),
                                 pytest.param(signal.SIGINT, marks=pytest.mark.slow)], ids=lambda s: s.name)
def test_killed_run_resumes_bit_identical(tmp_path, capsys, fake, uninterrupted, sig):
    out, marker = tmp_path / "out", tmp_path / "killed.marker"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *argv(out, marker)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while len(computed(marker)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-500:]}"
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    cache = out / fake_claim.CLAIM_ID / "cache"
    finished = sorted(cache.glob("*.pt"))
    # >= 1: the kill may land between the second marker and its cache file (then it is recomputed)
    assert 1 <= len(finished) < RUNS, "the kill must land mid-claim"
    assert not (out / fake_claim.CLAIM_ID / "result.json").exists()
    before = computed(marker)

    assert main(argv(out, marker)) == 0  # the resumed run, in this process
    capsys.readouterr()
    rerun = [run for pid, run in computed(marker)[len(before):]]
    assert len(rerun) == RUNS - len(finished), "finished sub-runs must not be recomputed"
    assert sorted(set(rerun) | {run for _, run in before}) == list(range(RUNS))
    assert comparable(out / fake_claim.CLAIM_ID / "result.json") == uninterrupted


def test_stored_result_is_skipped_and_force_recomputes(tmp_path, capsys, fake):
    out, marker = tmp_path / "out", tmp_path / "m"
    fast = ["--set", "sleep=0"]
    assert main(argv(out, marker, *fast)) == 0
    first = (out / fake_claim.CLAIM_ID / "result.json").read_bytes()
    capsys.readouterr()
    assert main(argv(out, marker, *fast)) == 0
    text = capsys.readouterr().out
    assert "stored result matches" in text and "skipped" in text
    assert len(computed(marker)) == RUNS  # nothing recomputed
    assert (out / fake_claim.CLAIM_ID / "result.json").read_bytes() == first
    assert main(argv(out, marker, *fast, "--force")) == 0
    assert "stored result matches" not in capsys.readouterr().out
    assert len(computed(marker)) == 2 * RUNS  # --force recomputes the claim and its sub-runs


def test_changed_config_or_code_recomputes_and_says_why(tmp_path, capsys, fake, monkeypatch):
    out, marker = tmp_path / "out", tmp_path / "m"
    assert main(argv(out, marker, "--set", "sleep=0")) == 0
    capsys.readouterr()
    assert main(argv(out, marker, "--set", "sleep=0", "--set", "size=40")) == 0
    assert "differs in config_hash" in capsys.readouterr().out
    monkeypatch.setattr(store, "code_version", lambda: "test-edited")
    assert main(argv(out, marker, "--set", "sleep=0", "--set", "size=40")) == 0
    assert "differs in code_version (test -> test-edited)" in capsys.readouterr().out
    assert len(computed(marker)) == 3 * RUNS  # an edit of the code invalidates the sub-runs too


def test_crash_is_not_stored_and_the_next_run_recomputes(tmp_path, capsys, fake):
    out, marker = tmp_path / "out", tmp_path / "m"
    assert main(argv(out, marker, "--set", "sleep=0", "--set", "fail=true")) == 3
    folder = out / fake_claim.CLAIM_ID
    assert (folder / "error.log").exists() and not (folder / "store.json").exists()
    assert main(argv(out, marker, "--set", "sleep=0")) == 0
    assert not (folder / "error.log").exists() and (folder / "store.json").exists()
    capsys.readouterr()


def test_reused_result_clears_an_old_error_log(tmp_path, capsys, fake):
    """A crash of another config leaves error.log beside the stored result; the next run that reuses
    the stored result removes it, so the summary shows the stored verdict, not `error`."""
    from grokcheck.reports.collect import collect
    out, marker = tmp_path / "out", tmp_path / "m"
    assert main(argv(out, marker, "--set", "sleep=0")) == 0
    assert main(argv(out, marker, "--set", "sleep=0", "--set", "fail=true")) == 3
    folder = out / fake_claim.CLAIM_ID
    assert (folder / "error.log").exists() and (folder / "store.json").exists()
    capsys.readouterr()
    assert main(argv(out, marker, "--set", "sleep=0")) == 0
    assert "stored result matches" in capsys.readouterr().out
    assert not (folder / "error.log").exists()
    stored = collect(out, registry.CLAIMS)
    assert not stored.errors and [r.verdict for r in stored.results] == ["verified"]
    assert len(computed(marker)) == RUNS  # reused, not recomputed


def test_a_cache_hit_notes_the_devices_its_sub_run_noted(tmp_path):
    """A sub-run that noted its device when computed notes it again when read back from the cache, so a
    resumed run's environment.device is not '(not recorded)'."""
    import torch
    from grokcheck.context import Context
    from grokcheck.store import SubrunCache

    def compute():
        x = torch.zeros(2)
        ctx.note_device(x)
        return x

    cache = SubrunCache(folder=tmp_path, claim="c", seed=0, device="cpu")
    ctx = Context(seed=0, cache=cache)
    ctx.memo("run", {"i": 0}, compute)
    assert ctx.devices_noted == {"cpu"}
    ctx = Context(seed=0, cache=cache)  # a resumed run: the sub-run is a cache hit
    ctx.memo("run", {"i": 0}, lambda: (_ for _ in ()).throw(AssertionError("recomputed")))
    assert ctx.devices_noted == {"cpu"}
