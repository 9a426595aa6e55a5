"""Named random streams (grokcheck.streams, ctx.rng): independent by name, index and seed; the same
--seed reproduces a claim bit for bit; another seed changes what is sampled."""
import dataclasses

import numpy as np
import pytest
import torch

from grokcheck.context import Context
from grokcheck.models.transformer import Dropout
from grokcheck.registry import run_claim, scaled_config
from grokcheck.streams import SEED_MAX, check_seed, generator, numpy_rng, stream_seed
from grokcheck.theory.tasks import split_indices


def draws(seed, name, index=0, n=8):
    return torch.rand(n, generator=generator(seed, name, index))


def test_streams_differ_across_names_indices_and_seeds():
    base = draws(0, "init", 0)
    for other in (draws(0, "split", 0), draws(0, "init", 1), draws(1, "init", 0)):
        assert not torch.equal(base, other)
    assert torch.equal(base, draws(0, "init", 0))  # and a stream is reproducible
    seeds = {stream_seed(s, n, i) for s in range(4) for n in ("split", "init", "subset") for i in range(4)}
    assert len(seeds) == 4 * 3 * 4
    assert not np.array_equal(numpy_rng(0, "a").random(4), numpy_rng(0, "b").random(4))


def test_no_seed_offset_collides():
    """The ad-hoc offsets of the past (Generator(1000 + seed)) collided across seeds; hashed streams do not:
    stream (seed=1000, name, 0) is unrelated to (seed=0, name, 1000)."""
    assert stream_seed(1000, "init", 0) != stream_seed(0, "init", 1000)
    assert stream_seed(1, "init", 0) != stream_seed(0, "init", 1)


def test_subset_stream_is_not_the_split_permutation():
    """The eNTK subset drawn from stream 'subset' is not the first points of the training split
    (the old `Generator(seed)` reuse made them coincide)."""
    ctx = Context(seed=3)
    train, _ = split_indices(100, 0.5, stream_seed(ctx.seed, "split"))
    subset = torch.randperm(100, generator=ctx.rng("subset"))[:10]
    assert not torch.equal(subset.sort().values, train[:10])


@pytest.mark.parametrize("bad", [-1, 2 ** 63, 1.5, True, "0", None])
def test_check_seed_rejects(bad):
    with pytest.raises(ValueError, match="seed"):
        check_seed(bad)


def test_check_seed_accepts_the_range():
    assert check_seed(0) == 0 and check_seed(SEED_MAX - 1) == SEED_MAX - 1 and check_seed(np.int64(5)) == 5


def test_dropout_layers_draw_from_their_own_streams():
    x = torch.ones(64)
    a, b, c = Dropout(0.5, seed=0, index=0).train(), Dropout(0.5, seed=0, index=1).train(), Dropout(0.5, seed=1).train()
    ma, mb, mc = a(x), b(x), c(x)
    assert not torch.equal(ma, mb) and not torch.equal(ma, mc)
    assert torch.equal(ma, Dropout(0.5, seed=0, index=0).train()(x))


def _observables(result):
    return {o.name: o.value for o in result.observables}


@pytest.mark.parametrize("claim", ["kernel-lower-bound", "kernel-regression-baselines"])
def test_same_seed_reproduces_bit_for_bit(claim):
    a, b = run_claim(claim, "ci", seed=7), run_claim(claim, "ci", seed=7)
    assert _observables(a) == _observables(b)
    assert a.series == b.series


def test_other_seed_changes_the_monte_carlo(monkeypatch):
    """kernel-lower-bound's sampled quantities (training samples, permutations, inits) move with the
    seed; the exact, seed-free checks do not."""
    from grokcheck.claims.mohamadi import kernel_lower_bound as klb
    small = dataclasses.replace(scaled_config("kernel-lower-bound", "ci"), kernels=("entk", "rbf"),
                                fractions=(0.15, 0.5), n_perms=20, n_samples=2, dense_ps=(2,), bound_ps=(3,))
    r0 = klb.run(dataclasses.replace(small, seed=0), Context(seed=0))
    r1 = klb.run(dataclasses.replace(small, seed=1), Context(seed=1))
    k0, k1 = r0.series["per_p"]["7"]["kernels"], r1.series["per_p"]["7"]["kernels"]
    assert k0["entk"]["mc_mean"] != k1["entk"]["mc_mean"]
    assert k0["rbf"]["ident_all"] != k1["rbf"]["ident_all"]
    exact = "max |Krawtchouk floor - two-eigenvalue closed form|"
    assert _observables(r0)[exact] == _observables(r1)[exact]
