"""Tracked quadratic-net runs of `kernel-exit`: one batched training pass over a group of runs
(alphas x seeds of one optimizer, `models.fused.train_quadratic`) with, at every eval step and for
every run, the eNTK distances on a fixed subset (`ntk.diagnostics.KernelTrajectory`, closed form),
the linearization gap, the after-kernel accuracy and the relative displacement
||theta_t - theta_0|| / ||theta_0|| (Mohamadi+24 Sec. 5). Also the two lazy references: the
linearized net (`linearized_run`, K_t = K_0 by construction) and the same quadratic net trained in
the Chizat-Bach lazy scaling (`lazy_run`, `CenteredScaled`).

Draws: split `ctx.rng("split", i)` and init `ctx.rng("init", i)` for seed index i (shared by the
runs of seed i at every alpha: the alpha sweep is paired within a seed; alpha only rescales the
init), kernel subset `ctx.rng("subset")` (one per p, shared by all seeds: the calibration's). Everything lives on ctx.device; kernels in float64.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from grokcheck.claims.mohamadi._kernel_regime import K_INIT, calibrate, kernel_subset, linearization_gap
from grokcheck.models.batched import load_run
from grokcheck.models.fused import train_quadratic
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig, train
from grokcheck.ntk.diagnostics import KernelTrajectory, Linearized, after_kernel_accuracy, linearized_outputs
from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.theory.tasks import binary_table, one_hot_pairs
from grokcheck.theory.tasks import train_mask as tasks_train_mask

RIDGE = 1e-6  # relative ridge of the after-kernel regression (ntk.regression convention)


def train_mask(ctx, p: int, n: int, index: int = 0) -> torch.Tensor:
    """(p^2,) bool: n training pairs drawn from stream ("split", index) (index = the seed index)."""
    return tasks_train_mask(p * p, n, ctx.rng("split", index))


def make_net(ctx, p: int, width: int, init: int, alpha: float) -> QuadraticNet:
    return QuadraticNet(p, width, init_scale=alpha, generator=ctx.rng("init", init), dtype=torch.float64,
                        device=ctx.device)


def calibration(ctx, p: int, width: int, sub: torch.Tensor) -> dict:
    """Init-to-init band of the first-logit eNTK on the subset pairs sub (S, 2) (K_INIT inits)."""
    kernels = [empirical_ntk(make_net(ctx, p, width, i, 1.0), sub, method="closed_form", output=0)
               for i in range(K_INIT)]  # each (S, S); d is scale-free, so alpha does not enter
    return calibrate(kernels)


class _Probe:
    """Per-run diagnostics at one eval step: kernel blocks, linearization gap, after-kernel accuracy and
    the displacement ||theta_t - theta_0|| / ||theta_0|| ("disp"; at step 1 it is the first step's length
    over ||theta_0||: lr / ||theta_0|| for NGD)."""

    def __init__(self, net, pairs, labels, mask, sub, x_onehot, after_kernel: bool):
        self.theta0 = {k: v.detach().clone() for k, v in net.named_parameters()}
        in_train = mask.to(sub.device)[sub]  # (S,) bool, on the kernel's device
        self.tracker = KernelTrajectory(pairs[sub], method="closed_form", in_train=in_train)
        self.pairs, self.labels, self.mask, self.x = pairs, labels, mask.to(pairs.device), x_onehot
        with torch.no_grad():
            self.f0 = net(x_onehot)  # (p^2, p)
        self.after_kernel = after_kernel
        self.norm0 = math.sqrt(sum(float(v.double().pow(2).sum()) for v in self.theta0.values()))
        self.rows = {"lin_gap": [], "after_acc": [], "disp": []}

    def __call__(self, step, model, tracker=None):
        (tracker or self.tracker)(step, model)
        params = dict(model.named_parameters())
        with torch.no_grad():
            f = model(self.x)  # (p^2, p)
        lin = linearized_outputs(model, self.theta0, params, self.x)  # (p^2, p)
        self.rows["lin_gap"].append(linearization_gap(f, lin, self.f0))
        moved = sum(float((params[k].detach() - v).double().pow(2).sum()) for k, v in self.theta0.items())
        self.rows["disp"].append(math.sqrt(moved) / self.norm0)
        acc = float("nan")
        if self.after_kernel:
            K = empirical_ntk(model, self.pairs, method="closed_form", output="trace_mean")  # (p^2, p^2)
            tr, te = self.mask, ~self.mask
            acc = after_kernel_accuracy(K[tr][:, tr], self.labels[tr], K[te][:, tr], self.labels[te], model.p,
                                        ridge=RIDGE)
        self.rows["after_acc"].append(acc)

    def series(self, hist) -> dict:
        s = {"steps": list(hist.steps), "train_acc": hist.metrics["train_acc"], "test_acc": hist.metrics["test_acc"],
             "l2": hist.metrics["l2"], **self.tracker.rows, **self.rows}
        n = len(s["steps"])
        return {k: (list(v[:n]) if isinstance(v, list) else v) for k, v in s.items()}


def tracked_group(ctx, *, p: int, width: int, n: int, runs: list, steps: int, optimizer: str, lr: float,
                  weight_decay: float, penalty_weight: float, eval_steps: tuple, subset: int,
                  after_kernel: bool = True, fused: bool = False) -> list[dict]:
    """Train the runs [(alpha, init index), ...] in one batched pass; returns one series dict per run
    (steps, train_acc, test_acc, l2, dist, dist_train, dist_test, dist_cross, raw_drift, lin_gap,
    after_acc, disp). after_kernel: measure the after-kernel accuracy (a (p^2, p^2) eNTK per eval step, the
    costliest probe; an observation, no rule reads it) for the runs of seed index 0, NaN for the others.
    Memoized as one sub-run."""
    spec = {"p": p, "width": width, "n": n, "runs": [list(r) for r in runs], "steps": steps, "optimizer": optimizer,
            "lr": lr, "weight_decay": weight_decay, "penalty_weight": penalty_weight, "eval_steps": list(eval_steps),
            "subset": subset, "after_kernel": after_kernel}
    if fused:  # the analytic-gradient engine (models.fused); absent from the spec for the reference
        spec["fused"] = True

    def compute():
        pairs, labels = binary_table(p)  # (p^2, 2), (p^2,)
        pairs, labels = pairs.to(ctx.device), labels.to(ctx.device)
        ctx.note_device(pairs)
        masks = [train_mask(ctx, p, n, i) for _, i in runs]  # run r's split: its seed's
        sub = kernel_subset(ctx.rng("subset"), p * p, subset).to(ctx.device)  # (S,)
        x = one_hot_pairs(pairs.cpu(), p, dtype=torch.float64).to(ctx.device)  # (p^2, 2p)
        nets = [make_net(ctx, p, width, i, a) for a, i in runs]
        probes = [_Probe(net, pairs, labels, mask, sub, x, after_kernel and i == 0)
                  for net, mask, (_, i) in zip(nets, masks, runs)]
        shadow = [make_net(ctx, p, width, i, a) for a, i in runs]  # run r's parameters loaded at each eval

        def callback(step, params, metrics):
            params = {k.removeprefix("model."): v for k, v in params.items()}  # train_batched's wrapper names
            for r, probe in enumerate(probes):
                probe(step, load_run(shadow[r], params, r))

        cfg = TrainConfig(steps=steps, lr=lr, optimizer=optimizer, weight_decay=weight_decay,
                          penalty="linf" if penalty_weight else None, penalty_weight=penalty_weight,
                          dtype="float64", eval_steps=eval_steps)
        masks = torch.stack(masks).to(ctx.device)  # (R, p^2)
        hists, _ = train_quadratic(nets, Data(pairs, labels), masks, cfg, fused=fused, callbacks=[callback])
        return [probe.series(h) for probe, h in zip(probes, hists)]

    return ctx.memo("tracked-group", spec, compute)


def linearized_run(ctx, *, p: int, width: int, n: int, steps: int, optimizer: str, lr: float,
                   weight_decay: float, penalty_weight: float, eval_steps: tuple, subset: int) -> dict:
    """The lazy control: the linearized net f_0 + J_0 (theta - theta_0) of init 0 (alpha 1) trained as
    such (`ntk.diagnostics.Linearized`), tracked by the same probe (its kernel through torch.func)."""
    spec = {"p": p, "width": width, "n": n, "steps": steps, "optimizer": optimizer, "lr": lr,
            "weight_decay": weight_decay, "penalty_weight": penalty_weight, "eval_steps": list(eval_steps),
            "subset": subset}

    def compute():
        pairs, labels = binary_table(p)
        labels = labels.to(ctx.device)
        mask = train_mask(ctx, p, n)
        sub = kernel_subset(ctx.rng("subset"), p * p, subset)
        x = one_hot_pairs(pairs, p, dtype=torch.float64).to(ctx.device)  # (p^2, 2p)
        lin = Linearized(make_net(ctx, p, width, 0, 1.0)).to(ctx.device)
        probe = _Probe(lin, pairs.to(ctx.device), labels, mask, sub.to(ctx.device), x, after_kernel=False)
        tracker = KernelTrajectory(x[sub.to(ctx.device)], method="jacobian", in_train=mask[sub].to(ctx.device),
                                   forward=lambda m, inp: m(inp))
        probe.tracker = tracker
        cfg = TrainConfig(steps=steps, lr=lr, optimizer=optimizer, weight_decay=weight_decay,
                          penalty="linf" if penalty_weight else None, penalty_weight=penalty_weight,
                          dtype="float64", eval_steps=eval_steps)
        m = mask.to(ctx.device)
        hist = train(lin, Data(x[m], labels[m]), Data(x[~m], labels[~m]), cfg,
                     callbacks=[lambda step, model, metrics: probe(step, model)])
        return probe.series(hist)

    return ctx.memo("linearized", spec, compute)


class CenteredScaled(nn.Module):
    """Chizat-Bach's lazy scaling of a network: f_alpha(theta; x) = alpha (f(theta; x) - f(theta_0; x)).

    `net` (its parameters are this module's and are trained); theta_0 is a frozen copy of them taken
    here (not a submodule, so it is neither trained nor counted). f_alpha(theta_0) = 0 (centred), its
    Jacobian is alpha J and its eNTK alpha^2 K(theta) with K the eNTK of `net`: the scale-free distance
    1 - cos(K_t, K_0), the raw drift ||K_t - K_0|| / ||K_0|| and the linearization gap are the same
    whether read on f_alpha or on `net` (alpha^2 cancels; f_alpha - f_alpha,lin = alpha (f - f_lin)),
    so the probe reads them on `net` with the closed-form kernel on the claim's own subset."""

    def __init__(self, net: nn.Module, alpha: float):
        super().__init__()
        if not (alpha > 0 and math.isfinite(alpha)):
            raise ValueError(f"alpha must be a positive finite number, got {alpha}")
        self.net, self.alpha = net, float(alpha)
        object.__setattr__(self, "net0", copy.deepcopy(net).requires_grad_(False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            f0 = self.net0(x)
        return self.alpha * (self.net(x) - f0)


def lazy_alpha(factor: float, steps: int, lr: float, norm0: float) -> float:
    """The lazy control's output scale: alpha = factor * max(1, steps * lr / ||theta_0||). With NGD at lr / alpha
    every step has length lr / alpha, so ||theta_T - theta_0|| <= steps * lr / alpha <= ||theta_0|| / factor over
    the whole budget, whatever the gradients do (`kernel_exit` docstring)."""
    return factor * max(1.0, steps * lr / norm0)


def init_norm(ctx, p: int, width: int, init: int = 0) -> float:
    """||theta_0|| of init `init` at the paper's init scale (alpha = 1); alpha scales it linearly."""
    net = make_net(ctx, p, width, init, 1.0)
    return math.sqrt(sum(float(v.detach().double().pow(2).sum()) for v in net.parameters()))


def rich_alpha(factor: float, lr: float, norm1: float) -> float:
    """The rich control's init scale: alpha = lr / (factor * ||theta_0(alpha = 1)||), so the first normalized-GD
    step (length lr exactly) is `factor` times the init's norm alpha * ||theta_0(1)|| (`kernel_exit` docstring:
    Chizat-Bach's rich regime of a homogeneous net is the small init)."""
    if not (factor > 0 and lr > 0 and norm1 > 0):
        raise ValueError(f"factor, lr and norm1 must be positive, got {factor}, {lr}, {norm1}")
    return lr / (factor * norm1)


def lazy_run(ctx, *, p: int, width: int, n: int, steps: int, lr: float, penalty_weight: float,
             eval_steps: tuple, subset: int, factor: float) -> dict:
    """The trained lazy control: init 0 (alpha 1) of the quadratic net in the lazy scaling `CenteredScaled`
    with alpha = `lazy_alpha(factor, steps, lr, ||theta_0||)`, trained by normalized GD at lr / alpha on
    split 0, tracked by the paper runs' probe (closed-form kernel on the same subset, after-kernel
    accuracy on). Returns the series plus {"lazy_alpha", "lazy_lr"}."""
    spec = {"p": p, "width": width, "n": n, "steps": steps, "lr": lr, "penalty_weight": penalty_weight,
            "eval_steps": list(eval_steps), "subset": subset, "factor": factor}

    def compute():
        pairs, labels = binary_table(p)
        pairs, labels = pairs.to(ctx.device), labels.to(ctx.device)
        mask = train_mask(ctx, p, n).to(ctx.device)
        sub = kernel_subset(ctx.rng("subset"), p * p, subset).to(ctx.device)
        x = one_hot_pairs(pairs.cpu(), p, dtype=torch.float64).to(ctx.device)  # (p^2, 2p)
        net = make_net(ctx, p, width, 0, 1.0)
        probe = _Probe(net, pairs, labels, mask, sub, x, after_kernel=True)
        alpha = lazy_alpha(factor, steps, lr, probe.norm0)
        model = CenteredScaled(net, alpha)
        cfg = TrainConfig(steps=steps, lr=lr / alpha, optimizer="ngd", penalty="linf" if penalty_weight else None,
                          penalty_weight=penalty_weight, dtype="float64", eval_steps=eval_steps)
        hist = train(model, Data(x[mask], labels[mask]), Data(x[~mask], labels[~mask]), cfg,
                     callbacks=[lambda step, m, metrics: probe(step, m.net)])
        return {**probe.series(hist), "lazy_alpha": alpha, "lazy_lr": lr / alpha}

    return ctx.memo("lazy-trained", spec, compute)
