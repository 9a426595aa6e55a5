"""The decision rule of grokcheck/core.py (its module docstring), as a truth table: an interval inside,
outside and straddling its bound for every comparison; events that happened or not, claims of
absence, below and at the paper's budget; controls per setting; the paper's settings vs ours."""
import itertools

import pytest

from grokcheck.core import (Observable, Result, compare, interval_outcome, overall_verdict, setting_decision,
                            setting_verdicts)


def _obs(name, passed, role="claim", setting="paper", **kw):
    # value 1 against bound 0: ">=" holds, "<=" fails
    return Observable(name, 1.0, 0.0, ">=" if passed else "<=", role=role, setting=setting, **kw)


def _iv(name, lo, hi, bound=0.5, comparison=">=", **kw):
    return Observable(name, (lo + hi) / 2, bound, comparison, lo=lo, hi=hi, coverage=0.95, method="test", **kw)


def _result(observables, budget_gaps=None):
    return Result(claim="c", title="t", statement="s", source="src", scale="ci", config={}, config_hash="h",
                  seed=0, observables=observables, budget_gaps=budget_gaps or {})


@pytest.mark.parametrize("value,bound,comparison,tolerance,expected", [
    (1.0, 1.0, ">=", 0.0, True), (0.95, 1.0, ">=", 0.1, True), (0.85, 1.0, ">=", 0.1, False),
    (1.05, 1.0, "<=", 0.1, True), (1.15, 1.0, "<=", 0.1, False), (1.0, 1.0, "<", 0.0, False),
    (1.0, 1.0, ">", 0.0, False), (1.05, 1.0, "==", 0.1, True), (1.2, 1.0, "==", 0.1, False),
    (float("nan"), 1.0, ">=", 0.0, False), (None, 1.0, "<=", 0.0, False)])
def test_compare(value, bound, comparison, tolerance, expected):
    assert compare(value, bound, comparison, tolerance) is expected


@pytest.mark.parametrize("lo,hi,comparison,expected", [
    # claim side above the bound 0.5
    (0.6, 0.9, ">=", "holds"), (0.5, 0.9, ">=", "holds"), (0.1, 0.4, ">=", "fails"), (0.4, 0.6, ">=", "undecided"),
    (0.1, 0.5, ">=", "undecided"), (0.5, 0.9, ">", "undecided"), (0.1, 0.5, ">", "fails"), (0.51, 0.9, ">", "holds"),
    # claim side below the bound
    (0.1, 0.4, "<=", "holds"), (0.1, 0.5, "<=", "holds"), (0.6, 0.9, "<=", "fails"), (0.4, 0.6, "<=", "undecided"),
    (0.1, 0.5, "<", "undecided"), (0.5, 0.9, "<", "fails"), (0.5, 0.9, "<=", "undecided"),
    # two-sided
    (0.45, 0.55, "==", "undecided"), (0.49, 0.51, "==", "holds"), (0.7, 0.9, "==", "fails"),
    (0.1, 0.3, "==", "fails"), (0.3, 0.7, "==", "undecided")])
def test_interval_against_its_bound(lo, hi, comparison, expected):
    tol = 0.02 if comparison == "==" else 0.0
    assert interval_outcome(lo, hi, 0.5, comparison, tol) == expected
    assert Observable("x", (lo + hi) / 2, 0.5, comparison, tol, lo=lo, hi=hi, coverage=0.95).outcome == expected


def test_interval_ends_are_checked_not_the_point():
    """A point estimate on the claim's side decides nothing when its interval straddles the bound."""
    o = Observable("x", 0.9, 0.5, ">=", lo=0.2, hi=0.95, coverage=0.95)
    assert o.outcome == "undecided" and not o.passed
    assert Observable("x", 0.9, 0.5, ">=").outcome == "holds"  # exact value: the point is the interval


@pytest.mark.parametrize("bad", [dict(lo=1.0), dict(lo=2.0, hi=1.0), dict(coverage=1.5, lo=0, hi=1),
                                 dict(kind="maybe"), dict(source="blog"), dict(comparison="~")])
def test_malformed_observable_is_refused(bad):
    args = dict(name="x", value=1.0, bound=0.0, comparison=">=")
    args.update(bad)
    with pytest.raises(ValueError):
        Observable(**args)


def test_a_statement_of_ours_needs_a_setting_of_ours():
    with pytest.raises(ValueError, match="ours"):
        Observable("x", 1, 0, ">=", setting="paper", source="ours")
    assert Observable("x", 1, 0, ">=", setting="ours: adamw").source == "ours"
    assert Observable("x", 1, 0, ">=", setting="paper").source == "text"


