"""Assertions shared by the executable theorems in verify/test_*.py."""
from __future__ import annotations

from verify.core import Observable, Result


def assert_passed(o: Observable) -> None:
    """The observable holds; the failure message states value, comparison, bound and tolerance."""
    assert o.passed, f"{o.name}: {o.value} not {o.comparison} {o.bound} (tol {o.tolerance})"


def assert_claims_pass(result: Result) -> None:
    """Every observable of role `claim` holds."""
    failed = [o.name for o in result.observables if o.role == "claim" and not o.passed]
    assert not failed, failed


def assert_controls_pass(result: Result, verdict: str = "verified") -> None:
    """The claim has negative controls, each rejects its wrong input, and the verdict is `verdict`."""
    controls = [o for o in result.observables if o.role == "control"]
    assert controls, f"{result.claim}: no negative control"
    assert all(o.passed for o in controls), [(o.name, o.value) for o in controls if not o.passed]
    assert result.verdict == verdict, (result.verdict, result.setting_verdicts)
