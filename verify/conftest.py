"""Shared fixtures for the executable theorems: each claim runs once per session at ci scale."""
from __future__ import annotations

import pytest

from verify.core import Context
from verify.registry import claim_module, scaled_config


@pytest.fixture(scope="session")
def ci_result():
    """ci_result(claim_id) -> Result, cached for the session."""
    cache = {}

    def get(claim_id: str):
        if claim_id not in cache:
            cache[claim_id] = claim_module(claim_id).run(scaled_config(claim_id, "ci"), Context(scale="ci"))
        return cache[claim_id]

    return get
