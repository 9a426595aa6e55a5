"""Claims, observables, results and their verdicts: the domain of grokcheck.

A claim module defines `CLAIM`, a frozen `Config`, `SCALES` and `run(config, ctx) -> Result`,
plus `figures(result) -> list[Figure]` for its report. `run` measures and never asserts;
the pytest module and the CLI read the same verdicts.

The decision rule (one rule at every scale, fixed before any experiment was run)
-------------------------------------------------------------------------------------
Each decisive observable is an interval [lo, hi] with its true coverage (`coverage`, `method`),
or, for an exact theorem, a value with a stated tolerance (a point interval). Against its
pre-registered bound (`value comparison bound`, within `tolerance`) an observable's `outcome` is
- "holds" when the whole interval lies on the claim's side of the bound,
- "fails" when the whole interval lies on the other side,
- "undecided" when the interval straddles the bound, there is no value to compare, or the interval's
  coverage is below MIN_COVERAGE = 0.5 (a statistic of one seed, [v, v] at coverage 0, is not evidence
  either way; [min, max] of 2 seeds has 50%, of 3 seeds 75%) or unknown (`coverage=None` with an
  interval: e.g. a bootstrap of fewer than `theory.stats.MIN_BOOTSTRAP` values, whose nominal level
  nothing guarantees; an interval of unknown coverage is reported, never decisive),
- "pending" for an event (`kind="event"`: something happens within the run, e.g. test accuracy
  reaches 0.95) that has not happened yet: no value, or an interval wholly on the other side.

A setting's verdict (the settings are named by the claim; a name starting with "ours" is a
setting beyond the paper):
1. a control of the setting (role "control": a wrong input the same rule must reject) that does
   not hold makes the setting `inconclusive`: its rule could not tell a wrong input from a right one;
2. a claim observable that fails refutes the setting (`refuted`), at any scale; so does a pending
   event in a setting run at the paper's budget (it did not happen where the paper says it does);
3. below the paper's budget (the claim declares the gap: `ctx.result(..., budget_gaps={setting:
   "what falls short"})`) a pending event, or a claim that something does NOT happen
   (`kind="absence"`), cannot be decided: `inconclusive (budget)`. An event that happened inside
   the budget is decided evidence like any other measurement;
4. a claim observable whose interval straddles its bound makes the setting `inconclusive`;
5. a setting without a control of its own cannot verify: `inconclusive`;
6. otherwise `verified`. Role "observation" is reported and never decides.
The claim's verdict is the verdict of the paper's settings (`verified` when all are, `refuted` when
any is, else `inconclusive`); the settings beyond the paper get their own verdict
(`beyond_verdict`) and never refute or rescue the paper's claim. Each setting's verdict carries its
reason (`setting_reasons`); a reason that starts with "budget:" is shown as `inconclusive (budget)`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

COMPARISONS = ("<=", ">=", "<", ">", "==")
ROLES = ("claim", "control", "observation")
KINDS = ("measure", "event", "absence")
OUTCOMES = ("holds", "fails", "undecided", "pending")
SOURCES = ("text", "figure", "ours")
VERDICTS = ("verified", "refuted", "inconclusive")
ERROR = "error"  # the verdict shown for a claim that crashed (no Result; see `ClaimError`)
PAPER = "paper"
OURS = "ours"  # settings whose name starts with this are beyond the paper
BUDGET = "budget:"  # prefix of a setting reason that makes it `inconclusive (budget)`
MIN_COVERAGE = 0.5  # an interval of known coverage below this decides nothing (module docstring)


@dataclass(frozen=True)
class Claim:
    """What a claim says and where it comes from (e.g. source="Mohamadi+24 Thm 3.4")."""
    id: str
    title: str
    statement: str
    source: str


def is_beyond(setting: str) -> bool:
    """True for a setting beyond the paper (its name starts with "ours")."""
    return setting.startswith(OURS)


def compare(value: float | None, bound: float, comparison: str, tolerance: float = 0.0) -> bool:
    """True when `value comparison bound` holds within `tolerance` (None/NaN never passes)."""
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}; expected one of {COMPARISONS}")
    if value is None or bound is None or math.isnan(value) or math.isnan(bound):
        return False
    if comparison == "<=":
        return value <= bound + tolerance
    if comparison == ">=":
        return value >= bound - tolerance
    if comparison == "<":
        return value < bound + tolerance
    if comparison == ">":
        return value > bound - tolerance
    return abs(value - bound) <= tolerance


def interval_outcome(lo: float | None, hi: float | None, bound: float, comparison: str,
                     tolerance: float = 0.0) -> str:
    """"holds" / "fails" / "undecided" of the interval [lo, hi] against `comparison bound` within
    `tolerance` (module docstring). A missing or NaN end is "undecided"; lo == hi is a point."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "undecided"
    if comparison == "==":
        if lo >= bound - tolerance and hi <= bound + tolerance:
            return "holds"
        return "fails" if hi < bound - tolerance or lo > bound + tolerance else "undecided"
    upper = comparison in ("<=", "<")  # the claim's side is below the bound
    near, far = (hi, lo) if upper else (lo, hi)  # the end that must hold, the end that must fail
    if compare(near, bound, comparison, tolerance):
        return "holds"
    return "fails" if not compare(far, bound, comparison, tolerance) else "undecided"


