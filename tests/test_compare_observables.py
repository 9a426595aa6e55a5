"""bench/compare_observables.py: exact by default; --rtol lets measured numbers move by round-off only."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

from grokcheck.core import Observable

_spec = importlib.util.spec_from_file_location("compare_observables",
                                               Path(__file__).parent.parent / "bench" / "compare_observables.py")
co = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(co)


def _result(value, outcome_bound=0.5, verdict="verified"):
    return SimpleNamespace(verdict=verdict, observables=[Observable("x", value, outcome_bound, ">=")])


def test_exact_by_default_and_rtol_for_round_off():
    a, b = _result(0.8037243315281698), _result(0.8037243252139642)  # float32 round-off apart
    assert co.differences(a, b) and not co.differences(a, b, rtol=1e-7)
    assert co.largest_rel(a, b) < 1e-7


def test_rtol_does_not_excuse_a_real_change():
    """A moved number beyond rtol, a changed bound or verdict still differ."""
    a = _result(0.80)
    assert co.differences(a, _result(0.81), rtol=1e-7)
    assert co.differences(a, _result(0.80, outcome_bound=0.6), rtol=1.0)
    assert co.differences(a, _result(0.80, verdict="refuted"), rtol=1.0)
