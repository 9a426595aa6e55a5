"""Unit tests of theory/tasks.py: labels, shapes, splits and validation."""
import pytest
import torch

from grokcheck.theory.tasks import (binary_table, kary_sum_table, modular_inverse, one_hot_pairs,
                          regression_triples, split_indices)


@pytest.mark.parametrize("p", [5, 7, 13])
def test_division_is_true_division(p):
    x, y = binary_table(p, "div")
    assert len(y) == p * (p - 1)
    assert torch.all((y * x[:, 1]) % p == x[:, 0])  # (x / y) * y = x
    assert not torch.equal(y, (x[:, 0] * x[:, 1]) % p)  # not the PKU notebook's x * y


def test_ops_labels():
    x, y = binary_table(7, "sub")
    assert torch.all(y == (x[:, 0] - x[:, 1]) % 7)
    x, y = binary_table(7, "mul")
    assert torch.all(y == (x[:, 0] * x[:, 1]) % 7)
    assert modular_inverse(torch.tensor([3]), 7).item() == 5


def test_kary_labels():
    x, y = kary_sum_table(5, 3)
    assert x.shape == (125, 3) and torch.all(y == x.sum(1) % 5)


def test_regression_triples():
    t, y = regression_triples(4)
    assert t.shape == (64, 3) and y.sum() == 4 * 16  # p * (one c per (a, b))
    assert float((y ** 2).mean()) == pytest.approx(4.0)  # L(Psi_0) = p


def test_one_hot_pairs():
    x, _ = binary_table(3)
    oh = one_hot_pairs(x, 3)
    assert oh.shape == (9, 6) and torch.all(oh.sum(1) == 2)
    assert oh[5, 1] == 1 and oh[5, 3 + 2] == 1  # pair (1, 2)


def test_split_deterministic_and_disjoint():
    a, b = split_indices(100, 0.3, seed=4)
    a2, _ = split_indices(100, 0.3, seed=4)
    assert torch.equal(a, a2) and len(a) == 30 and len(b) == 70
    assert len(set(a.tolist()) | set(b.tolist())) == 100
    assert not torch.equal(a, split_indices(100, 0.3, seed=5)[0])


@pytest.mark.parametrize("bad", [
    lambda: binary_table(1), lambda: binary_table(2.5), lambda: binary_table(8, "div"),
    lambda: binary_table(5, "pow"), lambda: split_indices(10, 0.0, 0), lambda: split_indices(10, 1.5, 0),
    lambda: split_indices(10, -0.1, 0), lambda: kary_sum_table(5, 0), lambda: regression_triples(True),
])
def test_bad_input_raises_value_error(bad):
    with pytest.raises(ValueError):
        bad()


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None, derandomize=True)
@given(n_total=st.integers(1, 400), fraction=st.floats(0.001, 1.0), seed=st.integers(0, 2 ** 63 - 1))
def test_split_is_a_disjoint_cover_with_the_stated_sizes(n_total, fraction, seed):
    """For every (N, f, seed): train and test are disjoint, cover range(N), are sorted, and train has
    max(1, round(f N)) points (a past bug: a test part starting at int(f N) overlapped train)."""
    train, test = split_indices(n_total, fraction, seed)
    n = max(1, round(fraction * n_total))
    assert len(train) == n and len(test) == n_total - n
    assert sorted(train.tolist() + test.tolist()) == list(range(n_total))
    assert torch.all(train[1:] > train[:-1]) and torch.all(test[1:] > test[:-1])


def test_split_from_a_generator_is_the_generators_permutation():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, _ = split_indices(50, 0.4, g1)
    assert torch.equal(a, torch.randperm(50, generator=g2)[:20].sort().values)


def test_split_stream_differs_from_a_plain_generator_of_the_seed():
    """The integer seed goes through the hashed ("split", seed) stream: its permutation is not the one
    Generator(seed) draws, so a claim's other draws cannot replay the split."""
    train, _ = split_indices(100, 0.3, 7)
    plain = torch.randperm(100, generator=torch.Generator().manual_seed(7))[:30].sort().values
    assert not torch.equal(train, plain)
