"""Where claims run: in this process, in a local process pool (`--jobs N`) or as Ray tasks
(`--executor ray`, optional extra `grokcheck[ray]`) (issue 16).

A `Task` is everything one claim run needs, resolved by the caller: the claim module's import
path, the frozen Config (scale, `--seed` and `--set` applied), device, the sub-run cache folder,
the torch thread count and where the claim's `ctx.map` sub-runs run (`subruns`, "local" or "ray"). `execute(task)` runs it in whatever process it lands in; the result
depends only on the task, so the executor never changes it: on CPU the Result's observables and
series are bit-identical whichever executor ran them (tested, `tests/test_executors.py`),
provided each worker uses the same number of torch threads as the caller (`Task.threads`, set in
every worker: a different intra-op thread count may reorder float reductions).

`run_tasks(tasks, executor=..., jobs=..., ray_address=...)` yields `(task, outcome)` in order of
completion; `outcome` is a `Done` or the exception the claim raised (a crash in one claim never
stops the others; with a process pool or Ray the exception carries the worker's traceback as its
cause or text). Progress events `(kind, claim, ...)` reach `on_event` in this process: "start",
"log" (msg, elapsed) and "subrun" (name, cached, seconds); Ray tasks print their log lines
instead (Ray forwards worker output to the driver).

Ray: `ray.init(address=ray_address)` unless Ray is already initialized (a test's or the user's
`ray.init(num_cpus=2)`); address None starts a local cluster, "auto" or "ray://host:10001"
joins one. Each claim is one task with `num_cpus=1` and, on device cuda, `num_gpus=1`. On the
CPU the independent sub-runs inside a claim (`ctx.map`, `grokcheck.subruns`) are Ray tasks too,
one CPU each (a claim task waiting on them lends its CPU back to Ray); on cuda they run inside
their claim's task, on the GPU it holds (Ray does not lend a waiting task's GPU, so nested GPU
tasks could wait on each other forever). On a cluster every node needs grokcheck installed, and
the sub-run cache lives on the node that ran the claim (resume across nodes needs `--out` on a
shared file system).
"""
from __future__ import annotations

import importlib
import queue as queue_mod
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Task:
    """One claim run. config: the resolved frozen Config; cache_dir: DIR/<claim>/cache (None: no
    sub-run cache); force: recompute cached sub-runs; threads: torch threads in the worker (0:
    leave as is); subruns: the Context's executor for `ctx.map` (`grokcheck.subruns`)."""
    claim: str
    module: str
    config: Any
    scale: str
    device: str = "cpu"
    cache_dir: str | None = None
    force: bool = False
    threads: int = 0
    subruns: str = "local"


@dataclass
class Done:
    """A finished claim run: its Result and how many sub-runs were computed / read from cache."""
    result: Any
    computed: int = 0
    cached: int = 0


def _setup(threads: int) -> None:
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False  # float64 kernels need exact matmuls
    torch.backends.cudnn.allow_tf32 = False
    if threads:
        torch.set_num_threads(threads)


def execute(task: Task, emit: Callable[..., None] | None = None) -> Done:
    """Run `task` in this process; `emit(kind, claim, *args)` receives its progress events."""
    from grokcheck.core import Context
    from grokcheck.store import SubrunCache
    _setup(task.threads)
    emit = emit or (lambda *event: None)
    t0 = time.perf_counter()
    emit("start", task.claim)
    seed = getattr(task.config, "seed", 0) or 0
    cache = SubrunCache(task.cache_dir, task.claim, seed, task.device, read=not task.force,
                        on_subrun=lambda name, cached, secs: emit("subrun", task.claim, name, cached, secs))
    ctx = Context(scale=task.scale, device=task.device, seed=seed, cache=cache, executor=task.subruns,
                  log=lambda msg: emit("log", task.claim, msg, time.perf_counter() - t0))
    result = importlib.import_module(task.module).run(task.config, ctx)
    return Done(result, cache.misses, cache.hits)


class _QueueEmit:
    """A picklable `emit` that forwards events to the parent through a manager queue."""

    def __init__(self, q):
        self.q = q

    def __call__(self, *event):
        self.q.put(event)


def _print_emitter(*event):
    kind, claim, *rest = event
    if kind == "log":
        print(f"    [{claim} {rest[1]:7.1f}s] {rest[0]}", flush=True)


