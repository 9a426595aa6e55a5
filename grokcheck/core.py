"""Claims, observables, results and their verdicts (DESIGN.md "A claim's Result").

A claim module defines `CLAIM`, a frozen `Config`, `SCALES` and `run(config, ctx) -> Result`,
plus `figures(result) -> list[Figure]` for its report. `run` measures and never asserts;
the pytest module and the CLI read the same `Observable.passed`.

Verdict rule (per setting, then overall), fixed before any experiment was run:
- `refuted` if any observable with role "claim" fails, and the setting ran at the paper's stated
  budget (p, steps, width, data, seeds) or larger; a claim that fails in a setting run below
  that budget is `inconclusive (budget)`: the claim's `run` declares the gap
  (`ctx.result(..., budget_gaps={setting: "what falls short"})`) and the report names it. A
  refutation needs the paper's setting at its size, or a statistic over seeds that excludes
  the claim;
- `inconclusive` if none fails but a negative control (role "control") fails, i.e. the
  check could not tell a wrong input from a right one, or if the result has no control;
- `verified` otherwise. Role "observation" is reported but never decides.
The overall verdict is `verified` only when every setting is; `refuted` when any is.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grokcheck.safeio import atomic_write_bytes  # noqa: F401  (re-exported: reports use it)

COMPARISONS = ("<=", ">=", "<", ">", "==")
ROLES = ("claim", "control", "observation")
VERDICTS = ("verified", "refuted", "inconclusive")
ERROR = "error"  # the verdict shown for a claim that crashed (no Result; see `ClaimError`)
PAPER = "paper"


@dataclass(frozen=True)
class Claim:
    """What a claim says and where it comes from (e.g. source="Mohamadi+24 Thm 3.4")."""
    id: str
    title: str
    statement: str
    source: str


def compare(value: float | None, bound: float, comparison: str, tolerance: float = 0.0) -> bool:
    """True when `value comparison bound` holds within `tolerance` (None/NaN never passes)."""
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}; expected one of {COMPARISONS}")
    if value is None or bound is None or math.isnan(value) or math.isnan(bound):
        return False
    if comparison == "<=":
        return value <= bound + tolerance
    if comparison == ">=":
        return value >= bound - tolerance
    if comparison == "<":
        return value < bound + tolerance
    if comparison == ">":
        return value > bound - tolerance
    return abs(value - bound) <= tolerance


@dataclass
class Observable:
    """A measured value against its bound: `value comparison bound` within `tolerance`.

    `reason` says where the bound and the tolerance come from (house rules 2-3);
    `role` is "claim", "control" (a negative control: it passes when the wrong input
    is rejected) or "observation"; `setting` names the setting it refers to ("paper"
    for the paper's own, anything else is ours and says so).
    """
    name: str
    value: float | None
    bound: float
    comparison: str
    tolerance: float = 0.0
    reason: str = ""
    role: str = "claim"
    setting: str = PAPER
    passed: bool = field(default=False)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {ROLES}")
        self.value = None if self.value is None else float(self.value)
        self.bound = float(self.bound)
        self.tolerance = float(self.tolerance)
        self.passed = compare(self.value, self.bound, self.comparison, self.tolerance)


def setting_verdicts(observables: list[Observable], budget_gaps: dict[str, str] | None = None) -> dict[str, str]:
    """The verdict of each setting under the module docstring's rule."""
    has_control = any(o.role == "control" for o in observables)
    budget_gaps = budget_gaps or {}
    out = {}
    for setting in dict.fromkeys(o.setting for o in observables if o.role != "observation"):
        obs = [o for o in observables if o.setting == setting]
        if any(o.role == "claim" and not o.passed for o in obs):
            out[setting] = "inconclusive" if setting in budget_gaps else "refuted"
        elif not has_control or any(o.role == "control" and not o.passed for o in obs):
            out[setting] = "inconclusive"
        else:
            out[setting] = "verified"
    return out


def overall_verdict(per_setting: dict[str, str]) -> str:
    if not per_setting:
        return "inconclusive"
    if any(v == "refuted" for v in per_setting.values()):
        return "refuted"
    if all(v == "verified" for v in per_setting.values()):
        return "verified"
    return "inconclusive"


@dataclass
class Result:
    """Everything a report needs; JSON round-trips through `to_dict` / `from_dict`."""
    claim: str
    title: str
    statement: str
    source: str
    scale: str
    config: dict
    config_hash: str
    seed: int | None
    observables: list[Observable]
    series: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    wall_time_s: float = 0.0
    verdict: str = "inconclusive"
    setting_verdicts: dict = field(default_factory=dict)
    budget_gaps: dict = field(default_factory=dict)

    def __post_init__(self):
        self.observables = [o if isinstance(o, Observable) else Observable(**_obs_args(o))
                            for o in self.observables]
        self.setting_verdicts = setting_verdicts(self.observables, self.budget_gaps)
        self.verdict = overall_verdict(self.setting_verdicts)

    def verdict_label(self, setting: str | None = None) -> str:
        """The verdict (overall, or of `setting`) as shown to a reader: `inconclusive (budget)` when a
        failing claim observable sits in a setting run below the paper's budget."""
        verdict = self.verdict if setting is None else self.setting_verdicts.get(setting, "inconclusive")
        settings = [setting] if setting is not None else list(self.setting_verdicts)
        budget = any(s in self.budget_gaps and self.setting_verdicts.get(s) == "inconclusive"
                     and any(o.role == "claim" and not o.passed and o.setting == s for o in self.observables)
                     for s in settings)
        return f"{verdict} (budget)" if verdict == "inconclusive" and budget else verdict

    def key_observable(self) -> Observable | None:
        """The observable that decides the verdict: the first failing claim observable of a setting run
        at the paper's budget (it refutes), else the first failing claim observable (a budget gap),
        else the first failing control, else the first claim observable (None when there is none)."""
        claims = [o for o in self.observables if o.role == "claim"]
        failing = [o for o in claims if not o.passed]
        refuting = [o for o in failing if o.setting not in self.budget_gaps]
        controls = [o for o in self.observables if o.role == "control" and not o.passed]
        return (refuting or failing or controls or claims or [None])[0]

    def observable(self, name: str) -> Observable:
        for o in self.observables:
            if o.name == name:
                return o
        raise KeyError(f"{self.claim}: no observable named {name!r}")

    def to_dict(self) -> dict:
        """The result.json object (schema `grokcheck.schema.SCHEMA_VERSION`), validated."""
        from grokcheck.schema import SCHEMA_VERSION, validate_result_dict
        d = {"schema_version": SCHEMA_VERSION, **dataclasses.asdict(self)}
        validate_result_dict(d)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        """A Result from a result.json object; SchemaError (a ValueError naming the field) unless it
        follows the schema. The verdicts are recomputed from the observables."""
        from grokcheck.schema import validate_result_dict
        validate_result_dict(d)
        return cls(**{k: v for k, v in d.items() if k != "schema_version"})


def _obs_args(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "passed"}


def config_hash(config) -> str:
    """Short stable hash of a config dataclass (house rule 11)."""
    blob = json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def environment(device: str) -> dict:
    """Versions, device and git commit recorded in every result."""
    import numpy
    import torch
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
    try:
        env["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=5).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        env["git_commit"] = "unknown"
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
        from grokcheck.streams import check_seed
        self.seed = check_seed(self.seed)

    def rng(self, name: str, index: int = 0, device=None):
        """torch.Generator of stream `name` (number `index`), on `device` (default: the CPU, so
        draws are identical whatever device the claim computes on; move the result with .to())."""
        from grokcheck.streams import generator
        return generator(self.seed, name, index, "cpu" if device is None else device)

    def np_rng(self, name: str, index: int = 0):
        """numpy Generator of stream `name` (number `index`)."""
        from grokcheck.streams import numpy_rng
        return numpy_rng(self.seed, name, index)

    def memo(self, name: str, spec: dict, compute: Callable[[], Any]) -> Any:
        """The value of `compute()` for the sub-run `name` described by `spec` (a JSON-able dict of
        everything that determines it: config fields, run index, ...). One independent training run
        of a sweep is one sub-run. When a result store is attached (issue 16), finished sub-runs are
        cached on disk under a key of (claim, name, spec, seed, device, code version) so a killed run
        resumes; without one this simply calls `compute()`. The value must be made of tensors,
        numbers, strings, lists, tuples and dicts (numpy arrays and scalars come back as numpy); the
        claim always gets the value back through torch.save/torch.load, store or not, so fresh, resumed
        and storeless (pytest) runs see the same value (grokcheck.store). The devices the sub-run
        noted (`note_device`) are cached with its value and noted again on a cache hit, so a resumed
        run records where its tensors lived as truthfully as a fresh one."""
        from grokcheck.store import memo

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

    def map(self, name: str, specs, fn: Callable[[dict, int, str], Any]) -> list:
        """`[fn(spec, self.seed, self.device) for spec in specs]`, each item memoized exactly as
        `memo(name, spec, ...)` (same cache key, so resume and bit-identity hold). With executor "ray"
        the items not yet cached run as Ray tasks (one CPU each, one GPU on cuda); "local" runs them
        here, in order. `fn` is a module-level function (or a functools.partial of one) of (spec, seed,
        device) whose draws come from streams indexed by the spec, e.g. `streams.generator(seed,
        "init", spec["run"])`; ValueError otherwise (grokcheck.subruns)."""
        from grokcheck.subruns import map_subruns
        return map_subruns(self.cache, name, specs, fn, self.seed, self.device, self.executor)

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
        width, data, seeds), e.g. {"paper": "1000 steps < the paper's 5e4"}. A setting that
        fails there is `inconclusive (budget)`, not `refuted` (module docstring)."""
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


def to_jsonable(x: Any) -> Any:
    """Tensors and arrays to lists, numpy scalars to Python numbers, recursively."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    return x


# result.json I/O lives with its schema; re-exported here, where claims and tests import it from
from grokcheck.schema import ResultFileError, read_result, single_line, write_result  # noqa: E402,F401
