"""The first figure page of summary.pdf: kernels vs networks and the kernel-to-rich phase diagram."""
import re

import numpy as np
import pytest

from grokcheck.core import Result
from grokcheck.reports.overview import overview_figure


def _result(claim, series, config=None):
    return Result(claim=claim, title="t", statement="s", source="src", scale="ci", config=config or {},
                  config_hash="0" * 12, seed=0, observables=[], series=series)


def _phase():
    grid = [[{"pop_l2": 0.1 * (i + 1) * (j + 1), "bound": 0.5} for j in range(3)] for i in range(2)]
    return _result("kernel-rich-phase", {"alphas": [1.0, 1000.0], "fractions": [0.3, 0.5, 0.7], "grid": grid})


def _sample_complexity():
    ns = [[26, 32, 41], [54, 68, 87]]
    acc = [[0.5, 0.97, 1.0], [0.5, 0.99, 1.0]]  # (F, S=2): passes from the second grid point
    net = [{"ns": n, "acc": [[a, a] for a in acc[0]], "l2": [[0.1, 0.1]] * 3} for n in ns]
    kern = [{"acc": [[0.1, 0.1]] * 3, "l2": [[0.9, 0.9], [0.6, 0.6], [0.3, 0.3]]}] * 2
    return _result("sample-complexity", {"ps": [7, 11], "kernel_fractions": [0.3, 0.6, 0.9], "networks": net,
                                         "kernels": {"entk": kern}}, {"bootstrap": 20})


def test_overview_draws_both_panels_from_the_results():
    fig = overview_figure([_sample_complexity(), _phase()])
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 2 and "phase" in axes[1].get_title()
    image = axes[1].get_images()[0].get_array()
    expected = np.log10([[0.1 * (i + 1) * (j + 1) / 0.5 for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(np.asarray(image), expected)
    lines = [ln.get_label() for ln in axes[0].get_lines()]
    assert any(lab.startswith("p^2") for lab in lines)


def test_overview_is_absent_without_either_result_and_survives_a_bad_layout():
    assert overview_figure([_result("construction", {})]) is None
    bad = _phase()
    bad.series = {"alphas": [1.0]}  # an older layout without the grid
    fig = overview_figure([bad])
    assert any("panel not drawn" in t.get_text() for ax in fig.axes for t in ax.texts)


def test_summary_pdf_gets_the_overview_page(tmp_path):
    from grokcheck.cli_results import render_summary
    render_summary([_phase()], tmp_path)
    one = len(re.findall(rb"/Type /Page\b", (tmp_path / "summary.pdf").read_bytes()))
    render_summary([_result("construction", {})], tmp_path)
    none = len(re.findall(rb"/Type /Page\b", (tmp_path / "summary.pdf").read_bytes()))
    assert one == none + 1


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")