@dataclass
class Observable:
    """A measured value against its bound: `value comparison bound` within `tolerance`.

    value: the point estimate; lo, hi: its interval (None: the point itself, an exact value);
    coverage: the interval's true coverage (e.g. 0.75 for [min, max] of 3 seeds; None for an exact
    value or an unknown coverage, see `method`); method: how the interval was made.
    `reason` says where the bound and the tolerance come from; `role` is "claim", "control" (a
    negative control: it holds when the wrong input is rejected) or "observation"; `setting` names
    the setting ("paper..." for the paper's own, "ours..." beyond it); `kind` is "measure", "event"
    (something happens within the run; value None = not yet) or "absence" (something does not
    happen; it cannot verify below the paper's budget). An event whose interval lies wholly on the
    other side has not happened yet ("pending"): an ordering of two events that did happen is a
    "measure", decided like any other. `source` says who made the statement:
    "text" (the source's text or theorem), "figure" (its figures, code or notebook) or "ours"
    (default: "ours" in a setting beyond the paper, else "text"). `outcome` and `passed`
    (outcome == "holds") are computed.
    """
    name: str
    value: float | None
    bound: float
    comparison: str
    tolerance: float = 0.0
    reason: str = ""
    role: str = "claim"
    setting: str = PAPER
    lo: float | None = None
    hi: float | None = None
    coverage: float | None = None
    method: str = "exact"
    kind: str = "measure"
    source: str = ""
    outcome: str = field(default="")
    passed: bool = field(default=False)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {ROLES}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {KINDS}")
        if self.comparison not in COMPARISONS:
            raise ValueError(f"unknown comparison {self.comparison!r}; expected one of {COMPARISONS}")
        self.source = self.source or (OURS if is_beyond(self.setting) else "text")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; expected one of {SOURCES}")
        if self.source == OURS and not is_beyond(self.setting) and self.role == "claim":
            raise ValueError(f"{self.name!r}: a statement of ours belongs to a setting named 'ours: ...', "
                             f"not {self.setting!r}")
        self.value = None if self.value is None else float(self.value)
        self.bound = float(self.bound)
        self.tolerance = float(self.tolerance)
        if (self.lo is None) != (self.hi is None):
            raise ValueError(f"{self.name!r}: give both ends of the interval or neither")
        if self.lo is not None:
            self.lo, self.hi = float(self.lo), float(self.hi)
            if self.lo > self.hi:
                raise ValueError(f"{self.name!r}: interval [{self.lo}, {self.hi}] has lo > hi")
        if self.coverage is not None and not 0 <= float(self.coverage) <= 1:
            raise ValueError(f"{self.name!r}: coverage must be in [0, 1], got {self.coverage}")
        self.coverage = None if self.coverage is None else float(self.coverage)
        self.outcome = self._outcome()
        self.passed = self.outcome == "holds"

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """(lo, hi): the interval, or the point (value, value) of an exact observable."""
        return (self.lo, self.hi) if self.lo is not None else (self.value, self.value)

    def _outcome(self) -> str:
        if self.value is None and self.lo is None:
            return "pending" if self.kind == "event" else "undecided"
        if self.lo is not None and (self.coverage is None or self.coverage < MIN_COVERAGE):
            return "undecided"
        out = interval_outcome(*self.interval, self.bound, self.comparison, self.tolerance)
        return "pending" if out == "fails" and self.kind == "event" else out

    def describe(self) -> str:
        """One line: value, interval with coverage, comparison and outcome."""
        fmt = lambda x: "none" if x is None else f"{x:.4g}"  # noqa: E731
        cov = "" if self.lo is None else (f" [{fmt(self.lo)}, {fmt(self.hi)}] "
                                          + (f"{self.coverage:.0%} {self.method}" if self.coverage is not None
                                             else f"coverage unknown, {self.method}"))
        return f"{self.name}: {fmt(self.value)}{cov} vs {self.comparison} {self.bound:g} -> {self.outcome}"


