"""The package's layers, checked on the source with `ast`:
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


# --- the framework: no import circle, no arrow up -------------------------------------------------

# the framework's layers, bottom to top; a module may import only from its own rank or below
FRAMEWORK_RANK = {"grokcheck.core": 0, "grokcheck.schema": 1, "grokcheck.store": 2, "grokcheck.subruns": 2,
                  "grokcheck.context": 3, "grokcheck.registry": 4, "grokcheck.overrides": 4,
                  "grokcheck.executors": 5, "grokcheck.api": 6, "grokcheck.cli_common": 6, "grokcheck.cli_run": 7,
                  "grokcheck.cli_results": 7, "grokcheck.cli": 8}


def import_graph(root: Path) -> dict:
    """{module: set of grokcheck modules it imports anywhere (function-level imports included)}. The
    package root `grokcheck` is left out: its __init__ is a facade that imports the API lazily."""
    mods = {}
    for p in root.rglob("*.py"):
        name = ".".join(p.relative_to(root.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    graph = {}
    for name, p in mods.items():
        deps = set()
        for m in imported_modules(p):
            parts = m.split(".")
            for k in range(len(parts), 1, -1):  # longest known prefix, never the bare package
                cand = ".".join(parts[:k])
                if cand in mods:
                    if cand != name:
                        deps.add(cand)
                    break
        graph[name] = deps
    return graph


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_in_the_package():
    assert cycles(import_graph(ROOT)) == []


def test_no_framework_arrow_up_and_a_pure_core():
    graph = import_graph(ROOT)
    up = [f"{a} -> {b}" for a, deps in graph.items() if a in FRAMEWORK_RANK for b in deps
          if b in FRAMEWORK_RANK and FRAMEWORK_RANK[b] > FRAMEWORK_RANK[a]]
    assert up == []
    assert graph["grokcheck.core"] == set()  # the domain imports nothing of grokcheck


def claim_to_claim(graph: dict) -> list:
    """'a -> b' for every public claim module a that imports another public claim module b (a claim
    module is grokcheck.claims.<family>.<name> without a leading underscore; `_x` helpers are shared)."""
    def public_claim(m):
        parts = m.split(".")
        return len(parts) == 4 and parts[:2] == ["grokcheck", "claims"] and not parts[3].startswith("_")
    return sorted(f"{a} -> {b}" for a, deps in graph.items() if public_claim(a) for b in deps if public_claim(b))


def test_claims_import_no_other_claim():
    """Shared configuration lives below the claims (models/, a family's `_` helpers), never in another claim."""
    assert claim_to_claim(import_graph(ROOT)) == []


def test_the_claim_check_sees_a_claim_import():
    graph = {"grokcheck.claims.mohamadi.a": {"grokcheck.claims.pku.b", "grokcheck.claims.pku._shared"},
             "grokcheck.claims.pku.b": set(), "grokcheck.claims.pku._shared": set()}
    assert claim_to_claim(graph) == ["grokcheck.claims.mohamadi.a -> grokcheck.claims.pku.b"]


def test_the_circle_check_sees_a_circle(tmp_path):
    """Negative control: two modules importing each other (one of them inside a function) are found."""
    pkg = tmp_path / "grokcheck"
    pkg.mkdir()
    (pkg / "a.py").write_text("from grokcheck.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from grokcheck import a\n")
    globals()["ROOT"], old = pkg, ROOT  # imported_modules resolves relative imports against ROOT
    try:
        assert cycles(import_graph(pkg)) == [["grokcheck.a", "grokcheck.b"]]
    finally:
        globals()["ROOT"] = old


# --- function-level imports: only where they keep something heavy or optional out of the way -----

# module (or prefix) imported inside a function -> the one-line reason it is not at the top
LAZY_IMPORTS = {
    "matplotlib": "figures only: a run that draws nothing never loads matplotlib",
    "grokcheck.reports": "the report renderers import matplotlib",
    "grokcheck.claims.pku._grokking_plots": "figures only (matplotlib)",
    "grokcheck.claims.mohamadi._kernel_figures": "figures only (matplotlib)",
    "grokcheck.claims.mohamadi._sc_plots": "figures only (matplotlib)",
    "grokcheck.claims.beyond_l2._delay_plots": "figures only (matplotlib)",
    "ray": "optional extra grokcheck[ray]",
    "pyarrow": "optional: parquet export only",
    "yaml": "only `--config FILE.yaml` reads YAML",
    "pandas": "only the tables (to_frame, export, compare) need pandas (~0.5 s to import)",
    "scipy": "only the interval and rank statistics need scipy.stats (~0.4 s to import)",
    "tqdm": "progress bars only on a terminal",
    "pytest": "only the executable theorems (checks) run under pytest",
}
# the CLI's startup path stays torch-free, so usage errors, --help and --version answer in ~0.1 s
LIGHT_STARTUP = {"grokcheck/cli.py", "grokcheck/cli_common.py", "grokcheck/registry.py", "grokcheck/version.py",
                 "grokcheck/__init__.py"}


def lazy_imports(root: Path) -> list:
    """'file:line module' of every function-level import that has no reason in LAZY_IMPORTS, outside
    the light startup files and outside `try` blocks (an import that may fail, caught on the spot)."""
    bad = []
    for p in sorted(root.rglob("*.py")):
        rel = f"grokcheck/{p.relative_to(root).as_posix()}"
        if rel in LIGHT_STARTUP:
            continue
        tree = ast.parse(p.read_text())
        in_try = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for b in t.body for n in ast.walk(b)}
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for n in ast.walk(fn):
                if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in in_try and not getattr(n, "level", 0):
                    mods = [n.module] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names]
                    for m in mods:
                        if m != "grokcheck" and not any(m == k or m.startswith(k + ".") for k in LAZY_IMPORTS):
                            bad.append(f"{rel}:{n.lineno} {m}")
    return bad


def test_function_level_imports_have_a_reason():
    assert lazy_imports(ROOT) == []


def test_the_lazy_import_check_sees_an_unexplained_one(tmp_path):
    pkg = tmp_path / "grokcheck"
    pkg.mkdir()
    (pkg / "a.py").write_text("def f():\n    import numpy\n    import matplotlib.pyplot\n")
    assert lazy_imports(pkg) == ["grokcheck/a.py:2 numpy"]
