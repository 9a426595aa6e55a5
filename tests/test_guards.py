"""Guards before work (grokcheck.guards): a config whose memory or time floor exceeds the machine
is refused in one line before anything runs; every shipped config passes, even on a small machine."""
import dataclasses

import pytest

from grokcheck import guards, registry
from grokcheck.cli import main


@dataclasses.dataclass(frozen=True)
class Inner:
    seed: int = 0
    instances: int = 3


@dataclasses.dataclass(frozen=True)
class Cfg:
    ps: tuple = (11, 23)
    bound_ps: tuple = (100000,)          # closed-form checks: never read
    steps: int = 1000
    cls_steps: int = 500
    seeds: tuple = (0, 1, 2)
    ours: Inner = Inner()


def test_estimate_reads_sizes_from_fields_and_nested_configs():
    est = guards.estimate(Cfg())
    assert (est.modulus, est.steps, est.repeats) == (23, 1500, 3)
    assert est.bytes == 8 * 23 ** 3
    assert guards.estimate(Cfg(ours=Inner(instances=50))).repeats == 50
    assert guards.estimate(Cfg(ps=(5,), cls_steps=0)).steps == 1000


@pytest.mark.parametrize("scale", registry.SCALES)
def test_every_shipped_config_passes_on_a_4_gib_machine(scale):
    for cid in registry.CLAIMS:
        guards.check(cid, registry.claim_module(cid).SCALES[scale], available=4 * 2 ** 30)


@pytest.mark.parametrize("cfg, pattern", [
    (Cfg(ps=(100000,)), r"p = 100000 needs at least .* GiB"),
    (Cfg(steps=10 ** 12), r"take at least .* days \(more than a week\)"),
    (Cfg(ours=Inner(instances=10 ** 12)), r"1000000000000 repeats .*more than a week"),
    (Cfg(ps=(20000,), seeds=10 ** 6), r"needs at least|more than a week"),
])
def test_configs_that_cannot_fit_are_refused_in_one_line(cfg, pattern):
    with pytest.raises(ValueError, match=pattern) as exc:
        guards.check("x", cfg, available=64 * 2 ** 30)
    assert "\n" not in str(exc.value) and "--no-guard" in str(exc.value)


def test_the_memory_floor_is_compared_with_the_machine():
    cfg = Cfg(ps=(1000,))  # 8 GB of one-hot inputs
    guards.check("x", cfg, available=16 * 2 ** 30)
    with pytest.raises(ValueError, match="needs at least"):
        guards.check("x", cfg, available=4 * 2 ** 30)


@pytest.mark.parametrize("value", ["ps=100000", "steps=1000000000000", "seeds=100000000000000"])
def test_cli_refuses_before_any_work_and_no_guard_overrides(tmp_path, capsys, value):
    code = main(["run", "sample-complexity", "--scale", "ci", "--set", value, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--no-guard" in err, err
    assert not (tmp_path / "sample-complexity").exists()


def test_no_guard_lets_the_config_through_to_the_claim(tmp_path, capsys, monkeypatch):
    """With --no-guard the guard is not consulted (here the claim itself is stubbed out)."""
    seen = []
    monkeypatch.setattr(guards, "check", lambda *a, **k: seen.append(a))
    main(["run", "construction", "--scale", "ci", "--out", str(tmp_path), "--no-guard"])
    capsys.readouterr()
    assert seen == []
    main(["run", "construction", "--scale", "ci", "--out", str(tmp_path / "b")])
    capsys.readouterr()
    assert [a[0] for a in seen] == ["construction"]
