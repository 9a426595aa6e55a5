"""Shared fixtures for the executable theorems: each claim runs once per session at ci scale."""
from __future__ import annotations

import pytest

from grokcheck.registry import run_claim


@pytest.fixture(scope="session")
def ci_result():
    """ci_result(claim_id) -> Result, cached for the session."""
    cache = {}

    def get(claim_id: str):
        if claim_id not in cache:
            cache[claim_id] = run_claim(claim_id, "ci")
        return cache[claim_id]

    return get
