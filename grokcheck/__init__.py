"""grokcheck: executable theorems for grokking on modular arithmetic (kernel vs rich regime).

Layout: the framework (`cli`, `registry`, `core`, `checks`) at the top; the mathematics
(`theory`), kernels (`ntk`), networks and training (`models`) and PDF rendering (`reports`)
as subpackages; the claims grouped by the paper they check under `claims/`
(`mohamadi`, `pku`, `beyond_l2`). The executable theorems are the tests in the repository's
`verify/` folder.
"""
__version__ = "0.2.0"
