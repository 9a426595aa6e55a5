"""Gaps that a mutation run (mutmut over the decision, statistics and training modules) found in
the fast tests, each pinned against an independent reference: the rule as the module docstring
states it on inputs whose answer is known by construction, a brute-force reading, SciPy, or a
sequential run of models/train.py. Each test fails on a near miss of its rule (an open vs closed
interval end, one vs two sided, the rule's wrong end, a tie, a stream index or a per-run setting
ignored) and passes on the real code."""
from __future__ import annotations

import copy
import itertools
import math
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from test_batched import (  # the shared quadratic-net setup of the batched tests
    _logits,
    _setup,
)
from torch import nn

from grokcheck import checks
from grokcheck.core import (
    Observable,
    Result,
    compare,
    setting_decision,
    setting_verdicts,
)
from grokcheck.models import batched
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.rules import (
    control_rule,
    deciding_end,
    describe,
    event_rule,
    interval_rule,
)
from grokcheck.theory import delay, stats
from grokcheck.theory.stats import Interval


def _result(observables, budget_gaps=None):
    return Result(claim="c", title="t", statement="s", source="src", scale="ci", config={}, config_hash="h",
                  seed=0, observables=observables, budget_gaps=budget_gaps or {})


def _obs(name, passed, role="claim", setting="paper", **kw):
    # value 1 against bound 0: ">=" holds, "<=" fails
    return Observable(name, 1.0, 0.0, ">=" if passed else "<=", role=role, setting=setting, **kw)


def _straddles(name, setting="paper"):
    return Observable(name, 0.5, 0.5, ">=", lo=0.4, hi=0.6, coverage=0.95, method="test", setting=setting)


# ------------------------------------------------------------------------------ rules.py

def _every_point_holds(lo, hi, bound, comparison) -> bool:
    """Brute force: the rule `x comparison bound` holds at every point of [lo, hi] (ends included)."""
    return all(compare(x, bound, comparison) for x in np.linspace(lo, hi, 401).tolist() + [lo, hi])


ENDS = [(0.2, 0.4), (0.2, 0.5), (0.5, 0.5), (0.5, 0.8), (0.6, 0.8), (0.4, 0.6)]


@pytest.mark.parametrize("comparison", [">=", ">", "<=", "<"])
@pytest.mark.parametrize("lo,hi", ENDS)
def test_control_rule_holds_exactly_when_the_rule_does_not(comparison, lo, hi):
    """A control holds when its rule does not hold on the wrong input: not every point of the
    interval lies on the claim's side (brute force), with ends that touch the bound (open vs
    closed end) for each one-sided comparison."""
    iv = Interval((lo + hi) / 2, lo, hi, 0.95, "test", 5)
    c = control_rule("ctl", iv, 0.5, comparison, "wrong input", setting="paper: b")
    assert c.passed is (not _every_point_holds(lo, hi, 0.5, comparison))
    assert (c.role, c.setting, c.name) == ("control", "paper: b", "ctl")
    assert c.value == (lo if comparison in (">=", ">") else hi)  # the end the rule needs on its side
    assert c.reason.startswith("wrong input") and "[" in c.reason and c.method


def test_deciding_end_is_the_end_nearest_the_failing_side():
    iv = Interval(0.5, 0.1, 0.9, 0.95, "test", 5)
    assert [deciding_end(iv, c) for c in (">=", ">", "<=", "<")] == [0.1, 0.1, 0.9, 0.9]


def test_control_rule_refuses_a_two_sided_rule():
    with pytest.raises(ValueError, match="one-sided"):
        control_rule("ctl", Interval(0.5, 0.4, 0.6, 0.95, "t", 3), 0.5, "==", "r")


@pytest.mark.parametrize("comparison", [">=", ">", "<=", "<", "=="])
@pytest.mark.parametrize("lo,hi", ENDS)
def test_interval_rule_is_the_whole_interval_rule_without_tolerance(comparison, lo, hi):
    """interval_rule passes every field through and its default tolerance is 0: it holds iff every
    point of the interval is on the claim's side (brute force), fails iff none is."""
    iv = Interval((lo + hi) / 2, lo, hi, 0.95, "median, test", 5)
    o = interval_rule("m", iv, 0.5, comparison, "why", role="observation", setting="ours: x", kind="event",
                      source="figure")
    sides = [compare(x, 0.5, comparison) for x in np.linspace(lo, hi, 401).tolist() + [lo, hi]]
    want = "holds" if all(sides) else ("pending" if not any(sides) else "undecided")  # kind event: fails = pending
    assert o.outcome == want
    assert (o.name, o.role, o.setting, o.kind, o.source, o.tolerance) == ("m", "observation", "ours: x", "event",
                                                                          "figure", 0.0)
    assert (o.value, o.lo, o.hi, o.coverage, o.method) == (iv.estimate, lo, hi, 0.95, "median, test")
    assert o.reason.startswith("why (") and describe(iv) in o.reason


def test_interval_rule_tolerance_and_event_rule_name():
    iv = Interval(0.45, 0.42, 0.48, 0.95, "t", 5)
    assert interval_rule("m", iv, 0.5, ">=", "r").outcome == "fails"
    assert interval_rule("m", iv, 0.5, ">=", "r", tolerance=0.1).outcome == "holds"
    assert event_rule("t_gen", 3, 5, "<=", "r").name == "t_gen"
    assert control_rule("c", iv, 0.5, ">=", "r").method == "the rule's deciding end"


def test_interval_rule_refuses_a_control():
    with pytest.raises(ValueError, match="control_rule"):
        interval_rule("m", Interval(0.5, 0.4, 0.6, 0.95, "t", 3), 0.5, ">=", "r", role="control")


def test_describe_quotes_estimate_interval_and_coverage():
    """The reason quotes the estimate, the interval and its coverage (4 significant digits)."""
    text = describe(Interval(0.123456, 0.0123456, 1234.5678, 0.75, "median, m", 3))
    assert text == f"{0.123456:.4g} [{0.0123456:.4g}, {1234.5678:.4g}], coverage 75% (median, m)"
    assert describe(Interval(None, None, None, None, "none", 0)) == "none [none, none], coverage unknown (none)"


def test_event_rule_is_an_event_observable():
    """None has not happened: pending; a step on the claim's side holds; the other side is pending."""
    assert event_rule("t", None, 10, "<=", "r").outcome == "pending"
    o = event_rule("t", 10, 10, "<=", "r", setting="ours: b", source="figure")
    assert (o.outcome, o.kind, o.setting, o.source, o.reason) == ("holds", "event", "ours: b", "figure", "r")
    assert event_rule("t", 11, 10, "<=", "r").outcome == "pending"
    assert event_rule("t", 10, 10, "<", "r").outcome == "pending"


# ------------------------------------------------------------------------------ core.py

def test_setting_verdicts_reads_the_budget_gaps():
    """Rule 3: a pending event below the paper's budget is inconclusive, at the budget it refutes."""
    obs = [Observable("t_gen", None, 100, "<=", kind="event"), _obs("ctl", True, role="control")]
    assert setting_verdicts(obs) == {"paper": "refuted"}
    assert setting_verdicts(obs, {"paper": "1e3 < 5e4 steps"}) == {"paper": "inconclusive"}


