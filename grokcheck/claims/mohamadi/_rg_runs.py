"""Training groups of claim `rich-generalization`: S seeds of one (setting, p) in one batched pass.

A group returns plain lists (per seed) so `ctx.memo` can cache it: final train / test metrics, the
first steps at which the run fits and generalizes, ||theta||_inf at init and at the end, and the
curves subsampled for the figures. Inits: "uniform" = PyTorch's default nn.Linear init
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (models.quadratic); "he" = He et al. (2015) normal
N(0, 2 / fan_in), the init the paper cites ([19]) for its regression experiments.
"""
from __future__ import annotations

import math

import torch

from grokcheck.models.batched import quadratic_pairs_forward
from grokcheck.models.fused import train_quadratic
from grokcheck.models.quadratic import QuadraticNet
from grokcheck.models.train import Data, TrainConfig
from grokcheck.theory.delay import eval_grid
from grokcheck.theory.tasks import binary_table, regression_triples, split_indices

INITS = ("uniform", "he")


def make_net(p: int, width: int, init: str, ctx, index: int, dtype=torch.float32) -> QuadraticNet:
    """A QuadraticNet on ctx.device with init `init`, drawn from stream ("init", index) ("init_he" for He)."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    net = QuadraticNet(p, width, generator=ctx.rng("init", index), dtype=dtype, device=ctx.device)
    if init == "he":
        g = ctx.rng("init_he", index)
        with torch.no_grad():
            for w in (net.W, net.V):  # fan_in = w.shape[1]
                w.copy_((torch.randn(w.shape, generator=g, dtype=dtype) * math.sqrt(2 / w.shape[1])).to(w.device))
    return net


def train_group(task: str, p: int, n: int, seeds: int, cfg: TrainConfig, width: int, ctx, *,
                inits=("uniform",), shuffle: bool = False, fit_value: float = 1.0, gen_value: float = 0.95,
                fused: bool = False) -> dict:
    """Train len(inits) x seeds runs (run r = i * seeds + s; seed s shares its split across inits).

    task: "cls" (p^2 pairs, cross-entropy; fit = train acc >= fit_value, generalize = test acc >=
    gen_value) or "reg" (p^3 triples, target p 1[a+b=c]; metrics are relative losses L / L(Psi_0) = L / p,
    fit = train rel. loss <= fit_value, generalize = test rel. loss <= gen_value).
    shuffle: permute the labels with stream ("control", 0) (a memorization control).
    Returns {"final_test", "final_train", "fit_step", "gen_step", "linf0", "linf", "steps", "test", "train",
    "linf_curve", "diverged_at"}, each a list over runs; "reg" adds "argmax_train" / "argmax_test" (`argmax_accuracy`
    of the final nets)."""
    x, y = binary_table(p) if task == "cls" else regression_triples(p)
    if shuffle:
        y = y[torch.randperm(len(y), generator=ctx.rng("control", 0))]
    x, y = x.to(ctx.device), y.to(ctx.device)
    ctx.note_device(x)
    N = len(y)
    R = len(inits) * seeds
    masks = torch.zeros(R, N, dtype=torch.bool)
    models = []
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    for i, init in enumerate(inits):
        for s in range(seeds):
            masks[i * seeds + s, split_indices(N, n / N, ctx.rng("split", s))[0]] = True
            models.append(make_net(p, width, init, ctx, s, dtype))
    hists, params = train_quadratic(models, Data(x, y), masks.to(ctx.device), cfg, fused=fused,
                                    log=lambda m: ctx.log(f"[{task} p={p}] {m}"))
    key_tr, key_te, cmp = ("train_acc", "test_acc", ">=") if task == "cls" else ("train_loss", "test_loss", "<=")
    scale = 1.0 if task == "cls" else float(p)  # relative loss L / L(Psi_0), L(Psi_0) = p per triple
    out = {k: [] for k in ("final_test", "final_train", "fit_step", "gen_step", "linf0", "linf", "steps", "test",
                           "train", "linf_curve", "diverged_at")}
    for h in hists:
        te = [v / scale for v in h.metrics[key_te]]
        tr = [v / scale for v in h.metrics[key_tr]]
        out["final_test"].append(te[-1])
        out["final_train"].append(tr[-1])
        out["fit_step"].append(h.first_step(key_tr, fit_value * scale, cmp))
        out["gen_step"].append(h.first_step(key_te, gen_value * scale, cmp))
        out["linf0"].append(h.metrics["linf"][0])
        out["linf"].append(h.last("linf"))
        out["steps"].append(list(h.steps))
        out["test"].append(te)
        out["train"].append(tr)
        out["linf_curve"].append(list(h.metrics["linf"]))
        out["diverged_at"].append(h.diverged_at)
    if task == "reg":
        out["argmax_train"], out["argmax_test"] = argmax_accuracy(params, p, masks.to(ctx.device))
    return out


@torch.no_grad()
def argmax_accuracy(params: dict, p: int, triple_masks: torch.Tensor) -> tuple[list, list]:
    """Accuracy of the regression nets read as classifiers: pair (a, b) is right when argmax_c f_c(a, b) =
    a + b mod p. A pair counts as trained when its true triple (a, b, a + b) is in the run's training set,
    as a test pair otherwise (its other triples, target 0, may be trained).

    params {"W": (R, h, 2p), "V": (R, p, h)} final; triple_masks (R, p^3) bool over `regression_triples(p)`
    (row a p^2 + b p + c). Returns (train, test) accuracies, lists of R floats (NaN for an empty set).
    The paper plots its regression runs as train / test "accuracy" (Mohamadi+24 Fig 2 left, p = 47) without
    defining it; this is the reading under which its output layer f(a, b) in R^p is a classifier."""
    pairs, labels = binary_table(p)
    pairs, labels = pairs.to(triple_masks.device), labels.to(triple_masks.device)
    W, V = params["W"], params["V"]
    R = W.shape[0]
    logits = quadratic_pairs_forward({"W": W, "V": V}, pairs.expand(R, *pairs.shape))  # (R, p^2, p)
    right = logits.argmax(2) == labels  # (R, p^2)
    seen = triple_masks[:, torch.arange(p * p, device=labels.device) * p + labels]  # (R, p^2): true triple trained
    acc = lambda m: ((right & m).sum(1).double() / m.sum(1).double()).tolist()  # noqa: E731
    return acc(seen), acc(~seen)


def paper_classification_config(steps: int, eval_steps=None) -> TrainConfig:
    """The paper's classification training (Mohamadi+24 Sec. 5, Fig 4): full-batch normalized GD lr 10,
    l_inf penalty weight 1e-20, cross-entropy, float64 (3-homogeneous logits: the CE gradient underflows
    in float32 at margin ~100). eval_steps: default `grid(steps)`. Shared by rich-generalization and
    sample-complexity (its paper-network setting)."""
    return TrainConfig(steps=steps, lr=10.0, optimizer="ngd", penalty="linf", penalty_weight=1e-20, loss="ce",
                       dtype="float64", eval_steps=grid(steps) if eval_steps is None else eval_steps)


def grid(steps: int) -> tuple:
    """Evaluation steps: 30 uniform plus 10 per decade (event steps resolved to ~steps/30 or 26%)."""
    return eval_grid(steps, n_uniform=30, per_decade=10)
