"""Guards before work: refuse a claim config that cannot fit the machine, before anything runs.

`--set ps="(100000,)"`, `--set steps=10**12` or a billion permutations would otherwise run until
the memory or the patience runs out. `estimate(config)` reads the sizes a config names, its own
fields and those of nested configs, and gives lower bounds on the memory and time of its largest
pieces of work; `check(claim, config, device)` refuses (ValueError, one line) a config whose
floor exceeds the machine. The floors are deliberately low, so a config that fits is never refused
(every shipped scale passes on a 4 GiB machine); `grokcheck run --no-guard` skips the check for
those who know better.

Sizes read from the config (names matched on every field, nested configs included):
- modulus P: the largest value of a field `p`, `*_p`, `ps` or `*_ps` (tuples: their largest
  element); fields named `bound*` hold closed-form checks, not tensors, and are not read;
- steps S: the sum of the fields `steps`, `*_steps`;
- repeats C: the largest of `seeds` (an int, or the length of a tuple), `n_seeds`, `instances`,
  `n_perms`, `permutations`, `bootstrap`, `n_inits`, `runs`, `n_samples`.

Floors:
- memory: the one-hot inputs of all P^2 pairs (a, b) of a modular task, 2P float32 columns each:
  8 P^3 bytes (every modular claim evaluates on the full table); compared with the physical
  memory of the host (device cpu) or the GPU's total memory (device cuda);
- time: `STEP_FLOOR_S` seconds per optimizer step and per repeat (a torch op never costs less,
  however many runs it batches) times S + C, S being the step budget the config asks for (a run
  that stops early uses less: `--no-guard`), plus `PAIR_FLOOR_S` seconds per pair and repeat
  (C P^2: a permutation or a bootstrap touches every pair at least once); compared with
  `MAX_TIME_S` (one week).
Other sizes (a matrix side N, a dimension d, a sample count n) are not read: their tensors differ
from claim to claim, so no floor holds for all of them.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

STEP_FLOOR_S = 1e-5     # no torch optimizer step costs less than 10 microseconds
PAIR_FLOOR_S = 1e-9     # no pass over the pairs costs less than a nanosecond per pair
MAX_TIME_S = 7 * 24 * 3600.0
COUNT_FIELDS = ("seeds", "n_seeds", "instances", "n_perms", "permutations", "bootstrap", "n_inits", "runs",
                "n_samples")


@dataclass(frozen=True)
class Estimate:
    """Lower bounds on the work of one config: modulus, steps, repeats, bytes, seconds."""
    modulus: int
    steps: int
    repeats: int
    bytes: float
    seconds: float


def _number(x) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    return None


def _fields(config):
    """(name, value) of every non-config field, nested configs included."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _fields(value)
        else:
            yield f.name, value


def _largest(value) -> float:
    if isinstance(value, (tuple, list)):
        nums = [v for v in map(_number, value) if v is not None]
        return max(nums, default=0.0)
    return _number(value) or 0.0


def estimate(config) -> Estimate:
    """The size floors of `config` (module docstring); a config that is not a dataclass has none."""
    modulus = steps = repeats = 0.0
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        return Estimate(0, 0, 1, 0.0, 0.0)
    for name, value in _fields(config):
        if name.startswith("bound"):
            continue
        if name in ("p", "ps") or name.endswith(("_p", "_ps")):
            modulus = max(modulus, _largest(value))
        elif name == "steps" or name.endswith("_steps"):
            steps += max(0.0, _largest(value))
        elif name in COUNT_FIELDS:
            count = len(value) if isinstance(value, (tuple, list)) else _largest(value)
            repeats = max(repeats, count)
    repeats = max(repeats, 1.0)
    memory = 8.0 * modulus ** 3
    seconds = STEP_FLOOR_S * (steps + repeats) + PAIR_FLOOR_S * repeats * modulus ** 2
    return Estimate(int(modulus), int(steps), int(repeats), memory, seconds)


def machine_bytes(device: str) -> float:
    """The memory one claim may use at most: the GPU's total memory on cuda, else the host's."""
    if str(device).startswith("cuda"):
        if torch.cuda.is_available():
            index = torch.device(device).index or 0
            return float(torch.cuda.get_device_properties(index).total_memory)
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def _gib(x: float) -> str:
    return f"{x / 2 ** 30:.3g} GiB"


def _duration(s: float) -> str:
    return f"{s / 86400:.3g} days" if s >= 86400 else f"{s / 3600:.3g} h"


def check(claim: str, config, device: str = "cpu", available: float | None = None) -> Estimate:
    """The estimate of `config`; ValueError (one line, naming the sizes) when its memory floor
    exceeds `available` bytes (default: `machine_bytes(device)`) or its time floor one week."""
    est = estimate(config)
    available = machine_bytes(device) if available is None else available
    if est.bytes > available:
        raise ValueError(f"{claim}: p = {est.modulus} needs at least {_gib(est.bytes)} (the one-hot table of all "
                         f"p^2 pairs) but the {'GPU' if str(device).startswith('cuda') else 'machine'} has "
                         f"{_gib(available)}; lower p, or pass --no-guard to try anyway")
    if est.seconds > MAX_TIME_S:
        raise ValueError(f"{claim}: {est.steps} steps and {est.repeats} repeats at p = {est.modulus} take at least "
                         f"{_duration(est.seconds)} (more than a week); lower them, or pass --no-guard to try anyway")
    return est
