"""theory/delay.py: the one event-step rule (`first_step`) and the one evaluation grid (`eval_grid`)."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from grokcheck.theory.delay import eval_grid, fine_grid, first_step


@pytest.mark.parametrize("comparison,threshold,expected", [
    (">=", 0.5, 20), (">", 0.5, 30), ("<=", 0.2, 0), ("<", 0.2, None), (">=", 2.0, None)])
def test_first_step_comparisons(comparison, threshold, expected):
    steps = [0, 10, 20, 30]
    values = [0.2, 0.4, 0.5, 0.9]  # the crossing at 0.5 is exactly on the threshold
    assert first_step(steps, values, threshold, comparison) == expected


def test_first_step_skips_nan_and_none():
    assert first_step([0, 1, 2], [math.nan, None, 1.0], 0.5) == 2
    assert first_step([0, 1], [math.nan, math.nan], 0.5, "<=") is None


@pytest.mark.parametrize("bad", [
    lambda: first_step([0, 1], [1.0], 0.5), lambda: first_step([1, 1], [1.0, 1.0], 0.5),
    lambda: first_step([0, 1], [1.0, 1.0], 0.5, "=>"), lambda: eval_grid(0), lambda: eval_grid(10, n_uniform=-1),
    lambda: eval_grid(10.0), lambda: eval_grid(10, per_decade=True)])
def test_bad_input_raises_value_error(bad):
    with pytest.raises(ValueError):
        bad()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(steps=st.integers(1, 50_000), n_uniform=st.integers(0, 50), per_decade=st.integers(0, 40),
       dense_until=st.integers(0, 30))
def test_eval_grid_contains_every_part(steps, n_uniform, per_decade, dense_until):
    g = eval_grid(steps, n_uniform=n_uniform, per_decade=per_decade, dense_until=dense_until)
    assert g[0] == 0 and g[-1] == steps and all(b > a for a, b in zip(g, g[1:]))
    assert set(range(min(dense_until, steps) + 1)) <= set(g)
    if n_uniform:
        assert {round(i * steps / n_uniform) for i in range(n_uniform + 1)} <= set(g)
    if per_decade and steps > 10:
        # consecutive points after step 1 differ by at most a factor 10^(1/per_decade) (+1 for flooring)
        assert all(b <= (a + 1) * 10 ** (1 / per_decade) + 1e-9 for a, b in zip(g, g[1:]) if a >= 1)


def test_fine_grid_is_the_union_preset():
    assert fine_grid(1000, 10, 5) == eval_grid(1000, n_uniform=10, per_decade=5)
