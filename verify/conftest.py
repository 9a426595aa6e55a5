"""Shared fixtures for the executable theorems: each claim runs once per session at ci scale.

Every result also goes through result.json's path (issue 17): `to_dict` (schema v1 check), strict
JSON text (no NaN / Infinity tokens; parsed back with a parser that rejects them) and `from_dict`,
so a claim whose result cannot be stored fails its executable theorem, not just `grokcheck run`.
It must also name the device its tensors were seen on (`Context.note_device`, issue 12), never
"<device> (not recorded)".
"""
from __future__ import annotations

import json

import pytest

from grokcheck.registry import run_claim


def strict_round_trip(result):
    """The Result read back from its strict-JSON result.json text; AssertionError if the text holds
    a non-standard constant or the verdict changes on the way."""
    from grokcheck.core import Result
    from grokcheck.schema import dumps_strict, loads_strict

    def reject(name):
        raise AssertionError(f"{result.claim}: result.json would hold the non-standard constant {name}")

    text = dumps_strict(result.to_dict())
    json.loads(text, parse_constant=reject)
    back = Result.from_dict(loads_strict(text))
    assert back.verdict_label() == result.verdict_label(), (result.claim, back.verdict, result.verdict)
    return back


@pytest.fixture(scope="session")
def ci_result():
    """ci_result(claim_id) -> Result, cached for the session (checked to round-trip as strict JSON)."""
    cache = {}

    def get(claim_id: str):
        if claim_id not in cache:
            result = run_claim(claim_id, "ci")
            strict_round_trip(result)
            device = result.environment["device"]
            assert "not recorded" not in device, f"{claim_id}: result.json names no device its tensors lived on ({device})"
            cache[claim_id] = result
        return cache[claim_id]

    return get
