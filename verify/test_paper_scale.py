"""The paper-scale executable theorems: one test per claim, selected with `pytest -m paper`.

Paper scale runs the papers' own sizes (minutes to hours per claim on 2 CPU cores; see the README's
paper-scale table), so each test is skipped with that reason unless GROKCHECK_PAPER=1 is set.
When run, a claim must verify in the paper's settings; any other verdict fails with its reasons.
"""
import os

import pytest

from grokcheck.registry import CLAIMS, run_claim

RUN = os.environ.get("GROKCHECK_PAPER") == "1"


@pytest.mark.paper
@pytest.mark.skipif(not RUN, reason="paper scale takes minutes to hours per claim on 2 CPU cores: "
                                    "set GROKCHECK_PAPER=1 to run it")
@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_paper_scale(claim_id):
    r = run_claim(claim_id, "paper")
    assert r.verdict == "verified", (r.verdict_label(), r.setting_reasons)