def test_an_interval_of_low_coverage_decides_nothing():
    """One seed gives [v, v] at coverage 0: neither a pass nor a refutation; two seeds (50%) decide."""
    assert Observable("x", 0.1, 0.5, ">=", lo=0.1, hi=0.1, coverage=0.0).outcome == "undecided"
    assert Observable("x", 0.9, 0.5, ">=", lo=0.9, hi=0.9, coverage=0.0).outcome == "undecided"
    assert Observable("x", 0.1, 0.5, ">=", lo=0.05, hi=0.1, coverage=0.5).outcome == "fails"
    assert Observable("x", 0.9, 0.5, ">=", lo=0.8, hi=0.9, coverage=0.75).outcome == "holds"
    assert Observable("x", 0.9, 0.5, ">=").outcome == "holds"  # an exact value has no coverage to lack


def test_an_interval_of_unknown_coverage_decides_nothing():
    """A bootstrap of a few seeds has no known coverage (coverage None with an interval): reported, never
    decisive, on either side; the same interval with a known coverage decides."""
    for lo, hi in ((0.8, 0.9), (0.1, 0.2)):
        assert Observable("x", hi, 0.5, ">=", lo=lo, hi=hi).outcome == "undecided"
        assert Observable("x", hi, 0.5, ">=", lo=lo, hi=hi, coverage=0.95).outcome != "undecided"
    assert Observable("t", 0.2, 0.5, ">=", lo=0.1, hi=0.2, kind="event").outcome == "undecided"  # not "pending"


def test_missing_values_and_events():
    assert Observable("x", None, 0, ">=").outcome == "undecided"  # nothing to measure decides nothing
    assert Observable("x", float("nan"), 0, ">=").outcome == "undecided"
    assert Observable("t_gen", None, 100, "<=", kind="event").outcome == "pending"
    assert Observable("t_gen", 50, 100, "<=", kind="event").outcome == "holds"


CTL = dict(role="control")


def test_verdict_rule_per_setting():
    assert setting_verdicts([_obs("a", True), _obs("ctl", True, **CTL)]) == {"paper": "verified"}
    assert setting_verdicts([_obs("a", False), _obs("ctl", True, **CTL)]) == {"paper": "refuted"}
    # a failing control: the check could not reject a wrong input, even over a refutation
    assert setting_verdicts([_obs("a", True), _obs("ctl", False, **CTL)]) == {"paper": "inconclusive"}
    assert setting_verdicts([_obs("a", False), _obs("ctl", False, **CTL)]) == {"paper": "inconclusive"}
    # a straddling control does not reject either
    assert setting_verdicts([_obs("a", True), _iv("ctl", 0.4, 0.6, **CTL)]) == {"paper": "inconclusive"}
    # no control of its own: cannot verify, can refute
    assert setting_verdicts([_obs("a", True)]) == {"paper": "inconclusive"}
    assert setting_verdicts([_obs("a", False)]) == {"paper": "refuted"}
    # observations never decide
    assert setting_verdicts([_obs("a", True), _obs("o", False, "observation"), _obs("ctl", True, **CTL)]) \
        == {"paper": "verified"}
    # a straddling claim interval: inconclusive, at any scale
    assert setting_verdicts([_iv("a", 0.4, 0.6), _obs("ctl", True, **CTL)]) == {"paper": "inconclusive"}


def test_controls_count_per_setting():
    """A control of another setting does not let a setting verify, and does not block it either."""
    obs = [_obs("a", True, setting="paper"), _obs("b", True, setting="paper: other"),
           _obs("ctl", True, role="control", setting="paper")]
    assert setting_verdicts(obs) == {"paper": "verified", "paper: other": "inconclusive"}
    bad = [_obs("a", True, setting="paper"), _obs("ctl", True, role="control", setting="paper"),
           _obs("b", True, setting="paper: other"), _obs("c2", True, role="control", setting="paper: other"),
           _obs("c3", False, role="control", setting="paper: other")]
    assert setting_verdicts(bad) == {"paper": "verified", "paper: other": "inconclusive"}


@pytest.mark.parametrize("gap", [None, "1000 steps < 5e4"])
def test_budget_rule(gap):
    """'budget' only for an event not yet happened or a claim of absence below the paper's budget."""
    ctl = _obs("ctl", True, **CTL)
    below = gap is not None
    # an event that happened inside the budget is decided, below the budget or not
    happened = Observable("t_exit < t_fit", 0.1, 1, "<", kind="event", lo=0.05, hi=0.2, coverage=0.75)
    assert setting_decision([happened, ctl], gap)[0] == "verified"
    late = Observable("t_exit / t_fit", 3.0, 1, "<", lo=2.0, hi=4.0, coverage=0.75)  # both happened, in the wrong order
    assert setting_decision([late, ctl], gap)[0] == "refuted"
    # an event whose interval lies on the other side has not happened yet: pending, like no value
    not_yet = Observable("median final test acc", 0.4, 0.95, ">=", kind="event", lo=0.3, hi=0.5, coverage=0.75)
    assert not_yet.outcome == "pending"
    verdict, reason = setting_decision([not_yet, ctl], gap)
    assert (verdict, reason.startswith("budget:")) == (("inconclusive", True) if below else ("refuted", False))
    # an event that has not happened: budget below it, refuted at it
    pending = Observable("t_gen", None, 100, "<=", kind="event")
    verdict, reason = setting_decision([pending, ctl], gap)
    assert (verdict, reason.startswith("budget:")) == (("inconclusive", True) if below else ("refuted", False))
    # a claim that something does NOT happen cannot verify below budget, but happening refutes it
    absent = Observable("no grokking", 0.0, 0.5, "<=", kind="absence")
    verdict, reason = setting_decision([absent, ctl], gap)
    assert (verdict, reason.startswith("budget:")) == (("inconclusive", True) if below else ("verified", False))
    happened_anyway = Observable("no grokking", 1.0, 0.5, "<=", kind="absence")
    assert setting_decision([happened_anyway, ctl], gap)[0] == "refuted"
    # a plain measurement that fails refutes below budget too: one rule at every scale
    assert setting_decision([_obs("a", False), ctl], gap)[0] == "refuted"
    assert setting_decision([_obs("a", True), ctl], gap)[0] == "verified"


