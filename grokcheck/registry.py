"""The claim registry: id -> module (a dict, no class tree)."""
from __future__ import annotations

import importlib
from types import ModuleType

CLAIMS: dict[str, str] = {
    # Mohamadi+24: the construction, the kernel regime, the rich regime, the exit from the kernel
    "construction": "grokcheck.claims.mohamadi.construction",
    "kernel-lower-bound": "grokcheck.claims.mohamadi.kernel_lower_bound",
    "equivariance": "grokcheck.claims.mohamadi.equivariance",
    "kernel-regression-baselines": "grokcheck.claims.mohamadi.kernel_regression_baselines",
    "rich-generalization": "grokcheck.claims.mohamadi.rich_generalization",
    "sample-complexity": "grokcheck.claims.mohamadi.sample_complexity",
    "kernel-exit": "grokcheck.claims.mohamadi.kernel_exit",
    "transformer-kernel-exit": "grokcheck.claims.mohamadi.transformer_kernel_exit",
    "fourier-features": "grokcheck.claims.mohamadi.fourier_features",
    "max-margin": "grokcheck.claims.mohamadi.max_margin",
    "linf-role": "grokcheck.claims.mohamadi.linf_role",
    "kernel-rich-phase": "grokcheck.claims.mohamadi.kernel_rich_phase",
    # PKU course project: transformers, MLPs, LSTMs
    "transformer-grokking": "grokcheck.claims.pku.transformer_grokking",
    "division-architectures": "grokcheck.claims.pku.division_architectures",
    "optimizers-regularization": "grokcheck.claims.pku.optimizers_regularization",
    "k-ary-addition": "grokcheck.claims.pku.k_ary_addition",
    "too-little-data": "grokcheck.claims.pku.too_little_data",
    # Tikeng Notsawo+25: grokking beyond the l2 norm
    "l1-sparse-recovery": "grokcheck.claims.beyond_l2.l1_sparse_recovery",
    "nuclear-matrix-completion": "grokcheck.claims.beyond_l2.nuclear_matrix_completion",
    "depth-implicit-bias": "grokcheck.claims.beyond_l2.depth_implicit_bias",
    "data-selection": "grokcheck.claims.beyond_l2.data_selection",
    "l2-not-a-proxy": "grokcheck.claims.beyond_l2.l2_not_a_proxy",
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
    if seed is None:
        return config
    from grokcheck.streams import check_seed
    if not any(f.name == "seed" for f in dataclasses.fields(config)):
        raise ValueError(f"claim {claim_id!r} takes no seed")
    return dataclasses.replace(config, seed=check_seed(seed))


def prepare(claim_id: str, scale: str, seed: int | None = None, device: str = "cpu", log=None):
    """(config, ctx) to run `claim_id` at `scale`: the scaled config (seed replaced when given) and a
    Context whose run seed is the config's seed, on `device`. The config is validated against its
    dataclass annotations (`grokcheck.schema.validate_config`: finite floats, ints, tuples, ...)
    and the seed lies in [0, 2**63); ValueError with one line otherwise."""
    from grokcheck.context import make_context
    from grokcheck.schema import validate_config
    config = scaled_config(claim_id, scale, seed)
    validate_config(config)
    ctx = make_context(scale, device, getattr(config, "seed", 0) or 0, log=log)
    return config, ctx


def run_claim(claim_id: str, scale: str, seed: int | None = None, device: str = "cpu", log=None):
    """Run `claim_id` at `scale` and return its Result."""
    config, ctx = prepare(claim_id, scale, seed, device, log)
    return claim_module(claim_id).run(config, ctx)
