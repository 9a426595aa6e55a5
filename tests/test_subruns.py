"""`Context.map` (grokcheck.subruns: "the independent run groups inside sweeps as Ray
tasks"): items are memoized under the same keys as `Context.memo`, a local Ray cluster runs them as
tasks in other processes with bit-identical results, and a resumed map computes only the missing
items.

The claim is tests/fake_claim.py (float64 Gram eigenvalues from named streams; "pid run" lines in a
marker file say which process computed which item). One local Ray cluster (2 CPUs) serves every Ray
test of this module; they are skipped without Ray.
"""
import dataclasses
import functools
import os
from pathlib import Path

import pytest
import torch

import fake_claim
from grokcheck import store
from grokcheck.context import Context
from grokcheck.executors import Done, Task, run_tasks
from grokcheck.store import SubrunCache

TESTS = str(Path(__file__).resolve().parent)
RUNS = 6


@pytest.fixture(autouse=True)
def pinned_code(monkeypatch):
    monkeypatch.setattr(store, "code_version", lambda: "test")


def config(marker="", runs=RUNS, seed=0):
    return dataclasses.replace(fake_claim.SCALES["ci"], runs=runs, marker=str(marker), seed=seed)


def run_fake(cfg, folder=None, executor="local"):
    """(Result, cache) of the fake claim run in this process, its map on `executor`."""
    cache = SubrunCache(folder, fake_claim.CLAIM_ID, cfg.seed, "cpu")
    ctx = Context(scale="ci", seed=cfg.seed, cache=cache, executor=executor)
    return fake_claim.run(cfg, ctx), cache


def measured(result) -> tuple:
    """What a claim computed (observables and series); config, wall time and environment may differ."""
    return [dataclasses.asdict(o) for o in result.observables], result.series


def computed(marker: Path) -> list[tuple[int, int]]:
    """(pid, run) of every computed item."""
    return [tuple(map(int, line.split())) for line in marker.read_text().splitlines()] if marker.exists() else []


@pytest.fixture(scope="module")
def local():
    return measured(run_fake(config())[0])


def test_map_items_share_memo_keys(tmp_path):
    # a map's items are ordinary memo entries: a later ctx.memo of the same (name, spec) reads them back
    result, cache = run_fake(config(tmp_path / "m"), tmp_path / "cache")
    assert (cache.misses, cache.hits) == (RUNS, 0) and len(list((tmp_path / "cache").glob("*.pt"))) == RUNS
    again = SubrunCache(tmp_path / "cache", fake_claim.CLAIM_ID, 0, "cpu")
    value = Context(scale="ci", cache=again).memo("run", {"run": 2, "size": config().size},
                                                  lambda: pytest.fail("recomputed a cached item"))
    assert again.hits == 1 and value["trace"] == result.series["trace"][2]


def test_map_reads_memo_entries(tmp_path):
    # and the other way: a map finds what a ctx.memo loop stored, value for value
    spec = {"run": 1, "size": config().size}
    ctx = Context(scale="ci", cache=SubrunCache(tmp_path, fake_claim.CLAIM_ID, 0, "cpu"))
    stored = ctx.memo("run", spec, lambda: fake_claim.one_run(spec, 0, "cpu"))
    again = SubrunCache(tmp_path, fake_claim.CLAIM_ID, 0, "cpu")
    (value,) = Context(scale="ci", cache=again).map("run", [spec], fake_claim.one_run)
    assert again.hits == 1 and value["trace"] == stored["trace"] and torch.equal(value["eig"], stored["eig"])


def test_map_in_worker_processes_equals_local_and_caches_each_item(tmp_path, local):
    # processes=2: the items run in two other processes, bit-identical to the local ones, each cached
    marker = tmp_path / "marker"
    fn = functools.partial(fake_claim.one_run, marker=str(marker))
    specs = [{"run": i, "size": config().size} for i in range(RUNS)]
    cache = SubrunCache(tmp_path / "cache", fake_claim.CLAIM_ID, 0, "cpu")
    outs = Context(scale="ci", cache=cache).map("run", specs, fn, processes=2)
    assert [o["trace"] for o in outs] == local[1]["trace"] and cache.misses == RUNS
    pids = {pid for pid, _ in computed(marker)}
    assert sorted(r for _, r in computed(marker)) == list(range(RUNS)) and os.getpid() not in pids
    again = SubrunCache(tmp_path / "cache", fake_claim.CLAIM_ID, 0, "cpu")
    outs_again = Context(scale="ci", cache=again).map("run", specs, fn, processes=2)
    assert all(torch.equal(a["eig"], b["eig"]) for a, b in zip(outs, outs_again))
    assert again.hits == RUNS and len(computed(marker)) == RUNS  # nothing recomputed


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_map_refuses_a_bad_process_count(bad):
    with pytest.raises(ValueError, match="processes must be an int >= 1"):
        Context(scale="ci").map("run", [{"run": 0, "size": 2}], fake_claim.one_run, processes=bad)


