"""Claim `optimizers-regularization`: the PKU project's Sec. 3 (Figs. 6-7) on true division.

The transformer on x / y mod p under: full-batch AdamW, minibatch AdamW, SGD with Nesterov
momentum (optimizers, Fig. 6); dropout 0.1 and weight decay in {0, 0.05, 0.1, 1}
(regularizers, Fig. 7). The seed plots best test accuracy against steps and says "various
types of regularization methods will improve the performance of the model".

Rules (fixed before the runs; `_rules`; seeds = `Config.seeds`, >= 3 at default and paper scale;
replicate s gives every variant the same split and init, so differences are paired):
- "regularizer X improves": per seed, the mean over the uniform eval grid of the best-so-far test
  accuracy (the area under Fig. 7's curve) of X minus that of the unregularized minibatch-AdamW run
  (wd 0, no dropout) of the same seed; the lower end of the interval of the median paired
  difference must exceed 1 / n_test (one test example, the smallest accuracy difference there is).
  Each regularizer is one claim observable (the verdict needs all of them).
- Control: the same rule with AdamW wd 0 as its own "regularizer" (a zero effect) must fail; a rule
  that ignored the baseline or the sign of the threshold would pass it.
- The optimizer comparison (full batch, minibatch, SGD + Nesterov at the top decay) is reported
  (t95 per seed) and decides nothing: the seed states no direction.
Intervals: `_rules.median_stat` (order statistics, exact coverage: [min, max] of 3 seeds, 75%).
Below the paper's budget the settings declare that gap (grokcheck.core): a pending event, or a claim
that something does not happen (kind "absence"), is then `inconclusive (budget)`; an interval wholly
on the failing side refutes at any scale.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from grokcheck.claims.pku import _rules as R
from grokcheck.claims.pku._grokking_runs import RunSpec, best_so_far, compact, mean, run_all
from grokcheck.core import PAPER, Claim, Observable, Result
from grokcheck.context import Context

CLAIM = Claim(
    id="optimizers-regularization",
    title="Optimizers and regularizers on modular division: best test accuracy and steps to 95%",
    statement=("Transformer on x / y mod p: dropout 0.1 and weight decay (0.05, 0.1, 1) each improve "
               "test accuracy over the unregularized minibatch-AdamW run (wd 0, no dropout); full-batch "
               "AdamW, minibatch AdamW and SGD with Nesterov momentum are compared by best test accuracy "
               "against steps and by steps to 95%."),
    source="PKU project (Liang, Gao, Mao) Sec. 3, Figs. 6-7",
)
BASE = "AdamW wd 0"


@dataclass(frozen=True)
class Config:
    p: int = 41                   # modulus (prime)
    fraction: float = 0.5
    d: int = 128
    layers: int = 2
    heads: int = 4
    lr: float = 1e-3              # AdamW lr
    sgd_lr: float = 1e-1          # SGD + Nesterov lr (ours: the seed gives none), momentum 0.9
    batch_size: int = 64          # "minibatch"
    decays: tuple[float, ...] = (0.0, 0.05, 0.1, 1.0)  # weight decays (minibatch AdamW); 0 is the baseline
    dropout: float = 0.1          # with weight decay 0
    compare_optimizers: bool = True  # also run full-batch AdamW and SGD + Nesterov (Fig. 6)
    steps: int = 30000
    seeds: tuple[int, ...] = (0, 1, 2)      # replicate stream indices
    n_eval: int = 100
    processes: int = 1            # worker processes for the runs (CPU; results do not depend on it)
    seed: int = 0                 # the run seed (ctx.seed)


SCALES = {
    # ours: p = 23, one block of width 32, lr 1e-2, batch 128, decays {0, 1} and dropout, 300 steps, 2 seeds
    "ci": Config(p=23, fraction=0.7, d=32, layers=1, lr=1e-2, batch_size=128, decays=(0.0, 1.0), steps=300,
                 compare_optimizers=False, seeds=(0, 1), n_eval=20),
    # ours: p = 23, fraction 0.7, one block of width 32, lr 1e-2, batch 128, decays {0, 0.05, 1} and dropout,
    # 1500 steps, 3 seeds, 2 processes; no optimizer comparison (budget)
    "default": Config(p=23, fraction=0.7, d=32, layers=1, lr=1e-2, batch_size=128, decays=(0.0, 0.05, 1.0),
                      steps=1500, compare_optimizers=False, n_eval=30, processes=2),
    "paper": Config(),
}


def _variants(config: Config) -> dict:
    if 0.0 not in config.decays:
        raise ValueError(f"decays must include the baseline 0.0, got {config.decays}")
    base = RunSpec(arch="transformer", p=config.p, op="div", fraction=config.fraction, d=config.d,
                   layers=config.layers, heads=config.heads, optimizer="adamw", lr=config.lr,
                   batch_size=config.batch_size, steps=config.steps, n_eval=config.n_eval, seed=config.seed)
    top = max(config.decays)
    out = {f"AdamW wd {wd:g}": replace(base, weight_decay=wd) for wd in config.decays}
    out[f"AdamW wd 0 + dropout {config.dropout:g}"] = replace(base, weight_decay=0.0, dropout=config.dropout)
    if config.compare_optimizers:
        out[f"full-batch AdamW wd {top:g}"] = replace(base, weight_decay=top, batch_size=None)
        out[f"SGD Nesterov wd {top:g}"] = replace(base, optimizer="sgd_nesterov", lr=config.sgd_lr,
                                                  weight_decay=top * config.lr / config.sgd_lr)
    return out


def is_optimizer(name: str) -> bool:
    return name.startswith(("full-batch", "SGD"))


def observables(runs: dict, rng_of) -> tuple[list, dict]:
    """runs: variant name -> list of compact runs (with "auc_best", "n_test"), seeds in the same order."""
    base = runs[BASE]
    resolution = 1.0 / min(r["n_test"] for r in base)  # one test example
    st, obs = {}, []
    names = [n for n in runs if n != BASE and not is_optimizer(n)]
    for i, name in enumerate([*names, BASE]):
        diffs = [r["auc_best"] - b["auc_best"] for r, b in zip(runs[name], base)]
        st[name] = R.median_stat(diffs, rng_of(i))
        if name == BASE:
            obs.append(R.rule(f"control: {BASE} against itself, CI lower end of the median paired difference",
                              st[name], resolution, ">", "a zero effect must fail the 'improves' rule",
                              role="control"))
        else:
            obs.append(R.rule(f"{name}: median paired gain in mean best-so-far test acc over {BASE}, CI lower end",
                              st[name], resolution, ">",
                              "'regularization improves': the area under Fig. 7's best-accuracy curve exceeds the "
                              "unregularized run's by more than one test example (1 / n_test)"))
    for name, rs in runs.items():
        t95 = [r["t95"] for r in rs if r["t95"] is not None]
        obs.append(Observable(f"{name}: median t95 over the seeds that reach 0.95 (steps)",
                              sorted(t95)[len(t95) // 2] if t95 else None, rs[0]["steps"][-1], "<=",
                              role="observation",
                              reason=f"steps to 95% test accuracy; {len(t95)} of {len(rs)} seeds got there"))
    return obs, st


def run(config: Config, ctx: Context) -> Result:
    variants = _variants(config)
    specs = {(name, s): replace(spec, index=s) for name, spec in variants.items() for s in config.seeds}
    outs = run_all(ctx, specs, config.processes)
    runs = {name: [] for name in variants}
    for (name, s), out in outs.items():
        ctx.note_device(out["device"])
        r = compact(out, f"{name}, seed {s}", seed=s)
        r["auc_best"] = mean(best_so_far(r["test_acc"]))
        runs[name].append(r)
    obs, st = observables(runs, lambda i: ctx.np_rng("bootstrap", i))
    notes = [
        "Labels are true division x * y^(p-2) mod p. The PKU notebook's SGD cell passed `betas` to SGD "
        "(TypeError) and dropout existed only as a comment; here both run through models/train.py.",
        "SGD + Nesterov (ours): lr sgd_lr, momentum 0.9, coupled weight decay scaled so that lr * wd "
        "equals AdamW's lr * wd at the top decay.",
        "Dropout is active in training steps only (train() under autograd, eval() for evaluation).",
    ]
    gaps = {}
    if ctx.scale != "paper":
        gap = (f"p = {config.p} (paper 41), width {config.d} x {config.layers} block(s) (paper 128 x 2), "
               f"{config.steps} steps (paper 3e4), lr {config.lr:g}, batch {config.batch_size} (paper 1e-3, 64)")
        gaps = {PAPER: gap}
        notes.append(f"Scale '{ctx.scale}' is ours: {gap}; fraction {config.fraction}, decays {config.decays}, "
                     f"seeds {config.seeds}" + ("" if config.compare_optimizers else "; no optimizer comparison") + ".")
    series = {"runs": runs, "steps": config.steps, "stats": st}
    return ctx.result(CLAIM, config, obs, series, notes, budget_gaps=gaps)


def figures(result: Result):
    from grokcheck.claims.pku._grokking_plots import curves_figure
    runs = {n: [r for r in rs if r["seed"] == min(x["seed"] for x in rs)] for n, rs in result.series["runs"].items()}
    top = max((n for n in runs if n.startswith("AdamW wd") and "dropout" not in n), key=lambda n: float(n.split()[-1]))
    opt = [rs[0] for n, rs in runs.items() if is_optimizer(n) or n == top]
    reg = [rs[0] for n, rs in runs.items() if not is_optimizer(n)]
    return [curves_figure({"optimizers (Fig. 6)": opt, "regularizers (Fig. 7)": reg},
                          "Best test accuracy so far on division (first seed), by optimizer and regularizer",
                          best=True, show_train=False)]
