"""bench/paper_cost.py: its FLOP counts agree with bench_train's, its enumeration follows the claims' configs,
and the whole table is cheap to print (it trains nothing)."""
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_train  # noqa: E402
import paper_cost  # noqa: E402


@pytest.mark.parametrize("p", [23, 47, 97])
def test_pair_step_is_bench_train_step_flops(p):
    n = bench_train.n_paper(p)
    assert paper_cost.pair_step(p, n, 4 * p) == bench_train.step_flops(p, n) == 6 * n * 4 * p * p
    assert paper_cost.pair_step(p, n, 8 * p) == 2 * bench_train.step_flops(p, n)


def test_rich_generalization_groups_follow_the_paper_config():
    from grokcheck.claims.mohamadi.rich_generalization import SCALES
    c = SCALES["paper"]
    rows = paper_cost.rich_generalization("paper")
    assert len(rows) == len(c.reg_ps) + 2 * len(c.cls_ps) + 1
    reg = [r for r in rows if r["part"].startswith("regression")]
    assert [r["runs"] for r in reg] == [2 * c.seeds] * len(c.reg_ps)
    assert all(r["runs"] == c.seeds for r in rows if r not in reg)
    assert {r["steps"] for r in reg} == {c.reg_steps}
    cls = [r for r in rows if r["part"].startswith("cls")]
    assert {r["steps"] for r in cls} == {c.cls_steps} and {r["dtype"] for r in cls} == {"f64"}
    p = c.cls_ps[-1]  # the FLOPs of a classification group are at least its training steps' matmuls
    top = next(r for r in cls if r["part"] == f"cls p={p}")
    assert top["flops"] >= c.seeds * c.cls_steps * bench_train.step_flops(p, bench_train.n_paper(p))


def test_sample_complexity_bisection_is_the_worst_case():
    from grokcheck.claims.mohamadi.sample_complexity import SCALES
    c = SCALES["paper"]
    rows = [r for r in paper_cost.sample_complexity("paper") if "bisection" in r["part"]]
    assert rows and all(r["runs"] == c.bisect * c.seeds * c.bisect_points for r in rows)
    assert all("worst case" in r["note"] for r in rows)


def test_hours_scale_with_the_rate():
    a = paper_cost.main(["--scale", "paper", "--claims", "max-margin"])["max-margin"]["hours"]
    b = paper_cost.main(["--scale", "paper", "--claims", "max-margin", "--share", "0.6"])["max-margin"]["hours"]
    assert b == pytest.approx(a / 2)


def test_ci_table_is_fast_and_paper_costs_more(capsys):
    paper_cost.main(["--scale", "ci"])  # warm the claim imports
    t = time.perf_counter()
    ci = paper_cost.main(["--scale", "ci"])
    assert time.perf_counter() - t < 0.5
    assert set(ci) == set(paper_cost.CLAIMS)
    paper = paper_cost.main(["--scale", "paper"])
    assert all(paper[k]["flops"] > ci[k]["flops"] > 0 for k in ci)
    assert "TOTAL" in capsys.readouterr().out
