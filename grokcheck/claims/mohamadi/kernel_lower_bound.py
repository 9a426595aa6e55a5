"""Claim `kernel-lower-bound`: kernel methods need a constant fraction of the p^3 triples.

Mohamadi+24 Thm 3.4 (engine Thm D.1 / Lemma D.4 / Cor D.8): for ANY kernel and ANY n training
triples, E_sigma inf_lambda ||sum_t lambda_t K(x_t, .) - Psi_sigma||^2 / ||Psi||^2 is at least the
exact floor sum_{i>n} lambda_i(Sigma) / p^2, which is at least 1 - 1/p - (n/p^3) e^{2/(p-1)}
(theory/bounds.py); equivariance (Thm 2.4) transfers it to sigma = identity. Thm 4.3 / D.2 is the
same statement with n p dimensions (checked on the closed forms).
Decisive rule (fixed before any run): every kernel's residual is at least the bound, as
min (residual - bound) / SE >= -3 on the Monte Carlo and exact residual - floor >= 0; control: a
non-equivariant Fourier-feature kernel fits the target exactly and must fail the same rule.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import torch

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.empirical import regression_ntk
from grokcheck.ntk.infinite import expected_quadratic_ntk, quadratic_init_bounds
from grokcheck.theory import bounds
from grokcheck.models.quadratic import fourier_network
from grokcheck.theory.symmetry import permuted_targets
from grokcheck.theory.tasks import regression_triples
from grokcheck.core import Claim, Observable, Result
from grokcheck.context import Context

CLAIM = Claim(
    id="kernel-lower-bound",
    title="Permutation-equivariant kernels need a constant fraction of the data",
    statement=("For any kernel and any n training triples, the least-squares residual against the "
               "permuted target Psi_sigma, averaged over sigma, is >= sum_{i>n} lambda_i(Sigma) >= "
               "p^2 (1 - 1/p - (n/p^3) e^{2/(p-1)}); for permutation-equivariant kernels the same "
               "holds for the actual target (sigma = id) in expectation over the training sample, so "
               "n < C p^3 gives l2 loss >= L(Psi_0)/2. Classification (Thm 4.3/D.2): n p dimensions, "
               "bound p^2 (1 - 1/p - (n/p^2) e^{2/(p-1)})."),
    source="Mohamadi+24 Thm 3.4, 3.5, 4.3; Thm D.1, D.2, Lemma D.4, Cor D.8",
)

RTOL_F64 = 1e-10      # two float64 paths (structured vs dense eigh, exact trace vs floor)
Z_MC = 3.0            # Monte-Carlo tolerance: 3 standard errors (one-sided, per check)
Z_AGREE = 4.0         # |MC - exact| / SE over ~30 comparisons: 4 SE keeps the family-wise level < 1e-3
CONTROL_RATIO = 0.5   # the non-equivariant control must reach below half the bound at sigma = id
KERNELS = ("entk", "expected", "rbf", "poly", "random_features", "fourier")
EQUIVARIANT = ("entk", "expected", "rbf", "poly", "random_features")   # exactly or in distribution
RF_FEATURES = 1024    # random ReLU features (rank of that kernel)


def triple_table(p: int) -> np.ndarray:
    """All triples (a, b, c) in lexicographic order (a slowest): (p^3, 3) int64."""
    return regression_triples(p)[0].numpy()


def _agreement(table: np.ndarray, train: np.ndarray):
    """Indicator matrices 1[a=a'], 1[b=b'], 1[c=c'] between all points and training points: 3 x (N, n)."""
    return [(table[:, i, None] == table[None, train, i]).astype(np.float64) for i in range(3)]


def quadratic_features(net: QuadraticNet, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h = W_a + W_b (N, h) and V[c] (N, h) for the regression scalar g = sum_i V[c, i] h_i^2,
    computed on the net's device and returned as numpy."""
    with torch.no_grad():
        t = torch.as_tensor(table).to(net.W.device)
        h = net.W[:, t[:, 0]].T + net.W[:, net.p + t[:, 1]].T  # (N, h)
        return h.cpu().numpy(), net.V[t[:, 2]].cpu().numpy()   # (N, h), (N, h)


def kernel_columns(name: str, p: int, table: np.ndarray, train: np.ndarray, rng: np.random.Generator,
                   device="cpu", note_device=lambda *t: None) -> np.ndarray:
    """K(x, x_t) for every point x and training point x_t: (p^3, n) float64.

    rng: the kernel's own draws (the eNTK's init seed, the random features); the torch kernels
    (entk, expected, fourier) are computed on `device` (`note_device` records it) and returned as
    numpy; the others are numpy on the CPU.

    entk: eNTK of g at a fresh uniform init (width 4p, float64; ntk.empirical.regression_ntk);
    expected: its expectation over the init (Prop B.3, both layers; ntk.infinite);
    rbf: exp(-||x - x'||^2 / 2) = exp(-d) on one-hot triples (d = Hamming distance);
    poly: (1 + x.x')^3 = (4 - d)^3; random_features: ReLU(G x + b) with G, b ~ N(0, 1), 1024 features;
    fourier: phi_i(x) = V_ci h_i^2 of the Appendix F network (NOT equivariant).
    """
    t_all, t_train = torch.as_tensor(table).to(device), torch.as_tensor(table[train]).to(device)
    if name == "entk":
        gen = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))  # seeded from the kernel's stream
        net = QuadraticNet(p, 4 * p, generator=gen, dtype=torch.float64, device=device)
        note_device(net)
        return regression_ntk(net, t_all, t_train, method="closed_form").cpu().numpy()
    if name == "expected":
        s_w, s_v = quadratic_init_bounds(p, 4 * p)
        k = expected_quadratic_ntk(t_all, t_train, width=4 * p, s_w=s_w, s_v=s_v)
        note_device(k)
        return k.cpu().numpy()
    if name == "fourier":
        h, v = quadratic_features(fourier_network(p, device=device), table)
        phi = v * h ** 2                                        # (N, 8p)
        return phi @ phi[train].T
    eq_a, eq_b, eq_c = _agreement(table, train)
    d = 3.0 - (eq_a + eq_b + eq_c)                             # (N, n) Hamming distance
    if name == "rbf":
        return np.exp(-d)
    if name == "poly":
        return (4.0 - d) ** 3
    if name == "random_features":
        g = rng.standard_normal((3 * p, RF_FEATURES))           # rows: one-hot coordinates
        b = rng.standard_normal(RF_FEATURES)
        phi = np.maximum(g[table[:, 0]] + g[p + table[:, 1]] + g[2 * p + table[:, 2]] + b, 0.0)  # (N, D)
        return phi @ phi[train].T / RF_FEATURES
    raise ValueError(f"unknown kernel {name!r}; expected one of {KERNELS}")


