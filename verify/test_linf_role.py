"""Executable theorem (ci scale): claim `linf-role` (Mohamadi+24 eq. 2.2, Sec. 4).

ci: p = 17, {gd, ngd, sign, adam} x {l_inf, l2, none}, each at 0.1, 1 and 10 times the lr whose first step
matches Adam's in l2 length, 300 steps, one seed per (cell, lr). The paper's setting (the explicit l_inf
penalty on GD / NGD against the same optimizers without it) is `inconclusive (budget)` at 300 steps: its
"without the penalty they do not grok" is an absence, undecidable below the paper's 1e5 steps. Measured: only cells with l_inf geometry grok (at ci: sign + l2), each with the Fourier
features; Adam on shuffled labels does not grok. One seed's interval [v, v] has coverage 0 and decides
nothing, so the rules are pinned on their values and undecided here (3 seeds at default decide them).
"""
from grokcheck.checks import default_scale_test, standard_tests

CLAIM_ID = "linf-role"
RULES = ["max over cells without l_inf geometry of the median final test accuracy",
         "max over l_inf-geometry cells of the median final test accuracy",
         "min Fourier concentration over the cells that may grok"]

test_observable, test_verdict = standard_tests(CLAIM_ID, [], verdict="inconclusive (budget)",
                                              why="the paper's explicit-penalty setting at 300 steps: its absence rule (GD / NGD "
                                              "without l_inf do not grok) cannot verify below the paper's 1e5 steps")


def test_one_seed_values_are_on_the_claims_side_and_decide_nothing(ci_result):
    r = ci_result(CLAIM_ID)
    for name in RULES:
        o = r.observable(name)
        assert o.coverage == 0 and o.outcome == "undecided", o.describe()
        side = o.value < o.bound if o.comparison == "<" else o.value >= o.bound
        assert side, o.describe()
    assert r.beyond_label() == "inconclusive"


def test_every_cell_is_reported(ci_result):
    cells = ci_result(CLAIM_ID).series["cells"]
    assert len(cells) == 12 and {c["optimizer"] for c in cells} == {"gd", "ngd", "sign", "adam"}


test_default_scale = default_scale_test(CLAIM_ID)
