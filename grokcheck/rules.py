"""The rule vocabulary of the claims: an `Observable` from a statistic with its interval.

Every decisive observable is made here, so every claim states its rules the same way:
- `interval_rule`: a statistic's interval (`theory.stats.Interval`: median over seeds, share,
  trend, paired effect) against a pre-registered bound; it holds when the whole interval lies on
  the claim's side (grokcheck.core). The reason quotes the estimate, the interval and its coverage.
- `control_rule`: the same rule fed a wrong input; the control holds when the rule does NOT
  hold on it, i.e. when the interval's end that the rule needs lies on the failing side (the
  control is the negation of the rule, so it is judged on that end as a point).
- `event_rule`: an event's step (None: it has not happened within the run, `kind="event"`).
Exact theorems keep a plain `Observable(value, bound, comparison, tolerance)`: the point interval.
"""
from __future__ import annotations

from grokcheck.core import PAPER, Observable
from grokcheck.theory.stats import Interval


def _fmt(x) -> str:
    return "none" if x is None else f"{x:.4g}"


def describe(iv: Interval) -> str:
    """'estimate [lo, hi], coverage c (method)' of an interval."""
    cov = "coverage unknown" if iv.coverage is None else f"coverage {iv.coverage:.0%}"
    return f"{_fmt(iv.estimate)} [{_fmt(iv.lo)}, {_fmt(iv.hi)}], {cov} ({iv.method})"


def interval_rule(name: str, iv: Interval, bound: float, comparison: str, reason: str, *, role: str = "claim",
                  setting: str = PAPER, kind: str = "measure", source: str = "", tolerance: float = 0.0) -> Observable:
    """The claim (or observation) `iv comparison bound`: holds when the whole interval is on the claim's
    side, fails when it is wholly on the other, else undecided (`core.interval_outcome`)."""
    if role == "control":
        raise ValueError("interval_rule: a control is made by control_rule")
    return Observable(name, bound=bound, comparison=comparison, tolerance=tolerance, reason=f"{reason} ({describe(iv)})",
                      role=role, setting=setting, kind=kind, source=source, **iv.observable_args())


def deciding_end(iv: Interval, comparison: str) -> float | None:
    """The end of `iv` that a rule `comparison` needs on its side: lo for >= / >, hi for <= / <."""
    return iv.lo if comparison in (">=", ">") else iv.hi


def control_rule(name: str, iv: Interval, rule_bound: float, rule_comparison: str, reason: str, *,
                 setting: str = PAPER) -> Observable:
    """The control of the rule `iv rule_comparison rule_bound` on a wrong input: it holds when that rule
    does not hold, i.e. the deciding end of `iv` lies on the failing side of the bound."""
    negate = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
    if rule_comparison not in negate:
        raise ValueError(f"control_rule: a one-sided rule is needed, got {rule_comparison!r}")
    end = deciding_end(iv, rule_comparison)
    return Observable(name, end, rule_bound, negate[rule_comparison], role="control", setting=setting,
                      method="the rule's deciding end", reason=f"{reason} ({describe(iv)})")


def event_rule(name: str, step: float | None, bound: float, comparison: str, reason: str, *,
               setting: str = PAPER, source: str = "") -> Observable:
    """An event's step (or a ratio of steps) against its bound; None: not yet happened (pending)."""
    return Observable(name, step, bound, comparison, reason=reason, setting=setting, kind="event", source=source)
