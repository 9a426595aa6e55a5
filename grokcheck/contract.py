"""The claim contract as code: what a claim module must define, and the check the tests run over
the registry (in the spirit of scikit-learn's estimator checks).

A claim module (see `grokcheck/claims/template.py`, the starting point for a new claim) defines
- `CLAIM`: a `core.Claim` whose `id` is the module's registry key (the id is written once, there),
  with a non-empty `source` (paper, section, theorem);
- `Config`: a frozen dataclass with an integer `seed` field (every random draw comes from a named
  stream of the run seed);
- `SCALES`: exactly {"ci", "default", "paper"} -> `Config` instances;
- `run(config, ctx) -> Result` and `figures(result) -> list of matplotlib figures`;
- a module docstring that states the decisive rule(s) and the source;
and has an executable theorem `verify/test_<module name>.py`.
`problems(claim_id, module)` lists what is missing, one line each; the conformance test fails with them.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Protocol

from grokcheck.core import Claim

SCALE_NAMES = ("ci", "default", "paper")


class ClaimModule(Protocol):
    """The attributes of a claim module (module docstring)."""
    CLAIM: Claim
    Config: type
    SCALES: dict
    run: Callable[..., Any]
    figures: Callable[..., list]


def problems(claim_id: str, module: ModuleType, verify_dir: Path | None = None) -> list[str]:
    """What `module` (registered as `claim_id`) lacks of the contract, one line each ([] when none).
    verify_dir: the repository's verify/ folder, to check the executable theorem exists (None: skipped)."""
    out = []
    claim = getattr(module, "CLAIM", None)
    if not isinstance(claim, Claim):
        out.append("CLAIM is missing or not a grokcheck.core.Claim")
    else:
        if claim.id != claim_id:
            out.append(f"CLAIM.id {claim.id!r} differs from the registry key {claim_id!r}")
        if not claim.source.strip() or not claim.statement.strip():
            out.append("CLAIM needs a statement and a source (paper, section, theorem)")
    config = getattr(module, "Config", None)
    if not (isinstance(config, type) and dataclasses.is_dataclass(config)):
        out.append("Config is missing or not a dataclass")
    else:
        if not config.__dataclass_params__.frozen:
            out.append("Config must be a frozen dataclass (@dataclass(frozen=True))")
        seed = {f.name: f for f in dataclasses.fields(config)}.get("seed")
        if seed is None or seed.type not in (int, "int"):
            out.append("Config needs an integer `seed` field")
    scales = getattr(module, "SCALES", None)
    if not isinstance(scales, dict) or tuple(sorted(scales)) != tuple(sorted(SCALE_NAMES)):
        out.append(f"SCALES must map exactly {SCALE_NAMES} to Config instances")
    elif isinstance(config, type) and not all(isinstance(v, config) for v in scales.values()):
        out.append("every SCALES value must be a Config instance")
    for name in ("run", "figures"):
        if not callable(getattr(module, name, None)):
            out.append(f"{name}() is missing")
    doc = (module.__doc__ or "").lower()
    if "rule" not in doc:
        out.append("the module docstring must state the decisive rule(s) (the word 'rule' is missing)")
    if verify_dir is not None:
        test = Path(verify_dir) / f"test_{module.__name__.rsplit('.', 1)[-1]}.py"
        if not test.is_file():
            out.append(f"no executable theorem {test.name} in {verify_dir}")
    return out
