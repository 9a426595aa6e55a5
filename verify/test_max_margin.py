"""Executable theorem (ci scale): claim `max-margin` (Mohamadi+24 Prop 4.4, Thm 4.6).

ci: p = 23, n = 2p^(5/3), 1 seed, 300 steps. What it finds (asserted, so a change is seen): within
this budget the normalized l_inf margin does NOT rise toward the construction's 2p: under AdamW it
peaks right after the fit and falls while the net groks, and it is lower at wd 0.3 than at wd 1;
NGD + l_inf 1e-20 has not interpolated by step 300. Both settings are below the paper's 1e5 steps,
so the verdict is `inconclusive (budget)`, not refuted. The measurement itself is calibrated (the
construction gives exactly 2p) and its controls reject shuffled labels.
"""
from grokcheck.checks import assert_controls_pass, verdict_test
from grokcheck.claims.mohamadi.max_margin import ADAMW

CLAIM_ID = "max-margin"


test_verdict = verdict_test(CLAIM_ID, "inconclusive",
                            why="one seed at ci: every rule's [min, max] has coverage 0 and decides nothing")


def test_controls_per_setting(ci_result):
    assert_controls_pass(ci_result(CLAIM_ID), verdict=None)


def test_adamw_margin_falls_as_lambda_shrinks(ci_result):
    r = ci_result(CLAIM_ID)
    o = next(o for o in r.observables if o.setting == ADAMW and o.name.startswith("gamma_bar(T) at wd="))
    assert not o.passed and o.value < 0, (o.name, o.value)
