"""Shared fixtures for the executable theorems: each claim runs once per session at ci scale.

At the end of the session a table of every claim that ran prints its verdict for the paper's
settings, its verdict beyond the paper, and the reason (`pytest_terminal_summary`).

Every result also goes through result.json's path: `result_to_dict` (schema check), strict
JSON text (no NaN / Infinity tokens; parsed back with a parser that rejects them) and `from_dict`,
so a claim whose result cannot be stored fails its executable theorem, not just `grokcheck run`.
It must also name the device its tensors were seen on (`Context.note_device`), never
"<device> (not recorded)".
"""
from __future__ import annotations

import json

import pytest

from grokcheck.registry import run_claim


def strict_round_trip(result):
    """The Result read back from its strict-JSON result.json text; AssertionError if the text holds
    a non-standard constant or the verdict changes on the way."""
    from grokcheck.schema import dumps_strict, loads_strict, result_from_dict, result_to_dict

    def reject(name):
        raise AssertionError(f"{result.claim}: result.json would hold the non-standard constant {name}")

    text = dumps_strict(result_to_dict(result))
    json.loads(text, parse_constant=reject)
    back = result_from_dict(loads_strict(text))
    assert back.verdict_label() == result.verdict_label(), (result.claim, back.verdict, result.verdict)
    return back


RESULTS: dict = {}  # claim id -> its ci Result, for the session


@pytest.fixture(scope="session")
def ci_result():
    """ci_result(claim_id) -> Result, cached for the session (checked to round-trip as strict JSON)."""
    cache = RESULTS

    def get(claim_id: str):
        if claim_id not in cache:
            result = run_claim(claim_id, "ci")
            strict_round_trip(result)
            device = result.environment["device"]
            assert "not recorded" not in device, f"{claim_id}: result.json names no device its tensors lived on ({device})"
            cache[claim_id] = result
        return cache[claim_id]

    return get


def pytest_terminal_summary(terminalreporter):
    """The verdict table of the claims this session ran at ci scale."""
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("grokcheck verdicts at ci scale (paper's settings | beyond the paper)")
    for cid, r in sorted(RESULTS.items()):
        order = {"refuted": 0, "inconclusive": 1}  # the setting that decides the claim's verdict first
        paper = sorted((s for s in r.paper_settings if r.setting_verdicts[s] != "verified"),
                       key=lambda s: order[r.setting_verdicts[s]])
        why = r.setting_reasons[paper[0]] if paper else ("no setting of the paper's own" if not r.paper_settings
                                                         else "every paper setting verified")
        tr.write_line(f"{cid:28s} {r.verdict_label():22s} | {r.beyond_label():22s} {why[:90]}")
