"""grokcheck: executable theorems for grokking on modular arithmetic (kernel vs rich regime).

Layout: the framework (`cli`, `registry`, `core`, `checks`) at the top; the mathematics
(`theory`), kernels (`ntk`), networks and training (`models`) and PDF rendering (`reports`)
as subpackages; the claims grouped by the paper they check under `claims/`
(`mohamadi`, `pku`, `beyond_l2`). The executable theorems are the tests in the repository's
`verify/` folder.

Python API (`grokcheck.api`): `grokcheck.run(claim, scale="ci", overrides=None, out=None) -> Result`,
`grokcheck.to_frame(result)` / `result.to_frame()` (observables as a pandas DataFrame) and
`grokcheck.load_results(folder) -> DataFrame`; `examples/quickstart.py` shows them.
"""
from grokcheck.version import __version__

__all__ = ["run", "load_results", "to_frame", "__version__"]


def __getattr__(name):
    """The Python API (`grokcheck.api`: run, load_results, to_frame), imported on first use so that
    `import grokcheck` stays light."""
    if name in ("run", "load_results", "to_frame"):
        from grokcheck import api
        return getattr(api, name)
    raise AttributeError(f"module 'grokcheck' has no attribute {name!r}")
