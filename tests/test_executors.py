"""Executors: the same claims give the same results, bit for bit on CPU, run in
this process, in a process pool (`--jobs 2`) or as Ray tasks on a local cluster; a crashing
claim is reported as its exception and never stops the others.

The claim is tests/fake_claim.py (float64 Gram matrices and eigenvalues from named streams, so
the comparison is a real one), imported by module path in every worker.
"""
import dataclasses
import os
from pathlib import Path

import pytest

import fake_claim
from grokcheck.executors import Done, Task, check_options, run_tasks

TESTS = str(Path(__file__).resolve().parent)


FAILING = f"{fake_claim.CLAIM_ID}-fails"


def tasks(tmp_path=None, failing=False):
    """Three fake-claim tasks with different seeds, plus one that crashes when `failing`."""
    out = []
    for seed in (0, 1, 2):
        cfg = dataclasses.replace(fake_claim.SCALES["ci"], seed=seed, runs=3)
        cache = None if tmp_path is None else str(tmp_path / f"c{seed}")
        out.append(Task(f"{fake_claim.CLAIM_ID}-{seed}", "fake_claim", cfg, "ci", "cpu", cache, False, 1))
    if failing:
        out.insert(1, Task(FAILING, "fake_claim", dataclasses.replace(fake_claim.SCALES["ci"], fail=True), "ci"))
    return out


def comparable(outcome) -> dict:
    assert isinstance(outcome, Done), outcome
    d = outcome.result.to_dict()
    for k in ("wall_time_s", "environment"):
        d.pop(k)
    return d


def run_all(ts, **kw):
    """claim -> outcome; the failing task (if any) must come back as its exception."""
    got = {t.claim: o for t, o in run_tasks(ts, **kw)}
    if FAILING in got:
        assert isinstance(got.pop(FAILING), RuntimeError), kw  # Ray: RayTaskError(RuntimeError)
    return got


@pytest.fixture(scope="module")
def local():
    return {k: comparable(o) for k, o in run_all(tasks()).items()}


def test_local_results_differ_by_seed(local):
    # guards the comparisons below: equal results must not come from a claim that ignores its seed
    a, b = (local[f"{fake_claim.CLAIM_ID}-{s}"]["series"]["trace"] for s in (0, 1))
    assert a != b


def test_process_pool_matches_local_bit_for_bit(local, tmp_path):
    events = []
    got = run_all(tasks(tmp_path, failing=True), jobs=2, on_event=lambda *e: events.append(e))
    assert {k: comparable(o) for k, o in got.items()} == local  # and the crash stopped no other claim
    assert {e[1] for e in events if e[0] == "start"} == set(local) | {FAILING}
    assert sum(e[0] == "subrun" for e in events) == 9  # 3 claims x 3 sub-runs reached the parent


def test_crash_is_isolated_in_process(local):
    got = run_all(tasks(failing=True))
    assert {k: comparable(o) for k, o in got.items()} == local


@pytest.mark.parametrize("kw, msg", [
    ({"executor": "dask", "jobs": 1, "ray_address": None}, "unknown executor"),
    ({"executor": "local", "jobs": 0, "ray_address": None}, "--jobs"),
    ({"executor": "local", "jobs": 1, "ray_address": "auto"}, "--ray-address needs"),
])
def test_bad_options_are_one_line(kw, msg):
    with pytest.raises(ValueError, match=msg) as e:
        check_options(**kw)
    assert "\n" not in str(e.value)


def test_ray_matches_local_bit_for_bit(local, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        got = run_all(tasks(tmp_path, failing=True), executor="ray")
    finally:
        ray.shutdown()
    assert {k: comparable(o) for k, o in got.items()} == local


def test_ray_missing_is_one_line(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ray", None)  # as if `grokcheck[ray]` were not installed
    with pytest.raises(ValueError, match=r"pip install 'grokcheck\[ray\]'"):
        check_options("ray", 1, None)


@pytest.mark.parametrize("executor, device, subruns", [("local", "cpu", "local"), ("ray", "cpu", "ray"),
                                                       ("ray", "cuda", "local"), ("local", "cuda", "local")])
def test_plan_sends_sub_runs_to_ray_only_on_the_cpu(tmp_path, executor, device, subruns):
    """--executor ray on the CPU: each claim's ctx.map items are Ray tasks too; on cuda they stay in
    the claim's task (Ray lends a waiting task's CPU, never its GPU: nested GPU tasks could deadlock)."""
    from grokcheck.executors import plan
    (task, key), = plan(["construction"], "ci", None, [], device, tmp_path, executor=executor)
    assert task.subruns == subruns and key["device"] == device
    assert Path(task.cache_dir).is_absolute()
