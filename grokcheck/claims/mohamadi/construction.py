"""Claim `construction`: the l_inf-bounded Fourier network fits modular addition exactly.

Mohamadi+24 Appendix F / Prop 3.8: for h = 8p there is theta with ||theta||_inf = 1 and
f_q(n, m) = 4p 1[n + m = q mod p]; duplicating neurons c times (weights scaled c^(-1/3))
keeps f and gives ||theta||_inf = c^(-1/3), normalized l_inf margin 4pc = h/2.
Decisive rule (exact theorem, fixed before any run): max |f - 4p 1[.]| / p <= 1e-9 in float64, and
||theta||_inf and the normalized margin equal their closed forms within round-off; control: one
perturbed weight must break the exact fit (the same rule rejects it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokcheck.context import Context
from grokcheck.core import Claim, Observable, Result
from grokcheck.models.quadratic import fourier_network
from grokcheck.theory.construction import construction_target
from grokcheck.theory.margins import linf_norm, margins, normalized_linf_margin
from grokcheck.theory.tasks import binary_table, regression_triples

CLAIM = Claim(
    id="construction",
    title="The Fourier network computes 4p 1[n+m=q] with ||theta||_inf = 1",
    statement=("For every p >= 2 the width-8p quadratic network of Appendix F satisfies "
               "f_q(n, m) = 4p 1[n + m = q mod p] exactly, with ||theta||_inf = 1 and margin 4p; "
               "c-fold neuron duplication with weights scaled by c^(-1/3) keeps f, so "
               "||theta||_inf = c^(-1/3) and the normalized l_inf margin is 4pc = h/2. "
               "V/4 fits the regression target p 1[a+b=c] with zero loss; for odd p the "
               "half-frequency variant (Remark F.1) computes 2 + 2p 1[n+m=q]."),
    source="Mohamadi+24 Appendix F, Prop 3.8, Remark F.1",
)

# float64 round-off: each logit sums 8p terms of size <= 4, so its error is about
# 8p * 4 * eps_64 ~ 7e-15 p; 1e-9 p leaves five orders of margin and still fails on
# any real defect (a changed weight moves f by O(1)).
RTOL_PER_P = 1e-9
PERTURBATION = 1e-3  # size of the negative control's change to one weight


@dataclass(frozen=True)
class Config:
    ps: tuple[int, ...] = (5, 8, 11, 12)      # moduli, odd and even
    copies: tuple[int, ...] = (1, 2, 3)       # neuron duplication factors c
    figure_p: int = 11              # p shown in the report's heatmap
    seed: int = 0                   # unused (the construction is deterministic); recorded


SCALES = {
    "ci": Config(),
    "default": Config(ps=(5, 7, 8, 11, 12, 23, 47, 97), copies=(1, 2, 4, 8), figure_p=23),
    "paper": Config(ps=(5, 7, 8, 11, 12, 23, 47, 97, 149), copies=(1, 2, 4, 8, 16), figure_p=47),
}


def all_pair_logits(net, p: int) -> torch.Tensor:
    """f on all p^2 pairs, rows ordered n * p + m: (p^2, p), on the net's device."""
    x, _ = binary_table(p)
    x = x.to(net.W.device)
    with torch.no_grad():
        return net.logits(x[:, 0], x[:, 1])


def regression_max_error(net, p: int, chunk: int = 1 << 16) -> float:
    """max |g - p 1[a+b=c]| over all p^3 triples for the V/4 network, chunked, on the net's device."""
    triples, targets = regression_triples(p)
    triples, targets = triples.to(net.W.device), targets.to(net.W.device)
    err = 0.0
    with torch.no_grad():
        for s in range(0, len(triples), chunk):
            g = net.regression_output(triples[s:s + chunk]) / 4
            err = max(err, float((g - targets[s:s + chunk]).abs().max()))
    return err


