"""Assertions shared by the executable theorems in verify/test_*.py.

Pytest reads like the verdicts: a claim that verifies at ci scale passes its verdict test; a claim
expected not to is `xfail(strict=True)` with the expected verdict and its reason, so the summary
shows what holds, what fails and why. An xfailed verdict test still fails loudly when the verdict
differs from the expected one (a different exception type than the xfail's), and an unexpected
pass is an error (strict).
"""
from __future__ import annotations

from grokcheck.core import Observable, Result
from grokcheck.registry import run_claim

BUDGET = "inconclusive (budget)"


class VerdictChanged(RuntimeError):
    """The claim's verdict is not the one its verify module expects (never swallowed by an xfail)."""


def assert_passed(o: Observable) -> None:
    """The observable holds; the failure message states value, interval, comparison and bound."""
    assert o.passed, o.describe()


def assert_claims_pass(result: Result, settings: list[str] | None = None) -> None:
    """Every observable of role `claim` (of `settings`, default all) holds."""
    failed = [o.describe() for o in result.observables
              if o.role == "claim" and not o.passed and (settings is None or o.setting in settings)]
    assert not failed, failed


def assert_verdict(result: Result, verdict: str) -> None:
    """The claim's verdict label (`Result.verdict_label`, the paper's settings) is `verdict`."""
    assert result.verdict_label() == verdict, (result.verdict_label(), result.setting_reasons)


def assert_controls_pass(result: Result, verdict: str | None = "verified") -> None:
    """Every setting with a claim observable has a control of its own, each control rejects its wrong
    input, and (unless verdict is None) the verdict label is `verdict`."""
    for setting in result.setting_verdicts:
        assert any(o.role == "control" and o.setting == setting for o in result.observables), \
            f"{result.claim}: setting {setting!r} has no control of its own"
    bad = [o.describe() for o in result.observables if o.role == "control" and not o.passed]
    assert not bad, bad
    if verdict is not None:
        assert_verdict(result, verdict)


def verdict_test(claim_id: str, verdict: str = "verified", why: str = ""):
    """The verdict test of a claim at ci scale (bind it as `test_verdict = verdict_test(...)`): passes when
    the claim verifies; when `verdict` (the expected label) is anything else it is an
    `xfail(strict=True)` whose reason is the expected verdict and `why`, and it raises VerdictChanged
    (a real failure) if the label is not `verdict`."""
    import pytest

    def test_verdict(ci_result):
        result = ci_result(claim_id)
        label = result.verdict_label()
        if label != verdict:
            raise VerdictChanged(f"{claim_id}: verdict {label!r}, expected {verdict!r}: {result.setting_reasons}")
        assert label == "verified", f"{claim_id}: {label}: {why}"

    if verdict != "verified":
        test_verdict = pytest.mark.xfail(strict=True, raises=AssertionError,
                                         reason=f"{verdict} at ci scale: {why}")(test_verdict)
    return test_verdict


def standard_tests(claim_id: str, names, *, verdict: str = "verified", why: str = ""):
    """The two standard executable-theorem tests of a claim at ci scale, for a test module to bind:

        test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict=..., why=...)

    test_observable: each observable named in `names` holds (one test per name, its id the name);
    test_verdict: `verdict_test` (xfail with its reason unless the claim verifies)."""
    import pytest

    @pytest.mark.parametrize("name", list(names), ids=[_short(n) for n in names])
    def test_observable(ci_result, name):
        assert_passed(ci_result(claim_id).observable(name))

    return test_observable, verdict_test(claim_id, verdict, why)


def _short(name: str, limit: int = 40) -> str:
    """A short test id of an observable name (letters, digits, '-' and '_' only)."""
    out = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out[:limit].rstrip("-")


def default_scale_test(claim_id: str):
    """A `slow` test that runs `claim_id` at default scale and asserts it is verified (bind it as
    `test_default_scale = default_scale_test(CLAIM_ID)`; run with `pytest -m slow`)."""
    import pytest

    @pytest.mark.slow
    def test_default_scale():
        r = run_claim(claim_id, "default")
        assert r.verdict == "verified", (r.verdict_label(), r.setting_reasons)

    return test_default_scale
