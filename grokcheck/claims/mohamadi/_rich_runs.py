"""Shared training runs of the rich-regime mechanism claims (fourier-features, max-margin, linf-role,
kernel-rich-phase): R batched quadratic-net runs on the p^2 addition pairs, with the parameters
kept at init, at t_fit (first eval step with train accuracy 1) and at the end, and the normalized
l_inf margin q_min(train) / ||theta||_inf^3 recorded at every eval step.

One call = one `ctx.memo` sub-run (its spec holds every field that determines the value), so a
claim that reuses another's setting recomputes nothing once the sub-run cache is on. Draws: split
`ctx.rng("split", run)`, init `ctx.rng("init", run)`, shuffled labels `ctx.rng("control", run)`.
"""
from __future__ import annotations

import torch

from grokcheck.models.batched import load_run, quadratic_pairs_forward
from grokcheck.models.fused import train_quadratic
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.delay import eval_grid
from grokcheck.theory.margins import margins
from grokcheck.theory.tasks import binary_table, train_mask


def fraction_for(p: int) -> float:
    """n / p^2 with n = 2 p^(5/3) (the paper's classification budget, Sec. 5), capped at 0.9."""
    return min(0.9, 2 * p ** (5 / 3) / p ** 2)


def train_size(p: int, fraction: float) -> int:
    """Training pairs of a run at `fraction`: round(fraction p^2), at least 1."""
    return max(1, round(fraction * p * p))


def split_mask(ctx, p: int, fraction: float, run: int) -> torch.Tensor:
    """Training mask (p^2,) bool of run `run`: `train_size(p, fraction)` pairs from stream ("split", run)."""
    return train_mask(p * p, train_size(p, fraction), ctx.rng("split", run))


def make_net(ctx, p: int, width: int, run: int, init_scale: float = 1.0, antisymmetric: bool = False) -> QuadraticNet:
    """QuadraticNet from stream ("init", run) on ctx.device. antisymmetric: the second half of the
    neurons copies the first half's W rows with V columns negated, so f_theta0 = 0 up to round-off (the
    doubling trick; width must be even)."""
    net = QuadraticNet(p, width, init_scale=init_scale, generator=ctx.rng("init", run))
    if antisymmetric:
        if width % 2:
            raise ValueError(f"an antisymmetric init needs an even width, got {width}")
        with torch.no_grad():
            half = width // 2
            net.W[half:] = net.W[:half]
            net.V[:, half:] = -net.V[:, :half]
    return net.to(ctx.device)


def _stack(params: dict) -> dict:
    return {k: v.detach().clone().cpu() for k, v in params.items()}


def train_runs(ctx, *, p: int, width: int, fraction: float, steps: int, runs: list, optimizer: str = "adamw",
               lr: float = 1e-2, weight_decay: float = 1.0, penalty: str | None = None, penalty_weight: float = 0.0,
               loss: str = "ce", init_scale: float = 1.0, antisymmetric: bool = False, lrs=None,
               shuffle: bool = False, dtype: str = "float32", n_eval: int = 40, track_margin: bool = True,
               tag: str = "runs", fused: bool = False, penalty_weights=None, row_chunk_rows: int | None = None) -> dict:
    """Train the runs `runs` (list of run indices) in one batched pass; memoized as one sub-run.

    Returns a dict of plain values: histories (list of History.to_dict), masks (R, p^2) bool,
    labels (p^2,), W0 / V0 / Wfit / Vfit / W / V stacked (R, h, 2p) / (R, p, h) on the CPU (Wfit is
    the final W for a run that never fits), t_fit (list, None if never), margin (R, T) normalized
    l_inf margin on each run's training set at the eval steps (NaN unless track_margin).
    penalty_weights: per-run weights (len(runs),) of `penalty` (a lambda sweep in one pass; the fused
    engine), instead of the common penalty_weight.
    row_chunk_rows: training rows per run of one gradient chunk of the fused engine (`models.fused._Rows`:
    a run leaves the chunks past its own n, so a grid of fractions should cut at its smallest n).
    """
    listed = lambda v: list(v) if isinstance(v, (list, tuple)) else v  # noqa: E731  (JSON-able spec)
    spec = {"p": p, "width": width, "fraction": listed(fraction), "steps": steps, "runs": list(runs),
            "optimizer": optimizer, "lr": lr, "weight_decay": weight_decay, "penalty": penalty,
            "penalty_weight": penalty_weight, "loss": loss, "init_scale": listed(init_scale),
            "antisymmetric": antisymmetric,
            "lrs": None if lrs is None else [float(v) for v in lrs],
            "shuffle": shuffle, "dtype": dtype, "n_eval": n_eval, "track_margin": track_margin}
    if fused:  # the analytic-gradient engine (models.fused); absent from the spec for the reference
        spec["fused"] = True
    if penalty_weights is not None:  # absent from the spec when unused (earlier sub-runs keep their keys)
        spec["penalty_weights"] = [float(w) for w in penalty_weights]
    if row_chunk_rows is not None:  # likewise
        spec["row_chunk_rows"] = int(row_chunk_rows)
    return ctx.memo(tag, spec, lambda: _train(ctx, **spec))


