"""The paper's step budgets (Mohamadi+24 Sec. 5) are written once (`claims.mohamadi._paper`) and every
claim that declares a budget gap against them reads that one number: a claim with its own copy (as
3e4 and 1e5 once coexisted for the same classification setting) fails here."""
from grokcheck.claims.mohamadi import _paper, _rg_verdict, _sc_regression, _sc_run, fourier_features, kernel_exit, linf_role
from grokcheck.claims.mohamadi import max_margin
from grokcheck.claims.mohamadi import rich_generalization as rg
from grokcheck.claims.mohamadi import sample_complexity as sc
from grokcheck.core import setting_decisions


def test_classification_budget_is_the_references_one_number():
    assert _paper.PAPER_CLS_STEPS == 100_000  # the reference note: "<= 100k steps"
    assert _paper.PAPER_REG_STEPS == 50_000   # the smallest of "50k, 100k or 200k steps"
    assert _rg_verdict.PAPER_STEPS == {"reg": _paper.PAPER_REG_STEPS, "cls": _paper.PAPER_CLS_STEPS}
    assert _sc_regression.PAPER_REG_STEPS == _paper.PAPER_REG_STEPS
    assert _sc_run.PAPER_NGD_STEPS == fourier_features.PAPER_NGD_STEPS == linf_role.PAPER_STEPS == _paper.PAPER_CLS_STEPS


def test_paper_scale_configs_run_the_paper_budget():
    """At paper scale no classification setting declares a step gap: its steps reach the budget."""
    assert rg.SCALES["paper"].cls_steps >= _paper.PAPER_CLS_STEPS
    assert rg.SCALES["paper"].reg_steps >= _paper.PAPER_REG_STEPS
    assert sc.SCALES["paper"].ngd_steps >= _paper.PAPER_CLS_STEPS
    assert fourier_features.SCALES["paper"].ngd_steps >= _paper.PAPER_CLS_STEPS
    assert kernel_exit.SCALES["paper"].steps >= kernel_exit.PAPER_BUDGET["steps"]
    assert max_margin.SCALES["paper"].steps >= _paper.PAPER_CLS_STEPS
    assert sc.SCALES["paper"].reg_steps >= _paper.PAPER_REG_STEPS


def test_a_run_at_3e4_ngd_steps_is_below_the_paper_budget():
    """The p = 23 sample-complexity run at 3e4 NGD steps (README): its failing rule 2 is pending, so the
    paper network's setting is inconclusive (budget), not refuted; at 1e5 the same numbers refute."""
    from grokcheck.claims.mohamadi._sc_run import PAPER_NET, paper_network_observables
    p, ns = 23, [298, 372, 465]
    grid = {"p": p, "ns": ns, "bisect": [], "diverged": 0, "acc": [[0.5] * 3 for _ in ns],
            "l2": [[0.9] * 3 for _ in ns], "gen_step": [[None] * 3 for _ in ns]}
    kern = {"entk": [{"n": [298.0, 298.0, 298.0]}]}
    for steps, verdict in ((30_000, "inconclusive"), (100_000, "refuted")):
        cfg = sc.Config(ps=(p,), ngd_steps=steps)
        obs, _, gaps, _ = paper_network_observables(cfg, [grid], [grid], kern, [298.0])
        assert setting_decisions(obs, gaps)[PAPER_NET][0] == verdict
