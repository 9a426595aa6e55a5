"""The numerics every claim runs under, set in one place: TF32 off (float64 kernels and solves need
exact matmuls; a TF32 GEMM keeps 10 mantissa bits) and, when given, torch's intra-op thread count
(a different count may reorder float reductions, so sub-runs on other workers set the caller's)."""
from __future__ import annotations

from contextlib import contextmanager

import torch


def set_numerics(threads: int = 0) -> None:
    """TF32 off for CUDA matmuls and cuDNN; `threads` > 0 sets torch's intra-op thread count."""
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
