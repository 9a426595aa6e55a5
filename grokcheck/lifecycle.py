"""Worker processes that stop when they are told to, and when their parent dies.

`grokcheck run --jobs N` runs claims in a spawn-context process pool (`grokcheck.executors`). The
pool's workers must never outlive the run:

- SIGTERM or SIGINT (Ctrl-C) of the main process: the main process raises `safeio.Terminated` /
  KeyboardInterrupt, and on its way out `stop_processes` sends every live worker SIGTERM, waits up
  to `GRACE_S` seconds in total, then SIGKILLs what is left. The CLI exits 143 (SIGTERM) or 130
  (SIGINT). Workers ignore SIGINT themselves (a terminal's Ctrl-C reaches the whole process group;
  the parent decides), and turn SIGTERM into `Terminated`, so a write in progress removes its
  temporary file (`safeio.atomic_write_bytes`) before the worker exits with 143
  (`run_in_worker`), never picking up the next claim.
- kill -9 of the main process (no chance to clean up): on Linux each worker asked the kernel for
  SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)` through ctypes); everywhere a daemon
  thread in the worker polls `os.getppid()` every `PARENT_POLL_S` seconds and, once the parent is
  gone, sends itself SIGTERM, then `os._exit(143)` after `GRACE_S` seconds if the main thread is
  stuck in native code. So no worker computes for more than about a second after its parent died.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

from grokcheck.safeio import Terminated

PARENT_POLL_S = 0.5
GRACE_S = 5.0
EXIT_TERMINATED = 143
_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux: ask the kernel to send `sig` to this process when its parent dies; False elsewhere
    or when prctl is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent_pid: int, poll_s: float = PARENT_POLL_S, grace_s: float = GRACE_S) -> threading.Thread:
    """Start a daemon thread that ends this process once its parent `parent_pid` is gone (module
    docstring): SIGTERM to itself, then os._exit(143) after `grace_s` seconds."""
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        os._exit(EXIT_TERMINATED)

    thread = threading.Thread(target=watch, name="grokcheck-parent-watch", daemon=True)
    thread.start()
    return thread


def _raise_terminated(signum, frame):
    raise Terminated(f"signal {signum}")


def init_worker(parent_pid: int) -> None:
    """Initializer of a pool worker (module docstring): SIGINT ignored, SIGTERM raises
    `Terminated`, and the worker ends when `parent_pid` dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_terminated)
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(EXIT_TERMINATED)
    watch_parent(parent_pid)


def run_in_worker(fn, *args):
    """`fn(*args)` in a pool worker; `Terminated` ends the worker (exit 143) once the cleanup on
    the way up (temp files) has run, instead of returning to the pool for the next claim."""
    try:
        return fn(*args)
    except Terminated:
        os._exit(EXIT_TERMINATED)


def stop_processes(processes, grace_s: float = GRACE_S) -> None:
    """SIGTERM every live process of `processes` (multiprocessing.Process objects), wait up to
    `grace_s` seconds in total for all of them, then SIGKILL the rest."""
    live = [p for p in processes if p.is_alive()]
    for p in live:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    deadline = time.monotonic() + grace_s
    for p in live:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in live:
        if p.is_alive():
            with contextlib.suppress(OSError, ValueError):
                p.kill()
            p.join(1.0)