def test_verdict_label_of_one_setting():
    ctl = lambda s: _obs("ctl " + s, True, role="control", setting=s)  # noqa: E731
    obs = [_obs("a", True), ctl("paper"), Observable("t", None, 5, "<=", kind="event", setting="paper: b"),
           ctl("paper: b"), _straddles("s", "paper: c"), ctl("paper: c")]
    r = _result(obs, {"paper: b": "short run"})
    assert r.verdict_label("paper") == "verified"
    assert r.verdict_label("paper: b") == "inconclusive (budget)"
    assert r.verdict_label("paper: c") == "inconclusive"
    assert r.verdict_label("no such setting") == "inconclusive"
    assert r.verdict_label() == "inconclusive"  # one plain inconclusive setting: not the budget's


CTL = dict(role="control")


@pytest.mark.parametrize("obs,gaps,key", [
    # every claim holds: the first claim (not a holding control listed before it)
    ([_obs("ctl", True, **CTL), _obs("a", True), _obs("b", True)], None, "a"),
    # a failing claim comes before a straddling one, wherever it is listed
    ([_straddles("s"), _obs("f", False), _obs("ctl", True, **CTL)], None, "f"),
    # a straddling claim after a holding one
    ([_obs("a", True), _straddles("s"), _obs("ctl", True, **CTL)], None, "s"),
    # a control that did not reject comes before a straddling claim
    ([_straddles("s"), _obs("a", True), _obs("c", False, **CTL)], None, "c"),
    # below the budget: the claim of absence, not the holding measurement before it
    ([_obs("a", True), Observable("no exit", 0.0, 0.5, "<=", kind="absence"), _obs("ctl", True, **CTL)],
     {"paper": "short"}, "no exit"),
    # an absence claim at the paper's budget is decided: the first claim
    ([_obs("a", True), Observable("no exit", 0.0, 0.5, "<=", kind="absence"), _obs("ctl", True, **CTL)],
     None, "a"),
    # the paper's settings decide the key even when ours fails
    ([_obs("b", False, setting="ours: x"), _obs("a", True), _obs("ctl", True, **CTL)], None, "a"),
    # no paper setting: ours
    ([_obs("b", True, setting="ours: x"), _obs("f", False, setting="ours: x")], None, "f"),
])
def test_key_observable_priority(obs, gaps, key):
    """Result.key_observable: a failing claim, else a control that did not reject, else a pending /
    straddling / below-budget claim, else the first claim; of the paper's settings, else ours."""
    assert _result(obs, gaps).key_observable().name == key


def test_key_observable_without_claims_is_none():
    assert _result([]).key_observable() is None


def _mixed_result():
    obs = [_obs("a", True), _obs("ctl", True, **CTL), _straddles("s", "paper: b"), _obs("ctl b", True, "control",
           "paper: b"), _obs("o", False, "observation", "ours: x"), _obs("b", False, setting="ours: x"),
           _obs("ctl x", True, "control", "ours: x")]
    return Result(claim="c", title="t", statement="s", source="src", scale="ci", config={"p": 5}, config_hash="h12",
                  seed=3, observables=obs, notes=["n"], budget_gaps={"paper: b": "short"})


def test_to_frame_one_row_per_observable_with_every_field():
    r = _mixed_result()
    frame = r.to_frame()
    keys = ["setting", "role", "name", "value", "lo", "hi", "coverage", "method", "bound", "comparison",
            "tolerance", "kind", "source", "outcome", "passed"]
    assert list(frame.columns) == ["claim", *keys, "setting_verdict", "verdict", "beyond_verdict", "scale", "seed",
                                   "config_hash"]
    assert len(frame) == len(r.observables)
    for row, o in zip(frame.to_dict("records"), r.observables):
        for k in keys:
            want, got = getattr(o, k), row[k]
            assert (got == want) or (want is None and (got is None or math.isnan(got))), (k, got, want)
        assert row["setting_verdict"] == r.setting_verdicts[o.setting]
        assert (row["claim"], row["verdict"], row["beyond_verdict"], row["scale"], row["seed"], row["config_hash"]) \
            == ("c", r.verdict, r.beyond_verdict, "ci", 3, "h12")


def test_to_frame_of_a_setting_without_verdict_and_of_no_observable():
    """An observable of a setting with no claim (no verdict) gets an empty setting verdict; a result
    without observables still has every column."""
    r = _result([_obs("a", True), _obs("ctl", True, **CTL), _obs("o", True, "observation", "paper: extra")])
    assert list(r.to_frame()["setting_verdict"]) == [r.setting_verdicts["paper"]] * 2 + [""]
    empty = _result([]).to_frame()
    assert len(empty) == 0 and list(empty.columns) == list(r.to_frame().columns)


def test_result_round_trips_and_recomputes_its_verdicts():
    r = _mixed_result()
    d = r.to_dict()
    assert d["observables"][0] == {**vars(r.observables[0])}
    forged = {**d, "verdict": "verified", "beyond_verdict": "verified", "setting_verdicts": {}, "setting_reasons": {},
              "schema_version": 99}
    forged["observables"] = [{**o, "outcome": "holds", "passed": True} for o in d["observables"]]
    back = Result.from_dict(forged)
    assert back.to_dict() == d
    assert (back.verdict, back.beyond_verdict) == ("inconclusive", "refuted")
    assert back.observable("s").outcome == "undecided"
    with pytest.raises(KeyError, match="no observable named 'zz'"):
        back.observable("zz")


@pytest.mark.parametrize("value,comparison,tolerance,want", [
    (1.5, "<=", None, False), (0.5, ">=", None, False), (1.05, "<", 0.1, True), (1.1, "<", 0.1, False),
    (0.95, ">", 0.1, True), (0.9, ">", 0.1, False), (1.0 + 1e-9, "==", None, False)])
def test_compare_tolerance_default_and_strict_sides(value, comparison, tolerance, want):
    """No tolerance unless given; a tolerance widens a strict comparison on the same side as the
    closed one (value < bound + tol, value > bound - tol)."""
    args = () if tolerance is None else (tolerance,)
    assert compare(value, 1.0, comparison, *args) is want
    if tolerance is None:
        from grokcheck.core import interval_outcome
        assert interval_outcome(value, value, 1.0, comparison) == ("holds" if want else "fails")


@pytest.mark.parametrize("lo,hi", [(math.nan, 0.1), (0.1, math.nan), (math.nan, 0.9), (0.9, math.nan),
                                   (None, 0.1), (0.1, None), (None, 0.9)])
@pytest.mark.parametrize("comparison", [">=", "<=", ">", "<", "=="])
def test_an_interval_with_one_missing_end_is_undecided(lo, hi, comparison):
    from grokcheck.core import interval_outcome
    assert interval_outcome(lo, hi, 0.5, comparison) == "undecided"


@pytest.mark.parametrize("kw,message", [
    ({"role": "judge"}, "unknown role 'judge'"), ({"kind": "maybe"}, "unknown kind 'maybe'"),
    ({"comparison": "~"}, "unknown comparison '~'"), ({"source": "blog"}, "unknown source 'blog'"),
    ({"source": "ours"}, "a statement of ours belongs to a setting named 'ours: ...'"),
    ({"lo": 1.0}, "give both ends of the interval or neither"), ({"lo": 2.0, "hi": 1.0}, "has lo > hi"),
    ({"lo": 0.0, "hi": 1.0, "coverage": 1.5}, r"coverage must be in \[0, 1\]")])
