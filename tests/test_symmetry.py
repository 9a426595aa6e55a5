"""Unit tests of theory/symmetry.py: the group actions, and negative controls showing that a
wrong weight permutation or a symmetry-breaking input offset fails the equivariance check."""
import dataclasses

import numpy as np
import torch

from grokcheck.context import Context
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.theory.symmetry import (act_on_points, act_on_quadratic_weights, inverse_perms, kernel_invariance_error,
                             permuted_targets, random_perms, random_perms_torch)
from grokcheck.theory.tasks import binary_table, regression_triples
from grokcheck.claims.mohamadi import equivariance as claim

RTOL = claim.RTOL_F64


def _net_and_perms(p=5, h=9, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return QuadraticNet(p, h, generator=gen, dtype=torch.float64), random_perms_torch(p, 3, gen)


def _acted(net, perms):
    """A copy of the width-9, p = 5 net with weights moved by the group action of `perms`."""
    w, v = act_on_quadratic_weights(net.W, net.V, perms)
    net_t = QuadraticNet(5, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        net_t.W.copy_(w)
        net_t.V.copy_(v)
    return net_t


def test_weight_action_transports_outputs():
    net, perms = _net_and_perms()
    net_t = _acted(net, perms)
    t, _ = regression_triples(5)
    assert torch.allclose(net_t.regression_output(act_on_points(t, perms)), net.regression_output(t), rtol=RTOL, atol=0)
    pairs, _ = binary_table(5)
    f = net.logits(pairs[:, 0], pairs[:, 1])
    ft = net_t.logits(*act_on_points(pairs, perms).unbind(1))
    assert torch.allclose(ft[:, perms[2]], f, rtol=RTOL, atol=0)


def test_paper_index_convention_is_the_inverse_action():
    """W'_{i,j} = W_{i,sigma1(j)} (paper) equals our action with sigma replaced by its inverse."""
    net, perms = _net_and_perms(seed=1)
    p = 5
    w, _ = act_on_quadratic_weights(net.W, net.V, inverse_perms(perms))
    assert torch.equal(w[:, :p], net.W[:, perms[0]])
    assert torch.equal(w[:, p:], net.W[:, p + perms[1]])


def test_wrong_weight_permutation_fails():
    """Negative control: V's rows moved by a different sigma3 breaks g(theta'; Tx) = g(theta; x)."""
    net, perms = _net_and_perms(seed=2)
    bad = perms.clone()
    bad[2] = torch.roll(perms[2], 1)
    net_t = _acted(net, bad)
    t, _ = regression_triples(5)
    err = (net_t.regression_output(act_on_points(t, perms)) - net.regression_output(t)).abs().max()
    assert err > claim.CONTROL_MIN


def test_trajectory_controls_fail_and_theorem_holds():
    cfg = dataclasses.replace(claim.SCALES["ci"], p=5, width=10, steps=20, n_evals=3)
    ctx = Context(seed=0)
    assert max(claim.trajectory_error("classification", "adamw", cfg, ctx, 0)["error"]) <= RTOL
    assert min(claim.trajectory_error("regression", "gd", cfg, ctx, 1, control="bias")["error"]) > claim.CONTROL_MIN
    assert min(claim.trajectory_error("regression", "ngd", cfg, ctx, 2, control="weights")["error"]) > claim.CONTROL_MIN


def test_horizon_rule_rejects_wrong_permutation():
    """Negative control for the round-off-twin horizon: a wrong action fails on the checkable steps."""
    cfg = dataclasses.replace(claim.SCALES["ci"], p=5, width=10, steps=20, n_evals=3)
    r = claim.trajectory_error("regression", "ngd", cfg, Context(seed=1), 0, control="weights")
    assert claim.horizon(r) >= 1 and claim.within_horizon(r) > claim.RTOL_F64
    r_ok = claim.trajectory_error("regression", "ngd", cfg, Context(seed=1), 0)
    assert claim.within_horizon(r_ok) <= claim.RTOL_F64


SMALL = dict(p=5, width=10, steps=20, n_evals=3)


def test_one_step_rule_holds_and_rejects_wrong_actions():
    """The one-step instrument: every logged step within RTOL for the theorem; the wrong-V-permutation
    and input-offset controls exceed the control floor at every logged step under the same rule."""
    cfg = dataclasses.replace(claim.SCALES["ci"], **SMALL)
    ok = claim.trajectory_error("classification", "adamw", cfg, Context(seed=0), 0, twin=False)
    assert len(ok["one_step"]) == 3 and max(ok["one_step"]) <= RTOL
    for control in ("weights", "bias"):
        r = claim.trajectory_error("regression", "adamw", cfg, Context(seed=0), 1, control=control, twin=False)
        assert min(r["one_step"]) > claim.CONTROL_MIN, (control, r["one_step"])


def test_one_step_rule_rejects_a_symmetry_breaking_update(monkeypatch):
    """A gd update that also adds a fixed non-uniform vector to V (the same vector on both sides, so
    the group does not move it) does not commute with T: the one-step rule must fail."""
    from grokcheck.models import train as train_module
    plain = train_module._manual_step

    def broken(params, grads, lr, config):
        plain(params, grads, lr, config)
        with torch.no_grad():
            v = params[1]
            v.add_(1e-3 * torch.arange(v.numel(), dtype=v.dtype).reshape(v.shape))

    monkeypatch.setattr(train_module, "_manual_step", broken)
    cfg = dataclasses.replace(claim.SCALES["ci"], **SMALL)
    r = claim.trajectory_error("regression", "gd", cfg, Context(seed=0), 0, twin=False)
    assert max(r["one_step"]) > RTOL, r["one_step"]


def test_one_step_rule_needs_the_moments_moved(monkeypatch):
    """AdamW's moments must move with the weights: with T acting on W and V but leaving exp_avg and
    exp_avg_sq in place, the one-step rule fails once the moments are non-zero (after step 0)."""
    monkeypatch.setattr(claim, "act_on_optimizer_state", lambda state, perms: state)
    cfg = dataclasses.replace(claim.SCALES["ci"], **SMALL)
    r = claim.trajectory_error("regression", "adamw", cfg, Context(seed=0), 0, twin=False)
    assert r["one_step"][0] <= RTOL and max(r["one_step"][1:]) > RTOL, r["one_step"]


def test_one_step_gate_reads_only_steps_whose_twin_agrees():
    run = {"one_step": [1e-16, 1e-2, 1e-16, 1.0], "one_step_twin": [1e-16, 2e-2, 1e-16, 1e-16]}
    assert claim.one_step_checked(run) == 1.0 and claim.one_step_fraction(run) == 0.75
    assert claim.one_step_checked({"one_step": [1e-3], "one_step_twin": []}) == 1e-3  # no twins: every step
    assert claim.one_step_checked({"one_step": [1e-16], "one_step_twin": [1.0]}) == float("inf")  # none checkable


def test_one_step_gate_does_not_hide_a_wrong_action():
    """With the round-off twins on, a wrong V permutation still fails the gated one-step rule."""
    cfg = dataclasses.replace(claim.SCALES["ci"], **SMALL)
    r = claim.trajectory_error("classification", "ngd", cfg, Context(seed=0), 2, control="weights")
    assert claim.one_step_fraction(r) == 1.0 and claim.one_step_checked(r) > claim.CONTROL_MIN


def test_horizon_stops_at_first_twin_departure():
    run = {"twin": [0.0, 1e-16, 1e-3, 1e-17], "error": [0.0, 1e-16, 1.0, 1.0]}
    assert claim.horizon(run) == 2 and claim.within_horizon(run) == 1e-16


def test_permuted_targets_identity_and_count():
    p = 7
    t = regression_triples(p)[0].numpy()
    rng = np.random.default_rng(0)
    perms = np.stack([np.tile(np.arange(p), (3, 1)), random_perms(p, 3, rng)])  # (2, 3, p)
    psi = permuted_targets(t, p, perms)
    assert np.array_equal(psi[:, 0], ((t[:, 0] + t[:, 1]) % p == t[:, 2]).astype(float))
    assert psi.sum(0).tolist() == [p ** 2, p ** 2]


def test_kernel_invariance_error_detects_non_equivariant_kernel():
    pts = regression_triples(5)[0][::7]
    perms = random_perms_torch(5, 3, torch.Generator().manual_seed(0))
    hamming = lambda a, b: (a[:, None, :] == b[None, :, :]).sum(-1).double()
    position = lambda a, b: (a.double() @ b.double().T)  # uses the raw labels: not invariant
    assert kernel_invariance_error(hamming, pts, perms) <= RTOL
    assert kernel_invariance_error(position, pts, perms) > claim.CONTROL_MIN


def test_weight_action_moves_the_rows_of_a_square_v():
    """Width h = p makes V square, so acting on V's columns instead of its rows gives no shape error;
    the action must still be V'[sigma3(j)] = V[j] and transport the outputs (a past bug: the wrong-axis
    mutant was caught only by a shape error)."""
    p = 5
    gen = torch.Generator().manual_seed(3)
    net = QuadraticNet(p, p, generator=gen, dtype=torch.float64)
    perms = random_perms_torch(p, 3, gen)
    w, v = act_on_quadratic_weights(net.W, net.V, perms)
    assert torch.equal(v[perms[2]], net.V)
    assert torch.equal(w[:, perms[0]], net.W[:, :p]) and torch.equal(w[:, p + perms[1]], net.W[:, p:])
    net_t = QuadraticNet(p, p, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        net_t.W.copy_(w)
        net_t.V.copy_(v)
    t, _ = regression_triples(p)
    torch.testing.assert_close(net_t.regression_output(act_on_points(t, perms)), net.regression_output(t),
                               rtol=RTOL, atol=0)