def _train(ctx, *, p, width, fraction, steps, runs, optimizer, lr, weight_decay, penalty, penalty_weight, loss,
           init_scale, antisymmetric, lrs, shuffle, dtype, n_eval, track_margin, fused=False,
           penalty_weights=None, row_chunk_rows=None) -> dict:
    x, y = binary_table(p)
    if shuffle:
        y = y[torch.randperm(len(y), generator=ctx.rng("control", runs[0]))]
    fractions = fraction if isinstance(fraction, (list, tuple)) else [fraction] * len(runs)
    masks = torch.stack([split_mask(ctx, p, f, r) for f, r in zip(fractions, runs)])  # (R, p^2)
    models = [make_net(ctx, p, width, r, init_scale, antisymmetric) for r in runs]
    cfg = TrainConfig(steps=steps, lr=lr, optimizer=optimizer, weight_decay=weight_decay, penalty=penalty,
                      penalty_weight=penalty_weight, loss=loss, dtype=dtype,
                      eval_steps=eval_grid(steps, n_uniform=n_eval, per_decade=n_eval // 2))
    ctx.note_device(models[0])
    R = len(runs)
    xd, yd, md = x.to(ctx.device), y.to(ctx.device), masks.to(ctx.device)
    fit_params = [None] * R
    margin_rows = []

    @torch.no_grad()
    def snapshot(step, params, metrics):
        params = {k.split(".")[-1]: v for k, v in params.items()}
        if track_margin:
            logits = quadratic_pairs_forward(params, xd.expand(R, *xd.shape)).double()  # (R, N, p)
        row = []
        for r in range(R):
            if track_margin:
                q = margins(logits[r][md[r]], yd[md[r]])
                linf = max(float(v[r].abs().max()) for v in params.values())
                row.append(float(q.min()) / linf ** 3)
            else:
                row.append(float("nan"))
            if fit_params[r] is None and metrics[r]["train_acc"] >= 1.0:
                fit_params[r] = (step, {k: v[r].detach().clone().cpu() for k, v in params.items()})
        margin_rows.append(row)

    extra = {k: v for k, v in (("penalty_weights", penalty_weights), ("row_chunk_rows", row_chunk_rows)) if v is not None}
    hist, final = train_quadratic(models, Data(x, y), masks, cfg, fused=fused, lrs=lrs, callbacks=[snapshot], **extra,
                                log=lambda m: ctx.log(f"[p={p} {optimizer}, {R} runs] {m}"))
    final = _stack(final)
    W0 = torch.stack([m.W.detach().cpu() for m in models])
    V0 = torch.stack([m.V.detach().cpu() for m in models])
    Wfit = torch.stack([f[1]["W"] if f else final["W"][r] for r, f in enumerate(fit_params)])
    Vfit = torch.stack([f[1]["V"] if f else final["V"][r] for r, f in enumerate(fit_params)])
    return {"histories": [h.to_dict() for h in hist], "masks": masks, "labels": y, "W0": W0, "V0": V0,
            "Wfit": Wfit, "Vfit": Vfit, "W": final["W"], "V": final["V"],
            "t_fit": [f[0] if f else None for f in fit_params],
            "margin": torch.tensor(margin_rows, dtype=torch.float64).T.contiguous()}


def net_from(p: int, W: torch.Tensor, V: torch.Tensor) -> QuadraticNet:
    """A float64 QuadraticNet holding W (h, 2p), V (p, h) (for eNTKs and linearizations)."""
    net = QuadraticNet(p, W.shape[0], dtype=torch.float64).to(W.device)
    return load_run(net, {"W": W[None].double(), "V": V[None].double()}, 0)
