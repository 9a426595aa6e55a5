"""Claim `sample-complexity`: trained network vs kernel regression, samples needed on modular addition.

Mohamadi+24 Thm 4.3 (equivariant kernels need n = Omega(p^2) samples for classification; Thm 3.4 for
regression) against Thm 4.5 (an l_inf-bounded interpolator with normalized margin Omega(p)
generalizes from n = O~(p^(5/3))). For each p and training fraction f (grid), R = |grid| x seeds
networks train in ONE batched pass (models/batched.py); kernel ridge regression (one-hot targets,
relative ridge) uses (a) the eNTK at init (trace over logits, mean) and (b) the expected kernel of
Prop B.3. n*(p) = f* p^2 with f* the smallest grid fraction from which on (at it and at every larger
grid fraction) the seed-mean test accuracy is >= 0.95 (separately: relative test l2 <= 0.5); if no
fraction < 1 qualifies, n* = p^2, censored. The exponent of n* ~ p^k is a least-squares fit of
log n* on log p; its 95% interval is a percentile bootstrap over seeds (seeds resampled per p).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokcheck.models.batched import quadratic_pairs_forward, train_batched
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.ntk.empirical import empirical_ntk
from grokcheck.ntk.infinite import expected_quadratic_ntk, quadratic_init_bounds
from grokcheck.ntk.regression import kernel_regression, one_hot_targets
from grokcheck.theory.tasks import binary_table, split_indices
from grokcheck.theory.validation import check_fraction, check_int, check_modulus
from grokcheck.core import Claim, Context, Observable, Result

CLAIM = Claim(
    id="sample-complexity",
    title="Trained quadratic networks need fewer samples than equivariant kernels",
    statement=("On modular-addition classification, kernel regression with a permutation-equivariant kernel "
               "(eNTK at init, expected kernel) needs a constant fraction of the p^2 pairs (n* = Omega(p^2), "
               "Thm 4.3) to reach 95% test accuracy, while the trained network needs fewer "
               "(n* = O~(p^(5/3)) for max-margin l_inf-bounded interpolators, Thm 4.5)."),
    source="Mohamadi+24 Thm 4.3, Thm 4.5, Sec. 5",
)

SETTING_NET = "ours: AdamW classification"   # the setting rich-generalization found to reproduce
RATIO_BOUND = 0.75        # rule fixed first: network n* at most 3/4 of the best kernel's n* at every p
KERNEL_FRACTION = 0.5     # rule fixed first: equivariant kernels need at least half the table (constant fraction)


@dataclass(frozen=True)
class Config:
    ps: tuple = (23, 31, 47, 61)        # moduli p (issue 5's default; ~6 min on 2 CPU cores)
    fractions: tuple = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)  # training-fraction grid
    seeds: int = 3                      # seeds per (p, fraction): init and split
    steps: int = 800                    # AdamW steps per network
    lr: float = 0.01                    # AdamW learning rate
    weight_decay: float = 3.0           # AdamW decoupled weight decay
    width_factor: int = 4               # width h = width_factor * p (the paper's 4p)
    acc_threshold: float = 0.95         # test accuracy defining n*
    l2_threshold: float = 0.5           # relative test l2 defining n* (zero predictor = 1)
    ridge: float = 1e-6                 # kernel ridge relative to mean diag K
    bootstrap: int = 1000               # bootstrap resamples for the exponent CI
    seed: int = 0                       # base seed: init seed and split seed are seed * 1000 + s

    def __post_init__(self):
        for p in self.ps:
            check_modulus(p)
        for f in self.fractions:
            check_fraction(f)
        check_int("seeds", self.seeds, 1)
        check_int("steps", self.steps, 1)
        check_int("bootstrap", self.bootstrap, 10)


SCALES = {
    "ci": Config(ps=(23,), fractions=(0.3, 0.5, 0.7, 0.9), seeds=3, steps=1200, bootstrap=200),
    "default": Config(),
    "paper": Config(ps=(23, 31, 47, 61, 97), fractions=(0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                    steps=5000, seeds=5),
}


def n_star_fraction(fractions, passed) -> float:
    """Smallest grid fraction f with `passed` at f and every larger fraction; 1.0 (censored) if none."""
    order = np.argsort(fractions)
    f, ok = np.asarray(fractions)[order], np.asarray(passed, dtype=bool)[order]
    out = 1.0
    for i in range(len(f) - 1, -1, -1):
        if not ok[i]:
            break
        out = float(f[i])
    return out


def fit_exponent(ps, n_stars) -> float:
    """Least-squares slope of log n* against log p."""
    return float(np.polyfit(np.log(np.asarray(ps, float)), np.log(np.asarray(n_stars, float)), 1)[0])


def train_networks(p: int, config: Config, log) -> dict:
    """All (fraction, seed) networks at one p in one batched pass: test acc and l2 (F, S)."""
    x, y = binary_table(p)
    N, F, S = len(y), len(config.fractions), config.seeds
    masks = torch.zeros(F * S, N, dtype=torch.bool)  # run r = i * S + s
    models = []
    for i, f in enumerate(config.fractions):
        for s in range(S):
            masks[i * S + s, split_indices(N, f, config.seed * 1000 + s)[0]] = True
            models.append(QuadraticNet(p, config.width_factor * p,
                                       generator=torch.Generator().manual_seed(config.seed * 1000 + s)))
    cfg = TrainConfig(steps=config.steps, lr=config.lr, optimizer="adamw", weight_decay=config.weight_decay,
                      loss="ce", n_eval=12)
    hists, params = train_batched(models, Data(x, y), masks, cfg, forward=None,
                                  batched_forward=quadratic_pairs_forward, log=log)
    with torch.no_grad():
        probs = torch.softmax(quadratic_pairs_forward(params, x.expand(F * S, *x.shape)).double(), -1)  # (R, N, p)
    sq = ((probs - one_hot_targets(y, p)) ** 2).sum(-1)  # (R, N)
    l2 = torch.stack([sq[r][~masks[r]].mean() for r in range(F * S)])
    acc = torch.tensor([h.last("test_acc") for h in hists])
    diverged = sum(h.diverged_at is not None for h in hists)
    return {"acc": acc.reshape(F, S).numpy(), "l2": l2.reshape(F, S).numpy(), "diverged": diverged}


def kernel_curves(p: int, config: Config, kind: str) -> dict:
    """Kernel regression test acc and relative l2 (F, S) with kernel `kind` on the same splits."""
    x, y = binary_table(p)
    N, width = len(y), config.width_factor * p
    Y = one_hot_targets(y, p)  # (N, p)
    acc, l2 = np.zeros((len(config.fractions), config.seeds)), np.zeros((len(config.fractions), config.seeds))
    K = None
    if kind == "expected":
        s_w, s_v = quadratic_init_bounds(p, width)
        K = expected_quadratic_ntk(x, width=width, s_w=s_w, s_v=s_v)  # (N, N)
    elif kind == "oracle":
        sums = y
        K = (sums[:, None] == sums[None, :]).double()  # (N, N) knows the answer: not equivariant
    for s in range(config.seeds):
        if kind == "entk":
            net = QuadraticNet(p, width, generator=torch.Generator().manual_seed(config.seed * 1000 + s))
            K = empirical_ntk(net, x, method="closed_form", output="trace_mean")  # (N, N) float64
        for i, f in enumerate(config.fractions):
            tr, te = split_indices(N, f, config.seed * 1000 + s)
            res = kernel_regression(K[tr][:, tr], Y[tr], K[te][:, tr], ridge=config.ridge, y_test=Y[te])
            acc[i, s], l2[i, s] = res.test_accuracy, res.test_l2
    return {"acc": acc, "l2": l2}


def summarize(ps, curves: dict, config: Config, rng) -> dict:
    """n* per p (acc and l2 criteria), exponent fit and its bootstrap interval, for one method."""
    fr = np.asarray(config.fractions)
    out = {"n_star": [], "n_star_l2": [], "censored": []}
    for p, c in zip(ps, curves):
        f_acc = n_star_fraction(fr, c["acc"].mean(1) >= config.acc_threshold)
        f_l2 = n_star_fraction(fr, c["l2"].mean(1) <= config.l2_threshold)
        out["n_star"].append(f_acc * p * p)
        out["n_star_l2"].append(f_l2 * p * p)
        out["censored"].append(f_acc == 1.0)
    if len(ps) >= 2:
        out["exponent"] = fit_exponent(ps, out["n_star"])
        boots = []
        for _ in range(config.bootstrap):
            ns = []
            for p, c in zip(ps, curves):
                idx = rng.integers(0, config.seeds, config.seeds)
                ns.append(n_star_fraction(fr, c["acc"][:, idx].mean(1) >= config.acc_threshold) * p * p)
            boots.append(fit_exponent(ps, ns))
        out["exponent_ci"] = [float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))]
    return out


def run(config: Config, ctx: Context) -> Result:
    rng = np.random.default_rng(config.seed)
    methods = {"network": [], "entk": [], "expected": [], "oracle": []}
    for p in config.ps:
        net = train_networks(p, config, ctx.log)
        methods["network"].append(net)
        for kind in ("entk", "expected", "oracle"):
            methods[kind].append(kernel_curves(p, config, kind))
        ctx.log(f"p={p}: network acc by fraction {np.round(net['acc'].mean(1), 3).tolist()}, "
                f"eNTK {np.round(methods['entk'][-1]['acc'].mean(1), 3).tolist()}")
    summ = {k: summarize(config.ps, v, config, rng) for k, v in methods.items()}
    series = {"ps": list(config.ps), "fractions": list(config.fractions), "summary": summ,
              "acc_curves": {k: [c["acc"].mean(1) for c in v] for k, v in methods.items()},
              "acc_sd": {k: [c["acc"].std(1) for c in v] for k, v in methods.items()}}
    kern = np.minimum(summ["entk"]["n_star"], summ["expected"]["n_star"])
    ratio = float(np.max(np.asarray(summ["network"]["n_star"]) / kern))
    kern_frac = float(np.min(kern / np.asarray(config.ps, float) ** 2))
    obs = [
        Observable("max_p n*_network / n*_best kernel (test acc >= 0.95)", ratio, RATIO_BOUND, "<=",
                   reason=f"rule fixed first: the network needs at most {RATIO_BOUND} of the kernel's samples",
                   setting=SETTING_NET),
        Observable("min_p n*_kernel / p^2 (eNTK at init, expected kernel)", kern_frac, KERNEL_FRACTION, ">=",
                   reason="Thm 4.3: equivariant kernels need Omega(p^2); constant fraction 1/2 fixed first"),
        Observable("control: oracle kernel 1[a+b=a'+b'] n* / p^2", float(np.min(
            np.asarray(summ["oracle"]["n_star"]) / np.asarray(config.ps, float) ** 2)), KERNEL_FRACTION, "<",
            role="control", reason="a non-equivariant kernel that knows the task must fail the kernel bound check"),
    ]
    for k in ("network", "entk", "expected"):
        if "exponent" in summ[k]:
            lo, hi = summ[k]["exponent_ci"]
            obs.append(Observable(f"exponent of n*_{k} ~ p^k (95% bootstrap CI [{lo:.2f}, {hi:.2f}])",
                                  summ[k]["exponent"], 2.0, "<" if k == "network" else ">=",
                                  tolerance=0.0 if k == "network" else 1e-9,  # censored n* = p^2: slope 2 up to round-off
                                  reason="kernel bound p^2 (Thm 4.3); network theory p^(5/3) (Thm 4.5), rates only",
                                  role="observation", setting=SETTING_NET if k == "network" else "paper"))
    notes = [
        f"Network setting: {SETTING_NET}, lr {config.lr}, weight decay {config.weight_decay}, {config.steps} steps, "
        f"width {config.width_factor}p, full batch, float32; all {len(config.fractions)} x {config.seeds} runs per p "
        "trained in one batched pass. rich-generalization found the paper's normalized-GD setting does not reach "
        "95% test accuracy in budget, AdamW does; so AdamW is used here.",
        "n* uses the seed-mean test accuracy on the grid; n* = p^2 (fraction 1) is censored (never reached below 1). "
        f"Censored kernel n*: eNTK {summ['entk']['censored']}, expected {summ['expected']['censored']}; "
        f"network {summ['network']['censored']}.",
        "Network relative l2 = mean over test pairs of ||softmax - one-hot||^2 (zero predictor: 1); kernels: "
        "||f - one-hot||^2 of the kernel predictor. Exponents are rates; Thm 4.5's constants and logs are unknown.",
        f"Diverged network runs: {[c['diverged'] for c in methods['network']]}.",
        "n* per p " + str(list(config.ps)) + ": " + "; ".join(
            f"{k}: acc {[int(round(v)) for v in summ[k]['n_star']]}, l2 {[int(round(v)) for v in summ[k]['n_star_l2']]}"
            for k in ("network", "entk", "expected", "oracle")) + ".",
    ]
    if len(config.ps) < 3:
        notes.append("Fewer than 3 moduli: the exponent fit is not meaningful at this scale.")
    return ctx.result(CLAIM, config, obs, series, notes)


def plt_null():
    from matplotlib.ticker import NullFormatter
    return NullFormatter()


def _plot_nstar(ax, s):
    ps = np.asarray(s["ps"], float)
    styles = {"network": ("C0", "-o"), "entk": ("C1", "--s"), "expected": ("C2", ":^")}
    labels = {"network": "trained network (AdamW)", "entk": "kernel: eNTK at init", "expected": "kernel: expected (B.3)"}
    for k, (c, st) in styles.items():
        summ = s["summary"][k]
        ax.plot(ps, summ["n_star"], st, color=c, label=labels[k] + (
            f", k={summ['exponent']:.2f} [{summ['exponent_ci'][0]:.2f},{summ['exponent_ci'][1]:.2f}]"
            if "exponent" in summ else ""))
        cens = np.asarray(summ["censored"], bool)
        if cens.any():
            ax.plot(ps[cens], np.asarray(summ["n_star"])[cens], "o", ms=12, mfc="none", color=c,
                    label=f"{k}: censored (never >= 0.95 below all pairs)")
    grid = np.linspace(ps.min() * 0.9, ps.max() * 1.1, 50)
    ax.plot(grid, grid ** 2, "k-", lw=1, label="p^2 (all pairs; kernel bound rate)")
    ax.plot(grid, 2 * grid ** (5 / 3), "k--", lw=1, label="2 p^(5/3) (Thm 4.5 rate)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ps, [str(int(p)) for p in ps])
    ax.xaxis.set_minor_formatter(plt_null())
    ax.set_xlabel("modulus p")
    ax.set_ylabel("samples n* for 95% test accuracy")
    ax.set_title("Sample complexity: network vs kernels (n* = p^2 is censored)")
    ax.legend(fontsize=8)


def summary_figures(result: Result):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 5))
    _plot_nstar(ax, result.series)
    fig.tight_layout()
    return [fig]


def figures(result: Result):
    import matplotlib.pyplot as plt
    s = result.series
    figs = summary_figures(result)
    n = len(s["ps"])
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4), squeeze=False)
    fr = np.asarray(s["fractions"])
    for j, p in enumerate(s["ps"]):
        ax = axes[0, j]
        for k, st in (("network", "-o"), ("entk", "--s"), ("expected", ":^"), ("oracle", "-.v")):
            ax.errorbar(fr, s["acc_curves"][k][j], yerr=s["acc_sd"][k][j], fmt=st, label=k, capsize=2)
        ax.axhline(0.95, color="k", lw=1, ls="--", label="0.95 threshold")
        ax.set_xlabel("training fraction n / p^2")
        ax.set_ylabel("test accuracy (mean +- sd over seeds)")
        ax.set_title(f"p = {p}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return figs + [fig]
