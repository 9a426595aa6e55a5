"""The numerics every claim runs under, set in one place: TF32 off (float64 kernels and solves need
exact matmuls; a TF32 GEMM keeps 10 mantissa bits) and, when given, torch's intra-op thread count
(a different count may reorder float reductions, so sub-runs on other workers set the caller's), and
on glibc a heap that keeps its pages (`keep_heap`)."""
from __future__ import annotations

import ctypes
import platform
from contextlib import contextmanager

import torch

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h> mallopt parameters
HEAP_MMAP_BYTES = 32 << 20   # allocations up to this size come from the heap (glibc's largest mmap threshold)
HEAP_TRIM_BYTES = 256 << 20  # free memory at the heap's top kept by the process up to this size


def keep_heap() -> bool:
    """On glibc, serve allocations up to HEAP_MMAP_BYTES from the heap and keep up to HEAP_TRIM_BYTES of
    freed heap (mallopt); False (nothing changed) elsewhere.

    Why: a training step allocates and frees the same few MiB of activations every step. glibc starts
    with a 128 KiB mmap threshold and a 128 KiB trim threshold (raised only as large blocks are freed),
    so a fresh process returns those pages to the OS after each step and faults them back in, zero-filled,
    on the next. Measured on the idle 2-core machine (`bench/bench_train.py`, fused R = 8 step, float32):
    16-17% of the GEMM at p = 47 and 40-42% at p = 97 in a fresh process, 31-33% and 55% with these
    settings; the same process reached 31% without them only after other work had raised glibc's
    thresholds. The cost is up to HEAP_TRIM_BYTES of freed memory held per process."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_BYTES)) & bool(libc.mallopt(_M_TRIM_THRESHOLD, HEAP_TRIM_BYTES))


def set_numerics(threads: int = 0) -> None:
    """TF32 off for CUDA matmuls and cuDNN; `threads` > 0 sets torch's intra-op thread count; the heap
    keeps its pages (`keep_heap`, glibc only)."""
    keep_heap()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if threads:
        torch.set_num_threads(threads)


@contextmanager
def one_thread(device="cpu"):
    """Run torch on one intra-op thread on the CPU (no-op on other devices), restoring the count after.
    For small models whose ops take microseconds: a second OpenMP thread mostly spin-waits, which on
    an oversubscribed CPU stalls every op (measured on the shared 2-core machine: a width-64
    transformer step took ~7 ms CPU with 1 thread and 29-200 ms with 2)."""
    if torch.device(device).type != "cpu":
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)
