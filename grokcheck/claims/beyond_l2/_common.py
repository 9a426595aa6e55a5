"""Pieces shared by the beyond-l2 claims (Tikeng Notsawo+25): problem instances drawn from named
streams, one memoized batched linear fit, the pre-registered statistics over instances / seeds,
and the budget rule of their verdicts.

Statistics (fixed before any run):
- `median_ci`: the median of per-instance values with a distribution-free order-statistic
  interval (`theory.stats.median_interval`: [x_(k), x_(n+1-k)] with the largest k of coverage >=
  `level`; below that many values, [min, max] and its true coverage 1 - 2^(1-n)).
- `median_kendall`: the monotone-trend statistic, Kendall's tau-a of each instance's curve against
  its x order (`kendall_rows`; ties within a relative `tie` of each other, or both inf, count 0),
  and the `median_ci` of those per-instance values (instances are independent: exact coverage).
- proportions: `theory.stats.clopper_pearson` at level LEVEL.
Verdicts: every claim observable carries its interval and coverage and the core rule decides on the
interval at every scale (grokcheck.core); below the paper's budget the setting declares its gap.
"""
from __future__ import annotations

import math

import torch

from grokcheck.core import Observable
from grokcheck.models.linear import fit_runs, train_linear
from grokcheck.theory.delay import first_step
from grokcheck.theory.sparse import (
    completion_entries,
    completion_sensing,
    gaussian_sensing,
    low_rank_matrix,
    sparse_vector,
)
from grokcheck.theory.stats import median_interval

LEVEL = 0.9  # two-sided level of every interval here


# --- instances ---------------------------------------------------------------------------------

def cs_instances(ctx, K: int, n: int, s: int, N: int, stream: str = "instance"):
    """K compressed-sensing instances; instance i draws a* then X from stream (stream, i):
    X (K, N, n), a* (K, n), y = X a* (K, N), float64 on the CPU (move them with .to(ctx.device))."""
    A, X = [], []
    for i in range(K):
        g = ctx.rng(stream, i)
        A.append(sparse_vector(n, s, g))
        X.append(gaussian_sensing(N, n, g))
    X, A = torch.stack(X), torch.stack(A)
    return X, A, torch.einsum("knd,kd->kn", X, A)


def mc_instances(ctx, K: int, n1: int, n2: int, rank: int, N: int, tau: float = 0.0, stream: str = "instance"):
    """K completion instances; instance k draws A* then its observed entries from stream (stream, k):
    X (K, N, n1 n2) one-hot rows, A* (K, n1 n2), y (K, N), float64 on the CPU."""
    X, A = [], []
    for k in range(K):
        g = ctx.rng(stream, k)
        a = low_rank_matrix(n1, n2, rank, g)
        X.append(completion_sensing(completion_entries(a, N, tau, rank, g), n1, n2))
        A.append(a.reshape(-1))
    X, A = torch.stack(X), torch.stack(A)
    return X, A, torch.einsum("knd,kd->kn", X, A)


def fit(ctx, spec: dict, make_model, X, y, A, cfg, post_step=None) -> dict:
    """One memoized batched fit (models.linear.fit_runs) on ctx.device: `make_model()` builds the K-run
    model, X (K, N, d), y (K, N), A (K, d). `spec` must hold everything else that fixes the value
    (config fields, data description). Returns CPU tensors: {"steps" list (T,), "train_err" (T, K),
    "test_err" (T, K), "final" (K, d) the final linear maps, "diverged" step or -1}."""

    def compute():
        dev = ctx.device
        model = make_model().to(dev)
        ctx.note_device(model)
        hook = post_step(model) if post_step is not None else None
        out = fit_runs(model, X.to(dev), y.to(dev), A.to(dev), cfg, post_step=hook)
        div = out["history"].diverged_at
        return {"steps": list(out["steps"]), "train_err": out["train_err"].cpu(), "test_err": out["test_err"].cpu(),
                "final": model.vector().detach().cpu(), "diverged": -1 if div is None else int(div)}
    return ctx.memo("fit", spec, compute)


def fit_many(ctx, spec: dict, X, y, A, **train_kw) -> dict:
    """One memoized `models.linear.train_linear` call on ctx.device: every run of a grid (instances x
    (lr, beta) x tau ...) advanced by one tensor program. X (R, N, d), y (R, N), A (R, d); train_kw
    its keywords (per-run lr / beta / init / steps as lists or (R,) tensors). `spec` must hold the
    data description; train_kw is added to it. Returns train_linear's result on the CPU."""
    as_json = lambda v: v.tolist() if torch.is_tensor(v) else (list(v) if isinstance(v, tuple) else v)
    full = {**spec, **{k: as_json(v) for k, v in train_kw.items() if k != "log"}}

    def compute():
        dev = ctx.device
        Xd = X.to(dev)
        ctx.note_device(Xd)
        out = train_linear(Xd, y.to(dev), A.to(dev), **train_kw)
        return {k: (v.cpu() if torch.is_tensor(v) else v) for k, v in out.items()}
    return ctx.memo("train_linear", full, compute)