@dataclass(frozen=True)
class Config:
    ps: tuple[int, ...] = (7,)                           # moduli for the empirical side (p^3 triples each)
    fractions: tuple[float, ...] = (0.05, 0.15, 0.3, 0.5, 0.7)   # n / p^3
    kernels: tuple[str, ...] = KERNELS                   # see verify/kernels.py; "fourier" is the control
    n_perms: int = 200                         # random (sigma1, sigma2, sigma3) per training sample
    n_samples: int = 3                         # training samples (and inits) per (kernel, n)
    dense_ps: tuple[int, ...] = (2, 3, 5, 7)             # dense-eigh cross-check of the structured spectrum
    bound_ps: tuple[int, ...] = (2, 3, 5, 11, 23, 47, 97, 149, 1009)   # floor >= bound checked here
    seed: int = 0


SCALES = {
    "ci": Config(),
    "default": Config(ps=(11, 13), fractions=(0.05, 0.2, 0.4, 0.6), n_samples=2),
    "paper": Config(ps=(11, 13, 17), n_perms=500, n_samples=8),
}


def structured_vs_dense(dense_ps) -> tuple[float, float]:
    """max |floor_structured - floor_dense| and max |floor - closed form| over p, m, all n."""
    err_dense, err_closed = 0.0, 0.0
    for p in dense_ps:
        for m in (2, 3):
            ev = np.sort(np.linalg.eigvalsh(bounds.sigma_dense(p, m)))[::-1]  # (p^m,)
            tail = np.concatenate([np.cumsum(ev[::-1])[::-1], [0.0]]) / p ** (m - 1)  # tail[n] = sum_{i>n}
            for n in range(p ** m + 1):
                f = bounds.spectral_floor(p, n, m=m)
                err_dense = max(err_dense, abs(f - tail[n]))
                err_closed = max(err_closed, abs(f - bounds.spectral_floor_closed_form(p, n, m=m)))
    return err_dense, err_closed


