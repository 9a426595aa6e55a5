"""CLI behaviour: exit codes, one-line usage errors, atomic results, corrupt files."""
import json

import pytest

from grokcheck.cli import main
from grokcheck.core import Observable, Result
from grokcheck.schema import read_result, ResultFileError


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [
    ("run", "no-such-claim"), ("run", "construction", "--scale", "huge"),
    ("run", "construction", "--device", "tpu"), ("frobnicate",), ("run", "--seed", "x"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_run_construction_writes_verified_result_and_pdfs(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(tmp_path))
    assert code == 0 and "verified" in out
    r = read_result(tmp_path / "construction" / "result.json")
    assert r.verdict == "verified" and r.environment["torch"] and r.config_hash
    for pdf in (tmp_path / "construction" / "report.pdf", tmp_path / "summary.pdf"):
        assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.rglob("*.tmp"))


def test_report_skips_corrupt_result(tmp_path, capsys):
    run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(tmp_path))
    bad = tmp_path / "construction" / "result.json"
    bad.write_text("{not json")
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path))
    assert code == 2 and str(bad) in err


def test_unwritable_out_is_usage_error(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    code, _, err = run_cli(capsys, "run", "construction", "--scale", "ci", "--out", str(f / "sub"))
    assert code == 2 and "--out" in err


def test_read_result_names_file(tmp_path):
    p = tmp_path / "result.json"
    p.write_text(json.dumps({"claim": "x"}))
    with pytest.raises(ResultFileError, match=str(p)):
        read_result(p)


def test_verdict_rule():
    ok = Observable("a", 1.0, 2.0, "<=")
    bad = Observable("b", 3.0, 2.0, "<=")
    ctrl = Observable("c", 5.0, 2.0, ">", role="control")
    ctrl_bad = Observable("c", 1.0, 2.0, ">", role="control")
    mk = lambda obs: Result("x", "", "", "", "ci", {}, "", 0, obs).verdict
    assert mk([ok, ctrl]) == "verified"
    assert mk([ok, bad, ctrl]) == "refuted"
    assert mk([ok, ctrl_bad]) == "inconclusive"
    assert mk([ok]) == "inconclusive"  # no negative control
    assert Observable("n", None, 1.0, "<=").passed is False


def test_key_observable_is_the_one_that_decides():
    ok = Observable("a", 1.0, 2.0, "<=")
    bad = Observable("b", 3.0, 2.0, "<=")
    ctrl_bad = Observable("c", 1.0, 2.0, ">", role="control")
    mk = lambda obs: Result("x", "", "", "", "ci", {}, "", 0, obs).key_observable()
    assert mk([ok, bad, ctrl_bad]).name == "b"  # refuted: the failing claim
    assert mk([ok, ctrl_bad]).name == "c"       # inconclusive: the failing control
    assert mk([ok, Observable("d", 0.0, 1.0, "<")]).name == "a"  # verified: the first claim
    assert mk([Observable("o", 0.0, 1.0, "<", role="observation")]) is None


# ----------------------------------------------------------------- isolation, exit codes
import dataclasses  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402

from grokcheck import cli, registry  # noqa: E402
from grokcheck.core import Claim  # noqa: E402


@dataclasses.dataclass(frozen=True)
class FakeConfig:
    x: float = 1.0
    seed: int = 0


def fake_module(cid: str, crash: bool = False, x: float = 1.0) -> types.ModuleType:
    """An instant claim: verified (x=1 <= 2, control passes; x > 2: refuted), or raising a two-line
    RuntimeError."""
    mod = types.ModuleType(f"_grokcheck_fake_{cid.replace('-', '_')}")
    mod.CLAIM = Claim(cid, "fake", "a fake claim", "tests")
    mod.Config = FakeConfig
    mod.SCALES = {s: FakeConfig(x=x) for s in registry.SCALES}

    def run(config, ctx):
        if crash:
            raise RuntimeError("boom\nsecond line")
        obs = [Observable("a", config.x, 2.0, "<="), Observable("c", 5.0, 2.0, ">", role="control")]
        return ctx.result(mod.CLAIM, config, obs, series={"s": [1.0, float("inf"), float("nan")]})

    mod.run = run
    mod.figures = lambda result: []
    return mod


@pytest.fixture
def fakes(monkeypatch):
    """Registry with two fake claims added: `fake-ok` (verified) and `fake-crash` (raises)."""
    claims = dict(registry.CLAIMS)
    for cid, crash in (("fake-ok", False), ("fake-crash", True)):
        mod = fake_module(cid, crash)
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        claims[cid] = mod.__name__
    monkeypatch.setattr(registry, "CLAIMS", claims)
    monkeypatch.setattr(cli, "CLAIMS", claims)
    return claims


def test_crash_is_isolated_exit_3_with_log_and_summary(tmp_path, capsys, fakes):
    code, out, err = run_cli(capsys, "run", "fake-crash", "fake-ok", "--out", str(tmp_path))
    assert code == cli.EXIT_ERROR == 3
    log = tmp_path / "fake-crash" / "error.log"
    assert log.read_text().startswith("RuntimeError: boom\n") and "Traceback" in log.read_text()
    assert "Traceback" not in err and "fake-crash: RuntimeError: boom" in err
    assert (tmp_path / "fake-ok" / "result.json").exists()  # the other claim still ran
    assert (tmp_path / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    assert "error" in out.split("fake-crash")[-1].splitlines()[0]
    code, _, _ = run_cli(capsys, "report", "--out", str(tmp_path))
    assert code == 3  # the stored state still says: crashed


def test_successful_rerun_clears_error_log(tmp_path, capsys, fakes):
    (tmp_path / "fake-ok").mkdir()
    (tmp_path / "fake-ok" / "error.log").write_text("RuntimeError: old\n")
    code, _, _ = run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    assert code == 0 and not (tmp_path / "fake-ok" / "error.log").exists()


@pytest.mark.parametrize("seed", ["-1", "-5", str(2 ** 63), str(2 ** 70), "1.5", "1e3", ""])
def test_bad_seed_is_one_line_exit_2(capsys, seed, tmp_path):
    code, _, err = run_cli(capsys, "run", "construction", "--scale", "ci", "--seed", seed, "--out", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "seed" in err
    assert not list(tmp_path.iterdir())  # nothing ran


def test_largest_seed_is_accepted(capsys, tmp_path, fakes):
    code, _, _ = run_cli(capsys, "run", "fake-ok", "--seed", str(2 ** 63 - 1), "--out", str(tmp_path))
    assert code == 0 and read_result(tmp_path / "fake-ok" / "result.json").seed == 2 ** 63 - 1


@pytest.mark.parametrize("command", ["run", "report"])
def test_empty_out_is_usage_error(capsys, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, command, "--out", "")
    assert code == 2 and "--out must not be empty" in err and not list(tmp_path.iterdir())


def test_duplicate_claim_runs_once(capsys, tmp_path, fakes):
    code, out, err = run_cli(capsys, "run", "fake-ok", "fake-ok", "--out", str(tmp_path))
    assert code == 0 and out.count("[1/1] fake-ok") == 1 and "given 2 times" in err


def test_symlinked_probe_name_never_truncates_victim(tmp_path, capsys, fakes):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / ".grokcheck-write-test")
    code, _, _ = run_cli(capsys, "run", "fake-ok", "--out", str(out))
    assert code == 0 and victim.read_text() == "precious"


def test_read_only_out_is_one_line_exit_2(tmp_path, capsys, fakes, monkeypatch):
    run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("tempfile.mkstemp", deny)  # what chattr +i does (root ignores chmod)
    for argv in (("report", "--out", str(tmp_path)), ("run", "fake-ok", "--out", str(tmp_path))):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "not a writable folder" in err


def test_read_only_claim_folder_is_error_not_traceback(tmp_path, capsys, fakes, monkeypatch):
    from grokcheck import safeio
    real = safeio.atomic_write_bytes

    def deny_claim_folder(path, data):
        if "fake-ok" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, data)
    monkeypatch.setattr(safeio, "atomic_write_bytes", deny_claim_folder)
    monkeypatch.setattr("grokcheck.reports.render.atomic_write_bytes", deny_claim_folder)
    monkeypatch.setattr("grokcheck.reports.collect.atomic_write_bytes", deny_claim_folder)
    code, _, err = run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    assert code == 3 and "Traceback" not in err and "PermissionError" in err
    assert len(err.strip().splitlines()) == 1 and (tmp_path / "summary.pdf").exists()


def test_stale_result_does_not_crash_summary(tmp_path, capsys, fakes):
    run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    stale = tmp_path / "construction" / "result.json"
    stale.parent.mkdir()
    d = json.loads((tmp_path / "fake-ok" / "result.json").read_text())
    stale.write_text(json.dumps({**d, "claim": "construction", "wall_time_s": "fast"}))
    code, _, err = run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    assert code == 0 and "Traceback" not in err and (tmp_path / "summary.pdf").exists()


def test_unknown_claim_results_are_named(tmp_path, capsys, fakes):
    run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    (tmp_path / "retired-claim").mkdir()
    (tmp_path / "retired-claim" / "result.json").write_text((tmp_path / "fake-ok" / "result.json").read_text())
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path))
    assert code == 0 and "unknown claim 'retired-claim'" in err