def test_map_local_equals_a_list_of_calls(local):
    ctx = Context(scale="ci")
    outs = ctx.map("run", [{"run": i, "size": config().size} for i in range(RUNS)], fake_claim.one_run)
    direct = [fake_claim.one_run({"run": i, "size": config().size}, 0, "cpu") for i in range(RUNS)]
    assert [o["trace"] for o in outs] == [d["trace"] for d in direct] == local[1]["trace"]
    assert all(torch.equal(o["eig"], d["eig"]) for o, d in zip(outs, direct))


def _nested(spec, seed, device):
    def inner():
        return 1
    return inner


@pytest.mark.parametrize("fn, msg", [(lambda spec, seed, device: 1, "<lambda>"),
                                     (_nested({}, 0, "cpu"), "<locals>"),
                                     (functools.partial(lambda s, a, b: 1), "<lambda>"),
                                     (3, "int")])
def test_fn_must_be_module_level(fn, msg):
    with pytest.raises(ValueError, match="module-level function") as e:
        Context().map("run", [{"run": 0}], fn)
    assert msg in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("specs, msg", [([{"run": 0}, [1]], "spec must be a dict"),
                                        ([{"x": object()}], "JSON-able")])
def test_bad_spec_is_one_line(specs, msg):
    with pytest.raises(ValueError, match=msg):
        Context().map("run", specs, fake_claim.one_run)


def test_unknown_executor_is_one_line():
    with pytest.raises(ValueError, match="unknown executor 'dask'"):
        Context(executor="dask").map("run", [{"run": 0, "size": 2}], fake_claim.one_run)


# --- Ray -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()


def test_ray_items_run_in_workers_bit_identical(ray_cluster, local, tmp_path):
    marker = tmp_path / "m"
    result, cache = run_fake(config(marker), tmp_path / "cache", executor="ray")
    assert measured(result) == local
    pids = {pid for pid, _ in computed(marker)}
    assert sorted(run for _, run in computed(marker)) == list(range(RUNS))
    assert os.getpid() not in pids, "the items must run as Ray tasks, not in this process"
    assert (cache.misses, cache.hits) == (RUNS, 0) and len(list((tmp_path / "cache").glob("*.pt"))) == RUNS


def test_ray_resume_computes_only_the_missing_items(ray_cluster, local, tmp_path):
    marker, folder = tmp_path / "m", tmp_path / "cache"
    run_fake(config(marker, runs=RUNS // 2), folder)  # a partial map: items 0..2, in this process
    assert {pid for pid, _ in computed(marker)} == {os.getpid()}
    result, cache = run_fake(config(marker), folder, executor="ray")
    resumed = computed(marker)[RUNS // 2:]
    assert sorted(run for _, run in resumed) == list(range(RUNS // 2, RUNS)), "only the missing items run"
    assert os.getpid() not in {pid for pid, _ in resumed}
    assert (cache.misses, cache.hits) == (RUNS - RUNS // 2, RUNS // 2)
    assert measured(result) == local


def test_ray_failing_item_raises_its_error(ray_cluster, tmp_path):
    ctx = Context(executor="ray", cache=SubrunCache(tmp_path, "c", 0, "cpu"))
    with pytest.raises(RuntimeError, match="negative"):  # RayTaskError(RuntimeError) from torch.randn
        ctx.map("run", [{"run": 0, "size": 4}, {"run": 1, "size": -1}], fake_claim.one_run)


def test_ray_claims_with_nested_map_tasks_match_local(ray_cluster, tmp_path):
    """Claims as Ray tasks whose map items are Ray tasks too (the CLI's `--executor ray` on the CPU):
    3 claim tasks on 2 CPUs must not wait on each other, and give the in-process results."""
    tasks = [Task(f"{fake_claim.CLAIM_ID}-{s}", "fake_claim", config(seed=s, runs=3), "ci", "cpu",
                  str(tmp_path / f"c{s}"), False, 1, "ray") for s in range(3)]
    ref = {t.claim: measured(run_fake(t.config)[0]) for t in tasks}
    got = dict(run_tasks(tasks, executor="ray"))
    assert all(isinstance(o, Done) for o in got.values()), got
    assert {t.claim: measured(o.result) for t, o in got.items()} == ref
    assert all(o.computed == 3 for o in got.values())
