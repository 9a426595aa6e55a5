"""Intervals of the Mohamadi mechanism claims whose rules read a grid of cells (linf-role,
kernel-rich-phase, sample-complexity): one cell's statistic over seeds, and a rule over many cells.

- `per_seed(values)`: the median over a cell's seeds with its order-statistic interval and exact
  coverage (`theory.stats.median_interval`; [min, max] of 3 seeds covers the median with 75%, of one
  seed with 0: a rule on one seed decides nothing).
- `extreme(ivs, "min" | "max")`: a rule "at every cell" or "at some cell" read as one interval:
  [min lo, min hi] (or [max lo, max hi]) of the cells' intervals. Against a bound this decides
  exactly as the cells' own rules together: "min over cells >= b" holds when every cell's interval
  lies above b and fails when one cell's lies below it; "min over cells < b" holds when one cell's
  interval lies below b and fails when every cell's lies above it. So its coverage is the cells'
  own (the smallest of them), stated per cell in `method`: the rule makes one decision per cell.
- `scaled(iv, c)` (c > 0) and `negated(iv)`: the interval of c x and of -x (a ratio to a fixed
  reference, a sign flip for a control), coverage unchanged.
"""
from __future__ import annotations

from typing import Sequence

from grokcheck.theory.stats import Interval, median_interval


def per_seed(values: Sequence[float | None]) -> Interval:
    """The median of one cell's per-seed values (None / NaN dropped) with its exact order-statistic
    interval (`median_interval`)."""
    return median_interval(values)


def extreme(ivs: Sequence[Interval], which: str, what: str = "cells") -> Interval:
    """The min (or max) over cells of their statistic, as the interval [min lo, min hi] ([max lo, max hi]);
    coverage: the smallest of the cells' (None if one is unknown); no cell, or a cell without a value:
    no estimate (the rule is undecided)."""
    if which not in ("min", "max"):
        raise ValueError(f"which must be 'min' or 'max', got {which!r}")
    ivs = list(ivs)
    n = sum(iv.n for iv in ivs)
    if not ivs or any(iv.estimate is None for iv in ivs):
        return Interval(None, None, None, None, f"{which} over {len(ivs)} {what}, a cell without a value", n)
    f = min if which == "min" else max
    covs = [iv.coverage for iv in ivs]
    cov = None if any(c is None for c in covs) else min(covs)
    return Interval(f(iv.estimate for iv in ivs), f(iv.lo for iv in ivs), f(iv.hi for iv in ivs), cov,
                    f"{which} over {len(ivs)} {what} of their intervals (one decision per cell; per cell: "
                    f"{ivs[0].method})", n)


def scaled(iv: Interval, c: float) -> Interval:
    """The interval of c x for a fixed c > 0 (a ratio to a reference value)."""
    if not c > 0:
        raise ValueError(f"scale must be > 0, got {c}")
    m = lambda x: None if x is None else c * x  # noqa: E731
    return Interval(m(iv.estimate), m(iv.lo), m(iv.hi), iv.coverage, iv.method, iv.n)


def negated(iv: Interval) -> Interval:
    """The interval of -x (the same coverage)."""
    m = lambda x: None if x is None else -x  # noqa: E731
    return Interval(m(iv.estimate), m(iv.hi), m(iv.lo), iv.coverage, iv.method + ", negated", iv.n)