def floor_minus_bound(bound_ps) -> float:
    """min over p, task, m in {3, 4} and a grid of n of floor - bound (>= 0 is Cor D.8)."""
    worst = np.inf
    for p in bound_ps:
        for task in bounds.TASKS:
            for m in (3, 4):
                n_points = p ** (m - 1) if task == "classification" else p ** m
                for n in np.unique(np.linspace(0, n_points, 41).astype(np.int64)):
                    gap = bounds.spectral_floor(p, int(n), task, m) - bounds.kernel_lower_bound(p, int(n), task, m)
                    worst = min(worst, gap)
    return float(worst)


def measure_p(p: int, config: Config, rng, log, device="cpu", note_device=lambda *t: None) -> dict:
    """Residual fractions for each kernel and n at modulus p: a dict of lists for the series.

    rng(name, index) -> numpy Generator (`ctx.np_rng`): the training sample of (n, s) comes from
    stream "subset" and is shared by every kernel (a paired comparison); each kernel's own draws
    from "init" and its permutations from "targets", indexed by (p, kernel, n, s)."""
    table = triple_table(p)                      # (p^3, 3)
    ident = np.tile(np.arange(p), (1, 3, 1))                   # (1, 3, p) sigma = id
    norm2 = float(p ** 2)
    ns = [max(1, int(round(f * p ** 3))) for f in config.fractions]
    out = {"n": ns, "frac": [n / p ** 3 for n in ns],
           "bound": [bounds.kernel_lower_bound(p, n) for n in ns],
           "floor": [bounds.spectral_floor(p, n) for n in ns], "kernels": {}}
    S = config.n_samples
    for ki, name in enumerate(config.kernels):
        rows = {k: [] for k in ("mc_mean", "mc_se", "exact", "ident_mean", "ident_se", "ident_all")}
        for ni, n in enumerate(ns):
            mc, var, exact, idents = [], [], [], []
            for s in range(S):
                sample = (p * len(ns) + ni) * S + s                          # stream index of (p, n, s)
                draw = sample * len(KERNELS) + KERNELS.index(name)          # ... and of the kernel
                train = np.sort(rng("subset", sample).choice(p ** 3, size=n, replace=False))  # (n,)
                cols = kernel_columns(name, p, table, train, rng("init", draw), device, note_device)  # (p^3, n)
                perm_rng = rng("targets", draw)
                perms = np.stack([ident[0]] + [np.stack([perm_rng.permutation(p) for _ in range(3)])
                                               for _ in range(config.n_perms)])  # (1 + B, 3, p)
                q = bounds.span_basis(cols)                                   # (p^3, r)
                res = bounds.projection_residuals(q, permuted_targets(table, p, perms)) / norm2  # (1 + B,)
                idents.append(res[0])
                mc.append(res[1:].mean())
                var.append(res[1:].var(ddof=1))
                exact.append(bounds.exact_perm_residual(q, p))
            rows["mc_mean"].append(float(np.mean(mc)))
            rows["mc_se"].append(float(np.sqrt(np.sum(var) / config.n_perms) / S))
            rows["exact"].append(float(np.mean(exact)))
            rows["ident_mean"].append(float(np.mean(idents)))
            rows["ident_se"].append(float(np.std(idents, ddof=1) / np.sqrt(S)) if S > 1 else float("nan"))
            rows["ident_all"].append([float(v) for v in idents])
        out["kernels"][name] = rows
        log(f"p={p} {name}: perm-avg {np.round(rows['mc_mean'], 3).tolist()} "
            f"id {np.round(rows['ident_mean'], 3).tolist()} floor {np.round(out['floor'], 3).tolist()}")
    return out


