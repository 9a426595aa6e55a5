"""Claim `kernel-rich-phase`: the laziness knob moves the quadratic net from the kernel regime, where
Thm 4.3's equivariant-kernel lower bound holds, to the rich regime, which beats it (Mohamadi+24
Thm 4.3, Thm 4.5, Fig. 1 middle / Fig. 2 left; Chizat-Bach 2019; Kumar+24).

Knob: the output scale alpha of the centered model f = alpha (f_theta - f_theta0) (Chizat-Bach).
Why this knob and not the init scale: f_theta0 = 0, so the alpha -> infinity limit is exactly a
linear model on the eNTK features at init (a kernel chosen before the data, Def 2.3), and with the
lr scaled to keep the function-space speed fixed, alpha changes laziness only. Implementation,
exact for the 3-homogeneous net: the doubling trick (the second half of the neurons copies the
first's W rows with negated V columns, so f_theta0 = 0 up to round-off) and theta' = alpha^(1/3)
theta, for which f_theta' = alpha f_theta: init scale alpha^(1/3), no output multiplier.
Optimizer: Adam (no weight decay), MSE on one-hot targets, full batch. Adam's step is ~lr per
entry whatever the gradient's scale, so the function moves by alpha J dtheta ~ lr alpha: lr =
eta / alpha keeps the first-order speed fixed (the Adam analogue of Chizat-Bach's lr / alpha^2
for GD), i.e. lr' = eta alpha^(-2/3) on theta'. Post hoc: GD (lr = 1/lambda_max of the init
Gauss-Newton matrix, scaled 1/alpha^2) was tried first: it memorized at every alpha in 1500 steps
(p = 23, fraction 0.4), and diverged for alpha <= 1 without an lr cap; Adam was chosen after that.

Grid: alphas x training fractions n / p^2, n_seeds runs per cell (seed i: split ctx.rng("split", i)
and init ctx.rng("init", i), the same for every alpha, so within a seed cells differ only by alpha
and n; all runs of one alpha in one batched pass). Per run: population l2
L = mean over all p^2 pairs of ||f(x) - e_y||^2 (L(Psi_0) = 1), against Thm 4.3's bound
B(n) = 1 - 1/p - (n / p^2) e^{2/(p-1)} (theory.bounds.kernel_lower_bound, classification);
final test accuracy; the grokking delay t_gen - t_fit (train acc >= 0.99, test acc >= 0.95); and
the functional regime test: lin_gap = ||f_T - f_lin,T|| / ||f_T - f_0|| on all pairs, f_lin,T =
f_0 + J_0 (theta_T - theta_0) (closed form for the quadratic net, `linearized_logits`); "stayed in
the kernel regime" iff lin_gap <= LIN_TOL = 0.5 (`_kernel_regime`, the kernel-exit claim's rule: the
linearized model then explains at least half of the function change, triangle inequality).

Statistic over seeds: each cell's L - B(n), lin_gap and L - B(3h) are the MEDIAN over its n_seeds runs
(3 at default; 1 at ci for time) with its order-statistic interval and exact coverage
(`theory.stats.median_interval`: [min, max] of 3 seeds covers the median with 75%, of one seed with 0,
which decides nothing). A rule over the fractions of a row is the min (or max) over its cells of their
intervals (`_intervals.extreme`: [min lo, min hi]), which decides exactly as the cells' own rules
together, so its coverage is the cells' own (one decision per cell).

Rules (`rules.interval_rule`, the one rule of grokcheck.core: holds when the whole interval is on the
claim's side, fails when it is wholly on the other, else undecided), fixed before the claim was run:
- C1 lazy corner (largest alpha) obeys the bound: L >= B(n) at every fraction (min over fractions of
  L - B >= 0: every cell's interval at or above 0), and its cells stay in the kernel regime (max over
  fractions of lin_gap <= 0.5). Thm 4.3 covers kernel regression (a GD-trained
  linear model); Adam's lazy limit is a linear model on the same init features whose guaranteed
  floor is the weaker rank floor B(3h) (Thm D.1 with dim <= 3ph, Prop B.6), reported as an
  observation: a lazy cell between the two does not contradict the theory (stated in notes).
- C2 rich corner (smallest alpha) beats the bound: L < B(n) at some fraction of the grid (min over
  fractions of L - B < 0: holds when one cell's interval lies below 0, fails when every one lies at or above).
- C3 the boundary moves with alpha: n*(alpha) = smallest fraction with L < B(n) (infinity if none)
  is non-decreasing in alpha and n*(smallest alpha) < n*(largest alpha). From the cells' intervals n*
  lies in [first fraction whose cell may beat B (interval lower end < 0), first fraction whose cell
  beats B (upper end < 0)] (`n_star_interval`); the rule is an indicator interval: 1 when the order
  holds for every n* in those intervals, 0 when one of its inequalities fails for every n* in them,
  [0, 1] otherwise (undecided); `== 1` decides, coverage the cells' own.
- C0 fit guard (added before its first run; see the post-hoc note below for why it came late): the
  lazy corner's runs fit their training set: min over fractions of the per-cell median FINAL train
  accuracy >= FIT = 0.99 (`rules.interval_rule`, role "claim", kind "event": the fit is something that
  happens within the run). Reason: C1 is a lower bound, and any predictor that outputs about 0 (L ~ 1 >=
  B(n) for every n) satisfies it, fitted or not; Thm 4.3 is about kernel regression, which fits its
  training set, and Chizat-Bach's lazy limit is gradient flow on a linear model on the init features
  (dim <= 3ph >= n here), which converges to a fitting solution. A lazy corner that has not fitted is
  therefore not yet a kernel regressor, and C1 on it is vacuous. Why an event and not a plain measure:
  below the paper's budget a fit that has not happened yet (interval wholly below 0.99) is `pending`, so
  the setting is `inconclusive (budget)` (more steps could fit it), not refuted; an interval that
  straddles 0.99 makes the setting inconclusive; at the paper's budget a pending fit refutes (the
  paper's lazy runs memorize, Fig. 1-2). FIT is the claim's existing fit threshold (t_fit). A memorizer
  (fits, about 0 off the training set: L ~ 1 - n/p^2 >= B(n)) still passes C0 and C1: that is the
  kernel regime's own behaviour, which the bound permits; C1's content is that the lazy corner does
  NOT beat the bound, and C0 only rules out that it trivially cannot.
Control (feeds the C2 rule a wrong input, `rules.control_rule`): the rich corner trained on shuffled
labels, at the largest fraction, must NOT beat the bound on its own (structureless) table: the C2
rule does not hold on it (its interval's upper end is at or above 0).
Post hoc (after the first ci and default runs; alphas, fractions, bounds and LIN_TOL unchanged): the
first version read each cell's point median (C1: min of the medians >= 0, ...); a cell now decides
only when its seeds agree. The original rule's verdict: verified at ci (1 seed) and at default
(3 seeds); the new one is verified at default and inconclusive at ci: one seed has coverage 0 and
decides nothing.
Post hoc (the C0 fit guard was added after the rules above had been run at ci and default, on the
observation that C1 passes for a non-fitting predictor; written before C0 itself was run): the verdict
without C0 was verified at default, inconclusive at ci (one seed). With C0 (first run): inconclusive
(budget) at default, the lazy corner not yet fitted at 600 steps (min over fractions of the median train
accuracy 0.894 [0.872, 0.902], fractions 0.6 and 0.75 below 0.99; its L - B(n) >= 0.77 is about the zero
predictor's), inconclusive at ci (one seed). Steps and alphas were not changed to make it fit.
Engine (stop 34, a speed change, no rule changed): the runs train on the fused engine (`models.fused`,
analytic gradients) instead of the autograd reference, with row chunks cut at the grid's smallest n so
each run costs its own rows (the paper grid's runs of one alpha span n = 221..1767: 1.8x less work than
padding all to n_max). Against the reference, every outcome and the verdict are the same at ci and
default; the numbers move by float32 round-off amplified by training: at default by <= 0.3% (lazy
corner's min L - B(n) 0.77904 -> 0.77907, rich corner's -0.2719 -> -0.2710, lin_gap 0.0477 -> 0.0475;
the lazy corner's fit interval [0.872, 0.902] -> [0.874, 0.899]), at ci the rich corner (one seed,
alpha = 0.1, the least lazy run) by 3.8% (-0.2105 -> -0.2185).
Paper scale, measured (stop 34, commit 9709b7a, 87.9 min on 2 CPU cores; every rule as above, nothing
changed after it): ours is **refuted**. The rich corner beats the bound (alpha = 0.03: min L - B(n)
-0.627 [-0.635, -0.623], 75%), the boundary moves with alpha (n* 0.3 at alpha 0.03, 0.4 at 0.1-3, 0.5 at
10-100, 0.7 at 1000) and the lazy corner fits (train accuracy 1.0 at every fraction); but the lazy corner
(alpha = 1000) has left the kernel regime over 2e4 Adam steps, max lin_gap 1.53 [1.47, 1.60] > 0.5, and
beats the bound too, min L - B(n) -0.026 [-0.055, -0.024] < 0 (below it from fraction 0.7 on). The
control (shuffled labels) is rejected. Reading (not a rule): Adam moves theta by about eta T / alpha
relative to its init scale (the run notes' post-hoc entry on alpha = 1000), so laziness over T = 2e4 steps needs
alpha >> eta T / |theta_0| ~ 1e3; the grid's largest alpha is not lazy at the paper's step count. A larger
alpha would be a new, post hoc grid.
Budget: below the paper scale (p < 47, < 1e4 steps) the setting declares that gap (grokcheck.core: an
interval wholly on the failing side still refutes at any scale).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from grokcheck import rules
from grokcheck.claims.mohamadi._intervals import extreme, per_seed
from grokcheck.claims.mohamadi._kernel_regime import LIN_TOL, linearization_gap
from grokcheck.claims.mohamadi._rich_runs import train_runs, train_size
from grokcheck.context import Context
from grokcheck.core import Claim, Observable, Result
from grokcheck.theory.bounds import kernel_lower_bound
from grokcheck.theory.delay import first_step
from grokcheck.theory.stats import Interval
from grokcheck.theory.tasks import binary_table
from grokcheck.theory.validation import check_fraction, check_int, check_modulus

CLAIM = Claim(
    id="kernel-rich-phase",
    title="The laziness knob: kernel regime obeys the equivariant-kernel bound, rich regime beats it",
    statement=("Sweeping the output scale alpha of f = alpha (f_theta - f_theta0) against the training fraction: "
               "the lazy corner stays in the kernel regime and its population l2 loss is at least Thm 4.3's "
               "bound; the rich corner falls below the bound; the smallest fraction that beats the bound grows "
               "with alpha."),
    source="Mohamadi+24 Thm 4.3, Thm 4.5, Fig. 1-2 (init-scale sweeps); Chizat-Bach 2019; Kumar+24",
)

FIT, GEN = 0.99, 0.95


@dataclass(frozen=True)
class Config:
    p: int = 23
    width_factor: int = 4                   # h = 4p (the paper's experiments)
    alphas: tuple[float, ...] = (0.1, 1.0, 10.0, 1000.0)  # output scales, rich -> lazy
    fractions: tuple[float, ...] = (0.3, 0.45, 0.6, 0.75)
    steps: int = 600
    eta: float = 1e-2                       # Adam lr at alpha = 1 (lr = eta / alpha)
    n_seeds: int = 3                        # runs per cell (split and init i < n_seeds); the median's interval decides
    seed: int = 0

    def __post_init__(self):
        check_modulus(self.p)
        check_int("steps", self.steps, 1)
        check_int("n_seeds", self.n_seeds, 1)
        if len(self.alphas) < 2 or any(not a > 0 for a in self.alphas) or list(self.alphas) != sorted(self.alphas):
            raise ValueError(f"alphas must be >= 2 increasing positive values, got {self.alphas}")
        for f in self.fractions:
            check_fraction(f)
        if list(self.fractions) != sorted(self.fractions):
            raise ValueError(f"fractions must increase, got {self.fractions}")


SCALES = {
    "ci": Config(alphas=(0.1, 1000.0), fractions=(0.3, 0.6), steps=300, n_seeds=1),
    "default": Config(),
    "paper": Config(p=47, alphas=(0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0),
                    fractions=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), steps=20_000),
}


def linearized_logits(W0, V0, W, V, x: torch.Tensor) -> torch.Tensor:
    """f_lin = f_0 + J_0 (theta - theta_0) of f = V (W x)^2 on pairs x (N, 2), closed form:
    f_0 + (V - V0) h0^2 + 2 V0 (h0 * dh), h = W x; W (h, 2p), V (p, h) float64 -> (N, p)."""
    p = V.shape[0]
    h0 = (W0[:, x[:, 0]] + W0[:, p + x[:, 1]]).T  # (N, h)
    dh = ((W - W0)[:, x[:, 0]] + (W - W0)[:, p + x[:, 1]]).T  # (N, h)
    return (h0 * h0) @ V0.T + (h0 * h0) @ (V - V0).T + 2 * (h0 * dh) @ V0.T


def logits(W, V, x):
    h = (W[:, x[:, 0]] + W[:, V.shape[0] + x[:, 1]]).T  # (N, h)
    return (h * h) @ V.T  # (N, p)


def cell_stats(p: int, out: dict, r: int, fraction: float) -> dict:
    """Population l2, bound, accuracy, events and lin_gap of run r of a train_runs output."""
    x, _ = binary_table(p)
    y = out["labels"]
    W0, V0, W, V = (out[k][r].double() for k in ("W0", "V0", "W", "V"))
    f, f0 = logits(W, V, x), logits(W0, V0, x)
    target = torch.nn.functional.one_hot(y, p).double()
    pop = float(((f - target) ** 2).sum(1).mean())
    n = int(out["masks"][r].sum())
    h = out["histories"][r]
    m = h["metrics"]
    t_fit, t_gen = first_step(h["steps"], m["train_acc"], FIT), first_step(h["steps"], m["test_acc"], GEN)
    pop = pop if math.isfinite(pop) else 1e300  # a diverged cell: finite, for strict JSON
    return {"fraction": fraction, "n": n, "pop_l2": pop,
            "bound": kernel_lower_bound(p, n, "classification"), "test_acc": m["test_acc"][-1],
            "train_acc": m["train_acc"][-1], "t_fit": t_fit, "t_gen": t_gen,
            "delay": None if t_fit is None or t_gen is None else t_gen - t_fit,
            "lin_gap": linearization_gap(f, linearized_logits(W0, V0, W, V, x), f0),
            "diverged_at": h["diverged_at"]}


MEDIAN_KEYS = ("pop_l2", "test_acc", "train_acc", "lin_gap")


def median_cell(seeds: list) -> dict:
    """One cell from its per-seed stats: the median of MEDIAN_KEYS and of the delay (None unless every
    seed has one), the [min, max] of pop_l2 over seeds, and the per-seed dicts under "seeds"."""
    med = lambda v: float(torch.tensor(v, dtype=torch.float64).median())  # noqa: E731  (lower median if even)
    cell = dict(seeds[0])
    cell.update({k: med([c[k] for c in seeds]) for k in MEDIAN_KEYS})
    delays = [c["delay"] for c in seeds]
    cell["delay"] = None if any(d is None for d in delays) else med(delays)
    cell["pop_l2_range"] = [min(c["pop_l2"] for c in seeds), max(c["pop_l2"] for c in seeds)]
    cell["seeds"] = seeds
    return cell


def _cells(p: int, out: dict, fractions: list, n_seeds: int) -> list:
    """Median cells (one per fraction) of a _grid_runs output (runs ordered fraction-major)."""
    return [median_cell([cell_stats(p, out, j * n_seeds + i, f) for i in range(n_seeds)])
            for j, f in enumerate(fractions)]


def _grid_runs(ctx, config, alpha, shuffle=False, fractions=None):
    """The runs of one alpha (fraction-major, n_seeds per fraction) in one fused pass; its row chunks are
    cut at the smallest fraction's n, so each run costs its own training rows (`models.fused._Rows`)."""
    fr = [f for f in (fractions or config.fractions) for _ in range(config.n_seeds)]
    chunk = max(64, train_size(config.p, min(fr)))
    return train_runs(ctx, p=config.p, width=config.width_factor * config.p, fraction=fr, steps=config.steps,
                      runs=[i for _ in range(len(fr) // config.n_seeds) for i in range(config.n_seeds)],
                      optimizer="adam", lr=config.eta * alpha ** (-2 / 3), weight_decay=0.0, loss="mse",
                      init_scale=alpha ** (1 / 3), antisymmetric=True, shuffle=shuffle, n_eval=30,
                      track_margin=False, tag="phase-cells", fused=True, row_chunk_rows=chunk)


def n_star(row: list) -> float:
    """Smallest fraction whose (median) population l2 is below the bound (inf if none): the point reading."""
    return next((c["fraction"] for c in row if c["pop_l2"] < c["bound"]), math.inf)


def interval(c: dict, key: str, ref: float | None = None) -> Interval:
    """The median over the cell's seeds of `key` (minus its bound B(n) when key is "margin", minus `ref`
    when given) with its order-statistic interval (`_intervals.per_seed`)."""
    if key == "margin":
        return per_seed([s["pop_l2"] - s["bound"] for s in c["seeds"]])
    return per_seed([s[key] - (ref or 0.0) for s in c["seeds"]])


def n_star_interval(row: list) -> tuple[float, float]:
    """[first fraction whose cell may beat the bound (L - B interval lower end < 0), first fraction whose
    cell beats it (upper end < 0)] (inf: none): the n* of every median inside the cells' intervals."""
    ivs = [(c["fraction"], interval(c, "margin")) for c in row]
    return (next((f for f, iv in ivs if iv.lo < 0), math.inf), next((f for f, iv in ivs if iv.hi < 0), math.inf))


def order_interval(rows: list) -> Interval:
    """C3 as an indicator interval over the n* intervals of the rows (alphas increasing): lo = 1 when
    n*(alpha) is non-decreasing and n*(first) < n*(last) for every n* in the intervals, hi = 0 when one
    of those inequalities fails for every n* in them; estimate: the rule on the point medians."""
    stars = [n_star(row) for row in rows]
    est = float(all(a <= b for a, b in zip(stars, stars[1:])) and stars[0] < stars[-1])
    iv = [n_star_interval(row) for row in rows]
    surely = all(iv[i][1] <= iv[i + 1][0] for i in range(len(iv) - 1)) and iv[0][1] < iv[-1][0]
    never = any(iv[i][0] > iv[i + 1][1] for i in range(len(iv) - 1)) or iv[0][0] >= iv[-1][1]
    cells = [interval(c, "margin") for row in rows for c in row]
    covs = [c.coverage for c in cells]
    cov = None if any(c is None for c in covs) else min(covs)
    return Interval(est, float(surely), 0.0 if never else 1.0, cov,
                    f"1 when the order holds for every n* in the cells' intervals, 0 when it fails for every one "
                    f"(per cell: {cells[0].method})", sum(c.n for c in cells))


def rule_observables(setting: str, alphas, grid: list, ctrl: dict) -> list:
    """C1-C3 and the control (module docstring) on the grid of cells (rows: alphas increasing, each a row of
    cells over the fractions) and the shuffled-label control cell."""
    lazy, rich = grid[-1], grid[0]
    enc = lambda v: -1.0 if v == math.inf else v  # noqa: E731  (JSON has no infinity; -1 = never)
    return [
        rules.interval_rule(f"lazy corner (alpha={alphas[-1]:g}): min over fractions of final train accuracy",
                            extreme([interval(c, "train_acc") for c in lazy], "min", "fractions"), FIT, ">=",
                            setting=setting, kind="event",
                            reason="fit guard: a predictor that has not fitted its training set passes the L - B(n) "
                            "rule trivially (about 0 output: L ~ 1 >= B(n)); the kernel regressor of Thm 4.3 fits"),
        rules.interval_rule(f"lazy corner (alpha={alphas[-1]:g}): min over fractions of L - B(n)",
                            extreme([interval(c, "margin") for c in lazy], "min", "fractions"), 0.0, ">=",
                            setting=setting, reason="Thm 4.3: an equivariant kernel method's population l2 is at least B(n)"),
        rules.interval_rule(f"lazy corner (alpha={alphas[-1]:g}): max lin_gap",
                            extreme([interval(c, "lin_gap") for c in lazy], "max", "fractions"), LIN_TOL, "<=",
                            setting=setting, reason="stayed in the kernel regime (kernel-exit's functional rule)"),
        rules.interval_rule(f"rich corner (alpha={alphas[0]:g}): min over fractions of L - B(n)",
                            extreme([interval(c, "margin") for c in rich], "min", "fractions"), 0.0, "<",
                            setting=setting, reason="the rich regime beats the kernel bound at some fraction"),
        rules.interval_rule("n*(alpha) non-decreasing, n*(smallest) < n*(largest) (1 = holds)", order_interval(grid),
                            1.0, "==", setting=setting,
                            reason=f"n*(alpha) = {[enc(n_star(r)) for r in grid]} from the medians, in "
                            f"{[[enc(x) for x in n_star_interval(r)] for r in grid]} (-1 = never below the bound)"),
        rules.control_rule("control: shuffled labels, rich corner, largest fraction: L - B(n)", interval(ctrl, "margin"),
                           0.0, "<", "labels without structure cannot beat the bound: the C2 rule must reject them",
                           setting=setting),
    ]


def run(config: Config, ctx: Context) -> Result:
    p, h = config.p, config.width_factor * config.p
    grid = []
    for alpha in config.alphas:
        grid.append(_cells(p, _grid_runs(ctx, config, alpha), list(config.fractions), config.n_seeds))
    shuf = _grid_runs(ctx, config, config.alphas[0], shuffle=True, fractions=config.fractions[-1:])
    ctrl = _cells(p, shuf, list(config.fractions[-1:]), config.n_seeds)[0]
    setting = f"ours: Adam + MSE, p={p}"
    lazy = grid[-1]
    stars = [n_star(row) for row in grid]
    rank_floor = kernel_lower_bound(p, min(3 * h, p * p), "classification")
    enc = lambda v: -1.0 if v == math.inf else v  # noqa: E731  (JSON has no infinity; -1 = never)
    obs = rule_observables(setting, config.alphas, grid, ctrl) + [
        rules.interval_rule(f"lazy corner: min L - rank floor B(3h) = {rank_floor:.3f}",
                            extreme([interval(c, "pop_l2", rank_floor) for c in lazy], "min", "fractions"), 0.0, ">=",
                            role="observation", setting=setting,
                            reason="the guaranteed floor of any linear model on the init features (dim <= 3ph)"),
    ]
    for a, row in zip(config.alphas, grid):
        obs.append(Observable(f"alpha={a:g}: n* (first fraction with L < B)", enc(n_star(row)), 0.0, ">=",
                              role="observation", setting=setting,
                              reason="median L [min, max over seeds]: " + ", ".join(
                                  f"{c['fraction']:g}: {c['pop_l2']:.3f} [{c['pop_l2_range'][0]:.3f}, "
                                  f"{c['pop_l2_range'][1]:.3f}] vs {c['bound']:.3f} "
                                                      f"(acc {c['test_acc']:.2f}, gap {c['lin_gap']:.2f}, delay "
                                                      f"{c['delay']})" for c in row)))
    notes = [f"Setting: p={p}, h={h}, Adam lr {config.eta:g}/alpha (lr' = eta alpha^(-2/3) on theta' = alpha^(1/3) "
             f"theta), MSE on one-hot targets, {config.steps} steps, antisymmetric init (f_theta0 = 0), "
             f"{config.n_seeds} run(s) per cell (split and init i < {config.n_seeds}); every rule reads the "
             "per-cell median over seeds with its order-statistic interval (coverage 75% at 3 seeds, 0 at 1: "
             "undecided).",
             "Post hoc (the statistic only; alphas, fractions, bounds and LIN_TOL unchanged): the first version read "
             "the point median of each cell; verified at ci and default under it (module docstring).",
             "Post hoc (a rule added, none changed): the C0 fit guard (lazy corner's final train accuracy >= 0.99, an "
             "event) was added after C1 was seen to pass for a non-fitting predictor; without it the setting was verified "
             "at default (module docstring).",
             "The lin_gap rule is kernel-exit's (_kernel_regime: lin_gap <= 0.5); f_lin in closed form here.",
             "Post hoc: the optimizer (Adam instead of GD) was chosen after GD memorized at every alpha (docstring).",
             "Post hoc: alpha = 1000 was added as the lazy corner after a ci run with alpha = 100 as the largest gave "
             "lin_gap 0.64 > 0.5 (Adam moves theta by ~eta T / alpha relative to its init scale: lazy needs "
             "alpha >> eta T / |theta_0| ~ 30 at 500 steps); the rule itself was not changed."]
    gaps = {} if ctx.scale == "paper" else {setting: f"p={p} and {config.steps} steps, below the paper's p >= 47 "
                                                     "and 1e4-1e5 steps"}
    series = {"alphas": list(config.alphas), "fractions": list(config.fractions), "grid": grid, "control": ctrl,
              "rank_floor": rank_floor, "n_star": [enc(s) for s in stars]}
    return ctx.result(CLAIM, config, obs, series, notes, budget_gaps=gaps)


def figures(result: Result):
    import matplotlib.pyplot as plt
    s = result.series
    A, F = s["alphas"], s["fractions"]
    ratio = np.array([[c["pop_l2"] / c["bound"] if c["bound"] > 0 else np.nan for c in row] for row in s["grid"]])
    acc = np.array([[c["test_acc"] for c in row] for row in s["grid"]])
    gap = np.array([[c["lin_gap"] for c in row] for row in s["grid"]])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6))
    panels = [(np.log10(np.clip(ratio, 1e-3, None)), "log10 L / B(n) (< 0: beats the kernel bound)", "RdBu"),
              (acc, "final test accuracy", "viridis"), (gap, f"lin_gap (kernel regime if <= {LIN_TOL})", "magma")]
    for ax, (z, title, cmap) in zip(axes, panels):
        lim = {"vmin": -np.nanmax(np.abs(z)), "vmax": np.nanmax(np.abs(z))} if cmap == "RdBu" else {}  # 0 = white
        im = ax.imshow(z, origin="lower", aspect="auto", cmap=cmap, **lim)
        for i in range(len(A)):
            for j in range(len(F)):
                ax.text(j, i, f"{z[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="k", bbox=dict(facecolor="white", alpha=0.6, lw=0))
        ax.set_xticks(range(len(F)), [f"{f:g}" for f in F])
        ax.set_yticks(range(len(A)), [f"{a:g}" for a in A])
        ax.set_xlabel("training fraction n / p^2")
        ax.set_ylabel("output scale alpha (lazy up)")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig2, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = ["-", "--", ":", "-."]
    for i, (a, row) in enumerate(zip(A, s["grid"])):
        ax.plot(F, [c["pop_l2"] for c in row], marker="o", ls=styles[i % 4], color=f"C{i}", label=f"alpha={a:g}")
    ax.plot(F, [c["bound"] for c in s["grid"][0]], "k-", lw=2, label="Thm 4.3 bound B(n)")
    ax.axhline(s["rank_floor"], color="gray", ls=":", label="rank floor B(3h)")
    ax.set_yscale("log")
    ax.set_xlabel("training fraction n / p^2")
    ax.set_ylabel("population l2 loss / L(Psi_0)")
    ax.legend(fontsize=8)
    ax.set_title("network vs the equivariant-kernel bound")
    fig2.tight_layout()
    return [fig, fig2]
