"""Kernels: empirical NTK (ntk.empirical), the quadratic net's closed form (ntk.closed_form),
expected / equivariant kernels (ntk.infinite), kernel regression (ntk.regression).

``from grokcheck.ntk import empirical_ntk`` works for the names below; they are loaded on first
use (PEP 562), so importing this package stays cheap and free of import cycles."""
from __future__ import annotations

import importlib

_EXPORTS = {
    "empirical_ntk": "grokcheck.ntk.empirical", "regression_ntk": "grokcheck.ntk.empirical",
    "no_tf32": "grokcheck.ntk.empirical",
    "quadratic_ntk": "grokcheck.ntk.closed_form", "quadratic_regression_ntk": "grokcheck.ntk.closed_form",
    "expected_quadratic_ntk": "grokcheck.ntk.infinite", "monte_carlo_quadratic_ntk": "grokcheck.ntk.infinite",
    "equivariant_pair_kernel": "grokcheck.ntk.infinite", "quadratic_init_bounds": "grokcheck.ntk.infinite",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'grokcheck.ntk' has no attribute {name!r}")