def test_budget_label_and_key_observable():
    ctl = _obs("ctl", True, **CTL)
    r = _result([Observable("t_gen", None, 100, "<=", kind="event"), ctl], {"paper": "1000 steps < 5e4"})
    assert r.verdict == "inconclusive" and r.verdict_label() == "inconclusive (budget)"
    assert r.setting_reasons["paper"].startswith("budget:") and r.key_observable().name == "t_gen"
    # a gap on a setting whose claims hold and are not absence claims changes nothing
    assert _result([_obs("a", True), ctl], {"paper": "small p"}).verdict_label() == "verified"
    # a straddling interval is plain inconclusive, even below budget
    r = _result([_iv("a", 0.4, 0.6), ctl], {"paper": "small p"})
    assert r.verdict_label() == "inconclusive" and r.key_observable().name == "a"
    # the refuting observable is named first
    r = _result([_obs("ok", True), _obs("bad", False), ctl])
    assert r.verdict == "refuted" and r.key_observable().name == "bad"
    assert _result([_obs("a", True), _obs("c", False, **CTL)]).key_observable().name == "c"


def test_our_settings_never_decide_the_paper_claim():
    ctl = lambda s: _obs("ctl " + s, True, role="control", setting=s)  # noqa: E731
    obs = [_obs("a", True, setting="paper"), ctl("paper"), _obs("b", False, setting="ours: adamw"), ctl("ours: adamw")]
    r = _result(obs)
    assert r.verdict == "verified" and r.beyond_verdict == "refuted"
    assert r.verdict_label() == "verified" and r.beyond_label() == "refuted"
    obs = [_obs("a", False, setting="paper"), ctl("paper"), _obs("b", True, setting="ours: adamw"), ctl("ours: adamw")]
    r = _result(obs)
    assert r.verdict == "refuted" and r.beyond_verdict == "verified"
    # no paper setting at all: the claim is not decided by ours
    r = _result([_obs("b", True, setting="ours: x"), ctl("ours: x")])
    assert r.verdict == "inconclusive" and r.beyond_verdict == "verified"
    assert _result([_obs("a", True), ctl("paper")]).beyond_label() == "-"


def test_overall_verdict():
    assert overall_verdict({}) == "inconclusive"
    assert overall_verdict({"a": "verified", "b": "refuted"}) == "refuted"
    assert overall_verdict({"a": "verified", "b": "inconclusive"}) == "inconclusive"
    assert overall_verdict({"a": "verified", "b": "verified"}) == "verified"


@pytest.mark.parametrize("kind,outcome,gap,has_control,control_ok", list(itertools.product(
    ("measure", "event", "absence"), ("holds", "fails", "undecided", "pending"), (None, "gap"), (False, True),
    (False, True))))
def test_truth_table(kind, outcome, gap, has_control, control_ok):
    """Every combination against the rule written out independently of core's code order."""
    if outcome == "pending" and kind != "event":
        pytest.skip("only events are pending")
    value = {"holds": (0.9, 0.8, 1.0), "fails": (0.1, 0.0, 0.2), "undecided": (0.5, 0.3, 0.7),
             "pending": (None, None, None)}[outcome]
    o = Observable("c", value[0], 0.5, ">=", lo=value[1], hi=value[2], kind=kind, coverage=0.75)
    if kind == "event" and outcome == "fails":  # an event on the other side has not happened yet
        assert o.outcome == "pending"
        outcome = "pending"
    assert o.outcome == outcome
    obs = [o] + ([_obs("ctl", control_ok, **CTL)] if has_control else [])
    if has_control and not control_ok:
        want = "inconclusive"
    elif outcome == "fails" or (outcome == "pending" and gap is None):
        want = "refuted"
    elif outcome == "pending" or (kind == "absence" and gap is not None):
        want = "inconclusive"
    elif outcome == "undecided" or not has_control:
        want = "inconclusive"
    else:
        want = "verified"
    assert setting_decision(obs, gap)[0] == want
