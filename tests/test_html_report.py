"""`grokcheck report --html`: index.html, parsed back, holds the stored verdicts, figures, reproduce
commands and code versions (validated with html.parser: no browser can be downloaded here)."""
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grokcheck.cli import main, parser
from grokcheck.core import config_hash
from grokcheck.overrides import parse_assignments, resolve_config
from grokcheck.reports.collect import collect
from grokcheck.reports.html import _section, reproduce_command
from grokcheck.registry import CLAIMS
from grokcheck.schema import read_result


class Page(HTMLParser):
    """Rows of table#verdicts, img srcs, code.reproduce texts, span.code-version texts, tag names."""

    def __init__(self):
        super().__init__()
        self.rows, self.imgs, self.reproduce, self.versions, self.tags = [], [], [], [], []
        self._table = self._cell = self._grab = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table":
            self._depth += 1
            if a.get("id") == "verdicts":
                self._table = self._depth
        if self._table and tag == "tr":
            self.rows.append([])
        if self._table and tag in ("td", "th"):
            self._cell = []
        if tag == "img":
            self.imgs.append(a["src"])
        if tag == "code" and a.get("class") == "reproduce":
            self._grab = self.reproduce
        if tag == "span" and a.get("class") == "code-version":
            self._grab = self.versions

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "table":
            if self._table == self._depth:
                self._table = None
            self._depth -= 1
        if tag in ("code", "span"):
            self._grab = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._grab is not None:
            self._grab.append(data)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    assert main(["run", "construction", "--scale", "ci", "--out", str(out), "--set", "copies=1,2",
                 "--set", "ps=5,7"]) == 0
    (out / "kernel-exit").mkdir()
    (out / "kernel-exit" / "error.log").write_text("RuntimeError: boom\n\ntraceback\n")
    assert main(["report", "--out", str(out), "--html"]) == 3  # the crashed claim makes it exit 3
    return out


def _page(folder) -> Page:
    page = Page()
    page.feed((folder / "index.html").read_text(encoding="utf-8"))
    page.close()
    return page


def test_verdict_table_rows_equal_the_results(folder):
    page = _page(folder)
    stored = collect(folder, CLAIMS)
    header, *rows = page.rows
    assert header[0] == "claim" and "verdict (paper)" in header
    assert [r[0] for r in rows] == [r.claim for r in stored.results] + ["kernel-exit"]
    result = stored.results[0]
    row = dict(zip(header, rows[0]))
    assert row["verdict (paper)"] == result.verdict_label() and row["beyond the paper"] == result.beyond_label()
    key = result.key_observable()
    assert row["decisive observable"] == key.name
    assert rows[-1][2] == "error" and "RuntimeError: boom" in rows[-1][5]


def test_figures_exist_beside_the_page(folder):
    page = _page(folder)
    assert page.imgs and all((folder / src).is_file() and (folder / src).stat().st_size > 0 for src in page.imgs)
    assert all(not Path(src).is_absolute() for src in page.imgs)  # the folder can be moved


def test_reproduce_command_resolves_the_same_config(folder):
    page = _page(folder)
    result = read_result(folder / "construction" / "result.json")
    [command] = page.reproduce
    argv = shlex.split(command)
    assert argv[:3] == ["grokcheck", "run", "construction"] and "--set" in argv
    args = parser().parse_args(argv[1:])
    config = resolve_config(args.claims[0], args.scale, args.seed, parse_assignments(args.set))
    assert config_hash(config) == result.config_hash
    assert args.scale == result.scale and args.seed == result.seed


def test_reproduce_command_fails_for_a_changed_config(folder):
    result = read_result(folder / "construction" / "result.json")
    result.config["copies"] = [1, 2, 3]  # the scale's own value: no --set for copies any more
    args = parser().parse_args(shlex.split(reproduce_command(result))[1:])
    assert not any(s.startswith("copies=") for s in args.set)
    config = resolve_config(args.claims[0], args.scale, args.seed, parse_assignments(args.set))
    assert config_hash(config) != read_result(folder / "construction" / "result.json").config_hash


def test_code_version_is_commit_and_dirty_flag(folder):
    page = _page(folder)
    env = read_result(folder / "construction" / "result.json").environment
    [text] = page.versions
    assert text.startswith(f"commit {env['git_commit'][:12]}")
    assert ("dirty: uncommitted" in text) == (env.get("git_dirty") is True)


def test_text_is_escaped(folder):
    result = read_result(folder / "construction" / "result.json")
    result.notes.append("<script>alert(1)</script>")
    page = Page()
    page.feed(_section(result, []))
    assert "script" not in page.tags


def test_html_needs_a_results_folder(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "none"), "--html"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_overview_figure_heads_the_page_when_its_results_exist(tmp_path):
    from grokcheck.core import Result
    from grokcheck.reports.html import write_index
    grid = [[{"pop_l2": 0.2, "bound": 0.5}, {"pop_l2": 0.9, "bound": 0.5}]]
    phase = Result(claim="kernel-rich-phase", title="t", statement="s", source="src", scale="ci", config={},
                   config_hash="0" * 12, seed=0, observables=[],
                   series={"alphas": [1.0], "fractions": [0.3, 0.6], "grid": grid})
    page = Page()
    page.feed(write_index([phase], tmp_path, figures=False).read_text())
    assert page.imgs == ["overview.png"] and (tmp_path / "overview.png").stat().st_size > 0
    page = Page()
    page.feed(write_index([], tmp_path / "empty", figures=False).read_text())
    assert page.imgs == []
