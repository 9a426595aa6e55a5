"""Unit tests of the transformer kernel-exit pieces: the generic eNTK tracker on a transformer, and the
claim's functional probe (the linearization gap is 0 for the linearized transformer and > 0 for the net)."""
import torch

from grokcheck.claims.mohamadi import _kernel_regime as kr
from grokcheck.models.transformer import Transformer
from grokcheck.ntk.diagnostics import KernelTrajectory, Linearized, linearized_outputs, scale_free_kernel_distance
from grokcheck.ntk.empirical import empirical_ntk


def _tiny():
    return Transformer(7, 4, d=8, heads=2, layers=1, generator=torch.Generator().manual_seed(0))


def _perturb(model):
    with torch.no_grad():
        model.head.weight.mul_(1.5)
        model.tok.weight.add_(0.3 * torch.randn(model.tok.weight.shape, generator=torch.Generator().manual_seed(1)))


def test_tracker_matches_direct_entk_and_starts_at_zero():
    model = _tiny()
    x = torch.randint(0, 7, (6, 4), generator=torch.Generator().manual_seed(2))
    in_train = torch.tensor([True, False] * 3)
    tr = KernelTrajectory(x, in_train=in_train)
    tr(0, model)
    K0 = empirical_ntk(model, x, output=0, forward=lambda m, inp: m.eval()(inp))
    _perturb(model)
    tr(5, model)
    K1 = empirical_ntk(model, x, output=0, forward=lambda m, inp: m.eval()(inp))
    assert tr.steps == [0, 5] and abs(tr.dist[0]) < 1e-12 and tr.rel_drift[0] == 0.0  # 1 - cos: round-off
    assert abs(tr.dist[1] - scale_free_kernel_distance(K1, K0)) < 1e-12 and tr.dist[1] > 0
    assert abs(tr.rows["dist_cross"][1] - scale_free_kernel_distance(K1[in_train][:, ~in_train],
                                                                      K0[in_train][:, ~in_train])) < 1e-12
    assert tr.K0.dtype == torch.float64 and tr.K0.shape == (6, 6)


def test_linearization_gap_zero_for_linearized_transformer_and_positive_for_the_net():
    x = torch.randint(0, 7, (10, 4), generator=torch.Generator().manual_seed(3))
    net = _tiny().double().eval()
    theta0 = {k: v.detach().clone() for k, v in net.named_parameters()}
    f0 = net(x).detach()
    lin = Linearized(net).eval()
    lin_theta0 = {k: v.detach().clone() for k, v in lin.named_parameters()}
    _perturb(net)
    with torch.no_grad():
        for t in lin.theta:
            t.add_(0.2 * torch.randn(t.shape, generator=torch.Generator().manual_seed(4), dtype=t.dtype))
    f = net(x).detach()
    gap = kr.linearization_gap(f, linearized_outputs(net, theta0, dict(net.named_parameters()), x), f0)
    fl = lin(x).detach()
    lin_gap = kr.linearization_gap(fl, linearized_outputs(lin, lin_theta0, dict(lin.named_parameters()), x),
                                   lin(x).detach() * 0 + f0)
    assert gap > 1e-3 and lin_gap < 1e-10


def test_lazy_scaled_transformer_stays_where_the_same_run_unscaled_moves():
    """The trained lazy control of transformer-kernel-exit: the same transformer in the lazy scaling a (f - f_0)
    trained by GD at lr / a^2 (a = 1000) moves theta ~1 / a as far as the unscaled run, so its kernel distance
    (second order) and linearization gap (first order) are orders of magnitude below the unscaled run's, and the
    one regime rule calls it "stays"; the unscaled run, fed to the same rule, has a gap above 10 / a."""
    from grokcheck.claims.mohamadi import transformer_kernel_exit as tke
    from grokcheck.context import Context
    ctx = Context(seed=0)
    kw = dict(p=7, d=8, heads=2, layers=1, optimizer="gd", lr=1.0, weight_decay=0.0, linf=0.0, batch_size=None,
              warmup=0, steps=30, subset=12, grid=(0, 1, 2, 5, 10, 20, 30))
    lazy, band = tke.tracked_run(ctx, lazy_scale=1000.0, **kw)
    plain, _ = tke.tracked_run(ctx, **kw)
    assert lazy["lazy_lr"] == 1.0 / 1000.0 ** 2 and plain["steps"] == lazy["steps"]
    assert 0 < max(lazy["disp"]) < 1e-2 * max(plain["disp"])
    assert max(lazy["dist"]) < 1e-4 * max(plain["dist"]) and max(lazy["lin_gap"]) < 10 / 1000.0 < max(plain["lin_gap"])
    assert kr.events(lazy, band["d_exit"])["regime"] == "stays"
    assert plain["kernel_norm"][0] == lazy["kernel_norm"][0]  # the same init 0: the same K_0
