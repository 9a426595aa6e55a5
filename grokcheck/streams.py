"""Named random streams: one seed per run of grokcheck, and every draw
from a stream named for its purpose.

`stream_seed(seed, name, index)` hashes (seed, name, index) with SHA-256 into a 63-bit integer,
so two different (seed, name, index) triples give unrelated streams: the training split never
shares a permutation with the eNTK subset, seed 1's "init" stream is not seed 0's "split"
stream shifted, and no ad-hoc offset (1000 + seed, ...) can collide across seeds.

Names in use (add yours; a name says what the stream draws):
    split    train/test partition of a task's points
    init     network initialization (index = run number)
    batches  minibatch order and dropout masks (index = run number)
    subset   the points an eNTK or a diagnostic is evaluated on
    targets  permutations / random targets of kernel experiments
    instance a synthetic problem instance (sparse recovery, completion)
    control  draws that only the negative controls use
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch

SEED_MAX = 2 ** 63  # seeds live in [0, 2**63): what torch.Generator.manual_seed accepts as int64


def check_seed(seed) -> int:
    """`seed` as an int in [0, 2**63); ValueError with a one-line message otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    if not 0 <= int(seed) < SEED_MAX:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return int(seed)


def stream_seed(seed: int, name: str, index: int = 0) -> int:
    """The 63-bit seed of stream `name` number `index` under the run seed `seed`."""
    seed = check_seed(seed)
    if not isinstance(name, str) or not name:
        raise ValueError(f"stream name must be a non-empty string, got {name!r}")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"stream index must be an integer >= 0, got {index!r}")
    digest = hashlib.sha256(f"grokcheck|{seed}|{name}|{int(index)}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def generator(seed: int, name: str, index: int = 0, device="cpu") -> torch.Generator:
    """A torch.Generator on `device` seeded from stream (seed, name, index)."""
    return torch.Generator(device=device).manual_seed(stream_seed(seed, name, index))


def numpy_rng(seed: int, name: str, index: int = 0) -> np.random.Generator:
    """A numpy Generator seeded from stream (seed, name, index)."""
    return np.random.default_rng(stream_seed(seed, name, index))
