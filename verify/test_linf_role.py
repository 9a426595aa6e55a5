"""Executable theorem (ci scale): claim `linf-role` (Mohamadi+24 eq. 2.2, Sec. 4).

ci: p = 17, {gd, ngd, sign, adam} x {l_inf, l2, none}, 300 steps, first steps matched in l2 length.
Only cells with l_inf geometry grok (at ci: sign + l2), each with the Fourier features; Adam on
shuffled labels does not grok.
"""
from grokcheck.checks import default_scale_test, standard_tests

CLAIM_ID = "linf-role"
NAMES = ["grokking cells without l_inf geometry", "grokking cells with l_inf geometry",
         "min Fourier concentration over grokking cells"]

test_observable, test_verdict = standard_tests(CLAIM_ID, NAMES, verdict="inconclusive",
                                              why="no setting of the paper's own at ci scale (ours only); the paper's claim is decided in its own setting, not here")


def test_every_cell_is_reported(ci_result):
    cells = ci_result(CLAIM_ID).series["cells"]
    assert len(cells) == 12 and {c["optimizer"] for c in cells} == {"gd", "ngd", "sign", "adam"}


test_default_scale = default_scale_test(CLAIM_ID)