# --- statistics ----------------------------------------------------------------------------------

def median_ci(values, level: float = LEVEL) -> tuple[float, float, float, float]:
    """(median, lo, hi, coverage) of finite-or-inf values (`theory.stats.median_interval`); NaNs are
    dropped (none left: all NaN, coverage 0)."""
    iv = median_interval(values, level)
    if iv.estimate is None:
        return math.nan, math.nan, math.nan, 0.0
    return iv.estimate, iv.lo, iv.hi, iv.coverage


def kendall_rows(rows, tie: float = 0.0) -> list[float]:
    """Kendall tau-a of each row (values at increasing x) against x: (concordant - discordant) / pairs.
    inf is larger than every finite value; two values within a relative `tie`, or both inf, tie."""
    out = []
    for row in rows:
        row = [float(v) for v in row]
        T = len(row)
        if T < 2:
            raise ValueError("a trend needs at least two x values")
        score = 0
        for i in range(T):
            for j in range(i + 1, T):
                a, b = row[i], row[j]
                if (math.isinf(a) and math.isinf(b)) or (not math.isinf(a + b)
                                                          and abs(b - a) <= tie * max(abs(a), abs(b))):
                    continue
                score += 1 if b > a else -1
        out.append(score / (T * (T - 1) / 2))
    return out


def median_kendall(rows, tie: float, level: float = LEVEL) -> tuple[float, float, float, float]:
    """(median tau, lo, hi, coverage): `median_ci` of the per-instance `kendall_rows`."""
    return median_ci(kendall_rows(rows, tie), level)


def grok_ratio(steps, train_err, test_err, train_threshold: float, reference: float) -> float:
    """The grokking rule's statistic of one run: test error at t1 (the first step with train error <=
    threshold, `theory.delay.first_step`) / `reference` (the error of the interpolant the data alone
    give: LS error, unobserved share); NaN when the data are never fit."""
    t1 = first_step(steps, train_err, train_threshold, "<=")
    return math.nan if t1 is None else float(test_err[list(steps).index(t1)]) / float(reference)


def spreads(t2: torch.Tensor, lr_beta: torch.Tensor) -> torch.Tensor:
    """The delay-law statistic per instance: (max - min)/mean over the (lr, beta) grid of t2 lr beta;
    t2 (pairs, K) float (NaN = not recovered -> NaN), lr_beta (pairs,) -> (K,)."""
    prods = t2 * lr_beta[:, None]
    return (prods.amax(0) - prods.amin(0)) / prods.mean(0)


# --- observables and verdicts --------------------------------------------------------------------

def stat_observable(name: str, est: float, lo: float, hi: float, bound: float, comparison: str, reason: str,
                    setting: str, tolerance: float = 0.0, role: str = "claim",
                    coverage: float | None = LEVEL, method: str = "order-statistic CI",
                    kind: str = "measure") -> Observable:
    """The Observable of the estimate with its interval [lo, hi] of `coverage`: the core rule decides
    on the interval (grokcheck.core), at every scale."""
    return Observable(name, est, bound, comparison, tolerance, role=role, setting=setting, reason=reason,
                      lo=lo, hi=hi, coverage=coverage, method=method, kind=kind)


def median_stat(acc: dict, name: str, values, bound: float, comparison: str, reason: str, setting: str,
                unit: str = "instances", tolerance: float = 0.0, kind: str = "measure") -> None:
    """Append the claim observable `median of values` (with its CI) to acc = {"obs": [], "stats": {}}."""
    values = [float(v) for v in values]
    est, lo, hi, cov = median_ci(values)
    o = stat_observable(name, est, lo, hi, bound, comparison, f"{reason}; median over {len(values)} {unit}",
                        setting, tolerance, coverage=cov, method=f"median over {len(values)} {unit}, "
                        "order statistics, exact coverage", kind=kind)
    acc["obs"].append(o)
    acc["stats"][name] = {"values": values, "median": est, "ci": [lo, hi], "coverage": cov}


def budget_gaps(setting: str, gap: str, paper: bool) -> dict:
    """{setting: gap} below the paper's budget (only a pending event or a claim of absence uses it:
    a claim interval on the failing side refutes at every scale, grokcheck.core)."""
    return {} if paper else {setting: gap}


def finish(ctx, claim, config, obs, series, notes: list, setting: str, gap: str, paper: bool):
    """The claim's Result: below the paper's budget, `notes` gains the budget line and the setting its
    budget gap (`budget_gaps`); the one ending of every beyond-l2 claim."""
    if not paper:
        notes.append(f"Budget: {gap}; a pending event or a claim of absence here is inconclusive (budget).")
    return ctx.result(claim, config, obs, series, notes, budget_gaps=budget_gaps(setting, gap, paper))
