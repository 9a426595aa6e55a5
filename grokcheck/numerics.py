"""The numerics every claim runs under, set in one place: TF32 off (float64 kernels and solves need
exact matmuls; a TF32 GEMM keeps 10 mantissa bits) and, when given, torch's intra-op thread count
(a different count may reorder float reductions, so sub-runs on other workers set the caller's)."""
from __future__ import annotations


def set_numerics(threads: int = 0) -> None:
    """TF32 off for CUDA matmuls and cuDNN; `threads` > 0 sets torch's intra-op thread count."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if threads:
        torch.set_num_threads(threads)