def test_a_malformed_observable_says_what_is_wrong(kw, message):
    with pytest.raises(ValueError, match=message):
        Observable(**{"name": "x", "value": 1.0, "bound": 0.0, "comparison": ">=", **kw})


@pytest.mark.parametrize("call,message", [
    (lambda: compare(1.0, 0.0, "=>"), "unknown comparison '=>'"),
    (lambda: stats.pooled_rank_ci([1.0, 2.0], [[1.0]]), "2 x values but 1 groups"),
    (lambda: stats.bootstrap_ci([]), "values must not be empty")])
def test_statistics_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_observable_passed_coverage_one_and_describe():
    assert Observable("x", 1.0, 0.0, ">=").passed is True
    assert Observable("x", 1.0, 0.0, "<=").passed is False
    full = Observable("x", 0.5, 0.0, ">=", lo=0.25, hi=0.75, coverage=1.0, method="exact ends")
    assert full.coverage == 1.0 and full.passed is True
    assert full.describe() == f"x: {0.5:.4g} [{0.25:.4g}, {0.75:.4g}] 100% exact ends vs >= 0 -> holds"
    unknown = Observable("y", 0.123456, 0.5, "<=", lo=0.1, hi=0.2)
    assert unknown.describe() == f"y: {0.123456:.4g} [{0.1:.4g}, {0.2:.4g}] coverage unknown, exact vs <= 0.5 -> undecided"
    assert Observable("z", None, 2.5, "<=", kind="event").describe() == "z: none vs <= 2.5 -> pending"


def test_a_refutation_says_why():
    ctl = _obs("ctl", True, **CTL)
    verdict, why = setting_decision([Observable("t_gen", None, 100, "<=", kind="event"), ctl])
    assert verdict == "refuted" and why.startswith("the event did not happen within the paper's budget: t_gen")
    verdict, why = setting_decision([_obs("a", False), ctl])
    assert verdict == "refuted" and why.startswith("interval on the other side: a")


def test_config_hash_is_stable_short_and_field_order_free():
    """Twelve hex digits of a JSON of the config with sorted keys: equal configs agree, a change
    changes it, declaring the fields in another order does not, non-JSON values hash by str."""
    import dataclasses
    from pathlib import Path

    from grokcheck.core import config_hash

    @dataclasses.dataclass(frozen=True)
    class A:
        p: int = 5
        lr: float = 0.1
        where: Path = Path("/tmp/x")

    @dataclasses.dataclass(frozen=True)
    class B:
        where: Path = Path("/tmp/x")
        lr: float = 0.1
        p: int = 5

    h = config_hash(A())
    assert re.fullmatch(r"[0-9a-f]{12}", h)
    assert h == config_hash(A()) == config_hash(B()) != config_hash(A(p=6)) != config_hash(A(where=Path("/tmp/y")))


def test_to_jsonable_converts_tensors_arrays_dataclasses_recursively():
    import dataclasses

    import torch

    from grokcheck.core import to_jsonable

    @dataclasses.dataclass
    class D:
        a: tuple = (1, 2)
        t: object = None

    got = to_jsonable({1: np.float64(1.5), "x": (torch.tensor([1, 2]), np.arange(2)), "d": D(t=np.int64(3))})
    assert got == {"1": 1.5, "x": [[1, 2], [0, 1]], "d": {"a": [1, 2], "t": 3}}
    assert type(got["1"]) is float and type(got["d"]["t"]) is int
    assert to_jsonable(D) is D  # a dataclass type is left as it is


# ------------------------------------------------------------------------------ checks.py

def _short_reference(name: str, limit: int = 40) -> str:
    """Runs of characters other than ASCII letters and digits become one '-', no '-' at either end."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:limit].rstrip("-")


@pytest.mark.parametrize("name", ["median t_gen / t_fit <= 1", "--a  b--", "plain", "x" * 50, "X-ray X", "XX",
                                  "a" * 39 + " b c", "(ratio) [lo, hi] -> 0.95", "a__b"])
def test_short_test_id(name):
    assert checks._short(name) == _short_reference(name)


def _verified():
    return _result([_obs("a", True), _obs("ctl", True, **CTL), _obs("o", False, "observation")])


def test_assert_passed_and_claims_pass():
    checks.assert_passed(_obs("a", True))
    with pytest.raises(AssertionError, match="a: 1 vs <= 0 -> fails"):
        checks.assert_passed(_obs("a", False))
    checks.assert_claims_pass(_verified())  # a failing observation does not count
    r = _result([_obs("a", True), _obs("b", False, setting="paper: b"), _obs("c", False, **CTL)])
    with pytest.raises(AssertionError, match="b: "):
        checks.assert_claims_pass(r)
    checks.assert_claims_pass(r, settings=["paper"])  # only the named settings; controls never
    with pytest.raises(AssertionError):
        checks.assert_claims_pass(r, settings=["paper: b"])


def test_assert_verdict_and_controls_pass():
    checks.assert_verdict(_verified(), "verified")
    with pytest.raises(AssertionError):
        checks.assert_verdict(_verified(), "refuted")
    checks.assert_controls_pass(_verified())
    no_control = _result([_obs("a", True), _obs("b", True, setting="paper: b"), _obs("ctl", True, **CTL)])
    with pytest.raises(AssertionError, match="'paper: b' has no control"):
        checks.assert_controls_pass(no_control, verdict=None)
    failing = _result([_obs("a", True), _obs("ctl", False, **CTL)])
    with pytest.raises(AssertionError, match="ctl"):
        checks.assert_controls_pass(failing, verdict=None)
    refuted = _result([_obs("a", False), _obs("ctl", True, **CTL)])
    checks.assert_controls_pass(refuted, verdict=None)  # controls only
    with pytest.raises(AssertionError):
        checks.assert_controls_pass(refuted)  # default: verified expected
    checks.assert_controls_pass(refuted, verdict="refuted")


def test_verdict_test_passes_xfails_and_flags_a_changed_verdict():
    results = {"good": _verified(), "bad": _result([_obs("a", False), _obs("ctl", True, **CTL)])}
    ci_result = results.__getitem__
    checks.verdict_test("good")(ci_result)
    assert not hasattr(checks.verdict_test("good"), "pytestmark")
    with pytest.raises(checks.VerdictChanged, match="'refuted', expected 'verified'"):
        checks.verdict_test("bad")(ci_result)
    expected_refuted = checks.verdict_test("bad", "refuted", why="too few steps")
    with pytest.raises(AssertionError, match="bad: refuted: too few steps"):
        expected_refuted(ci_result)
    (mark,) = expected_refuted.pytestmark
    assert mark.name == "xfail" and mark.kwargs["strict"] is True and mark.kwargs["raises"] is AssertionError
    assert mark.kwargs["reason"] == "refuted at ci scale: too few steps"
    with pytest.raises(checks.VerdictChanged):
        checks.verdict_test("good", "refuted")(ci_result)


def test_standard_tests_one_test_per_observable():
    r = _result([_obs("median a / b", True), _obs("ctl", True, **CTL), _obs("z", False, "observation")])
    test_observable, test_verdict = checks.standard_tests("c", ["median a / b", "z"])
    (mark,) = test_observable.pytestmark
    assert mark.name == "parametrize" and mark.args == ("name", ["median a / b", "z"])
    assert mark.kwargs["ids"] == ["median-a-b", "z"]
    test_observable(lambda _: r, "median a / b")
    with pytest.raises(AssertionError):
        test_observable(lambda _: r, "z")
    test_verdict({"c": r}.__getitem__)
    refuted = _result([_obs("a", False), _obs("ctl", True, **CTL)])
    _, expected = checks.standard_tests("c", ["a"], verdict="refuted", why="a reason")
    assert expected.pytestmark[0].kwargs["reason"] == "refuted at ci scale: a reason"
    with pytest.raises(AssertionError, match="c: refuted: a reason"):
        expected({"c": refuted}.__getitem__)
    assert checks.verdict_test("c", "refuted").pytestmark[0].kwargs["reason"] == "refuted at ci scale: "
    assert [m.name for m in checks.default_scale_test("c").pytestmark] == ["slow"]


# ------------------------------------------------------------------------------ theory/stats.py


def _exact_median_k(n: int, level: float) -> int:
    """The largest k with exact coverage 1 - 2 P(Bin(n, 1/2) < k) >= level (1 if none), in rationals."""
    ks = [k for k in range(1, n // 2 + 1)
          if 1 - 2 * Fraction(sum(math.comb(n, i) for i in range(k)), 2 ** n) >= Fraction(level)]
    return max(ks, default=1)


@pytest.mark.parametrize("n", range(1, 13))
def test_median_interval_at_a_level_equal_to_a_coverage(n):
    """A level equal to an achievable coverage (a tie) takes that k: coverage >= level, not >; the
    estimate is the sample median (mean of the two middle values at even n) and the method names the
    order statistics."""
    x = np.random.default_rng(n).normal(size=n)
    exact_levels = {float(1 - 2 * Fraction(sum(math.comb(n, i) for i in range(k)), 2 ** n))
                    for k in range(1, n // 2 + 1)}
    for level in sorted(exact_levels | {0.9, 0.95}):
        if not 0 < level < 1:
            continue
        iv = stats.median_interval(x.tolist(), level)
        k = _exact_median_k(n, level)
        s = np.sort(x)
        assert (iv.lo, iv.hi, iv.n) == (s[k - 1], s[n - k], n)
        assert iv.estimate == pytest.approx(np.median(x), abs=1e-12)
        assert iv.method == ("median, " + (f"order statistics {k} and {n + 1 - k} of {n}" if k > 1
                                           else f"[min, max] of {n}") + ", exact coverage")


def test_median_of_censored_runs_is_inf_like_numpy():
    """Runs censored at +inf sort last; the median follows numpy's (inf when a middle value is)."""
    for vals in ([1.0, math.inf], [1.0, 2.0, math.inf, math.inf], [1.0, 2.0, 3.0, math.inf],
                 [5.0, math.inf, math.inf]):
        assert stats.median_interval(vals).estimate == np.median(vals)
    empty = stats.median_interval([None, math.nan])
    assert (empty.estimate, empty.lo, empty.hi, empty.coverage, empty.n) == (None, None, None, None, 0)


