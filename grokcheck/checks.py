"""Assertions shared by the executable theorems in verify/test_*.py."""
from __future__ import annotations

from grokcheck.core import Observable, Result


def assert_passed(o: Observable) -> None:
    """The observable holds; the failure message states value, comparison, bound and tolerance."""
    assert o.passed, f"{o.name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def assert_claims_pass(result: Result) -> None:
    """Every observable of role `claim` holds."""
    failed = [o.name for o in result.observables if o.role == "claim" and not o.passed]
    assert not failed, failed


BUDGET = "inconclusive (budget)"


def assert_verdict(result: Result, verdict: str) -> None:
    """The overall verdict is `verdict`; "inconclusive (budget)" also requires every failing claim
    observable to sit in a setting whose budget gap the result declares."""
    if verdict == BUDGET:
        failing = [o for o in result.observables if o.role == "claim" and not o.passed]
        assert failing and all(o.setting in result.budget_gaps for o in failing), \
            ([(o.setting, o.name) for o in failing], result.budget_gaps)
        assert result.verdict_label() == BUDGET, (result.verdict_label(), result.setting_verdicts)
    else:
        assert result.verdict == verdict, (result.verdict, result.setting_verdicts)


def assert_controls_pass(result: Result, verdict: str | None = "verified") -> None:
    """The claim has negative controls, each rejects its wrong input, and the verdict is `verdict`
    (`assert_verdict`; not checked when verdict is None)."""
    controls = [o for o in result.observables if o.role == "control"]
    assert controls, f"{result.claim}: no negative control"
    assert all(o.passed for o in controls), [(o.name, o.value) for o in controls if not o.passed]
    if verdict is not None:
        assert_verdict(result, verdict)


def standard_tests(claim_id: str, names, *, verdict: str | None = "verified"):
    """The two standard executable-theorem tests of a claim at ci scale, for a test module to bind:

        test_observable, test_controls_and_verdict = standard_tests(CLAIM_ID, NAMES)

    test_observable: each observable named in `names` holds (one test per name);
    test_controls_and_verdict: every negative control holds, the verdict is `verdict` (None: not
    checked; "inconclusive (budget)": every failure sits in a declared budget gap) and, when it is
    "verified", every claim observable holds."""
    import pytest

    @pytest.mark.parametrize("name", list(names))
    def test_observable(ci_result, name):
        assert_passed(ci_result(claim_id).observable(name))

    def test_controls_and_verdict(ci_result):
        result = ci_result(claim_id)
        if verdict == "verified":
            assert_claims_pass(result)
        assert_controls_pass(result, verdict)

    return test_observable, test_controls_and_verdict


def default_scale_test(claim_id: str):
    """A `slow` test that runs `claim_id` at default scale and asserts it is verified (bind it as
    `test_default_scale = default_scale_test(CLAIM_ID)`; run with `pytest -m slow`)."""
    import pytest

    @pytest.mark.slow
    def test_default_scale():
        from grokcheck.registry import run_claim
        r = run_claim(claim_id, "default")
        assert r.verdict == "verified", [(o.name, o.value, o.bound) for o in r.observables if not o.passed]

    return test_default_scale
