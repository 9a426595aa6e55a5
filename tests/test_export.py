"""Tidy export (grokcheck.export): one row per observable and one per time-series
point, read back by pandas with no custom parsing; several result folders (seeds) combine."""
import math

import pytest

from grokcheck.cli import main
from grokcheck.core import Observable, Result
from grokcheck.schema import write_result
from grokcheck.export import OBSERVABLE_COLUMNS, SERIES_COLUMNS, export, targets

pd = pytest.importorskip("pandas")

SERIES = {"steps": [0, 10, 20], "train": {"acc": [0.1, 0.5, 1.0]}, "loss": [2.0, 1.0, 0.5],
          "heatmap": [[1.0, 2.0], [3.0, 4.0]], "p": 11, "label": "ngd", "gap": [1.0, float("inf"), None]}


def result(claim: str, seed: int, value: float) -> Result:
    obs = [Observable("t_gen / t_fit", value, 2.0, ">=", reason="paper Fig 1", setting="paper"),
           Observable("wrong labels", 0.01, 0.5, "<", role="control", setting="paper"),
           Observable("test acc", None, 0.95, ">=", setting="ours"),
           Observable("norm", 3.0, 0.0, ">=", role="observation", setting="ours")]
    return Result(claim, "T", "S", "src", "ci", {"p": 11, "seed": seed}, f"h{seed}", seed, obs,
                  series=SERIES, environment={"device": "cpu", "git_commit": "abc123"}, wall_time_s=1.5,
                  budget_gaps={"ours": "fewer steps than the paper"})


@pytest.fixture
def runs(tmp_path):
    """runs/seed0 and runs/seed1, each with claims alpha (verified) and beta (refuted)."""
    for seed in (0, 1):
        for claim, value in (("alpha", 3.0 + seed), ("beta", 1.0)):
            write_result(result(claim, seed, value), tmp_path / "runs" / f"seed{seed}" / claim / "result.json")
    return tmp_path / "runs"


def test_csv_round_trips_through_pandas(runs, tmp_path):
    obs_path, ser_path, n_obs, n_ser = export([runs], tmp_path / "x")
    obs, ser = pd.read_csv(obs_path), pd.read_csv(ser_path)
    assert list(obs.columns) == list(OBSERVABLE_COLUMNS) and list(ser.columns) == list(SERIES_COLUMNS)
    assert len(obs) == n_obs == 2 * 2 * 4
    assert obs["passed"].dtype == bool and obs["value"].dtype == float and obs["seed"].dtype.kind == "i"
    assert sorted(obs["seed"].unique()) == [0, 1]  # two folders, one table
    row = obs[(obs.claim == "alpha") & (obs.seed == 1) & (obs.name == "t_gen / t_fit")].iloc[0]
    assert (row.value, row.bound, row.comparison, bool(row.passed), row.role, row.setting) == (4.0, 2.0, ">=", True, "claim", "paper")
    assert (row.config_hash, row.device, row.commit, row.scale) == ("h1", "cpu", "abc123", "ci")
    assert math.isnan(obs[obs.name == "test acc"].value.iloc[0])  # None -> NaN
    beta = obs[(obs.claim == "beta") & (obs.name == "t_gen / t_fit")].iloc[0]
    assert beta.setting_verdict == "refuted" and beta.verdict == "refuted" and not beta.passed
    assert set(obs[obs.setting == "ours"].setting_verdict) == {"inconclusive"}
    # series: one row per point, x from the sibling "steps"
    one = ser[(ser.claim == "alpha") & (ser.seed == 0)]
    acc = one[one.series == "train/acc"]
    assert acc["value"].tolist() == [0.1, 0.5, 1.0] and acc["index"].tolist() == [0, 1, 2]
    assert one[one.series == "loss"]["step"].tolist() == [0, 10, 20]
    assert one[one.series == "train/acc"]["step"].isna().all()  # no "steps" beside it
    heat = one[one.series == "heatmap"]
    assert list(zip(heat["index"], heat["subindex"], heat["value"])) == [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 3.0), (1, 1, 4.0)]
    assert one[one.series == "p"]["value"].tolist() == [11.0] and one[one.series == "p"]["index"].isna().all()
    assert one[one.series == "label"]["text"].tolist() == ["ngd"]
    gap = one[one.series == "gap"]["value"].tolist()
    assert gap[0] == 1.0 and gap[1] == math.inf and math.isnan(gap[2])
    assert n_ser == len(ser) == 4 * len(one)


def test_parquet_matches_csv(runs, tmp_path):
    pytest.importorskip("pyarrow")
    c_obs, c_ser, *_ = export([runs], tmp_path / "c", "csv")
    p_obs, p_ser, *_ = export([runs], tmp_path / "t.parquet")
    assert p_ser.name == "t_series.parquet"
    for c, p in ((c_obs, p_obs), (c_ser, p_ser)):
        a, b = pd.read_csv(c), pd.read_parquet(p)
        assert a.shape == b.shape and list(a.columns) == list(b.columns)
        for col in ("value", "passed", "seed") if "passed" in a else ("value", "index", "step"):
            assert a[col].fillna(-1).tolist() == b[col].fillna(-1).astype(a[col].dtype).tolist(), col