def measure(config: Config, log=lambda m: None, device="cpu",
            note_device=lambda *t: None) -> tuple[list[Observable], dict]:
    """All observables and the report's series; pure apart from `log` / `note_device`. Every
    network, table and logit lives on `device`; `note_device(net)` records where they were."""
    fit_err, acc, reg_err, dup_err, linf_err, margin_rel, half_err = [], [], [], [], [], [], []
    series = {"ps": list(config.ps), "copies": list(config.copies), "linf": {}, "norm_margin": {}}
    target = lambda p, half=False: construction_target(p, half=half).to(device)  # (p^2, p)
    for p in config.ps:
        net = fourier_network(p, device=device)
        note_device(net)
        f = all_pair_logits(net, p)
        labels = binary_table(p)[1].to(device)
        fit_err.append(float((f - target(p)).abs().max()) / p)
        acc.append(float((f.argmax(1) == labels).double().mean()))
        reg_err.append(regression_max_error(net, p) / p)
        series["linf"][p], series["norm_margin"][p] = [], []
        for c in config.copies:
            net_c = fourier_network(p, copies=c, device=device)
            params = [net_c.W, net_c.V]
            dup_err.append(float((all_pair_logits(net_c, p) - f).abs().max()) / p)
            linf = linf_norm(params)
            linf_err.append(abs(linf - c ** (-1 / 3)))
            q_min = float(margins(all_pair_logits(net_c, p), labels).min())
            nm = normalized_linf_margin(q_min, linf)
            margin_rel.append(abs(nm / (4 * p * c) - 1))
            series["linf"][p].append(linf)
            series["norm_margin"][p].append(nm)
        if p % 2:
            half = all_pair_logits(fourier_network(p, half=True, device=device), p)
            half_err.append(float((half - target(p, half=True)).abs().max()) / p)
        log(f"p={p}: max|f-4p1|/p={fit_err[-1]:.1e} acc={acc[-1]:.3f} regression max err/p={reg_err[-1]:.1e}")

    p = config.figure_p
    f = all_pair_logits(fourier_network(p, device=device), p)  # (p^2, p) rows n*p+m
    r = torch.arange(p, device=device)
    sums = (r[:, None] + r[None, :]).reshape(-1) % p  # (p^2,)
    heat = torch.zeros(p, p, dtype=f.dtype, device=device).index_add_(0, sums, f) / p  # mean f_q over n+m=s
    series["heatmap"] = {"p": p, "mean_f_by_sum": heat.cpu()}

    bad = fourier_network(p, device=device)
    with torch.no_grad():
        bad.W[0, 0] += PERTURBATION
    bad_err = float((all_pair_logits(bad, p) - target(p)).abs().max()) / p

    why = f"float64 round-off bound 8p*4*eps ~ 7e-15 p; tolerance {RTOL_PER_P:g} p"
    obs = [
        Observable("max_p max|f - 4p 1| / p", max(fit_err), RTOL_PER_P, "<=", reason=why),
        Observable("min_p accuracy on all p^2 pairs", min(acc), 1.0, "==", reason="exact fit => argmax exact"),
        Observable("max_p,c | ||theta||_inf - c^(-1/3) |", max(linf_err), 0.0, "<=", 1e-12,
                   reason="entries are cos/sin values of modulus 1 times c^(-1/3); 1e-12 = float64 round-off"),
        Observable("max_p,c |normalized margin / (4pc) - 1|", max(margin_rel), 0.0, "<=", RTOL_PER_P,
                   reason="q_min = 4p exactly; relative round-off as above"),
        Observable("max_p max|g_(V/4) - p 1[a+b=c]| / p over p^3 triples", max(reg_err), RTOL_PER_P, "<=",
                   reason=why),
        Observable("max_p,c max|f_c - f_1| / p (duplication)", max(dup_err), RTOL_PER_P, "<=", reason=why),
    ]
    if half_err:
        obs.append(Observable("max_(odd p) max|f_half - (2 + 2p 1)| / p", max(half_err), RTOL_PER_P, "<=",
                              reason=why + " (Remark F.1)"))
    obs.append(Observable(f"control: one weight +{PERTURBATION:g} (p={p}), max|f - 4p 1| / p", bad_err,
                          RTOL_PER_P, ">", role="control",
                          reason="a perturbed network must fail the exactness check"))
    return obs, series


def run(config: Config, ctx: Context) -> Result:
    obs, series = measure(config, ctx.log, ctx.device, ctx.note_device)
    notes = [
        "The construction is deterministic: no seed enters. Checks run in float64 on every pair "
        "(classification) and every triple (regression), for odd and even p.",
        "Normalized l_inf margin: q_min / ||theta||_inf^3 = 4p / (c^(-1/3))^3 = 4pc = h/2 "
        "for width h = 8pc (our derivation from 3-homogeneity; the paper states the c = 1 case).",
    ]
    return ctx.result(CLAIM, config, obs, series, notes)


def figures(result: Result):
    """Heatmap of mean f_q over pairs with n+m = s; ||theta||_inf and margin against copies."""
    import matplotlib.pyplot as plt
    s = result.series
    heat = np.asarray(s["heatmap"]["mean_f_by_sum"])
    p = s["heatmap"]["p"]
    fig1, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(heat, origin="lower", cmap="viridis")
    ax.set_xlabel("output class q")
    ax.set_ylabel("(n + m) mod p")
    ax.set_title(f"Mean logit f_q over pairs with n+m = s (p = {p})\ndiagonal = 4p = {4 * p}, elsewhere 0")
    fig1.colorbar(im, ax=ax, label="logit value")
    fig1.tight_layout()
    fig2, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2))
    copies = np.asarray(s["copies"], dtype=float)
    styles = ["-o", "--s", ":^", "-.v"]
    for i, (p_str, lin) in enumerate(s["linf"].items()):
        st = styles[i % len(styles)]
        a1.plot(copies, lin, st, label=f"p = {p_str}", alpha=0.8)
        a2.plot(copies, np.asarray(s["norm_margin"][p_str]) / int(p_str), st, label=f"p = {p_str}", alpha=0.8)
    a1.plot(copies, copies ** (-1 / 3), "k--", lw=2, label="bound c^(-1/3)")
    a2.plot(copies, 4 * copies, "k--", lw=2, label="theory 4c")
    for a in (a1, a2):
        a.set_xscale("log", base=2)
        a.set_xlabel("copies c (width h = 8pc)")
        a.legend(fontsize=8)
    a1.set_ylabel("||theta||_inf")
    a2.set_ylabel("normalized l_inf margin / p")
    a1.set_title("Largest weight vs duplication")
    a2.set_title("Normalized margin / p vs duplication")
    fig2.tight_layout()
    return [fig1, fig2]