def _execute_printing(task: Task) -> Done:
    return execute(task, _print_emitter)


def run_tasks(tasks: list[Task], *, executor: str = "local", jobs: int = 1, ray_address: str | None = None,
              on_event: Callable[..., None] | None = None) -> Iterator[tuple[Task, Any]]:
    """Run `tasks`; yield (task, Done or exception) as each finishes (module docstring)."""
    check_options(executor, jobs, ray_address if executor == "ray" else None)
    on_event = on_event or (lambda *event: None)
    if executor == "ray":
        yield from _run_ray(tasks, ray_address, on_event)
    elif jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            try:
                yield task, execute(task, on_event)
            except Exception as exc:  # noqa: BLE001 (one crashing claim never stops the others)
                yield task, exc
    else:
        yield from _run_pool(tasks, jobs, on_event)


def _drain(q, on_event) -> None:
    while True:
        try:
            on_event(*q.get_nowait())
        except queue_mod.Empty:
            return


def _run_pool(tasks, jobs, on_event):
    """A spawn-context process pool (fork is unsafe once torch has started its threads)."""
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        q = manager.Queue()
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx)
        try:
            pending = {pool.submit(execute, task, _QueueEmit(q)): task for task in tasks}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(q, on_event)
                for fut in done:
                    task = pending.pop(fut)
                    exc = fut.exception()
                    yield task, (exc if exc is not None else fut.result())
            _drain(q, on_event)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def ray_module():
    """The `ray` module, or ValueError with the install hint."""
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray needs Ray: pip install 'grokcheck[ray]'") from None
    return ray


def _reachable(address: str, timeout: float = 5.0) -> None:
    """ValueError unless host:port of `address` ("host:port" or "ray://host:port") accepts a TCP
    connection: ray.init retries an unreachable address for minutes."""
    import socket
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except (OSError, ValueError) as exc:
        raise ValueError(f"--ray-address {address}: cannot connect ({exc})") from None


def _run_ray(tasks, address, on_event):
    ray = ray_module()
    if not ray.is_initialized():
        if address and address != "auto":
            _reachable(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=True)
        except (ConnectionError, RuntimeError) as exc:
            raise ValueError(f"--ray-address {address}: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    remote = ray.remote(_execute_printing)
    refs = {}
    for task in tasks:
        gpus = 1 if str(task.device).startswith("cuda") else 0
        refs[remote.options(num_cpus=1, num_gpus=gpus).remote(task)] = task
        on_event("start", task.claim)
    while refs:
        ready, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
        for ref in ready:
            task = refs.pop(ref)
            try:
                yield task, ray.get(ref)
            except Exception as exc:  # noqa: BLE001 (RayTaskError: the worker's traceback in its text)
                yield task, exc


def check_options(executor: str, jobs: int, ray_address: str | None) -> None:
    """ValueError with one line for an executor, --jobs or --ray-address that cannot work."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1, got {jobs!r}")
    if executor == "ray":
        if jobs != 1:
            raise ValueError("--jobs is for --executor local; Ray schedules claims on its cluster's CPUs")
        ray_module()
    elif ray_address:
        raise ValueError("--ray-address needs --executor ray")


def plan(claims, scale: str, seed: int | None, sets, device: str, out, force: bool = False,
         executor: str = "local") -> list:
    """(Task, result key) per claim for `grokcheck run`, every config resolved (scale, seed,
    `--set`) and validated before anything runs; ValueError with one line otherwise. With
    executor "ray" on the CPU each claim's `ctx.map` sub-runs are Ray tasks too (module docstring)."""
    from pathlib import Path

    import torch

    from grokcheck.overrides import parse_assignments, resolve_config
    from grokcheck.registry import CLAIMS
    from grokcheck.store import result_key
    assignments = parse_assignments(sets)
    configs = {cid: resolve_config(cid, scale, seed, assignments) for cid in claims}
    subruns = "ray" if executor == "ray" and device == "cpu" else "local"
    return [(Task(cid, CLAIMS[cid], configs[cid], scale, device, str(Path(out).absolute() / cid / "cache"), force,
                  torch.get_num_threads(), subruns), result_key(cid, scale, configs[cid], device)) for cid in claims]
