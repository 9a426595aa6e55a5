"""reports/: what the tables show (verdict labels, inf, errors) and what an output folder holds
(`reports.collect`: results, crashed claims, skipped files)."""
from __future__ import annotations

import math

from grokcheck.core import Observable, Result
from grokcheck.schema import write_result
from grokcheck.reports.collect import ClaimError, collect, record_error
from grokcheck.reports.render import fmt, observable_rows, summary_rows, write_claim_report, write_summary


def result(claim="a", value=1.0, gaps=None, kind="measure") -> Result:
    return Result(claim, "t", "s", "src", "ci", {}, "h", 0,
                  [Observable("obs", value, 2.0, "<=", kind=kind), Observable("ctl", 5.0, 2.0, ">", role="control")],
                  budget_gaps=gaps or {})


def test_fmt_shows_non_finite_and_none():
    assert [fmt(math.inf), fmt(-math.inf), fmt(math.nan), fmt(None)] == ["inf", "-inf", "nan", "never/none"]


def test_observable_rows_show_inf_and_fail():
    row = observable_rows(result(value=math.inf))[0]
    assert row[3] == "inf" and row[5] == "FAILS"
    r = Result("a", "t", "s", "src", "ci", {}, "h", 0, [Observable("obs", 1.0, 2.0, "<=", lo=0.5, hi=2.5, coverage=0.75)])
    assert observable_rows(r)[0][3] == "1 [0.5, 2.5] 75%" and observable_rows(r)[0][5] == "undecided"


def test_summary_rows_use_verdict_label_and_list_errors():
    rows = summary_rows([result("ok"), result("short", None, {"paper": "fewer steps"}, kind="event"),
                         result("bad", 3.0)],
                        [ClaimError("boom", "RuntimeError: x", "/o/boom/error.log", 1.0)])
    verdicts = [r[2] for r in rows]
    assert verdicts[0].startswith("verified")
    assert verdicts[1].startswith("inconclusive (budget)") and "paper: inconclusive (budget)" in verdicts[1]
    assert verdicts[2].startswith("refuted")
    assert rows[3][:3] == ["boom", "", "error"] and "RuntimeError: x" in rows[3][4] and "error.log" in rows[3][4]


def test_pdfs_render_with_errors_and_non_finite(tmp_path):
    r = result(value=math.inf)
    r.notes = ["a note", "another"]
    write_claim_report(r, [], tmp_path / "report.pdf")
    write_summary([r], tmp_path / "summary.pdf", errors=[ClaimError("boom", "RuntimeError: x")])
    for name in ("report.pdf", "summary.pdf"):
        assert (tmp_path / name).read_bytes()[:5] == b"%PDF-"


def test_collect_states(tmp_path):
    write_result(result("a"), tmp_path / "a" / "result.json")
    write_result(result("a"), tmp_path / "b" / "result.json")        # foreign: claim a in folder b
    write_result(result("c"), tmp_path / "c" / "result.json")        # stale: c crashed afterwards
    try:
        raise RuntimeError("boom\nmore")
    except RuntimeError as exc:
        err = record_error(tmp_path, "c", exc, 2.0)
    write_result(result("zz"), tmp_path / "zz" / "result.json")      # not a known claim
    got = collect(tmp_path, ["a", "b", "c", "d"])
    assert [r.claim for r in got.results] == ["a"]
    assert [(e.claim, e.message) for e in got.errors] == [("c", "RuntimeError: boom")] and err.log
    assert len(got.skipped) == 2 and "holds claim 'a', not 'b'" in got.skipped[0]
    assert "unknown claim 'zz'" in got.skipped[1]