def test_one_folder_and_skips(runs, tmp_path, capsys):
    (runs / "seed0" / "beta" / "error.log").write_text("RuntimeError: boom\n")
    (runs / "seed0" / "gamma").mkdir()
    (runs / "seed0" / "gamma" / "result.json").write_text("{broken")
    code = main(["export", "--out", str(runs / "seed0"), "--to", str(tmp_path / "e")])
    out, err = capsys.readouterr()
    assert code == 0 and "4 observables" in out
    assert "beta" in err and "stale" in err and "gamma" in err
    assert set(pd.read_csv(tmp_path / "e" / "observables.csv").claim) == {"alpha"}


def test_default_to_is_under_the_first_out(runs, capsys):
    assert main(["export", "--out", str(runs / "seed1"), "--out", str(runs / "seed0")]) == 0
    assert sorted(pd.read_csv(runs / "seed1" / "export" / "observables.csv").seed.unique()) == [0, 1]


@pytest.mark.parametrize("extra", [["--format", "xlsx"], ["--to", "x.csv", "--format", "parquet"]])
def test_bad_export_arguments_are_one_line(runs, tmp_path, capsys, extra):
    code = main(["export", "--out", str(runs), *[str(tmp_path / a) if a.endswith(".csv") else a for a in extra]])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_missing_or_empty_folder_is_usage_error(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path / "nope")]) == 2
    assert main(["export", "--out", str(tmp_path)]) == 2
    assert "no result.json" in capsys.readouterr().err


def test_targets():
    assert targets("d", None)[2] == "csv" and targets("d", "parquet")[0].name == "observables.parquet"
    assert [p.name for p in targets("a/r.csv", None)[:2]] == ["r.csv", "r_series.csv"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_never_writes_through_a_planted_symlink(runs, tmp_path, fmt):
    """Symlinks planted at the target and at the temporary names an exporter might use point at a
    victim outside the export folder: the victim is never touched (writes go to a unique mkstemp
    file, then a rename that replaces a symlink instead of following it)."""
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "export"
    dest.mkdir()
    for name in (f"observables.{fmt}", f".observables.{fmt}.tmp", f"series.{fmt}", f".series.{fmt}.tmp"):
        (dest / name).symlink_to(victim)
    export([runs], dest, fmt)
    assert victim.read_text() == "precious"
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    assert len(read(dest / f"observables.{fmt}")) == 16
    assert not (dest / f"observables.{fmt}").is_symlink()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_concurrent_exports_to_one_file_both_succeed(runs, tmp_path, fmt):
    """Two exports to one file at once (threads here; processes in tests/test_faults.py): each
    renames its own complete temporary file, so both succeed and the file reads back whole."""
    import threading
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    errors = []

    def one():
        try:
            for _ in range(5):
                export([runs], tmp_path / f"t.{fmt}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    assert len(read(tmp_path / f"t.{fmt}")) == 16
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_skips_a_damaged_result_with_one_line(tmp_path, capsys):
    """A result.json whose bytes no longer match store.json is skipped, never exported."""
    from grokcheck.store import ResultStore
    key = {"claim": "alpha", "scale": "ci", "config_hash": "h0", "seed": 0, "device": "cpu", "code_version": "t"}
    ResultStore(tmp_path / "out").save(result("alpha", 0, 3.0), key)
    ResultStore(tmp_path / "out").save(result("beta", 0, 1.0), {**key, "claim": "beta"})
    path = tmp_path / "out" / "alpha" / "result.json"
    path.write_text(path.read_text().replace("3.0", "9.0", 1))
    skipped = []
    _, _, n_obs, _ = export([tmp_path / "out"], tmp_path / "x", "csv", skipped)
    assert n_obs == 4 and len(skipped) == 1 and "checksum mismatch" in skipped[0]


def test_observable_rows_carry_every_field_of_their_observable(tmp_path):
    from grokcheck.export import observable_rows, series_rows
    r = result("alpha", 0, 3.0)
    rows = observable_rows(tmp_path, r)
    assert [set(row) for row in rows] == [set(OBSERVABLE_COLUMNS)] * len(r.observables)
    for row, o in zip(rows, r.observables):
        assert (row["name"], row["value"], row["bound"], row["tolerance"], row["reason"], row["role"]) == \
            (o.name, o.value, o.bound, o.tolerance, o.reason, o.role)
        assert row["wall_time_s"] == 1.5 and row["results"] == str(tmp_path) and row["claim"] == "alpha"
        assert row["setting_verdict"] == r.setting_verdicts.get(o.setting, "")
    r.setting_verdicts.pop("ours", None)
    assert {row["setting_verdict"] for row in observable_rows(tmp_path, r) if row["setting"] == "ours"} == {""}
    ser = series_rows(tmp_path, r)
    assert {row["results"] for row in ser} == {str(tmp_path)}
    loss = [row for row in ser if row["series"] == "loss"]  # a sibling "steps" list gives the step
    assert [(row["index"], row["step"], row["value"]) for row in loss] == [(0, 0, 2.0), (1, 10, 1.0), (2, 20, 0.5)]
    acc = [row for row in ser if row["series"] == "train/acc"]  # no "steps" beside it: no step
    assert [(row["index"], row["step"], row["value"]) for row in acc] == [(0, None, 0.1), (1, None, 0.5), (2, None, 1.0)]
    heat = [row for row in ser if row["series"] == "heatmap"]
    assert [(row["index"], row["subindex"], row["value"]) for row in heat] == [(0, 0, 1.0), (0, 1, 2.0), (1, 0, 3.0),
                                                                              (1, 1, 4.0)]
