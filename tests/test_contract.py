"""The claim contract (grokcheck/contract.py) over the registry, and the check failing on broken claims."""
import dataclasses
import types
from pathlib import Path

import pytest

from grokcheck import contract
from grokcheck.claims import template
from grokcheck.context import make_context
from grokcheck.registry import CLAIMS, claim_module

VERIFY = Path(__file__).resolve().parents[1] / "verify"


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_every_registered_claim_keeps_the_contract(claim_id):
    assert contract.problems(claim_id, claim_module(claim_id), VERIFY) == []


def test_the_template_keeps_the_contract_and_runs():
    assert contract.problems("template", template) == []
    r = template.run(template.SCALES["ci"], make_context("ci"))
    assert r.verdict == "verified" and len(template.figures(r)) == 1


def _broken(**changes) -> types.ModuleType:
    m = types.ModuleType("grokcheck.claims.fake.broken_claim", template.__doc__)
    for k in ("CLAIM", "Config", "SCALES", "run", "figures"):
        setattr(m, k, getattr(template, k))
    for k, v in changes.items():
        if v is None:
            delattr(m, k)
        else:
            setattr(m, k, v)
    return m


@dataclasses.dataclass
class _Mutable:
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class _NoSeed:
    runs: int = 1


@pytest.mark.parametrize("changes,message", [
    (dict(CLAIM=dataclasses.replace(template.CLAIM, id="other")), "differs from the registry key"),
    (dict(CLAIM=None), "CLAIM is missing"),
    (dict(Config=_Mutable, SCALES={k: _Mutable() for k in contract.SCALE_NAMES}), "frozen"),
    (dict(Config=_NoSeed, SCALES={k: _NoSeed() for k in contract.SCALE_NAMES}), "seed"),
    (dict(SCALES={"ci": template.Config()}), "SCALES must map exactly"),
    (dict(figures=None), "figures() is missing"),
    (dict(run=None), "run() is missing"),
])
def test_a_broken_claim_is_named(changes, message):
    found = contract.problems("template", _broken(**changes))
    assert any(message in p for p in found), found


def test_missing_docstring_rule_and_verify_module(tmp_path):
    m = _broken()
    m.__doc__ = "A claim."
    found = contract.problems("template", m, tmp_path)
    assert any("decisive rule" in p for p in found) and any("executable theorem" in p for p in found), found
