"""Unit tests of theory/sparse.py (generators, data-selection samplers, coherence) and
theory/delay.py (t1 / t2 on synthetic curves)."""
import math

import pytest
import torch

from grokcheck.theory.delay import first_step, grokking_times, log_grid, predicted_delay
from grokcheck.theory.sparse import (coherence, completion_entries, completion_sensing, gaussian_sensing,
                           least_squares_min_norm, local_coherence, low_rank_matrix, relative_error,
                           select_coordinate_reads, sparse_vector)

RTOL_F64 = 1e-10  # two float64 paths on O(1) numbers


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_sparse_vector_support_and_scale():
    a = sparse_vector(100, 5, gen())
    assert a.dtype == torch.float64 and a.shape == (100,)
    assert int((a != 0).sum()) == 5
    with pytest.raises(ValueError):
        sparse_vector(3, 5, gen())


def test_gaussian_sensing_variance():
    X = gaussian_sensing(400, 300, gen())
    # entry variance 1/N: the sample variance of 1.2e5 entries has relative s.e. sqrt(2/1.2e5) ~ 0.004
    assert abs(float(X.var()) * 400 - 1) < 5 * math.sqrt(2 / X.numel())


def test_seed_zero_is_honoured():
    # reference repo defect A5.3: seed 0 was silently ignored
    assert torch.equal(sparse_vector(50, 3, gen(0)), sparse_vector(50, 3, gen(0)))
    assert not torch.equal(sparse_vector(50, 3, gen(0)), sparse_vector(50, 3, gen(1)))


@pytest.mark.parametrize("tau", [0.0, 0.1, 0.5, 1.0])
def test_coordinate_reads(tau):
    X = gaussian_sensing(30, 100, gen())
    Xt = select_coordinate_reads(X, tau, gen(5))
    k = math.floor(tau * 30 + 1e-9)
    assert torch.equal(Xt[k:], X[k:])                       # the rest of the data set is fixed
    assert torch.equal((Xt[:k] != 0).sum(1), torch.ones(k, dtype=torch.long))
    assert torch.equal(Xt[:k].sum(1), torch.ones(k, dtype=torch.float64))
    a = sparse_vector(100, 5, gen(1))
    j = Xt[:k].argmax(1)
    assert torch.equal(Xt[:k] @ a, a[j])                    # a read returns the coordinate itself


def test_coordinate_reads_nested_and_validated():
    X = gaussian_sensing(30, 100, gen())
    a, b = select_coordinate_reads(X, 0.2, gen(5)), select_coordinate_reads(X, 0.5, gen(5))
    assert torch.equal(a[:6], b[:6])
    with pytest.raises(ValueError):
        select_coordinate_reads(X, 1.5, gen())


def test_low_rank_and_coherence():
    A = low_rank_matrix(10, 10, 2, gen())
    assert abs(float(torch.linalg.matrix_norm(A)) - 10) < RTOL_F64 * 10
    assert int(torch.linalg.matrix_rank(A)) == 2
    P = local_coherence(A, 2)
    # leverage scores: sum_i mu_i = n1 and sum_j nu_j = n2, so sum_ij P_ij = n2 n1 + n1 n2
    assert abs(float(P.sum()) - 200) < 1e-9
    assert 1.0 - 1e-12 <= coherence(A, 2) <= 5.0 + 1e-12


@pytest.mark.parametrize("tau", [0.0, 0.3, 1.0])
def test_completion_entries(tau):
    A = low_rank_matrix(10, 10, 2, gen())
    e = completion_entries(A, 70, tau, 2, gen(3))
    assert e.shape == (70,) and len(set(e.tolist())) == 70
    k = math.floor(tau * 70 + 1e-9)
    top = torch.argsort(local_coherence(A, 2).reshape(-1), descending=True, stable=True)[:k]
    assert torch.equal(e[:k], top)
    X = completion_sensing(e, 10, 10)
    assert torch.equal(X @ A.reshape(-1), A.reshape(-1)[e])


def test_completion_entries_tau0_is_fixed_random_order():
    A = low_rank_matrix(10, 10, 2, gen())
    e0 = completion_entries(A, 70, 0.0, 2, gen(3))
    e5 = completion_entries(A, 70, 0.5, 2, gen(3))
    # tau > 0 keeps the random entries in the same order, skipping those already chosen
    assert set(e5[35:].tolist()) <= set(e0.tolist()) | set(torch.randperm(100, generator=gen(3)).tolist())
    with pytest.raises(ValueError):
        completion_entries(A, 101, 0.0, 2, gen())


