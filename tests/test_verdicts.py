"""grokcheck/core.py verdict rule (module docstring): refuted / inconclusive / verified per setting,
negative controls, observations, the budget rule (`inconclusive (budget)`) and tolerances."""
import pytest

from grokcheck.core import Observable, Result, compare, overall_verdict, setting_verdicts


def _obs(name, passed, role="claim", setting="paper"):
    # value 1 against bound 0: ">=" passes, "<=" fails
    return Observable(name, 1.0, 0.0, ">=" if passed else "<=", role=role, setting=setting)


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


def test_verdict_rule():
    assert setting_verdicts([_obs("a", True), _obs("ctl", True, "control")]) == {"paper": "verified"}
    assert setting_verdicts([_obs("a", False), _obs("ctl", True, "control")]) == {"paper": "refuted"}
    # a failing control: the check could not reject a wrong input
    assert setting_verdicts([_obs("a", True), _obs("ctl", False, "control")]) == {"paper": "inconclusive"}
    # no control at all
    assert setting_verdicts([_obs("a", True)]) == {"paper": "inconclusive"}
    # observations never decide
    assert setting_verdicts([_obs("a", True), _obs("o", False, "observation"), _obs("ctl", True, "control")]) \
        == {"paper": "verified"}


def test_budget_gap_turns_a_failure_into_inconclusive_budget():
    obs = [_obs("a", False, setting="paper"), _obs("b", True, setting="ours"), _obs("ctl", True, "control")]
    r = _result(obs, {"paper": "1000 steps < the paper's 5e4"})
    assert r.setting_verdicts == {"paper": "inconclusive", "ours": "verified"}
    assert r.verdict == "inconclusive" and r.verdict_label() == "inconclusive (budget)"
    assert r.verdict_label("paper") == "inconclusive (budget)" and r.verdict_label("ours") == "verified"
    # without the declared gap the same failure is a refutation
    assert _result(obs).verdict == "refuted" and _result(obs).verdict_label() == "refuted"
    # a gap in a setting that passes changes nothing
    ok = [_obs("a", True), _obs("ctl", True, "control")]
    assert _result(ok, {"paper": "small p"}).verdict_label() == "verified"


def test_overall_verdict():
    assert overall_verdict({}) == "inconclusive"
    assert overall_verdict({"a": "verified", "b": "refuted"}) == "refuted"
    assert overall_verdict({"a": "verified", "b": "inconclusive"}) == "inconclusive"
    assert overall_verdict({"a": "verified", "b": "verified"}) == "verified"


def test_key_observable_is_the_one_that_decides():
    """A refuted result names the failing observable of the setting without a budget gap, not an
    earlier failure that only makes its own setting `inconclusive (budget)`."""
    obs = [_obs("below budget", False, setting="paper"), _obs("at budget", False, setting="ours"),
           _obs("ctl", True, "control")]
    r = _result(obs, {"paper": "too few steps"})
    assert r.verdict == "refuted" and r.key_observable().name == "at budget"
    assert _result(obs[:1] + obs[2:], {"paper": "too few steps"}).key_observable().name == "below budget"
    ok = [_obs("a", True), _obs("ctl", False, "control")]
    assert _result(ok).key_observable().name == "ctl"