def run(config: Config, ctx: Context) -> Result:
    if config.n_samples < 2 or config.n_perms < 2:
        raise ValueError(f"need n_samples >= 2 and n_perms >= 2 for standard errors, got "
                         f"{config.n_samples}, {config.n_perms}")
    if not all(0 < f <= 1 for f in config.fractions):
        raise ValueError(f"fractions must lie in (0, 1], got {config.fractions}")
    unknown = set(config.kernels) - set(KERNELS)
    if unknown:
        raise ValueError(f"unknown kernels {sorted(unknown)}; expected some of {KERNELS}")
    err_dense, err_closed = structured_vs_dense(config.dense_ps)
    gap = floor_minus_bound(config.bound_ps)
    ctx.note_device("cpu")  # spans, projections and the spectrum are numpy on the CPU
    per_p = {str(p): measure_p(p, config, ctx.np_rng, ctx.log, ctx.device, ctx.note_device) for p in config.ps}
    structural = [
        Observable("max |structured floor - dense eigh floor| (p<=7, m=2,3, all n)", err_dense, 0.0, "<=",
                   RTOL_F64, reason="Krawtchouk spectrum vs numpy eigh, two float64 paths"),
        Observable("max |Krawtchouk floor - two-eigenvalue closed form|", err_closed, 0.0, "<=", RTOL_F64,
                   reason="Sigma has eigenvalues p^(m-2) (x1) and p^(m-2)/(p-1)^(m-1) (x(p-1)^m) only"),
        Observable("min over p, task, m, n of floor - closed-form bound", gap, 0.0, ">=", RTOL_F64,
                   reason="Cor D.8: (p/(p-1))^(m-1) <= e^{(m-1)/(p-1)}; float64 round-off"),
    ]
    obs = []
    z_bound, exact_gap, z_agree, z_ident, ctrl = np.inf, np.inf, 0.0, np.inf, -np.inf
    for p_str, d in per_p.items():
        for name, rows in d["kernels"].items():
            for i in range(len(d["n"])):
                se = max(rows["mc_se"][i], 1e-12)
                z_bound = min(z_bound, (rows["mc_mean"][i] - d["bound"][i]) / se)
                exact_gap = min(exact_gap, rows["exact"][i] - d["floor"][i])
                z_agree = max(z_agree, abs(rows["mc_mean"][i] - rows["exact"][i]) / se)
                if name in EQUIVARIANT:
                    se_id = max(rows["ident_se"][i], 1e-12)
                    z_ident = min(z_ident, (rows["ident_mean"][i] - d["bound"][i]) / se_id)
                if name == "fourier" and d["bound"][i] > 0 and d["n"][i] >= 8 * int(p_str):
                    ctrl = max(ctrl, rows["ident_mean"][i] / d["bound"][i])
    obs += [
        Observable("min over kernel, n of (perm-avg residual - bound) / SE", z_bound, -Z_MC, ">=",
                   reason="Thm D.1 for any kernel (incl. the control); Monte Carlo over sigma: 3 SE"),
        Observable("min over kernel, n of exact E_sigma residual - floor", exact_gap, 0.0, ">=", RTOL_F64,
                   reason="Ky Fan: tr((I-P) Sigma) >= sum_{i>n} lambda_i; float64 round-off"),
        Observable("max |perm-avg MC - exact E_sigma residual| / SE", z_agree, Z_AGREE, "<=",
                   reason="validates Sigma's structure against sampled permutations; 4 SE family-wise"),
        Observable("equivariant kernels: min over n of (residual at sigma=id - bound) / SE", z_ident, -Z_MC, ">=",
                   reason="Thm 3.4 via Thm 2.4, in expectation over training samples (and inits); 3 SE"),
        Observable("control: Fourier (non-equivariant) kernel, max over n >= 8p of residual(id) / bound",
                   ctrl if np.isfinite(ctrl) else float("nan"),
                   CONTROL_RATIO, "<", role="control",
                   reason="a kernel outside the hypothesis must beat the bound at sigma=id (with n >= its "
                          "8p features), else the sigma=id check cannot tell equivariant kernels apart"),
    ] + structural
    notes = [
        "Residuals are fractions of ||Psi||^2 = p^2, i.e. population l2 loss relative to the zero predictor "
        "L(Psi_0) = p for the target p 1[a+b=c] (best fit over the kernel span, so kernel regression is no better).",
        "Sigma = E_sigma Psi_sigma Psi_sigma^T lies in the Bose-Mesner algebra of the Hamming scheme H(3, p); "
        "its only non-zero eigenvalues are p (constant) and p/(p-1)^2 (multiplicity (p-1)^3), so the floor is "
        "((p-1)^3 - n + 1) / (p (p-1)^2) and the exact E_sigma residual of a span Q is "
        "tr Sigma - p ||Q^T 1||^2/p^3 - p/(p-1)^2 ||Pi Q||_F^2 (Pi = centring along each axis).",
        "Draws: the training sample of each (p, n, s) from stream 'subset' (shared by all kernels), each kernel's "
    "init / random features from 'init' and its permutations from 'targets' (grokcheck.streams). The kernels "
    "are computed on the run's device; the projections and spectra in numpy on the CPU.",
    "The eNTK at init and the random-features kernel are equivariant in distribution only (fresh init per "
        "training sample); RBF, polynomial and the expected kernel are exactly equivariant. The Fourier kernel "
        "is built from the Appendix F construction's features and is not equivariant: it fits Psi exactly.",
    ]
    series = {"per_p": per_p, "kernels": list(config.kernels)}
    return ctx.result(CLAIM, config, obs, series, notes)


