"""The claim registry: id -> module (a dict, no class tree; house rule 15)."""
from __future__ import annotations

import importlib
from types import ModuleType

CLAIMS: dict[str, str] = {
    # Mohamadi+24: the construction, the kernel regime, the rich regime, the exit from the kernel
    "construction": "verify.construction",
    "kernel-lower-bound": "verify.kernel_lower_bound",
    "equivariance": "verify.equivariance",
    "kernel-regression-baselines": "verify.kernel_regression_baselines",
    "rich-generalization": "verify.rich_generalization",
    "sample-complexity": "verify.sample_complexity",
    "kernel-exit": "verify.kernel_exit",
    # PKU course project: transformers, MLPs, LSTMs
    "transformer-grokking": "verify.transformer_grokking",
    "division-architectures": "verify.division_architectures",
    "optimizers-regularization": "verify.optimizers_regularization",
    "k-ary-addition": "verify.k_ary_addition",
    "too-little-data": "verify.too_little_data",
    "transformer-kernel-exit": "verify.transformer_kernel_exit",
    # Tikeng Notsawo+25: grokking beyond the l2 norm
    "l1-sparse-recovery": "verify.l1_sparse_recovery",
    "nuclear-matrix-completion": "verify.nuclear_matrix_completion",
    "depth-implicit-bias": "verify.depth_implicit_bias",
    "data-selection": "verify.data_selection",
    "l2-not-a-proxy": "verify.l2_not_a_proxy",
}

SCALES = ("ci", "default", "paper")


def claim_module(claim_id: str) -> ModuleType:
    """The module of a claim; ValueError for an unknown id."""
    if claim_id not in CLAIMS:
        raise ValueError(f"unknown claim {claim_id!r}; run `grokcheck list` to see the claims")
    return importlib.import_module(CLAIMS[claim_id])


def scaled_config(claim_id: str, scale: str, seed: int | None = None):
    """The config of `claim_id` at `scale`, with `seed` replaced when given."""
    import dataclasses
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    config = claim_module(claim_id).SCALES[scale]
    return config if seed is None else dataclasses.replace(config, seed=seed)
