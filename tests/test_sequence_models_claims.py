"""Unit tests of the PKU-project claim rules (claims/pku/_rules.py and each claim's `observables`):
synthetic runs that satisfy a claim pass it, deliberately wrong inputs fail it, and each claim's
negative control is an input its decisive rule rejects."""
import math

import numpy as np
import pytest
import torch

from grokcheck.claims.pku import _rules as R
from grokcheck.claims.pku import division_architectures as da
from grokcheck.claims.pku import k_ary_addition as ka
from grokcheck.claims.pku import optimizers_regularization as opt
from grokcheck.claims.pku import too_little_data as tld
from grokcheck.claims.pku import transformer_grokking as tg
from grokcheck.claims.pku._grokking_runs import (RunSpec, batch_key, best_so_far, build_model, run_all, run_batched,
                                                 run_one, split_data,
                                                 step_measures, uniform_eval_steps)
from grokcheck.context import Context
from grokcheck.store import SubrunCache
from grokcheck.theory.delay import eval_grid

STEPS = list(range(0, 1001, 50))


def rng_of(i):
    return np.random.default_rng(i)


def fake_run(t_fit=100, t95=400, best_test=1.0, drop_at=(), **extra) -> dict:
    """A run on STEPS: train acc 1 from t_fit on; test acc `best_test` from t95 on (0.02 before, or
    throughout when t95 is None), falling to 0.5 at the steps in drop_at."""
    train = [1.0 if t_fit is not None and s >= t_fit else 0.3 for s in STEPS]
    test = [best_test if t95 is not None and s >= t95 else 0.02 for s in STEPS]
    if t95 is None:
        test[-1] = best_test
    test = [0.5 if s in drop_at else a for s, a in zip(STEPS, test)]
    return {"steps": STEPS, "train_acc": train, "test_acc": test, "n_test": 100,
            **step_measures(STEPS, train, test), **extra}


def by_name(obs):
    return {o.name: o for o in obs}


def test_step_measures_and_grid():
    m = step_measures([0, 10, 20, 30, 40, 50], [0.1, 1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.1, 0.96, 0.5, 0.97, 1.0])
    assert m["t_fit"] == 10 and m["t95"] == 20 and m["drops"] == 1 and m["min_after"] == 0.5
    never = step_measures([0, 10], [0.1, 0.2], [0.0, float("nan")])
    assert never["t_fit"] is None and never["t95"] is None and math.isnan(never["drops"])
    assert best_so_far([0.1, 0.5, 0.2, 0.7]) == [0.1, 0.5, 0.5, 0.7]
    assert uniform_eval_steps(10, 5) == eval_grid(10, n_uniform=5) == (0, 2, 4, 6, 8, 10)
    with pytest.raises(ValueError):
        uniform_eval_steps(0, 10)


def test_rules_statistics():
    s = R.median_stat([3.0, 1.0, 2.0, None], rng_of(0))
    assert (s.estimate, s.lo, s.hi, s.n) == (2.0, 1.0, 3.0, 3)  # 3 seeds: [min, max]
    assert s.coverage == 0.75  # its true coverage, not the nominal 95%
    assert R.median_stat([], rng_of(0)).lo is None
    trend = R.trend_stat([0.3, 0.5], [[900, 800, 700], [300, 200, 100]], rng_of(0))
    assert trend.hi == pytest.approx(-1.0) and trend.coverage == 0.75  # every seed falls: [min, max] of 3 seeds
    assert R.trend_stat([0.3, 0.5], [[5, 5], [5, 5]], rng_of(0)).estimate is None  # no trend at all
    # one seed whose sweep is flat counts as no trend (rho 0), not as a missing seed
    flat = R.trend_stat([0.3, 0.5], [[900, 800, 700], [300, 800, 100]], rng_of(0))
    assert (flat.lo, flat.hi) == pytest.approx((-1.0, 0.0))
    with pytest.raises(ValueError, match="same seeds"):
        R.trend_stat([0.3, 0.5], [[900, 800, 700], [300, 200]], rng_of(0))
    assert R.superiority([0, 0], [1, 1]) == 1.0 and R.superiority([1], [1]) == 0.5
    sup = R.superiority_stat([0, 2, 1, float("nan")], [1, 1, 1, 5])  # per seed 1, 0, 1/2; the NaN pair left out
    assert (sup.estimate, sup.lo, sup.hi, sup.n) == (0.5, 0.0, 1.0, 3)
    with pytest.raises(ValueError, match="pairs seeds"):
        R.superiority_stat([0, 1], [1])
    assert R.delay_ratios([fake_run(100, 400)]) == [4.0]
    assert R.delay_ratios([fake_run(100, 400)], "train_acc") == [1.0]  # fit and "generalize" together


TG = tg.Config(fractions=(0.3, 0.7), batch_sizes=(64, 128), volatility_fraction=0.7, wd0_fraction=0.7, steps=1000)


