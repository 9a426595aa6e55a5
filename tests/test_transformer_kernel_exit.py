"""Unit tests of the transformer kernel-exit pieces: the generic eNTK tracker and the claim's rules
(each rule is shown to fail on a deliberately wrong trajectory)."""
import torch

from grokcheck.models.transformer import Transformer
from grokcheck.ntk.diagnostics import KernelTrajectory, scale_free_kernel_distance
from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.claims.mohamadi import transformer_kernel_exit as tke
from grokcheck.claims.mohamadi.kernel_exit import EXIT_D


def _tiny():
    return Transformer(7, 4, d=8, heads=2, layers=1, generator=torch.Generator().manual_seed(0))


def test_tracker_matches_direct_entk_and_starts_at_zero():
    model = _tiny()
    x = torch.randint(0, 7, (6, 4), generator=torch.Generator().manual_seed(2))
    tr = KernelTrajectory(x)
    tr(0, model)
    K0 = empirical_ntk(model, x, output=0, forward=lambda m, inp: m.eval()(inp))
    with torch.no_grad():
        model.head.weight.mul_(1.5)
        model.tok.weight.add_(0.3 * torch.randn(model.tok.weight.shape, generator=torch.Generator().manual_seed(1)))
    tr(5, model)
    K1 = empirical_ntk(model, x, output=0, forward=lambda m, inp: m.eval()(inp))
    assert tr.steps == [0, 5] and abs(tr.dist[0]) < 1e-12 and tr.rel_drift[0] == 0.0  # 1 - cos: round-off
    assert abs(tr.dist[1] - scale_free_kernel_distance(K1, K0)) < 1e-12 and tr.dist[1] > 0
    assert tr.K0.dtype == torch.float64 and tr.K0.shape == (6, 6)


def _trajectory(exit_step):
    """Train acc fits at step 100, test at 400; d jumps from 0 to 0.5 at exit_step."""
    steps = [0, 1, 10, 50, 100, 200, 400, 800]
    train = [0.0, 0.1, 0.3, 0.6, 1.0, 1.0, 1.0, 1.0]
    test = [0.0, 0.0, 0.0, 0.0, 0.1, 0.5, 0.96, 1.0]
    dist = [0.0 if s < exit_step else 0.5 for s in steps]
    return tke.kernel_events(steps, train, test, dist, dist)


def _claims(obs):
    return {o.name: o.passed for o in obs if o.role == "claim"}


def test_rules_pass_when_the_kernel_leaves_after_the_fit():
    obs = tke.kernel_observables(_trajectory(200), 800, control_max_d=0.0)
    assert all(_claims(obs).values()), _claims(obs)
    assert all(o.passed for o in obs if o.role == "control")


def test_rules_fail_when_the_kernel_leaves_before_the_fit():
    claims = _claims(tke.kernel_observables(_trajectory(10), 800, control_max_d=0.0))
    assert not claims[f"t_exit / t_fit (d >= {EXIT_D:g})"] and not claims["d(t_fit) / max_t d"]


def test_a_frozen_kernel_does_not_pass_vacuously():
    claims = _claims(tke.kernel_observables(_trajectory(10_000), 800, control_max_d=0.0))
    assert claims[f"t_exit / t_fit (d >= {EXIT_D:g})"] and not claims["max_t d"]


def test_control_rejects_a_moving_kernel():
    obs = tke.kernel_observables(_trajectory(200), 800, control_max_d=2 * EXIT_D)
    assert not all(o.passed for o in obs if o.role == "control")


def test_eval_grid_covers_early_steps_and_the_end():
    g = tke.eval_grid(1000, 10, 20)
    assert list(g) == sorted(set(g)) and set(range(11)) <= set(g) and g[-1] == 1000 and 500 in g
