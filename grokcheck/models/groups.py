"""How many of R stacked runs share one forward/backward pass (`models.batched.train_batched`).

A group's largest activation, estimated as n_max x (widest parameter axis) x itemsize per run, must
stay under the device's budget `group_bytes(device)`: 16 MiB on the CPU (glibc's mmap ceiling, see
`run_group_size`), a share of the free memory on CUDA (`torch.cuda.mem_get_info`).
"""
from __future__ import annotations

import torch


GROUP_BYTES = 16 << 20  # CPU per-activation budget of one forward/backward group (run_group_size)
CUDA_FREE_SHARE = 16     # on CUDA a group's largest activation may take 1/16 of the free memory


def group_bytes(device) -> int:
    """The per-activation budget of one forward/backward group on `device`.

    CPU: GROUP_BYTES = 16 MiB (`run_group_size` says why). CUDA: free memory / CUDA_FREE_SHARE
    (`torch.cuda.mem_get_info`): a quadratic-net group holds about 6 activations of the largest size
    (h, h^2, logits, their gradients) plus the allocator's slack, so 1/16 of what is free leaves
    room; a fixed CPU budget would chop a GPU pass into tiny groups (measured 1.97x at p=97, R=64).
    Other devices (meta, mps): GROUP_BYTES."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return max(GROUP_BYTES, int(free) // CUDA_FREE_SHARE)
    return GROUP_BYTES


def run_group_size(R: int, n_max: int, plist: list, dtype: torch.dtype) -> int:
    """Runs per forward/backward pass: the most whose largest activation, estimated as
    n_max x (widest parameter axis) x itemsize per run, stays under `group_bytes(device)`
    (16 MiB on CPU; a share of the free memory on CUDA).

    Why 16 MiB on CPU: glibc serves allocations above its dynamic mmap ceiling (32 MiB) by fresh
    mmaps that are zero-filled page by page on first touch and unmapped on free, every step. One
    (R, n, h) tensor for R = 32 runs at p = 97 is 234 MiB: measured on 2 CPU cores, that made the
    batched step slower than R sequential ones (0.82x), while the same code with heap-served memory
    ran 1.86x. Groups under the budget keep every buffer on the reused heap; the update itself stays
    one stacked pass. The CUDA caching allocator reuses blocks, so there the limit is memory only."""
    device = plist[0].device if plist else torch.device("cpu")
    return _fit_budget(n_max * _widest(plist) * torch.empty((), dtype=dtype).element_size(), R, group_bytes(device))


def _widest(plist: list) -> int:
    """The widest non-run axis of the stacked parameters (R, ...): the activation width estimate."""
    return max(max(p.shape[1:], default=1) for p in plist)


def _fit_budget(unit_bytes: int, cap: int, budget: int = GROUP_BYTES) -> int:
    """How many units of `unit_bytes` fit in `budget` bytes, between 1 and cap."""
    return max(1, min(cap, budget // max(unit_bytes, 1)))
