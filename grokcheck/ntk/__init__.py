"""Kernels: empirical NTK (ntk.empirical), expected / equivariant kernels (ntk.infinite),
kernel regression (ntk.regression). Import from the submodules, e.g.
``from grokcheck.ntk.empirical import empirical_ntk``."""