def test_sigterm_exits_143_and_leaves_no_temp_file(tmp_path, capsys, fakes, monkeypatch):
    import signal
    from grokcheck import safeio
    real_replace = os.replace

    def killed_mid_write(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler raises here, before the rename
        return real_replace(src, dst)
    monkeypatch.setattr(safeio.os, "replace", killed_mid_write)
    old = signal.getsignal(signal.SIGTERM)
    code, _, err = run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    assert code == cli.EXIT_TERMINATED == 143 and "terminated" in err
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert signal.getsignal(signal.SIGTERM) is old


def test_files_follow_the_umask(tmp_path, capsys, fakes):
    old = os.umask(0o022)
    try:
        run_cli(capsys, "run", "fake-ok", "--out", str(tmp_path))
    finally:
        os.umask(old)
    assert (tmp_path / "fake-ok" / "result.json").stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------- hypothesis: random argv never crashes
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TOKENS = ["run", "report", "list", "--scale", "ci", "default", "paper", "huge", "--device", "cpu", "cuda",
          "auto", "tpu", "--seed", "0", "-1", "7", str(2 ** 63), "1e3", "x", "--out", "out", "", ".",
          "fake-ok", "fake-bad", "nope", "--help", "-h", "--", "--set", "--scale=ci", "--out=out2",
          "show", "export", "--force", "x=1", "seed=3", "--to", "t.csv", "--format", "parquet"]
# free text: no absolute or parent paths (an --out value must stay inside the test's folder)
free = st.text(min_size=0, max_size=6).filter(lambda s: not s.startswith(("/", "~")) and ".." not in s)
argvs = st.lists(st.sampled_from(TOKENS) | free, max_size=7)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=argvs)
def test_random_argv_never_gives_a_traceback(argv, tmp_path_factory, capsys):
    """Any argv: exit 0 (verified / list / help), 1 (fake-bad refuted) or 2 (usage error with exactly
    one line on stderr); never a traceback. Only instant fake claims are registered."""
    folder = tmp_path_factory.mktemp("argv")
    claims = {}
    with pytest.MonkeyPatch.context() as mp:
        for cid, x in (("fake-ok", 1.0), ("fake-bad", 3.0)):
            mod = fake_module(cid, x=x)
            mp.setitem(sys.modules, mod.__name__, mod)
            claims[cid] = mod.__name__
        mp.setattr(registry, "CLAIMS", claims)
        mp.setattr(cli, "CLAIMS", claims)
        mp.chdir(folder)
        code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert code in (0, 1, 2), (argv, code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, (argv, err)


def test_single_line_escapes_control_characters():
    from grokcheck.schema import single_line
    assert single_line("a\r0\nb\t\udc80 é") == "a\\r0\\nb\\t\\udc80 é"
    assert len(single_line("x" * 1000)) == 400


def test_writable_dir_probe_does_not_race(tmp_path):
    """Item 7: two concurrent checks of one folder never see each other's probe (the fixed name did,
    21-24% of 20,000 tries)."""
    from concurrent.futures import ThreadPoolExecutor
    from grokcheck.safeio import check_writable_dir

    def many(_):
        return sum(check_writable_dir(tmp_path) == tmp_path for _ in range(300))
    with ThreadPoolExecutor(2) as pool:
        assert sum(pool.map(many, range(2))) == 600
    assert not list(tmp_path.iterdir())


def test_report_with_read_only_claim_folder_is_error_not_traceback(tmp_path, capsys, fakes, monkeypatch):
    run_cli(capsys, "run", "fake-ok", "fake-crash", "--out", str(tmp_path))
    from grokcheck.reports import render as render_module
    real = render_module.atomic_write_bytes

    def deny(path, data):
        if "fake-ok" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, data)
    monkeypatch.setattr(render_module, "atomic_write_bytes", deny)
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path))
    assert code == 3 and "Traceback" not in err and "fake-ok" in err and "PermissionError" in err
    assert (tmp_path / "summary.pdf").exists()