@pytest.mark.parametrize("k,n", [(0, 7), (3, 7), (7, 7), (2, 5)])
def test_proportion_interval_fields(k, n):
    iv = stats.proportion_interval(k, n, 0.9)
    ci = sps.binomtest(k, n).proportion_ci(0.9, method="exact")
    assert (iv.estimate, iv.coverage, iv.n) == (k / n, 0.9, n)
    assert (iv.lo, iv.hi) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert f"{k}/{n}" in iv.method and "Clopper-Pearson" in iv.method


@pytest.mark.parametrize("k,n", [(1, 0), (1, 2.5), (1.5, 3), (True, 3), (1, True), (-1, 3), ("1", 3)])
def test_clopper_pearson_refuses_non_integers(k, n):
    with pytest.raises(ValueError, match="must be an integer"):
        stats.clopper_pearson(k, n)


def _boot_reference(values, statistic, seed, n_boot, level):
    """A percentile bootstrap written out: n_boot resamples with replacement of all S values."""
    rng = np.random.default_rng(seed)
    v = np.asarray(values, float)
    boots = [statistic(v[rng.integers(0, v.size, v.size)]) for _ in range(n_boot)]
    return np.quantile(boots, (1 - level) / 2), np.quantile(boots, 1 - (1 - level) / 2)


def test_bootstrap_resamples_every_value():
    """The max of a resample of [1, 0, 0, 0, 0] is 1 with probability 1 - 0.8^5 = 0.67, so the upper
    end of a 50% interval is 1 (a resample that never draws the first value gives 0)."""
    assert stats.bootstrap_ci([1.0, 0.0, 0.0, 0.0, 0.0], np.max, np.random.default_rng(0), level=0.5)[1] == 1.0
    assert stats.bootstrap_ci([0.0, 0.0, 0.0, 0.0, 1.0], np.max, np.random.default_rng(0), level=0.5)[1] == 1.0


def test_bootstrap_interval_is_two_sided_at_its_level():
    """The statistic 'first resampled value' is uniform on 0..99: a two-sided 50% interval is about
    [25, 74] (a one-sided or a (1 - level) / 3 tail would move the ends by > 8)."""
    first = lambda s: s[0]  # noqa: E731
    lo, hi = stats.bootstrap_ci(np.arange(100.0), first, np.random.default_rng(1), n_boot=20000, level=0.5)
    assert abs(lo - 24.75) < 3 and abs(hi - 74.25) < 3


def test_bootstrap_interval_uses_its_rng_level_and_n_boot():
    values = [0.3, 1.2, 2.5, 2.9, 4.1, 5.0, 6.6, 7.2, 8.8, 9.5, 10.1]
    for seed, n_boot, level in ((7, 50, 0.8), (8, 300, 0.6)):
        iv = stats.bootstrap_interval(values + [math.nan, None, math.inf], np.mean, np.random.default_rng(seed),
                                      level=level, n_boot=n_boot, what="mean")
        ref = _boot_reference(values, np.mean, seed, n_boot, level)
        assert (iv.lo, iv.hi) == pytest.approx(ref, abs=1e-12)
        assert (iv.estimate, iv.coverage, iv.n) == (pytest.approx(np.mean(values)), level, len(values))
        assert iv.method.startswith("mean, percentile bootstrap over 11")
    # without an rng: reproducible (the mean: a median's percentiles would sit on data values anyway)
    assert stats.bootstrap_ci(values, np.mean) == stats.bootstrap_ci(values, np.mean)


def test_bootstrap_coverage_is_known_from_min_bootstrap_values_on():
    m = stats.MIN_BOOTSTRAP
    at = stats.bootstrap_interval(list(range(m)), np.median, np.random.default_rng(0))
    below = stats.bootstrap_interval(list(range(m - 1)), np.median, np.random.default_rng(0))
    assert at.coverage == stats.LEVEL and "unknown" not in at.method
    assert below.coverage is None and "unknown" in below.method
    none = stats.bootstrap_interval([math.nan, None], np.median, what="w")
    assert (none.estimate, none.lo, none.hi, none.coverage, none.n) == (None, None, None, None, 0)
    assert none.method.startswith("w")


