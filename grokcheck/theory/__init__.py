"""The mathematics of grokking on modular arithmetic: tasks, symmetries, bounds, constructions.

Pure functions only: no I/O, no printing, no training code.
"""