def tg_runs(t95_small=800, t95_large=300, drops128=(500, 600, 700), t_fit=100):
    runs = []
    for s in range(3):
        runs.append(fake_run(t_fit, t95_small + 50 * s, fraction=0.3, batch=64, seed=s))
        runs.append(fake_run(t_fit, t95_large + 50 * s, fraction=0.7, batch=64, seed=s))
        runs.append(fake_run(t_fit, t95_large, drop_at=drops128, fraction=0.7, batch=128, seed=s))
    return runs


def test_transformer_grokking_rules_pass_and_controls_bite():
    wd0 = [fake_run(100, None, best_test=0.1, fraction=0.7, batch=64, seed=s) for s in range(3)]
    obs, _ = tg.observables(TG, tg_runs(), wd0, rng_of)
    assert all(o.passed for o in obs if o.role != "observation"), [(o.name, o.value) for o in obs if not o.passed]
    # wrong inputs: no delay, a rising t95, a grokking wd-0 run, batch 128 calmer
    bad, _ = tg.observables(TG, tg_runs(t95_small=100, t95_large=800, drops128=(), t_fit=100),
                            [fake_run(100, 300, fraction=0.7, batch=64, seed=s) for s in range(3)], rng_of)
    bad = by_name(bad)
    for name in ("delay: median t95/t_fit of the grokked wd-1 runs, CI lower end",
                 "data: rho(fraction, t95), CI upper end", "wd 0: median best test accuracy, CI upper end",
                 "volatility: P(drops bs 128 > bs 64), CI lower end"):
        assert not bad[name].passed, name
    nodelay, _ = tg.observables(TG, tg_runs(t95_small=150, t95_large=100, t_fit=100), wd0, rng_of)
    assert not by_name(nodelay)["delay: median t95/t_fit of the grokked wd-1 runs, CI lower end"].passed


TLD = tld.Config(small_fraction=0.05, large_fraction=0.5)


def test_too_little_data_rules():
    small = [fake_run(100, None, best_test=0.2) for _ in range(3)]
    large = [fake_run(100, 400) for _ in range(3)]
    obs, _ = tld.observables(TLD, small, large, rng_of)
    assert all(o.passed for o in obs), [(o.name, o.value) for o in obs if not o.passed]
    groks, _ = tld.observables(TLD, [fake_run(100, 400)] + small[1:], large, rng_of)
    assert not by_name(groks)["fraction 0.05: median best test accuracy, CI upper end"].passed
    nofit, _ = tld.observables(TLD, [fake_run(None, None, best_test=0.2)] + small[1:], large, rng_of)
    assert not by_name(nofit)["fraction 0.05: median best train accuracy, CI lower end"].passed


def test_division_rules():
    runs = {"mlp": [fake_run(100, 500) for _ in range(3)], "lstm": [fake_run(100, 600) for _ in range(3)],
            "transformer": [fake_run(100, None, best_test=0.6) for _ in range(3)]}
    control = [fake_run(100, None, best_test=0.05)]
    obs, _ = da.observables(da.Config(), runs, control, rng_of)
    assert all(o.passed for o in obs), [(o.name, o.value) for o in obs if not o.passed]
    groks = dict(runs, transformer=[fake_run(100, 700) for _ in range(3)])
    leaky = [fake_run(100, 300)]  # a "random-label" run that generalizes: the pipeline leaks labels
    o = by_name(da.observables(da.Config(), groks, leaky, rng_of)[0])
    assert not o["transformer: median best test accuracy on division, CI upper end"].passed
    assert not o["control: grok rule on an MLP with random labels, CI lower end"].passed


def test_optimizers_regularization_rules():
    def auc_runs(values):
        return [dict(fake_run(100, None, best_test=0.3), auc_best=v) for v in values]

    runs = {opt.BASE: auc_runs([0.30, 0.32, 0.31]), "AdamW wd 1": auc_runs([0.70, 0.75, 0.72])}
    obs = by_name(opt.observables(runs, rng_of)[0])
    gain = "AdamW wd 1: median paired gain in mean best-so-far test acc over AdamW wd 0, CI lower end"
    control = "control: AdamW wd 0 against itself, CI lower end of the median paired difference"
    assert obs[gain].passed and obs[control].passed
    worse = by_name(opt.observables(dict(runs, **{"AdamW wd 1": auc_runs([0.30, 0.20, 0.40])}), rng_of)[0])
    assert not worse[gain].passed


def test_k_ary_rules():
    runs = {ka.SEED_SETTING: [fake_run(None, None, best_test=0.1) for _ in range(3)],
            "lr x3": [fake_run(100, 400) for _ in range(3)], ka.CONTROL: [fake_run(100, None, best_test=0.2)]}
    obs, _, learned = ka.observables(runs, rng_of)
    assert learned == ["lr x3"] and all(o.passed for o in obs if o.role != "observation")
    fits = dict(runs, **{ka.SEED_SETTING: [fake_run(100, None, best_test=0.1) for _ in range(3)]})
    assert not by_name(ka.observables(fits, rng_of)[0])["seed setting: median best train accuracy, CI upper end"].passed
    blind = dict(runs, **{ka.CONTROL: [fake_run(None, None, best_test=0.1)]})  # the control must see a fit
    assert not [o for o in ka.observables(blind, rng_of)[0] if o.role == "control"][0].passed


