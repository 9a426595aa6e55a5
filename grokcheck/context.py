"""The run context of one claim: its scale, device, random streams, sub-run memo and map, progress
log, and the Result it assembles; built in one place (`make_context`), which also sets the numerics.

Layering: context sits above the domain (`core`), the store and the sub-runs, and below the
executors and the registry, which build it; claims receive it as `ctx` and import nothing above it.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy
import torch

from grokcheck.core import Claim, Observable, Result, config_hash, to_jsonable
from grokcheck.numerics import set_numerics
from grokcheck.store import memo
from grokcheck.streams import check_seed, generator, numpy_rng
from grokcheck.subruns import map_subruns
from grokcheck.version import git_commit, git_dirty


def make_context(scale: str = "ci", device: str = "cpu", seed: int = 0, *, log=None, cache=None,
                 executor: str = "local", threads: int = 0) -> "Context":
    """The Context of one claim run, with the numerics set first (TF32 off, `threads` when > 0).
    The one place a Context is built for a run (the registry and the executors call it)."""
    set_numerics(threads)
    return Context(scale=scale, device=device, seed=seed, cache=cache, executor=executor,
                   **({} if log is None else {"log": log}))


def environment(device: str) -> dict:
    """Versions, device and git commit recorded in every result."""
    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "tf32": bool(torch.backends.cuda.matmul.allow_tf32),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        env["device_name"] = torch.cuda.get_device_name()
    env.update(git_commit=git_commit(), git_dirty=git_dirty())
    return env


@dataclass
class Context:
    """How a claim runs: scale name, torch device, run seed, a progress logger and the start time.

    Everything a claim creates (models, data, kernels) lives on `device`; every random draw comes
    from `rng(name, index)`, a stream derived from (seed, name, index) by hashing
    (`grokcheck.streams`), never from `Generator(seed)` or an offset of the seed.
    """
    scale: str = "ci"
    device: str = "cpu"
    log: Callable[[str], None] = lambda msg: None
    started: float = field(default_factory=time.perf_counter)
    seed: int = 0
    devices_noted: set = field(default_factory=set)  # str(tensor.device) of what the claim computed with
    cache: Any = None  # grokcheck.store.SubrunCache of this claim run (sub-runs on disk), or None
    executor: str = "local"  # where `map` runs sub-runs: "local" (here, in order) or "ray" (Ray tasks)

    def __post_init__(self):
        self.seed = check_seed(self.seed)

    def rng(self, name: str, index: int = 0, device=None):
        """torch.Generator of stream `name` (number `index`), on `device` (default: the CPU, so
        draws are identical whatever device the claim computes on; move the result with .to())."""
        return generator(self.seed, name, index, "cpu" if device is None else device)

    def np_rng(self, name: str, index: int = 0):
        """numpy Generator of stream `name` (number `index`)."""
        return numpy_rng(self.seed, name, index)

    def memo(self, name: str, spec: dict, compute: Callable[[], Any]) -> Any:
        """The value of `compute()` for the sub-run `name` described by `spec` (a JSON-able dict of
        everything that determines it: config fields, run index, ...). One independent training run
        of a sweep is one sub-run. When a result store is attached, finished sub-runs are
        cached on disk under a key of (claim, name, spec, seed, device, code version) so a killed run
        resumes; without one this simply calls `compute()`. The value must be made of tensors,
        numbers, strings, lists, tuples and dicts (numpy arrays and scalars come back as numpy); the
        claim always gets the value back through torch.save/torch.load, store or not, so fresh, resumed
        and storeless (pytest) runs see the same value (grokcheck.store). The devices the sub-run
        noted (`note_device`) are cached with its value and noted again on a cache hit, so a resumed
        run records where its tensors lived as truthfully as a fresh one."""
        def traced():
            outer, self.devices_noted = self.devices_noted, set()
            try:
                value = compute()
                return {"value": value, "devices": sorted(self.devices_noted)}
            finally:
                self.devices_noted = outer | self.devices_noted

        out = memo(self.cache, name, spec, traced)
        self.devices_noted.update(out["devices"])
        return out["value"]

    def map(self, name: str, specs, fn: Callable[[dict, int, str], Any], processes: int = 1) -> list:
        """`[fn(spec, self.seed, self.device) for spec in specs]`, each item memoized exactly as
        `memo(name, spec, ...)` (same cache key, so resume and bit-identity hold). With executor "ray" the
        items not yet cached run as Ray tasks (one CPU each, one GPU on cuda); "local" runs them here, in
        order, or with `processes` > 1 on the CPU in that many worker processes. `fn` is a module-level
        function (or a functools.partial of one) of (spec, seed, device) whose draws come from streams
        indexed by the spec, e.g. `streams.generator(seed, "init", spec["run"])`; ValueError otherwise
        (grokcheck.subruns)."""
        return map_subruns(self.cache, name, specs, fn, self.seed, self.device, self.executor, processes)

    def note_device(self, *things) -> None:
        """Record where the claim's tensors actually lived: each thing is a tensor, an nn.Module (its
        first parameter or buffer) or a torch.device / str. `result` writes the recorded devices into
        environment["device"]; a claim that recorded none gets "<ctx.device> (not recorded)", so
        result.json never claims a device that no tensor was seen on."""
        for t in things:
            if hasattr(t, "parameters"):
                t = next(iter(list(t.parameters()) + list(t.buffers())), None)
                if t is None:
                    continue
            self.devices_noted.add(str(getattr(t, "device", t)))

    def result(self, claim: Claim, config, observables: list[Observable],
               series: dict | None = None, notes: list[str] | None = None,
               budget_gaps: dict[str, str] | None = None) -> Result:
        """Assemble the Result of `claim` run with `config` in this context.

        budget_gaps: setting -> how this run falls short of the paper's stated budget (p, steps,
        width, data, seeds), e.g. {"paper": "1000 steps < the paper's 5e4"}. There a pending event
        or a claim of absence is `inconclusive (budget)`; an interval on the failing side still
        refutes (grokcheck.core)."""
        return Result(
            claim=claim.id, title=claim.title, statement=claim.statement, source=claim.source,
            scale=self.scale, config=dataclasses.asdict(config), config_hash=config_hash(config),
            seed=self.seed, observables=observables,
            series=to_jsonable(series or {}), notes=_notes(notes),
            environment={**environment(self.device), "device_requested": self.device,
                         "device": ", ".join(sorted(self.devices_noted)) or f"{self.device} (not recorded)"},
            wall_time_s=round(time.perf_counter() - self.started, 3),
            budget_gaps=dict(budget_gaps or {}))


def _notes(notes) -> list[str]:
    if notes is None:
        return []
    if isinstance(notes, str) or not all(isinstance(n, str) for n in notes):
        raise ValueError(f"notes must be a list of strings, got {notes!r:.60}")
    return list(notes)


