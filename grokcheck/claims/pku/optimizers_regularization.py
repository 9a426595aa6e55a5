"""Claim `optimizers-regularization`: the PKU project's Sec. 3 (Figs. 6-7) on true division.

The transformer on x / y mod p under: full-batch AdamW, minibatch AdamW, SGD with Nesterov
momentum (optimizers, Fig. 6); dropout 0.1 and weight decay in {0, 0.05, 0.1, 1}
(regularizers, Fig. 7). The seed plots best test accuracy against steps and says "various
types of regularization methods will improve the performance of the model".
"""
from __future__ import annotations

from dataclasses import dataclass

from grokcheck.claims.pku._grokking_runs import GROK, RunSpec, best_so_far, compact, mean, run_one
from grokcheck.core import Claim, Context, Observable, Result

CLAIM = Claim(
    id="optimizers-regularization",
    title="Optimizers and regularizers on modular division: best test accuracy and steps to 95%",
    statement=("Transformer on x / y mod p: dropout 0.1 and weight decay (0.05, 0.1, 1) each improve "
               "test accuracy over the unregularized minibatch-AdamW run (wd 0, no dropout); full-batch "
               "AdamW, minibatch AdamW and SGD with Nesterov momentum are compared by best test accuracy "
               "against steps and by steps to 95%."),
    source="PKU project (Liang, Gao, Mao) Sec. 3, Figs. 6-7",
)


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
    decays: tuple = (0.0, 0.05, 0.1, 1.0)  # weight decays (minibatch AdamW)
    dropout: float = 0.1          # with weight decay 0
    compare_optimizers: bool = True  # also run full-batch AdamW and SGD + Nesterov (Fig. 6)
    steps: int = 30000
    n_eval: int = 100
    seed: int = 0


SCALES = {
    # ours: p = 23, one block of width 32, lr 1e-2, decays {0, 1} and dropout only (no optimizer
    # comparison), 300 steps, batch 128
    "ci": Config(p=23, fraction=0.7, d=32, layers=1, lr=1e-2, batch_size=128, decays=(0.0, 1.0), steps=300,
                 compare_optimizers=False, n_eval=20),
    # ours: p = 23, fraction 0.7, one block of width 32, lr 1e-2, batch 128, 2000 steps
    "default": Config(p=23, fraction=0.7, d=32, layers=1, lr=1e-2, batch_size=128, steps=2000, n_eval=50),
    "paper": Config(),
}


def _variants(config: Config) -> dict:
    base = RunSpec(arch="transformer", p=config.p, op="div", fraction=config.fraction, d=config.d,
                   layers=config.layers, heads=config.heads, optimizer="adamw", lr=config.lr,
                   batch_size=config.batch_size, steps=config.steps, n_eval=config.n_eval, seed=config.seed)
    top = max(config.decays)
    out = {f"AdamW wd {wd:g}": _with(base, weight_decay=wd) for wd in config.decays}
    out[f"AdamW wd 0 + dropout {config.dropout:g}"] = _with(base, weight_decay=0.0, dropout=config.dropout)
    if not config.compare_optimizers:
        return out
    out[f"full-batch AdamW wd {top:g}"] = _with(base, weight_decay=top, batch_size=None)
    out[f"SGD Nesterov wd {top:g}"] = _with(base, optimizer="sgd_nesterov", lr=config.sgd_lr,
                                          weight_decay=top * config.lr / config.sgd_lr)
    return out


def _with(spec: RunSpec, **kw) -> RunSpec:
    from dataclasses import replace
    return replace(spec, **kw)


def run(config: Config, ctx: Context) -> Result:
    runs = {}
    for name, spec in _variants(config).items():
        out = run_one(spec)
        r = compact(out, name, n_test=out["n_test"])
        r["auc_best"] = mean(best_so_far(r["test_acc"]))
        runs[name] = r
        ctx.log(f"{name}: t95 {out['t95']} best test {out['best_test']:.3f} mean best-so-far {r['auc_best']:.3f}")
    base = runs["AdamW wd 0"]
    resolution = 1.0 / base["n_test"]  # one test example: the smallest accuracy difference there is
    obs = []
    for name, r in runs.items():
        if name == "AdamW wd 0" or name.startswith(("full-batch", "SGD")):
            continue
        obs.append(Observable(f"{name}: mean best-so-far test acc minus AdamW wd 0's",
                              r["auc_best"] - base["auc_best"], resolution, ">",
                              reason="'regularization improves': area under the best-accuracy curve of Fig. 7 "
                                     "(uniform step grid) exceeds the unregularized run's by more than one "
                                     "test example (1 / n_test)"))
    for name, r in runs.items():
        obs.append(Observable(f"{name}: t95 (steps)", r["t95"], config.steps, "<=", role="observation",
                              reason="steps to 95% test accuracy; fails (None) when it never got there"))
    obs.append(Observable("control: max accuracy of final models against labels z+1 mod p",
                          max(r["shifted_test_acc"] for r in runs.values()), GROK, "<", role="control",
                          reason="a wrongly labelled test set must never look grokked"))
    notes = [
        "Labels are true division x * y^(p-2) mod p. The PKU notebook's SGD cell passed `betas` to SGD "
        "(TypeError) and dropout existed only as a comment; here both run through models/train.py.",
        "SGD + Nesterov (ours): lr sgd_lr, momentum 0.9, coupled weight decay scaled so that lr * wd "
        "equals AdamW's lr * wd at the top decay.",
        "Dropout is active in training steps only (train() under autograd, eval() for evaluation).",
    ]
    if ctx.scale != "paper":
        notes.append(f"Scale '{ctx.scale}' is ours: p={config.p}, fraction {config.fraction}, width {config.d}, "
                     f"{config.layers} block(s), AdamW lr {config.lr:g}, {config.steps} steps.")
    return ctx.result(CLAIM, config, obs, {"runs": runs, "steps": config.steps}, notes)


def figures(result: Result):
    from grokcheck.claims.pku._grokking_plots import curves_figure
    runs = result.series["runs"]
    opt = [r for n, r in runs.items() if n.startswith(("full-batch", "SGD")) or n.endswith(f"wd {max_wd(runs)}")]
    reg = [r for n, r in runs.items() if not n.startswith(("full-batch", "SGD"))]
    return [curves_figure({"optimizers (Fig. 6)": opt, "regularizers (Fig. 7)": reg},
                          "Best test accuracy so far on division, by optimizer and regularizer",
                          best=True, show_train=False)]


def max_wd(runs) -> str:
    decays = [float(n.split("wd ")[1]) for n in runs if n.startswith("AdamW wd") and "dropout" not in n]
    return f"{max(decays):g}"
