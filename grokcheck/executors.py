"""Where claims run: in this process, in a local process pool (`--jobs N`) or as Ray tasks
(`--executor ray`, optional extra `grokcheck[ray]`).

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

import contextlib
import importlib
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import socket
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from grokcheck import registry  # noqa: I001  (registry.CLAIMS read at call time: tests add fake claims)
from grokcheck.context import make_context
from grokcheck.lifecycle import init_worker, run_in_worker, stop_processes
from grokcheck.overrides import parse_assignments, resolve_config
from grokcheck.store import SubrunCache, result_key
from grokcheck.subruns import ray_module

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


def execute(task: Task, emit: Callable[..., None] | None = None) -> Done:
    """Run `task` in this process; `emit(kind, claim, *args)` receives its progress events."""
    emit = emit or (lambda *event: None)
    t0 = time.perf_counter()
    emit("start", task.claim)
    seed = getattr(task.config, "seed", 0) or 0
    cache = SubrunCache(task.cache_dir, task.claim, seed, task.device, read=not task.force,
                        on_subrun=lambda name, cached, secs: emit("subrun", task.claim, name, cached, secs))
    ctx = make_context(task.scale, task.device, seed, cache=cache, executor=task.subruns, threads=task.threads,
                       log=lambda msg: emit("log", task.claim, msg, time.perf_counter() - t0))
    result = importlib.import_module(task.module).run(task.config, ctx)
    return Done(result, cache.misses, cache.hits)


_EVENTS = None  # in a pool worker: the queue its progress events travel to the parent through


def _init_pool_worker(events, parent_pid: int) -> None:
    """Initializer of a `--jobs` worker: the event queue, and `lifecycle.init_worker` (signals,
    end with the parent)."""
    global _EVENTS
    _EVENTS = events
    init_worker(parent_pid)


def _queue_emit(*event) -> None:
    _EVENTS.put(event)


def _pool_execute(task: Task) -> Done:
    return run_in_worker(execute, task, _queue_emit)


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
    """A spawn-context process pool (fork is unsafe once torch has started its threads). Its
    workers stop with the run: on any exit other than the normal end (SIGTERM, Ctrl-C, an error
    in this process, the generator closed early) they are terminated, and they end themselves if
    this process dies (`grokcheck.lifecycle`)."""

    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                               initializer=_init_pool_worker, initargs=(events, os.getpid()))
    try:
        pending = {pool.submit(_pool_execute, task): task for task in tasks}
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(events, on_event)
            for fut in done:
                task = pending.pop(fut)
                exc = fut.exception()
                yield task, (exc if exc is not None else fut.result())
        _drain(events, on_event)
    except BaseException:
        stop_processes(list((getattr(pool, "_processes", None) or {}).values()))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        events.close()


RAY_PROBE_S = 10.0  # the most a --ray-address may take to answer like a Ray server
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + empty SETTINGS


def _reachable(address: str, timeout: float = RAY_PROBE_S) -> None:
    """ValueError (one line) unless `address` ("host:port" or "ray://host:port") answers like a
    Ray server within `timeout` seconds in all: it accepts a TCP connection, and, sent the HTTP/2
    client preface, answers with an HTTP/2 SETTINGS frame as every gRPC server does (the Ray GCS
    and the Ray client server both speak gRPC). Without this probe ray.init retries an
    unreachable address for minutes, and waits forever on a port that accepts the connection but
    is not Ray (a web server, a database, a silent listener). A Ray cluster with TLS on is refused
    too (the probe speaks plain HTTP/2): pass no --ray-address and ray.init() it yourself."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout) as sock:
            sock.sendall(_H2_PREFACE)
            head = b""
            while len(head) < 9:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
    except socket.timeout:
        raise ValueError(f"--ray-address {address}: no answer within {timeout:g} s (not a Ray server?)") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"--ray-address {address}: cannot connect ({exc})") from None
    if len(head) < 9 or head[3] != 0x04:
        raise ValueError(f"--ray-address {address}: the port answers, but not as a Ray (gRPC) server does")


def _run_ray(tasks, address, on_event):
    """Each claim as one Ray task (module docstring). On any exit other than the normal end
    (SIGTERM, Ctrl-C, the generator closed early) the claim tasks still running are force-cancelled
    (their worker processes killed), and a cluster this call started is shut down."""
    ray = ray_module()
    started = False
    if not ray.is_initialized():
        if address and address != "auto":
            _reachable(address)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=True)
        except (ConnectionError, RuntimeError) as exc:
            raise ValueError(f"--ray-address {address}: {str(exc).splitlines()[0] if str(exc) else exc}") from None
        finally:  # ray.init installs its own SIGTERM handler (exit 1): the CLI's (exit 143 / 130) decides
            for sig, handler in handlers.items():
                if handler is not None:
                    signal.signal(sig, handler)
        started = True
    remote = ray.remote(_execute_printing)
    refs = {}
    try:
        for task in tasks:
            gpus = 1 if str(task.device).startswith("cuda") else 0
            refs[remote.options(num_cpus=1, num_gpus=gpus).remote(task)] = task
            on_event("start", task.claim)
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in ready:
                task = refs.pop(ref)
                try:
                    value = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 (RayTaskError: the worker's traceback in its text)
                    value = exc
                yield task, value
    except BaseException:
        for ref in refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if started:
            with contextlib.suppress(Exception):
                ray.shutdown()
        raise


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


    assignments = parse_assignments(sets)
    configs = {cid: resolve_config(cid, scale, seed, assignments) for cid in claims}
    subruns = "ray" if executor == "ray" and device == "cpu" else "local"
    return [(Task(cid, registry.CLAIMS[cid], configs[cid], scale, device, str(Path(out).absolute() / cid / "cache"), force,
                  torch.get_num_threads(), subruns), result_key(cid, scale, configs[cid], device)) for cid in claims]