def test_min_norm_least_squares_interpolates():
    X = gaussian_sensing(30, 100, gen())
    y = X @ sparse_vector(100, 5, gen(1))
    a = least_squares_min_norm(X, y)
    assert float(torch.linalg.vector_norm(X @ a - y)) < RTOL_F64
    assert float(relative_error(a[None], (2 * a)[None])[0]) == pytest.approx(0.5)


def test_first_step_below_and_times():
    steps = [0, 1, 2, 5, 10, 20, 50]
    train = [1, 0.5, 1e-3, 1e-5, 1e-6, 1e-6, 1e-6]
    test = [1, 0.9, 0.9, 0.8, 0.5, 0.05, 0.01]
    assert grokking_times(steps, train, test, 1e-3, 0.1) == (2, 20, 18)
    assert first_step(steps, test, 1e-3, "<=") is None
    assert grokking_times(steps, train, test, 1e-3, 1e-3) == (2, None, None)
    assert first_step([0, 1], [float("nan"), 0.0], 0.5, "<=") == 1


def test_delay_definitions_reject_bad_input():
    with pytest.raises(ValueError):
        first_step([0, 0], [1, 1], 0.5, "<=")
    with pytest.raises(ValueError):
        first_step([0, 1], [1], 0.5, "<=")
    with pytest.raises(ValueError):
        predicted_delay(0.1, 0.0, 1e-3)
    assert predicted_delay(0.2, 0.1, 1e-3) == pytest.approx(2000)


def test_log_grid():
    g = log_grid(10_000, 40)
    assert g[0] == 0 and g[-1] == 10_000 and all(b > a for a, b in zip(g, g[1:]))
    # integer flooring adds at most one step: b <= (a + 1) r
    assert all(b <= (a + 1) * 10 ** (1 / 40) + 1e-9 for a, b in zip(g, g[1:]) if a >= 1)


def test_data_selection_trend_rule_rejects_a_shuffled_order():
    # negative control for data_selection's trend rule: a monotone t2(tau) table passes |pooled tau| >= TREND,
    # the same table with its tau columns in the control's shuffled order fails it
    from grokcheck.claims.beyond_l2._common import kendall_rows
    from grokcheck.claims.beyond_l2.data_selection import SLACK, SHUFFLE_MAX, TREND, shuffle_order
    up = [[100.0, 200.0, 400.0, float("inf")], [50.0, 60.0, 90.0, 300.0], [80.0, 81.0, 200.0, 900.0]]
    assert sum(kendall_rows(up, SLACK)) / 3 >= TREND
    assert kendall_rows([[300.0, 100.0, 50.0]])[0] == -1                      # decreasing: the trend is |tau|
    assert kendall_rows([[100.0, 101.0, 300.0]], SLACK)[0] == pytest.approx(2 / 3)  # 1% apart: a tie
    for i in range(5):
        perm = shuffle_order(4, gen(i))
        assert sorted(perm) == [0, 1, 2, 3] and abs(kendall_rows([perm])[0]) <= SHUFFLE_MAX + 1e-12
        shuffled = [[row[j] for j in perm] for row in up]
        assert abs(sum(kendall_rows(shuffled, SLACK)) / 3) < TREND
    with pytest.raises(ValueError):
        shuffle_order(2, gen())


def test_sparse_instances_shapes_seed_and_measurements():
    from grokcheck.claims.beyond_l2._common import cs_instances, mc_instances
    from grokcheck.context import Context
    X, A, y = cs_instances(Context(seed=4), 3, 20, 2, 8)
    assert X.shape == (3, 8, 20) and A.shape == (3, 20) and y.shape == (3, 8)
    assert ((A != 0).sum(1) == 2).all() and torch.allclose(y[1], X[1] @ A[1])
    assert torch.equal(cs_instances(Context(seed=4), 3, 20, 2, 8)[1], A)  # seeded
    assert torch.equal(cs_instances(Context(seed=4), 2, 20, 2, 8)[1], A[:2])  # instance i: its own stream
    assert not torch.equal(cs_instances(Context(seed=5), 3, 20, 2, 8)[1], A)
    Xm, Am, ym = mc_instances(Context(seed=4), 2, 4, 5, 1, 7)
    assert Xm.shape == (2, 7, 20) and torch.equal(Xm.sum(2), torch.ones(2, 7, dtype=torch.float64))
    assert torch.allclose(ym, torch.einsum("knd,kd->kn", Xm, Am))