def setting_decision(observables: list[Observable], budget_gap: str | None = None) -> tuple[str, str]:
    """(verdict, reason) of one setting's observables under the module docstring's rule;
    `budget_gap`: how the setting falls short of the paper's budget (None: at the paper's budget)."""
    claims = [o for o in observables if o.role == "claim"]
    controls = [o for o in observables if o.role == "control"]
    bad = [c for c in controls if c.outcome != "holds"]
    if bad:
        return "inconclusive", f"control did not reject its wrong input: {bad[0].describe()}"
    failing = [o for o in claims if o.outcome == "fails" or (o.outcome == "pending" and budget_gap is None)]
    if failing:
        o = failing[0]
        why = "the event did not happen within the paper's budget" if o.outcome == "pending" else "interval on the other side"
        return "refuted", f"{why}: {o.describe()}"
    if budget_gap is not None:
        pending = [o for o in claims if o.outcome == "pending"]
        if pending:
            return "inconclusive", f"{BUDGET} {pending[0].name} has not happened yet ({budget_gap})"
        absent = [o for o in claims if o.kind == "absence"]
        if absent:
            return "inconclusive", f"{BUDGET} '{absent[0].name}' (that something does not happen) " \
                                   f"cannot verify below the paper's budget ({budget_gap})"
    open_ = [o for o in claims if o.outcome != "holds"]
    if open_:
        return "inconclusive", f"interval straddles the bound: {open_[0].describe()}"
    if not controls:
        return "inconclusive", "the setting has no control of its own"
    return "verified", "every claim interval lies on the claim's side and every control rejects its wrong input"


def setting_decisions(observables: list[Observable], budget_gaps: dict[str, str] | None = None) -> dict[str, tuple]:
    """{setting: (verdict, reason)} for every setting that has a claim observable (in order)."""
    budget_gaps = budget_gaps or {}
    settings = dict.fromkeys(o.setting for o in observables if o.role == "claim")
    return {s: setting_decision([o for o in observables if o.setting == s], budget_gaps.get(s)) for s in settings}


def setting_verdicts(observables: list[Observable], budget_gaps: dict[str, str] | None = None) -> dict[str, str]:
    """{setting: verdict} (`setting_decisions` without the reasons)."""
    return {s: v for s, (v, _) in setting_decisions(observables, budget_gaps).items()}


def overall_verdict(per_setting: dict[str, str]) -> str:
    """`verified` when every setting is, `refuted` when any is, else `inconclusive` (no setting:
    `inconclusive`). Applied to the paper's settings for the claim's verdict, and to ours for
    `beyond_verdict`."""
    if not per_setting:
        return "inconclusive"
    if any(v == "refuted" for v in per_setting.values()):
        return "refuted"
    if all(v == "verified" for v in per_setting.values()):
        return "verified"
    return "inconclusive"