def test_streams_split_init_and_validation():
    spec = RunSpec(p=7, fraction=0.5, d=8, heads=2, layers=1)
    a, b = split_data(spec), split_data(RunSpec(p=7, fraction=0.5, index=1))
    c = split_data(RunSpec(p=7, fraction=0.5, seed=1))
    assert not torch.equal(a[0].inputs, b[0].inputs) and not torch.equal(a[0].inputs, c[0].inputs)
    small = split_data(RunSpec(p=7, fraction=0.3))[0].inputs  # nested training sets within a replicate
    assert {tuple(t) for t in small.tolist()} <= {tuple(t) for t in a[0].inputs.tolist()}
    w0, w1 = build_model(spec, 4).head.weight, build_model(RunSpec(p=7, d=8, heads=2, layers=1, index=1), 4).head.weight
    assert not torch.equal(w0, w1)
    with pytest.raises(ValueError):
        build_model(RunSpec(arch="cnn"), 4)
    with pytest.raises(ValueError):
        split_data(RunSpec(p=7, labels="shifted"))


def test_run_all_caches_each_group_and_processes_do_not_change_results(tmp_path):
    """Runs that share a batch key (replicates, fractions) are one batched, cached item; a dropout run
    trains alone. Processes and the cache change nothing."""
    specs = {i: RunSpec(p=5, fraction=0.6 if i < 2 else 0.4, d=8, heads=2, layers=1, steps=4, n_eval=2, batch_size=8,
                        index=i % 2) for i in range(3)}
    specs[3] = RunSpec(p=5, fraction=0.6, d=8, heads=2, layers=1, steps=4, n_eval=2, batch_size=8, dropout=0.1)
    one = run_all(Context(scale="ci"), specs, 1)
    cache = SubrunCache(tmp_path, "fake", 0, "cpu")
    two = run_all(Context(scale="ci", cache=cache), specs, 2)
    assert cache.misses == 2  # the batched group of 3 (one chunk of BATCH_RUNS) and the dropout run
    assert all(one[i]["history"] == two[i]["history"] for i in specs)
    assert one[0]["history"] != one[1]["history"] and one[0]["n_train"] != one[2]["n_train"]
    again = SubrunCache(tmp_path, "fake", 0, "cpu")
    assert run_all(Context(scale="ci", cache=again), specs, 2)[1]["history"] == one[1]["history"]
    assert (again.hits, again.misses) == (2, 0)


def test_batched_runs_match_the_sequential_runs():
    """`run_batched` (stacked transformers, per-run masks and minibatch streams) equals `run_one` per run up
    to float32 reduction order; the accuracies and step measures agree exactly on this short run."""
    specs = [RunSpec(p=7, fraction=f, d=16, heads=2, layers=1, lr=1e-2, steps=30, n_eval=3, batch_size=8, index=i)
             for i, f in ((0, 0.5), (1, 0.5), (0, 0.7))]
    mlps = [RunSpec(arch="mlp", p=7, fraction=0.6, d=8, hidden=16, layers=1, lr=1e-2, steps=30, n_eval=3,
                    batch_size=8, index=i) for i in range(2)]
    for spec, got in zip(specs + mlps, run_batched(specs) + run_batched(mlps)):
        ref = run_one(spec)
        assert (got["n_train"], got["n_test"]) == (ref["n_train"], ref["n_test"])
        assert got["history"]["metrics"]["train_loss"] == pytest.approx(ref["history"]["metrics"]["train_loss"],
                                                                        rel=1e-4, abs=1e-6)
        assert got["history"]["metrics"]["test_acc"] == ref["history"]["metrics"]["test_acc"]
    assert batch_key(specs[0]) == batch_key(specs[2]) and batch_key(RunSpec(dropout=0.1)) is None
    assert batch_key(RunSpec(labels="random", d=32)) is None and batch_key(RunSpec(lr=0.1, d=32)) != batch_key(RunSpec(d=32))
    assert batch_key(RunSpec(arch="lstm", d=32)) is None and batch_key(RunSpec(arch="mlp", d=32)) is not None
    assert batch_key(RunSpec(d=128)) is None  # wider than BATCH_MAX_D: as fast alone
    with pytest.raises(ValueError, match="batch_key"):
        run_batched([specs[0], RunSpec(p=7, lr=0.5)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_run_one_on_cuda_matches_cpu_draws():
    spec = RunSpec(p=5, fraction=0.6, d=8, heads=2, layers=1, steps=4, n_eval=2, batch_size=8)
    out = run_one(spec, device="cuda")
    assert out["device"].startswith("cuda") and out["n_train"] == run_one(spec)["n_train"]
