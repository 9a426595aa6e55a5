"""`Context.map`: the independent sub-runs of a sweep, in this process or as Ray tasks.

`map_subruns(cache, name, specs, fn, seed, device, executor)` returns `[fn(spec, seed, device) for
spec in specs]`, each item memoized exactly as `Context.memo(name, spec, ...)` would (same cache
key: claim, name, spec, seed, device, code version; `grokcheck.store`), so a resumed run, a run on
another executor and a plain `ctx.memo` loop share their finished sub-runs.

- executor "local": the items run here, one after the other, in order; with `processes` > 1 on
  the CPU the items not yet cached run in a spawn-context pool of that many worker processes (each
  with the caller's torch thread count), written to the cache as they arrive. The workers stop
  with the run: SIGTERM / Ctrl-C / an error here terminates them, and they end themselves when this
  process dies (`grokcheck.lifecycle`). Inside a worker process (a `--jobs` claim) items run here.
- executor "ray": the items not yet in the cache run as Ray tasks, each requesting one CPU
  (`num_cpus=1`) or, on a cuda device, one GPU (`num_gpus=1`); each result is written to the cache
  as soon as it arrives, so a killed run keeps the finished items. Ray is initialized (a local
  cluster) when it is not already (inside a Ray task it always is). A failing item cancels the
  others and raises its exception (Ray's RayTaskError, a subclass of the original type).

An item is cached in the shape `Context.memo` uses ({"value", "devices"}: no device is noted inside
an item), so a memo loop and a map over the same (name, spec) read each other's entries.

`fn` is a module-level function (or a `functools.partial` of one) taking (spec, seed, device), so a
remote worker can import it; every draw inside it comes from a stream indexed by the spec, e.g.
`streams.generator(seed, "init", spec["run"])`. Arguments bound with partial must not change the
value (put anything that does into the spec). Bit-identity on CPU: each Ray worker sets the same
torch thread count as the caller (a different intra-op thread count may reorder float reductions)
and TF32 off, and every value, local or remote, reaches the claim through torch.save/torch.load.
"""
from __future__ import annotations

import functools
import multiprocessing as mp
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable

import torch

from grokcheck.lifecycle import init_worker, run_in_worker, stop_processes
from grokcheck.numerics import set_numerics
from grokcheck.store import SubrunCache, _check_name_spec

SUBRUN_EXECUTORS = ("local", "ray")


def ray_module():
    """The `ray` module, or ValueError with the install hint (Ray is an optional extra)."""
    try:
        import ray  # optional and heavy: imported only when Ray is asked for
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'grokcheck[ray]'") from None
    return ray


def check_fn(fn) -> None:
    """ValueError with one line unless `fn` is a module-level function (or a partial of one)."""
    f = fn.func if isinstance(fn, functools.partial) else fn
    qual = getattr(f, "__qualname__", None)
    if not callable(f) or qual is None or "<" in qual:
        raise ValueError(f"Context.map: fn must be a module-level function of (spec, seed, device) so Ray "
                         f"workers can import it, got {qual or type(f).__name__}")


def run_item(fn, spec: dict, seed: int, device: str, threads: int = 0):
    """One item, in whatever process it lands in: (value, seconds). Sets torch's thread count (when
    given) and TF32 off first, as `executors.execute` does for a claim."""
    set_numerics(threads)
    t0 = time.perf_counter()
    return fn(spec, seed, device), time.perf_counter() - t0


def map_subruns(cache, name: str, specs, fn: Callable[[dict, int, str], Any], seed: int, device: str,
                executor: str = "local", processes: int = 1) -> list:
    """The values of the sub-runs (name, spec) for `specs`, in order (module docstring).
    cache: the claim run's `store.SubrunCache`, or None (nothing kept on disk; values round-trip)."""
    if executor not in SUBRUN_EXECUTORS:
        raise ValueError(f"Context.map: unknown executor {executor!r}; expected one of {', '.join(SUBRUN_EXECUTORS)}")
    check_fn(fn)
    specs = list(specs)
    for spec in specs:  # every spec checked before any item runs
        _check_name_spec(name, spec)
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"Context.map: processes must be an int >= 1, got {processes!r}")
    cache = cache if cache is not None else SubrunCache(None, "", seed, device)
    if executor == "local" and not _use_pool(processes, device):
        return [cache.memo(name, spec, functools.partial(_as_memo_entry, fn, spec, seed, device))["value"]
                for spec in specs]
    values, todo = [None] * len(specs), {}
    for i, spec in enumerate(specs):
        t0 = time.perf_counter()
        found, value, key = cache.lookup(name, spec)
        if found:
            values[i] = value["value"]
            cache.tick(name, True, time.perf_counter() - t0)
        else:
            todo.setdefault(key, []).append(i)  # an item given twice is computed once
    todo_specs = {k: specs[ix[0]] for k, ix in todo.items()}
    items = (_ray_items(fn, todo_specs, seed, device) if executor == "ray"
             else _pool_items(fn, todo_specs, seed, device, processes))
    for key, (value, seconds) in items:
        value = cache.store(name, specs[todo[key][0]], key, {"value": value, "devices": []})["value"]
        for i in todo[key]:
            values[i] = value
        cache.tick(name, False, seconds)
    return values


def _as_memo_entry(fn, spec: dict, seed: int, device: str) -> dict:
    return {"value": fn(spec, seed, device), "devices": []}


def _use_pool(processes: int, device: str) -> bool:
    """A worker pool only for processes > 1 on the CPU, and never inside a worker process."""
    return processes > 1 and str(device) == "cpu" and mp.parent_process() is None


def _pool_item(fn, spec: dict, seed: int, device: str, threads: int):
    return run_in_worker(run_item, fn, spec, seed, device, threads)


def _pool_items(fn, specs: dict, seed: int, device: str, processes: int):
    """Yield (key, (value, seconds)) of {key: spec} as the workers of a spawn-context pool finish
    them (module docstring); a failing item stops the pool and raises its exception."""
    if not specs:
        return


    pool = ProcessPoolExecutor(min(processes, len(specs)), mp_context=mp.get_context("spawn"),
                               initializer=init_worker, initargs=(os.getpid(),))
    threads = torch.get_num_threads()
    try:
        pending = {pool.submit(_pool_item, fn, spec, seed, device, threads): key for key, spec in specs.items()}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()
    except BaseException:  # an error, a signal or the generator closed early: no worker outlives it
        stop_processes(list((getattr(pool, "_processes", None) or {}).values()))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)


def _ray_items(fn, specs: dict, seed: int, device: str):
    """Yield (key, (value, seconds)) of {key: spec} as Ray tasks finish (module docstring)."""
    if not specs:
        return

    ray = ray_module()
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=True)
    gpus = 1 if str(device).startswith("cuda") else 0
    remote = ray.remote(run_item).options(num_cpus=0 if gpus else 1, num_gpus=gpus)
    threads = torch.get_num_threads()
    refs = {remote.remote(fn, spec, seed, device, threads): key for key, spec in specs.items()}
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in ready:
                yield refs.pop(ref), ray.get(ref)
    finally:
        for ref in refs:  # a failing item, a kill or a generator left early: stop the rest
            ray.cancel(ref)