@dataclass
class Result:
    """Everything a report needs; JSON round-trips through `to_dict` / `from_dict`. The verdicts are
    computed from the observables and the budget gaps (module docstring), never stored by hand."""
    claim: str
    title: str
    statement: str
    source: str
    scale: str
    config: dict
    config_hash: str
    seed: int | None
    observables: list[Observable]
    series: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    wall_time_s: float = 0.0
    verdict: str = "inconclusive"
    beyond_verdict: str | None = None
    setting_verdicts: dict = field(default_factory=dict)
    setting_reasons: dict = field(default_factory=dict)
    budget_gaps: dict = field(default_factory=dict)

    def __post_init__(self):
        self.observables = [o if isinstance(o, Observable) else Observable(**_obs_args(o))
                            for o in self.observables]
        decisions = setting_decisions(self.observables, self.budget_gaps)
        self.setting_verdicts = {s: v for s, (v, _) in decisions.items()}
        self.setting_reasons = {s: r for s, (_, r) in decisions.items()}
        self.verdict = overall_verdict(self._verdicts(paper=True))
        beyond = self._verdicts(paper=False)
        self.beyond_verdict = overall_verdict(beyond) if beyond else None

    def _verdicts(self, paper: bool) -> dict:
        return {s: v for s, v in self.setting_verdicts.items() if is_beyond(s) != paper}

    @property
    def paper_settings(self) -> list[str]:
        return list(self._verdicts(paper=True))

    @property
    def beyond_settings(self) -> list[str]:
        return list(self._verdicts(paper=False))

    def verdict_label(self, setting: str | None = None) -> str:
        """The verdict as shown to a reader: of `setting`, or the claim's (its paper settings');
        `inconclusive (budget)` when the inconclusive settings are so for the budget only."""
        if setting is not None:
            return self._label(self.setting_verdicts.get(setting, "inconclusive"), [setting])
        return self._label(self.verdict, self.paper_settings)

    def beyond_label(self) -> str:
        """The verdict of the settings beyond the paper ("-" when there is none)."""
        return "-" if self.beyond_verdict is None else self._label(self.beyond_verdict, self.beyond_settings)

    def _label(self, verdict: str, settings: list[str]) -> str:
        open_ = [s for s in settings if self.setting_verdicts.get(s) == "inconclusive"]
        budget = open_ and all(self.setting_reasons.get(s, "").startswith(BUDGET) for s in open_)
        return f"{verdict} (budget)" if verdict == "inconclusive" and budget else verdict

    def key_observable(self) -> Observable | None:
        """The observable that decides the claim's verdict (without a paper setting, ours'): a failing
        claim observable (it refutes), else a control that did not reject, else a pending, straddling
        or below-budget claim observable, else the first claim observable (None when there is none)."""
        paper = set(self.paper_settings)
        mine = [o for o in self.observables if o.setting in paper] or self.observables  # no paper setting: ours
        claims = [o for o in mine if o.role == "claim"]
        below = [o for o in claims if o.setting in self.budget_gaps and o.kind == "absence"]
        return ([o for o in claims if o.outcome == "fails"]
                or [o for o in mine if o.role == "control" and o.outcome != "holds"]
                or [o for o in claims if o.outcome != "holds"] or below or claims or [None])[0]

    def observable(self, name: str) -> Observable:
        for o in self.observables:
            if o.name == name:
                return o
        raise KeyError(f"{self.claim}: no observable named {name!r}")

    def to_frame(self):
        """The observables as a pandas DataFrame, one row per observable: claim, setting, role, name,
        value, lo, hi, coverage, method, bound, comparison, tolerance, kind, source, outcome, passed,
        the setting's verdict, the claim's verdict, the verdict beyond the paper, scale, seed, config hash."""
        import pandas as pd  # optional and heavy: only this method needs it
        keys = ("setting", "role", "name", "value", "lo", "hi", "coverage", "method", "bound", "comparison",
                "tolerance", "kind", "source", "outcome", "passed")
        rows = [{"claim": self.claim, **{k: getattr(o, k) for k in keys},
                 "setting_verdict": self.setting_verdicts.get(o.setting, ""), "verdict": self.verdict,
                 "beyond_verdict": self.beyond_verdict, "scale": self.scale, "seed": self.seed,
                 "config_hash": self.config_hash} for o in self.observables]
        columns = ["claim", *keys, "setting_verdict", "verdict", "beyond_verdict", "scale", "seed", "config_hash"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict:
        """The result.json object (schema `grokcheck.schema.SCHEMA_VERSION`); the caller validates
        it (`grokcheck.schema.validate_result_dict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        """A Result from a result.json object already validated against the schema; the verdicts are
        recomputed from the observables."""
        computed = ("verdict", "beyond_verdict", "setting_verdicts", "setting_reasons")
        return cls(**{k: v for k, v in d.items() if k != "schema_version" and k not in computed})


def _obs_args(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("passed", "outcome")}


def config_hash(config) -> str:
    """Short stable hash of a config dataclass (the store's key and the report's identity)."""
    blob = json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def to_jsonable(x: Any) -> Any:
    """Tensors and arrays to lists, numpy scalars to Python numbers, recursively."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return to_jsonable(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    return x