STYLES = {"entk": ("tab:blue", "-", "o"), "expected": ("tab:orange", "--", "s"), "rbf": ("tab:green", "-.", "^"),
          "poly": ("tab:purple", ":", "v"), "random_features": ("tab:brown", "-", "D"),
          "fourier": ("tab:red", "--", "x")}


def figures(result: Result):
    """Residual / ||Psi||^2 against n/N per kernel: permutation average (solid) and sigma = id (open)."""
    import matplotlib.pyplot as plt
    figs = []
    for p_str, d in result.series["per_p"].items():
        fig, axes = plt.subplots(1, 2, figsize=(11, 5.2), sharey=True)
        for ax, key, title in ((axes[0], "mc_mean", "averaged over random (sigma1, sigma2, sigma3)"),
                               (axes[1], "ident_mean", "actual target (sigma = id)")):
            ax.plot(d["frac"], d["floor"], "k-", lw=2, label="exact floor sum_{i>n} lambda_i / p^2")
            ax.plot(d["frac"], d["bound"], "k:", lw=2, label="bound 1 - 1/p - (n/p^3) e^{2/(p-1)}")
            for name, rows in d["kernels"].items():
                c, ls, mk = STYLES.get(name, ("grey", "-", "."))
                ax.plot(d["frac"], rows[key], color=c, ls=ls, marker=mk, ms=5, label=name)
            ax.set_xlabel("training fraction n / p^3")
            ax.set_title(f"p = {p_str}: {title}", fontsize=9)
            ax.set_ylim(-0.05, 1.05)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("least-squares residual / ||Psi||^2")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
        fig.tight_layout(rect=(0, 0.14, 1, 1))
        figs.append(fig)
    return figs
