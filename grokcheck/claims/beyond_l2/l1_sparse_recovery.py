"""Claim `l1-sparse-recovery`: small l1 makes sparse recovery grok, with delay ~ 1/(lr beta).

Tikeng Notsawo+25 Sec. 3 (Figs 3-4, 24-26): compressed sensing y = X a*, n = 100, s = 5,
N = 30; subgradient descent on 1/2 ||X a - y||^2 + beta ||a||_1 from a0 = 1e-6 * 1. The
train error falls first while the test error stays near the least-squares error; it drops
after a delay ~ ||a_LS - a*||_inf / (lr beta). With beta = 0 GD stays at a_LS = X^+ y.

Rules, statistics and seeds (stated before running):
- Instances: `instances` independent (X, a*) draws, instance i from stream ("instance", i);
  every (lr, beta) x instance run and the beta = 0 runs advance together in one memoized tensor program
  (`models.linear.train_linear`, per-run lr, beta and step count).
- Per instance we compute: the grokking ratio g_i = min over (lr, beta) of test error at t1 /
  LS error; the worst final test error; the delay-law spread (max - min)/mean of t2 lr beta over
  the grid; t2 lr beta / ||a_LS - a*||_inf (min and max over the grid). Each claim observable is
  the MEDIAN over instances with a distribution-free order-statistic CI (`_common.median_ci`).
- Thresholds: g >= 0.5 (when the data are fit the test error is still at least half the LS
  error: a delayed generalization, not a simultaneous one); final error <= test threshold;
  spread <= 15% (the seed note's delay-law tolerance, claim 3: the eval grid resolves t2 to
  <= 2.5% and t1 offsets add a few %); t2 lr beta / ||a_LS - a*||_inf in [0.5, 2] (the closed
  form ignores the null-space projection: an order-one factor either way); ISTA ends with at
  most 3s nonzeros (seed note claim 5); beta = 0 stays within 1e-3 of the LS error.
- Controls, each fed to the same rule: (1) the recovery rule (t2 exists) on the beta = 0 runs
  must find no t2; (2) the delay-law spread with the (lr, beta) labels reversed must exceed 15%;
  (3) the grokking ratio of a run that fits and generalizes together (the same a* measured by
  N = 2n Gaussian rows, overdetermined, so the LS solution is a*) must fall below 0.5.
- Verdict: our settings (larger beta, looser thresholds, fewer steps) are below the paper's
  budget: the setting declares that gap (grokcheck.core): a pending event or an absence claim is then
  `inconclusive (budget)`; a claim interval wholly on the failing side refutes, one that straddles its
  bound is `inconclusive`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from grokcheck.claims.beyond_l2._common import (
    cs_instances,
    finish,
    fit_many,
    grok_ratio,
    median_ci,
    median_stat,
    spreads,
)
from grokcheck.context import Context
from grokcheck.core import Claim, Observable, Result
from grokcheck.models.linear import run_view
from grokcheck.theory.delay import times_per_run
from grokcheck.theory.sparse import least_squares_min_norm, relative_error

CLAIM = Claim(
    id="l1-sparse-recovery",
    title="l1 subgradient descent groks sparse recovery; delay t2 ~ ||a_LS - a*||_inf / (lr beta)",
    statement=("Compressed sensing (n=100, s=5, N=30 Gaussian measurements): gradient descent with a small "
               "l1 penalty (subgradient or ISTA) fits the data early while the test error stays near the "
               "least-squares error, then recovers a* (grokking); without l1 it stays at the min-norm "
               "least-squares error. t2 lr beta is constant over an (lr, beta) grid and close to "
               "||a_LS - a*||_inf."),
    source="Tikeng Notsawo+25 Sec. 3, Figs 3-4, 24-26",
)

GROK_RATIO = 0.5    # test error at t1 / LS error (docstring)
SPREAD_TOL = 0.15   # (max - min)/mean of t2 lr beta over the grid (seed note, claim 3)
RATIO_BAND = (0.5, 2.0)  # t2 lr beta / ||a_LS - a*||_inf: order-one factor of the closed form
LS_TOL = 1e-3       # beta = 0: |test error - LS error| (GD from 1e-6 * 1 converges to a_LS + O(1e-6))


@dataclass(frozen=True)
class Config:
    n: int = 100                  # dimension
    s: int = 5                    # sparsity
    N: int = 30                   # measurements
    instances: int = 3            # random (X, a*) instances, batched (streams ("instance", i))
    lrs: tuple[float, ...] = (0.1, 0.2)       # lr grid (stable: lr < 2 / lambda_max(X^T X) ~ 0.25, checked)
    betas: tuple[float, ...] = (5e-4, 1e-3)   # l1 weight grid
    init: float = 1e-6            # a0 = init * 1
    train_threshold: float = 0.05  # t1: train error ||Xa-y||/||y|| (ours: the l1 bias keeps it ~ 15 beta)
    test_threshold: float = 0.1    # t2: test error ||a-a*||/||a*|| (ours: the final error is ~ 20-40 beta)
    budget: float = 2.5           # steps per (lr, beta) = budget * max_k ||a_LS - a*||_inf / (lr beta)
    max_steps: int = 40_000       # cap on that
    beta0_steps: int = 2_000      # the beta = 0 run
    control_steps: int = 2_000    # the overdetermined (N = 2n) control run
    setting: str = "ours: beta 5e-4..1e-3 (paper 1e-5), thresholds 0.05/0.1 (paper 1e-3)"
    seed: int = 0


SCALES = {
    "ci": Config(),
    "default": Config(instances=5, lrs=(0.1, 0.2), betas=(5e-4, 1e-3, 2e-3), max_steps=60_000),
    # the paper's Fig. 4 sweep: lr from its set {.005, .01, .0275, .055, .0825, .1}, beta halved and doubled around
    # its main run's 1e-5 (inside its 1e-6..1e-1 range; the seed note's delay-law grid is {1, 2, 4} x beta; 4e-5
    # misses the 1e-3 thresholds on one instance of four: the l1 bias keeps its errors near 1e-3); thresholds 1e-3;
    # steps per (lr, beta) = 3 ||a_LS - a*||_inf / (lr beta) (the delay law's budget; <= 2e6 here)
    "paper": Config(instances=4, lrs=(0.055, 0.0825, 0.1), betas=(5e-6, 1e-5, 2e-5), train_threshold=1e-3,
                    test_threshold=1e-3, max_steps=2_000_000, budget=3.0, setting="paper"),
}
BUDGET_GAP = "beta >= 5e-4 (paper 1e-5), thresholds 0.05/0.1 (paper 1e-3), <= 6e4 steps (paper 1e6)"


def run(config: Config, ctx: Context) -> Result:
    K = config.instances
    X, A, y = cs_instances(ctx, K, config.n, config.s, config.N)
    a_ls = torch.stack([least_squares_min_norm(X[k], y[k]) for k in range(K)])  # (K, n)
    ls_err = relative_error(a_ls, A)                                            # (K,)
    gap = (a_ls - A).abs().amax(1)                                              # (K,)
    lam_max = float(max(torch.linalg.eigvalsh(X[k] @ X[k].T).max() for k in range(K)))
    series = {"ls_err": ls_err, "gap_inf": gap, "runs": {}, "lam_max": lam_max}
    data_spec = {"n": config.n, "s": config.s, "N": config.N, "instances": K, "init": config.init}

    def go(lr, beta, steps, ista=False, data=(X, y, A), what="main"):
        """One batched program over groups g of K runs (instance k = run g K + k): lr, beta, steps
        lists of one value per group; returns run_view of each group."""
        Xd, yd, Ad = data
        G = len(lr)
        rep = lambda v: [v[g] for g in range(G) for _ in range(len(Xd))]
        out = fit_many(ctx, {**data_spec, "what": what, "N_data": Xd.shape[1]}, Xd.repeat(G, 1, 1), yd.repeat(G, 1),
                       Ad.repeat(G, 1), lr=rep(lr), beta=rep(beta), steps=rep(steps), penalty="l1", ista=ista,
                       init=config.init)
        return [run_view(out, range(g * len(Xd), (g + 1) * len(Xd))) for g in range(G)]

    def times(out):
        return times_per_run(out["steps"], out["train_err"].tolist(), out["test_err"].tolist(),
                             config.train_threshold, config.test_threshold)

    # one program: every (lr, beta) of the grid x instance, and the beta = 0 runs as one more group
    grid = [(lr, beta) for lr in config.lrs for beta in config.betas]
    steps_of = lambda lr, beta: min(config.max_steps, math.ceil(config.budget * float(gap.max()) / (lr * beta)))
    lr0, b0 = config.lrs[-1], config.betas[-1]
    *outs, zero = go([lr for lr, _ in grid] + [lr0], [b for _, b in grid] + [0.0],
                     [steps_of(lr, b) for lr, b in grid] + [config.beta0_steps], what="grid and beta=0")
    table = []  # (lr, beta, t1 list, t2 list, out)
    for (lr, beta), out in zip(grid, outs):
        t1, t2 = times(out)
        table.append((lr, beta, t1, t2, out))
        ctx.log(f"lr={lr} beta={beta:g} steps={out['steps'][-1]}: t1={t1} t2={t2}")
        series["runs"][f"lr={lr},beta={beta:g}"] = {"steps": out["steps"], "train_err": out["train_err"][:, 0],
                                                    "test_err": out["test_err"][:, 0], "t1": t1, "t2": t2}
    ista, = go([lr0], [b0], [steps_of(lr0, b0)], ista=True, what="ista")
    t1_i, t2_i = times(ista)
    series["ista"] = {"steps": ista["steps"], "train_err": ista["train_err"][:, 0], "test_err": ista["test_err"][:, 0]}
    series["beta0"] = {"steps": zero["steps"], "train_err": zero["train_err"][:, 0], "test_err": zero["test_err"][:, 0]}
    # control 3: the same a* measured by N = 2n Gaussian rows (overdetermined): fits and generalizes together
    Xo, _, _ = cs_instances(ctx, K, config.n, config.s, 2 * config.n, stream="control")
    over, = go([config.lrs[0]], [config.betas[0]], [config.control_steps],
               data=(Xo, torch.einsum("knd,kd->kn", Xo, A), A), what="overdetermined control")

    # per-instance statistics
    lb = torch.tensor([lr * beta for lr, beta, *_ in table], dtype=torch.float64)                     # (pairs,)
    t2f = torch.tensor([[math.nan if v is None else v for v in t2] for *_, t2, _ in table], dtype=torch.float64)
    spread = spreads(t2f, lb)                                                                            # (K,)
    spread_reversed = spreads(t2f, lb.flip(0))
    ratio = t2f * lb[:, None] / gap[None, :]                                                             # (pairs, K)
    grok = [min(grok_ratio(out["steps"], out["train_err"][:, k].tolist(), out["test_err"][:, k].tolist(),
                           config.train_threshold, ls_err[k]) for *_, out in table) for k in range(K)]
    grok_over = [grok_ratio(over["steps"], over["train_err"][:, k].tolist(), over["test_err"][:, k].tolist(),
                            config.train_threshold, ls_err[k]) for k in range(K)]
    final_sub = torch.stack([out["test_err"][-1] for *_, out in table]).amax(0)                          # (K,)
    nnz_ista = (ista["final"].abs() > 0).sum(1).double()                                                 # (K,)
    series["delay_law"] = {"lr_beta": lb, "t2_lr_beta": t2f * lb[:, None], "gap_inf": gap}
    s = config.setting
    acc = {"obs": [], "stats": {}}
    claim_stat = lambda name, values, bound, comp, reason: median_stat(acc, name, values, bound, comp, reason, s)

    claim_stat("median grokking ratio: test error at t1 / LS error", grok, GROK_RATIO, ">=",
               "grokking: when the data are fit the test error is still at least half the LS error")
    claim_stat("median final test error (worst over the (lr, beta) grid)", final_sub.tolist(), config.test_threshold,
               "<=", "every run recovers a* within the test threshold before the step budget")
    claim_stat("median delay-law spread (max-min)/mean of t2 lr beta", spread.tolist(), SPREAD_TOL, "<=",
               "delay law t2 ~ C/(lr beta); 15% allows the eval grid (2.5%) and t1 offsets (seed note claim 3)")
    claim_stat("median min t2 lr beta / ||a_LS - a*||_inf", ratio.amin(0).tolist(), RATIO_BAND[0], ">=",
               "closed form up to an order-one factor (null-space projection ignored): factor 2")
    claim_stat("median max t2 lr beta / ||a_LS - a*||_inf", ratio.amax(0).tolist(), RATIO_BAND[1], "<=",
               "closed form up to an order-one factor (null-space projection ignored): factor 2")
    claim_stat("ISTA: median final test error", ista["test_err"][-1].tolist(), config.test_threshold, "<=",
               "the proximal variant recovers a* too")
    claim_stat("ISTA: median nonzeros of the final iterate", nnz_ista.tolist(), 3 * config.s, "<=",
               "soft thresholding gives exact zeros: at most 3s nonzeros (seed note claim 5)")
    obs = acc["obs"] + [
        Observable("beta=0: max |final test error - LS error|", float((zero["test_err"][-1] - ls_err).abs().max()),
                   LS_TOL, "<=", setting=s, reason="GD from ~0 converges to the min-norm interpolant X^+ y (exact)"),
        Observable("beta=0: max final train error", float(zero["train_err"][-1].max()), 1e-6, "<=", setting=s,
                   reason="GD interpolates (linear convergence; 1e-6 is far below the thresholds)"),
        Observable("control: beta=0 runs in which the recovery rule finds a t2", sum(v is not None for v in times(zero)[1]),
                   0, "==", role="control", setting=s,
                   reason="the recovery rule (t2 exists) must reject every run without the sparsity penalty"),
        Observable("control: median delay-law spread with the (lr, beta) labels reversed",
                   median_ci(spread_reversed.tolist())[0], SPREAD_TOL, ">", role="control", setting=s,
                   reason="t2 values not matched to their lr beta must fail the delay-law spread rule"),
        Observable("control: median grokking ratio of an overdetermined (N = 2n) run", median_ci(grok_over)[0],
                   GROK_RATIO, "<", role="control", setting=s,
                   reason="a run that fits and generalizes together must fail the grokking rule (NaN = never fit: fails)"),
        Observable("lr * lambda_max(X X^T) (stability, < 2)", max(config.lrs) * lam_max, 2.0, "<",
                   role="observation", setting=s, reason="GD on the quadratic is stable below 2"),
    ]
    series["statistics"] = acc["stats"]
    paper = config.setting == "paper"
    notes = [f"Thresholds: t1 = first eval step with train error <= {config.train_threshold}, t2 = first with "
             f"test error <= {config.test_threshold}; eval grid = 40 log-spaced steps per decade plus 400 "
             "evenly spaced steps. Statistics: medians over instances with order-statistic CIs (docstring).",
             f"Instances: {K} from streams ('instance', i) of seed {ctx.seed}; LS errors "
             f"{[round(float(v), 3) for v in ls_err]}, ||a_LS - a*||_inf {[round(float(v), 4) for v in gap]}.",
             "Delay law t2*lr*beta per (lr, beta) and instance: " + "; ".join(
                 f"lr={lr} beta={b:g}: {[round(float(v) * lr * b, 4) for v in t2f[i]]}"
                 for i, (lr, b, *_r) in enumerate(table))
             + f"; spread per instance {[round(float(v), 4) for v in spread]} (labels reversed: "
               f"{[round(float(v), 3) for v in spread_reversed]}).",
             f"Grokking ratio per instance {[round(v, 3) for v in grok]}; overdetermined control "
             f"{[round(v, 3) for v in grok_over]}. ISTA (lr={lr0}, beta={b0:g}): t1={t1_i} t2={t2_i}."]
    return finish(ctx, CLAIM, config, obs, series, notes, s, BUDGET_GAP, paper)


def figures(result: Result):
    from grokcheck.claims.beyond_l2._delay_plots import (
        delay_law_axes,
        errors_vs_step,
        legend_right,
    )
    s = result.series
    fig = errors_vs_step(s, [("test, ISTA", s["ista"], "-.", "k"), ("test, beta = 0", s["beta0"], ":", "r")],
                         (s["ls_err"][0], "LS error (instance 0)"), result.config["test_threshold"], "relative error")
    fig2, a2 = delay_law_axes()
    lb = np.asarray(s["delay_law"]["lr_beta"])
    prods = np.asarray(s["delay_law"]["t2_lr_beta"], float)
    gap = np.asarray(s["delay_law"]["gap_inf"])
    for k in range(prods.shape[1]):
        a2.plot(lb, prods[:, k], ["o", "s", "^", "v"][k % 4], color=f"C{k}", label=f"instance {k}: t2 lr beta")
        a2.axhline(gap[k], color=f"C{k}", ls="--", lw=1, label=f"||a_LS - a*||_inf, instance {k}")
    a2.set_title("Delay law: t2 lr beta constant, vs closed form")
    return [fig, legend_right(fig2, a2)]
