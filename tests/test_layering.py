"""The package's layers (issue 12 item 6, house rule 6), checked on the source with `ast`:
theory/ is pure mathematics (no models, ntk, claims, reports or framework imports); ntk/ and
models/ never import claims or reports; the quadratic closed-form eNTK needs no model class."""
import ast
from pathlib import Path

import pytest

import grokcheck

ROOT = Path(grokcheck.__file__).resolve().parent
FORBIDDEN = {
    "theory": ("grokcheck.models", "grokcheck.ntk", "grokcheck.claims", "grokcheck.reports", "grokcheck.cli",
               "grokcheck.registry", "grokcheck.core"),
    "ntk": ("grokcheck.claims", "grokcheck.reports", "grokcheck.cli", "grokcheck.registry"),
    "models": ("grokcheck.claims", "grokcheck.reports", "grokcheck.cli", "grokcheck.registry", "grokcheck.ntk"),
}


def imported_modules(path: Path) -> set:
    """Absolute module names imported anywhere in `path` (relative imports resolved against grokcheck)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


def violations(layer: str) -> list:
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for mod in imported_modules(path):
            if any(mod == f or mod.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    assert violations(layer) == []


def test_closed_form_needs_no_model_class():
    assert not any(m.startswith("grokcheck.models") for m in imported_modules(ROOT / "ntk" / "closed_form.py"))


def test_the_checker_sees_a_violation(tmp_path):
    """Negative control: a theory module importing models is reported."""
    fake_root = tmp_path / "grokcheck"
    (fake_root / "theory").mkdir(parents=True)
    (fake_root / "theory" / "bad.py").write_text("from grokcheck.models.quadratic import QuadraticNet\n"
                                                 "from ..ntk import empirical\n")
    globals()["ROOT"], old = fake_root, ROOT
    try:
        found = violations("theory")
    finally:
        globals()["ROOT"] = old
    assert any("grokcheck.models.quadratic" in v for v in found) and any("grokcheck.ntk" in v for v in found)


def test_ntk_package_exports():
    from grokcheck.ntk import empirical_ntk, quadratic_ntk, regression_ntk  # noqa: F401
    with pytest.raises(AttributeError):
        from grokcheck import ntk
        ntk.not_a_kernel