@pytest.mark.parametrize("fn", [stats.rank_correlation, stats.kendall_tau, stats.loglog_slope])
def test_paired_statistics_name_the_bad_sample(fn):
    with pytest.raises(ValueError, match="^x must be finite"):
        fn([1.0, math.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="^y must be finite"):
        fn([1.0, 2.0], [1.0, math.inf])


def test_grouped_bootstrap_edges():
    """Each group resampled on its own, every value of it reachable; a one-value group is fine, an
    empty one is refused; the interval is two-sided at its level; the statistic may be non-finite on
    up to half of the resamples (ValueError beyond that)."""
    rng = np.random.default_rng
    first_max = lambda g: float(g[0].max())  # noqa: E731
    assert stats.grouped_bootstrap_ci([[1.0, 0.0, 0.0, 0.0, 0.0], [2.0]], first_max, rng(0), level=0.5)[1] == 1.0
    with pytest.raises(ValueError, match="non-empty group"):
        stats.grouped_bootstrap_ci([[1.0], []], first_max, rng(0))
    lo, hi = stats.grouped_bootstrap_ci([np.arange(100.0)], lambda g: float(g[0][0]), rng(1), n_boot=20000, level=0.5)
    assert abs(lo - 24.75) < 3 and abs(hi - 74.25) < 3

    def nan_on(k_bad):  # non-finite on the first k_bad of every 10 calls
        calls = itertools.count()
        return lambda g: math.nan if next(calls) % 10 < k_bad else float(g[0][0])

    assert math.isfinite(stats.grouped_bootstrap_ci([[1.0, 2.0]], nan_on(5), rng(0), n_boot=10)[0])
    with pytest.raises(ValueError, match="not finite"):
        stats.grouped_bootstrap_ci([[1.0, 2.0]], nan_on(6), rng(0), n_boot=10)
    # without an rng: reproducible
    g = [[1.0, 5.0, 2.0, 7.5], [3.0, 4.0, 0.5]]
    mean_of_means = lambda gs: float(np.mean([np.mean(v) for v in gs]))  # noqa: E731
    assert stats.grouped_bootstrap_ci(g, mean_of_means) == stats.grouped_bootstrap_ci(g, mean_of_means)
    # with an rng: a grouped percentile bootstrap written out, drawing from that rng
    for seed in (5, 6):
        r = np.random.default_rng(seed)
        arrays = [np.asarray(v) for v in g]
        boots = [mean_of_means([a[r.integers(0, a.size, a.size)] for a in arrays]) for _ in range(300)]
        ref = (np.quantile(boots, 0.1), np.quantile(boots, 0.9))
        got = stats.grouped_bootstrap_ci(g, mean_of_means, np.random.default_rng(seed), n_boot=300, level=0.8)
        assert got == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_levels_outside_the_open_unit_interval_are_refused(level):
    for call in (lambda: stats.median_interval([1.0, 2.0, 3.0], level), lambda: stats.proportion_interval(1, 3, level),
                 lambda: stats.bootstrap_ci([1.0, 2.0], level=level)):
        with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
            call()


@pytest.mark.parametrize("n_boot", [10.5, 9, True, "100"])
def test_n_boot_must_be_an_integer_of_at_least_ten(n_boot):
    with pytest.raises(ValueError, match="n_boot must be an integer >= 10"):
        stats.bootstrap_ci([1.0, 2.0], n_boot=n_boot)
    stats.bootstrap_ci([1.0, 2.0], n_boot=10)


def test_pooled_rank_ci_uses_its_rng_level_and_n_boot():
    """rho is SciPy's Spearman over the pooled (x, y) pairs; the interval is the grouped bootstrap of
    that statistic with the caller's rng, level and n_boot."""
    xs = [1.0, 2.0, 3.0]
    ys = [[0.1, 0.5, 0.2], [0.4, 0.3], [0.9, 0.6, 0.7, 0.8]]
    pooled_x = [x for x, y in zip(xs, ys) for _ in y]
    pooled_y = [v for y in ys for v in y]
    for seed, n_boot, level in ((3, 40, 0.8), (4, 60, 0.6)):
        rho, (lo, hi) = stats.pooled_rank_ci(xs, ys, np.random.default_rng(seed), n_boot=n_boot, level=level)
        assert rho == pytest.approx(sps.spearmanr(pooled_x, pooled_y).statistic, abs=1e-12)

        def spearman(groups):
            return sps.spearmanr(np.concatenate([np.full(len(g), x) for x, g in zip(xs, groups)]),
                                 np.concatenate(groups)).statistic
        ref = stats.grouped_bootstrap_ci([np.array(y) for y in ys], spearman, np.random.default_rng(seed),
                                         n_boot=n_boot, level=level)
        assert (lo, hi) == pytest.approx(ref, abs=1e-12)
    with pytest.raises(ValueError, match="^xs must be finite"):
        stats.pooled_rank_ci([1.0, math.nan], ys[:2])
    with pytest.raises(ValueError, match="^y must be finite"):
        stats.pooled_rank_ci(xs[:2], [[1.0], [math.inf]])


def test_rank_statistics_at_two_pairs_and_constant_input():
    """Two pairs are enough (SciPy's value); a constant x or y gives NaN without a SciPy warning."""
    import warnings
    assert stats.rank_correlation([1, 2], [3, 1]) == pytest.approx(-1.0, abs=1e-12)
    assert stats.kendall_tau([1, 2], [1, 3]) == pytest.approx(1.0, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in (([1, 1, 1], [1, 2, 3]), ([1, 2, 3], [2, 2, 2])):
            assert math.isnan(stats.rank_correlation(x, y)) and math.isnan(stats.kendall_tau(x, y))
    with pytest.raises(ValueError, match="same length"):
        stats.rank_correlation([1.0], [1.0])


def test_loglog_slope_domain():
    """Slope of an exact power law y = c x^k, with x = 1 or y < 1 allowed; x or y <= 0 refused;
    two distinct x suffice; unequal lengths refused."""
    for x, k, c in (([1.0, 2.0], 2.0, 3.0), ([0.5, 4.0, 9.0], -1.5, 0.2), ([2.0, 2.0, 8.0], 0.5, 1.0)):
        y = [c * v ** k for v in x]
        assert stats.loglog_slope(x, y) == pytest.approx(k, abs=1e-12)
    for x, y in (([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]), ([-1.0, 1.0, 2.0], [1.0, 2.0, 3.0]),
                 ([1.0, 2.0], [0.0, 1.0])):
        with pytest.raises(ValueError, match="> 0"):
            stats.loglog_slope(x, y)
    for x, y in (([1.0, 2.0, 3.0], [1.0, 2.0]), ([2.0, 2.0], [1.0, 3.0])):
        with pytest.raises(ValueError, match="two distinct x"):
            stats.loglog_slope(x, y)


# ------------------------------------------------------------------------------ streams.py

def _stream_seed_reference(seed: int, name: str, index: int) -> int:
    """The module docstring's scheme: SHA-256 of (seed, name, index), 63 bits."""
    import hashlib
    digest = hashlib.sha256(f"grokcheck|{seed}|{name}|{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def test_numpy_and_torch_streams_follow_their_index():
    import torch

    from grokcheck.streams import generator, numpy_rng
    for index in (0, 1, 3):
        s = _stream_seed_reference(7, "init", index)
        assert numpy_rng(7, "init", index).random(3).tolist() == np.random.default_rng(s).random(3).tolist()
        ref = torch.Generator().manual_seed(s)
        assert torch.equal(torch.rand(3, generator=generator(7, "init", index)), torch.rand(3, generator=ref))
    assert numpy_rng(7, "init").random(3).tolist() == numpy_rng(7, "init", 0).random(3).tolist()
    assert torch.equal(torch.rand(3, generator=generator(7, "init")), torch.rand(3, generator=generator(7, "init", 0)))


# ------------------------------------------------------------------------------ theory/delay.py


def test_eval_grid_is_exactly_its_parts():
    """Only the parts asked for: no default part, no step 1 unless a part holds it (exact small cases
    where the log-spaced points are exact in floating point)."""
    assert delay.eval_grid(1000) == (0, 1000)
    assert delay.eval_grid(1000, per_decade=1) == (0, 1, 10, 100, 1000)
    assert delay.eval_grid(10, dense_until=3) == (0, 1, 2, 3, 10)
    assert delay.eval_grid(10, n_uniform=5) == (0, 2, 4, 6, 8, 10)
    assert delay.eval_grid(5, dense_until=9) == (0, 1, 2, 3, 4, 5)
    assert delay.eval_grid(100, n_uniform=1, per_decade=2, dense_until=0) == (0, 1, 3, 10, 31, 100)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(steps=st.integers(1, 50_000), n_uniform=st.integers(0, 50), per_decade=st.integers(0, 40),
       dense_until=st.integers(0, 30))
def test_eval_grid_has_nothing_but_its_parts(steps, n_uniform, per_decade, dense_until):
    """Every grid point is 0, steps, a dense step, a uniform step or (within flooring) a power
    10^(j / per_decade) below steps; the log part starts at 1."""
    g = delay.eval_grid(steps, n_uniform=n_uniform, per_decade=per_decade, dense_until=dense_until)
    parts = {0, steps, *range(min(dense_until, steps) + 1)}
    if n_uniform:
        parts |= {round(i * steps / n_uniform) for i in range(n_uniform + 1)}
    logs = set()
    if per_decade:
        top = math.ceil(per_decade * math.log10(steps)) + 1
        logs = {int(10 ** (j / per_decade)) + d for j in range(top) for d in (-1, 0)}
        assert 1 in g
    assert set(g) - parts <= logs


def test_grid_presets_and_their_checks():
    assert delay.fine_grid(5000) == delay.eval_grid(5000, n_uniform=400, per_decade=40)
    assert delay.log_grid(5000) == delay.eval_grid(5000, per_decade=40)
    assert delay.fine_grid(100, 1, 1) == delay.eval_grid(100, n_uniform=1, per_decade=1)
    assert delay.log_grid(100, 1) == (0, 1, 10, 100)
    for bad in (lambda: delay.fine_grid(10, 0, 5), lambda: delay.fine_grid(10, 5, 0), lambda: delay.log_grid(10, 0)):
        with pytest.raises(ValueError, match=">= 1"):
            bad()


@pytest.mark.parametrize("call,message", [
    (lambda: delay.first_step([0, 1], [1.0], 0.5), "2 steps but 1 values"),
    (lambda: delay.first_step([0, 0], [1.0, 1.0], 0.5), "strictly increasing"),
    (lambda: delay.first_step([0, 1], [1.0, 1.0], 0.5, "=>"), "unknown comparison"),
    (lambda: delay.eval_grid(0), "steps must be"), (lambda: delay.eval_grid(5, dense_until=-1), "dense_until"),
    (lambda: delay.eval_grid(5, per_decade=-1), "per_decade"), (lambda: delay.eval_grid(5, n_uniform=-1), "n_uniform")])
def test_delay_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1,
                max_size=12), st.floats(0, 1), st.floats(0, 1))
def test_grokking_times_against_a_brute_force_reading(rows, th1, th2):
    """t1 / t2: the first step where train / test error <= its threshold (ties count); delay t2 - t1;
    times_per_run reads each column (run) on its own."""
    steps = [5 * i + 2 for i in range(len(rows))]
    train = [[r[0], r[1]] for r in rows]  # (T, K=2)
    test = [[r[2], r[3]] for r in rows]

    def first(col, th):
        return next((t for t, v in zip(steps, col) if v <= th), None)
    t1s = [first([r[k] for r in train], th1) for k in range(2)]
    t2s = [first([r[k] for r in test], th2) for k in range(2)]
    assert delay.times_per_run(steps, train, test, th1, th2) == (t1s, t2s)
    t1, t2, d = delay.grokking_times(steps, [r[0] for r in train], [r[0] for r in test], th1, th2)
    assert (t1, t2) == (t1s[0], t2s[0])
    assert d == (None if t1 is None or t2 is None else t2 - t1)


def test_grokking_times_tie_and_predicted_delay():
    assert delay.grokking_times([0, 10, 20], [0.5, 0.1, 0.0], [0.9, 0.5, 0.2], 0.1, 0.2) == (10, 20, 10)
    assert delay.grokking_times([0, 10], [0.5, 0.5], [0.0, 0.0], 0.1, 0.2) == (None, 0, None)
    assert delay.predicted_delay(3.0, 0.5, 0.25) == 3.0 / (0.5 * 0.25)
    for lr, beta in ((0.0, 1.0), (1.0, 0.0), (-1.0, 1.0)):
        with pytest.raises(ValueError, match="must be > 0"):
            delay.predicted_delay(1.0, lr, beta)


# ------------------------------------------------------------------------------ models/batched.py


def _mlp_setup(R=3, N=24, seed=0):
    """R small float-input MLPs (float64 parameters, float64 inputs), 2 classes, R train masks and
    test masks that leave some points out of both."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(N, 3, generator=gen, dtype=torch.float64)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    models = []
    for r in range(R):
        torch.manual_seed(100 + r)
        models.append(nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 2)).double())
    perm = torch.randperm(N, generator=gen)
    train_m = torch.zeros(R, N, dtype=torch.bool)
    test_m = torch.zeros(R, N, dtype=torch.bool)
    for r in range(R):
        train_m[r, perm[(3 * r) % N:][:10]] = True
        rest = (~train_m[r]).nonzero().flatten()
        test_m[r, rest[::2]] = True  # half of the rest: neither train nor test for the other half
    return x, y, models, train_m, test_m


def _sequential(models, x, y, train_m, test_m, cfg, lrs=None, forward=None):
    """The reference: models/train.py's `train`, one run at a time, on copies of the models."""
    out = []
    for r, m in enumerate(models):
        ref = copy.deepcopy(m)
        c = cfg if lrs is None else TrainConfig(**{**cfg.__dict__, "lr": lrs[r]})
        kw = {} if forward is None else {"forward": forward}
        h = train(ref, Data(x[train_m[r]], y[train_m[r]]), Data(x[test_m[r]], y[test_m[r]]), c, **kw)
        out.append((h, ref))
    return out


def _assert_runs_match(hists, params, refs, rtol, atol):
    for r, (h, ref) in enumerate(refs):
        assert (hists[r].steps, hists[r].diverged_at, hists[r].device) == (h.steps, h.diverged_at, h.device), r
        for k in ("train_loss", "test_loss", "train_acc", "test_acc", "linf", "l2"):
            assert hists[r].metrics[k] == pytest.approx(h.metrics[k], rel=rtol, abs=atol, nan_ok=True), (r, k)
        for name, p in ref.named_parameters():
            torch.testing.assert_close(params[name][r], p.detach(), rtol=rtol, atol=atol, msg=f"run {r} {name}")


@pytest.mark.parametrize("opt,loss,wd", [("gd", "ce", 0.1), ("sign", "mse", 0.05), ("ngd", "mse", 0.0)])
def test_batched_float32_float_inputs_own_test_masks_and_per_run_lrs(opt, loss, wd):
    """float32 training of float64 models on float64 inputs, each run's own lr and weight decay, own test
    points and (mse) one-hot targets: the same as R sequential runs; the models passed in are not changed."""
    x, y, models, train_m, test_m = _mlp_setup()
    before = [copy.deepcopy(m.state_dict()) for m in models]
    lrs = [0.05, 0.2, 0.01]
    cfg = TrainConfig(steps=12, lr=0.1, optimizer=opt, loss=loss, weight_decay=wd, dtype="float32",
                      eval_steps=(0, 5, 12))
    hists, params = batched.train_batched(models, Data(x, y), train_m, cfg, test_masks=test_m, lrs=lrs)
    assert all(v.dtype == torch.float32 for v in params.values())
    _assert_runs_match(hists, params, _sequential(models, x, y, train_m, test_m, cfg, lrs), rtol=2e-4, atol=2e-5)
    for m, b in zip(models, before):
        assert all(torch.equal(v, b[k]) and v.dtype == torch.float64 for k, v in m.state_dict().items())


def test_batched_single_run_default_grid_and_penalty_weight_without_penalty():
    """One run, the default eval grid (n_eval points) and a penalty weight with no penalty named."""
    x, y, models, train_m, _ = _mlp_setup(R=1)
    cfg = TrainConfig(steps=30, lr=0.3, optimizer="gd", dtype="float64", n_eval=7, penalty=None, penalty_weight=0.5)
    hists, params = batched.train_batched(models, Data(x, y), train_m, cfg)
    _assert_runs_match(hists, params, _sequential(models, x, y, train_m, ~train_m, cfg), rtol=1e-9, atol=1e-12)


def _quadratic_setup(R=3):
    """R quadratic nets at p = 5 on training fractions 0.5, 0.6, ... (test_batched's setup)."""
    return _setup(R=R, fracs=[0.5 + 0.1 * r for r in range(R)])


def test_batched_divergence_matches_the_sequential_runs():
    """Two runs that diverge in a training step, at different steps, each stop where a sequential run
    stops and keep the parameters they had then (the second freeze does not wake the first); the
    remaining run goes on exactly as it would alone."""
    x, y, models, masks = _quadratic_setup()
    cfg = TrainConfig(steps=30, lr=1.0, optimizer="gd", dtype="float64", eval_steps=(0, 30))
    lrs = [1e-2, 1e8, 3e3]
    hists, params = batched.train_batched(models, Data(x, y), masks, cfg, forward=_logits, lrs=lrs)
    refs = _sequential(models, x, y, masks, ~masks, cfg, lrs, forward=_logits)
    assert hists[0].diverged_at is None and None != hists[1].diverged_at < hists[2].diverged_at
    _assert_runs_match(hists[:1], {k: v[:1] for k, v in params.items()}, refs[:1], rtol=1e-9, atol=1e-12)
    for r in (1, 2):
        assert (hists[r].diverged_at, hists[r].steps) == (refs[r][0].diverged_at, refs[r][0].steps), r
        for name, p in refs[r][1].named_parameters():
            torch.testing.assert_close(params[name][r], p.detach(), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_batched_divergence_seen_at_an_evaluation_freezes_the_run_as_train_does():
    """Evaluating every step, the diverging run is caught by its metrics: it stops at the step a
    sequential run stops, with the same history and the parameters it had then (never updated, nor
    turned NaN, afterwards); the other runs are untouched."""
    x, y, models, masks = _quadratic_setup()
    cfg = TrainConfig(steps=25, lr=1.0, optimizer="gd", dtype="float64", eval_steps=tuple(range(26)))
    lrs = [1e-2, 3e3, 2e-2]
    hists, params = batched.train_batched(models, Data(x, y), masks, cfg, forward=_logits, lrs=lrs)
    refs = _sequential(models, x, y, masks, ~masks, cfg, lrs, forward=_logits)
    assert hists[1].diverged_at is not None and hists[1].diverged_at == hists[1].steps[-1]
    for r in range(3):
        assert (hists[r].diverged_at, hists[r].steps) == (refs[r][0].diverged_at, refs[r][0].steps), r
        for name, p in refs[r][1].named_parameters():
            torch.testing.assert_close(params[name][r], p.detach(), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_batched_callbacks_and_log_report_every_run():
    """Callbacks see every evaluation with all R runs' parameters and metrics; the log shows about ten
    evaluations with the runs' mean accuracies, and names a run that diverged."""
    x, y, models, train_m = _quadratic_setup()
    test_m = ~train_m
    cfg = TrainConfig(steps=40, lr=0.2, optimizer="gd", dtype="float64", eval_steps=tuple(range(41)))
    seen, lines = [], []

    def cb(step, params, metrics):
        seen.append((step, {k: v.shape[0] for k, v in params.items()}, [dict(m) for m in metrics]))
    hists, _ = batched.train_batched(models, Data(x, y), train_m, cfg, test_masks=test_m, callbacks=[cb],
                                     log=lines.append, lrs=[1e-2, 1e8, 2e-2], forward=_logits)
    assert [s for s, _, _ in seen][:len(hists[0].steps)] == hists[0].steps
    for step, shapes, metrics in seen:
        assert set(shapes.values()) == {3} and len(metrics) == 3
        i = hists[0].steps.index(step)
        assert metrics[0]["test_acc"] == hists[0].metrics["test_acc"][i]
    sparse, quiet = TrainConfig(**{**cfg.__dict__, "eval_steps": (0, 40)}), []
    h, _ = batched.train_batched(models, Data(x, y), train_m, sparse, log=quiet.append, lrs=[1e-2, 1e8, 2e-2],
                                 forward=_logits)
    assert f"run 1 diverged (non-finite loss) at step {h[1].diverged_at}; frozen" in quiet
    few = []
    batched.train_batched(models, Data(x, y), train_m, TrainConfig(**{**cfg.__dict__, "eval_steps": (0, 1, 2, 3)}),
                          log=few.append, forward=_logits)
    assert [line.split(":")[0] for line in few] == ["step 0", "step 1", "step 2", "step 3", "step 40"]
    step_lines = [line for line in lines if line.startswith("step ")]
    logged = [int(line.split()[1].rstrip(":")) for line in step_lines]
    # about ten evenly spaced lines of the 41 evaluations, the last one included
    assert 10 <= len(logged) <= 12 and logged[-1] == 40 and len(set(np.diff(logged))) == 1
    for line in step_lines:
        step = int(line.split()[1].rstrip(":"))
        for key, word in (("train_acc", "train"), ("test_acc", "test")):
            mean = sum(m[key] for s, _, ms in seen if s == step for m in ms) / 3
            assert f"mean {word} acc {mean:.3f}" in line


def test_batched_forward_is_used():
    x, y, models, masks = _setup(R=2, fracs=(0.5, 0.5))
    calls = []

    def counted(params, tokens):
        calls.append(tokens.shape)
        return batched.quadratic_pairs_forward(params, tokens)
    cfg = TrainConfig(steps=3, lr=0.01, dtype="float64", eval_steps=(0, 3))
    batched.train_batched(models, Data(x, y), masks, cfg, forward=lambda m, i: m.logits(i[:, 0], i[:, 1]),
                          batched_forward=counted)
    assert len(calls) >= 3 + 2


def test_batched_regression_accuracy_with_small_targets():
    """Regression accuracy counts |f - y| < scale / 2 with scale = max |y| of the training points, also
    when that maximum is below 1 (every run trains on the same points here, so that the maximum is
    each run's own)."""
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.theory.tasks import regression_triples, split_indices
    p = 5
    x, y = regression_triples(p)
    y = y * (0.3 / float(y.abs().max()))
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(2)]
    masks = torch.zeros(2, len(y), dtype=torch.bool)
    masks[:, split_indices(len(y), 0.5, 0)[0]] = True
    fwd = lambda m, inp: m.regression_output(inp)  # noqa: E731
    cfg = TrainConfig(steps=10, lr=0.5, loss="mse", dtype="float64", eval_steps=(0, 10))
    hists, params = batched.train_batched(models, Data(x, y), masks, cfg, forward=fwd)
    refs = _sequential(models, x, y, masks, ~masks, cfg, forward=fwd)
    _assert_runs_match(hists, params, refs, rtol=1e-9, atol=1e-12)
    assert 0 < hists[0].metrics["test_acc"][-1] < 1 or 0 < hists[1].metrics["test_acc"][-1] < 1


def test_batched_regression_with_zero_training_targets():
    """When every training target is 0 the accuracy scale falls back to 1 (as in train), and the scale
    is read on the training points only, not on the test points' larger targets."""
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.theory.tasks import regression_triples
    p = 5
    x, _ = regression_triples(p)
    train = torch.arange(len(x)) % 3 == 0
    y = torch.where(train, 0.0, torch.where(torch.arange(len(x)) % 2 == 0, 0.75, 4.0)).double()
    masks = train[None].repeat(2, 1)
    models = [QuadraticNet(p, 2 * p, generator=torch.Generator().manual_seed(s), dtype=torch.float64) for s in range(2)]
    fwd = lambda m, inp: m.regression_output(inp)  # noqa: E731
    cfg = TrainConfig(steps=4, lr=0.01, loss="mse", dtype="float64", eval_steps=(0, 4))
    hists, params = batched.train_batched(models, Data(x, y), masks, cfg, forward=fwd)
    _assert_runs_match(hists, params, _sequential(models, x, y, masks, ~masks, cfg, forward=fwd), rtol=1e-9, atol=1e-12)
    assert hists[0].metrics["train_acc"][0] == 1.0 and hists[0].metrics["test_acc"][0] == 0.0  # |f| << 0.5


def test_batched_mse_with_one_float_target_for_every_output():
    """mse with (N,) float targets and O outputs: the same target for every output, as in train."""
    x, y, models, train_m, test_m = _mlp_setup()
    yf = x[:, 0] * 0.5
    cfg = TrainConfig(steps=6, lr=0.1, loss="mse", dtype="float64", eval_steps=(0, 6))
    hists, params = batched.train_batched(models, Data(x, yf), train_m, cfg, test_masks=test_m)
    _assert_runs_match(hists, params, _sequential(models, x, yf, train_m, test_m, cfg), rtol=1e-9, atol=1e-12)


def test_batched_input_checks():
    x, y, models, train_m, test_m = _mlp_setup()
    d = Data(x, y)
    cfg = TrainConfig(steps=2, lr=0.1, dtype="float64", eval_steps=(0, 2))
    for m in (train_m[0], train_m.int(), train_m[:2], train_m.tolist()):
        with pytest.raises(ValueError, match="train_masks must be a bool tensor"):
            batched.train_batched(models, d, m, cfg, test_masks=test_m)
    for m in (test_m[0], test_m.int(), test_m.tolist()):
        with pytest.raises(ValueError, match="test_masks must be a bool tensor"):
            batched.train_batched(models, d, train_m, cfg, test_masks=m)
    with pytest.raises(ValueError, match="overlap"):
        batched.train_batched(models, d, train_m, cfg, test_masks=train_m | test_m)
    with pytest.raises(ValueError, match="bool tensor"):
        batched.masks_to_index(train_m.int())
    with pytest.raises(ValueError, match="bool tensor"):
        batched.masks_to_index(train_m[0])
    with pytest.raises(ValueError, match="at least one training point"):
        batched.masks_to_index(torch.zeros(2, 3, dtype=torch.bool))
    other = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    for arch, r in (([models[0], other, models[2]], 1), ([models[0], models[1], other], 2),
                    ([other, models[1], models[2]], 1)):
        with pytest.raises(ValueError, match=f"model {r} has parameters"):
            batched.train_batched(arch, d, train_m, cfg)
    with pytest.raises(ValueError, match="at least one model"):
        batched.train_batched([], d, train_m[:0], cfg)
    with pytest.raises(ValueError, match="needs generators="):
        batched.train_batched(models, d, train_m, TrainConfig(steps=2, lr=0.1, batch_size=4))
    with pytest.raises(ValueError, match="class ids"):
        batched.train_batched(models, Data(x, y + 1), train_m, cfg)
    for opt in ("adamw", "sgd_nesterov"):
        with pytest.raises(ValueError, match="gd, ngd or sign"):
            batched.train_batched(models, d, train_m, TrainConfig(steps=2, lr=0.1, optimizer=opt), lrs=[0.1] * 3)
    for opt in ("ngd", "sign"):
        batched.train_batched(models, d, train_m, TrainConfig(steps=1, lr=0.1, optimizer=opt), lrs=[0.1] * 3)
    for lrs in ([0.1, 0.0, 0.1], [0.1, math.nan, 0.1], [0.1, -1.0, 0.1]):
        with pytest.raises(ValueError, match="positive finite"):
            batched.train_batched(models, d, train_m, cfg, lrs=lrs)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        batched.train_batched(models, d, train_m, cfg, lrs=[0.1, 0.1])
    with pytest.raises(ValueError, match="run_group"):
        batched.train_batched(models, d, train_m, cfg, run_group=0)


def test_stream_seed_follows_the_documented_hash_and_checks_its_index():
    from grokcheck.streams import stream_seed
    for seed, name, index in ((0, "split", 0), (5, "init", 2), (2 ** 63 - 1, "targets", 7)):
        assert stream_seed(seed, name, index) == _stream_seed_reference(seed, name, index)
    assert stream_seed(5, "init") == _stream_seed_reference(5, "init", 0)
    for index in (-1, 1.0, True, "1"):
        with pytest.raises(ValueError, match="stream index"):
            stream_seed(0, "init", index)
    for name in ("", 5, None):
        with pytest.raises(ValueError, match="stream name"):
            stream_seed(0, name)
