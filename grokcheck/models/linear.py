"""Linear models of Tikeng Notsawo+25 ("Grokking Beyond the Euclidean Norm", Sec. 3-5),
trained by the shared loop (models/train.py) with loss "mse".

Objective conversion: train()'s "mse" is (1/N) sum_i ||f_i - y_i||^2 (a mean over points).
`sensing_data` scales inputs and targets by c = sqrt(N / 2), which turns it into the
paper's sum 1/2 ||X a - y||^2 exactly, so lr and beta keep the paper's meaning.

Batched runs: every model here holds K independent runs in one parameter (leading dim K);
the objective is separable (sum over runs of each run's loss and penalty), so one train()
call advances K runs at one lr and one penalty weight, each with its own data.

- `SensingModel`: a (K, n), f = X a (compressed sensing, completion with one-hot rows).
- `SignedDiagonalNet`: a = u^L - v^L elementwise, u, v (K, n) (a signed diagonal deep
  linear net, Woodworth+20; fixes the reference repo's positive-only a = a_1 ... a_L).
- `prox_step`: ISTA, the proximal gradient step (pure function, batched, any lr, beta).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from grokcheck.models.penalties import prox_l1, prox_nuclear
from grokcheck.models.train import Data, train
from grokcheck.numerics import one_thread
from grokcheck.theory.delay import fine_grid
from grokcheck.theory.validation import check_int


def sensing_data(X: torch.Tensor, y: torch.Tensor) -> Data:
    """Data for K runs: X (K, N, d) or (N, d), y (K, N) or (N,) -> inputs (N, K, d), targets (N, K),
    both scaled by sqrt(N / 2) so that train()'s mean squared error is 1/2 sum_k ||X_k a_k - y_k||^2."""
    if X.ndim == 2:
        X, y = X[None], y[None]
    if X.ndim != 3 or y.shape != X.shape[:2]:
        raise ValueError(f"expected X (K, N, d) and y (K, N), got {tuple(X.shape)} and {tuple(y.shape)}")
    c = math.sqrt(X.shape[1] / 2)
    return Data(inputs=c * X.transpose(0, 1).contiguous(), targets=c * y.T.contiguous())  # (N, K, d), (N, K)


def identity_test_data(a_star: torch.Tensor) -> Data:
    """Test 'data' reading every coordinate: test_loss = (1/d) sum_k ||a_k - a*_k||^2 for a* (K, d)."""
    K, d = a_star.shape
    eye = torch.eye(d, dtype=a_star.dtype, device=a_star.device)[:, None, :].expand(d, K, d).contiguous()  # (d, K, d)
    return Data(inputs=eye, targets=a_star.T.contiguous())                           # targets (d, K)


class SensingModel(nn.Module):
    """K linear predictors a (K, d) (d = n, or n1 n2 for a vectorized matrix); forward
    inputs (B, K, d) -> (B, K), f[b, k] = <x[b, k], a[k]>. Init a = init * ones (the paper's a0)."""

    def __init__(self, K: int, d: int, init: float = 1e-6, shape: tuple | None = None, device=None):
        super().__init__()
        K, d = check_int("K", K, 1), check_int("d", d, 1)
        self.shape = tuple(shape) if shape is not None else (d,)
        if math.prod(self.shape) != d:
            raise ValueError(f"shape {self.shape} does not hold d={d} entries")
        self.a = nn.Parameter(torch.full((K, *self.shape), float(init), dtype=torch.float64, device=device))  # (K, *shape)

    def vector(self) -> torch.Tensor:
        """The linear map of each run, (K, d)."""
        return self.a.reshape(self.a.shape[0], -1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bkd,kd->bk", inputs, self.vector())


class SignedDiagonalNet(nn.Module):
    """a = u^L - v^L (elementwise power), u, v (K, n) initialised at init * ones (init a float or
    one value per run, (K,)); L >= 1.

    L = 1 is plain least squares in a = u - v (GD from small init: the min-norm interpolant);
    L >= 2 has the implicit l1-like bias of small-init diagonal nets (Woodworth+20)."""

    def __init__(self, K: int, n: int, depth: int, init: float = 1e-2, device=None):
        super().__init__()
        K, n, self.depth = check_int("K", K, 1), check_int("n", n, 1), check_int("depth", depth, 1)
        scale = torch.as_tensor(init, dtype=torch.float64, device=device).reshape(-1, 1)  # (1, 1) or (K, 1): per run
        if scale.shape[0] not in (1, K):
            raise ValueError(f"init must be a float or hold K={K} values, got {scale.shape[0]}")
        self.u = nn.Parameter(scale.expand(K, n).clone())  # (K, n)
        self.v = nn.Parameter(scale.expand(K, n).clone())  # (K, n)

    def vector(self) -> torch.Tensor:
        return self.u ** self.depth - self.v ** self.depth  # (K, n)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bkd,kd->bk", inputs, self.vector())


@torch.no_grad()
def prox_step(a: torch.Tensor, X: torch.Tensor, y: torch.Tensor, lr, beta, penalty: str = "l1") -> torch.Tensor:
    """One ISTA step a <- prox_{lr beta P}(a - lr X^T (X a - y)) for 1/2 ||X a - y||^2 + beta P(a).

    a (K, d) (for "nuclear", (K, n1, n2)); X (K, N, d); y (K, N); lr, beta floats or (K,)
    tensors (one per run). P = ||a||_1 (soft thresholding) or ||A||_* (singular-value
    thresholding). Returns a new tensor shaped like a. Cost: O(K N d) (+ K SVDs)."""
    K = a.shape[0]
    lr = torch.as_tensor(lr, dtype=a.dtype, device=a.device).reshape(-1)
    beta = torch.as_tensor(beta, dtype=a.dtype, device=a.device).reshape(-1)
    flat = a.reshape(K, -1)
    r = torch.einsum("knd,kd->kn", X, flat) - y              # (K, N)
    z = flat - lr[:, None] * torch.einsum("knd,kn->kd", X, r)  # (K, d)
    thr = (lr * beta).expand(K)
    if penalty == "l1":
        return prox_l1(z, thr[:, None]).reshape(a.shape)
    if penalty == "nuclear":
        z = z.reshape(a.shape)
        return torch.stack([prox_nuclear(z[k], float(thr[k])) for k in range(K)])
    raise ValueError(f"prox_step supports 'l1' and 'nuclear', got {penalty!r}")


__all__ = ["sensing_data", "identity_test_data", "SensingModel", "SignedDiagonalNet", "prox_step", "fit_runs",
           "ista_hook", "train_linear", "run_view", "shared_data_groups"]


def fit_runs(model: nn.Module, X: torch.Tensor, y: torch.Tensor, target: torch.Tensor, config, *,
             post_step=None, log=None) -> dict:
    """Train K batched runs with models/train.py and record each run's relative errors.

    X (K, N, d), y (K, N), target (K, d): the ground truth a* (vectorized). At every eval
    step of `config` records train error ||X_k a_k - y_k|| / ||y_k|| and test error
    ||a_k - a*_k|| / ||a*_k|| (Frobenius for matrices). Returns {"steps": list (T,),
    "train_err": (T, K), "test_err": (T, K), "history": History}. Cost: config.steps train() steps."""
    rows_tr, rows_te = [], []
    y_norm = torch.linalg.vector_norm(y, dim=1)        # (K,)
    t_norm = torch.linalg.vector_norm(target, dim=1)   # (K,)

    def record(step, m, metrics):
        a = m.vector().detach().reshape(target.shape)  # (K, d)
        rows_tr.append(torch.linalg.vector_norm(torch.einsum("knd,kd->kn", X, a) - y, dim=1) / y_norm)
        rows_te.append(torch.linalg.vector_norm(a - target, dim=1) / t_norm)

    K, _, d = X.shape
    empty = Data(inputs=X.new_zeros(0, K, d), targets=X.new_zeros(0, K))  # (0, K, d), (0, K) on X's device
    hist = train(model, sensing_data(X, y), empty, config, callbacks=(record,), post_step=post_step, log=log)
    return {"steps": list(hist.steps), "train_err": torch.stack(rows_tr), "test_err": torch.stack(rows_te),
            "history": hist}


def ista_hook(lr: float, beta: float, penalty: str = "l1"):
    """post_step for train(): after a plain gd step apply prox_{lr beta P} to the parameter `a`
    of a SensingModel, so train(gd, no penalty) + this hook is ISTA (`prox_step` is the reference)."""
    def hook(step, model):
        if penalty == "l1":
            model.a.copy_(prox_l1(model.a, lr * beta))
        else:
            model.a.copy_(torch.stack([prox_nuclear(m, lr * beta) for m in model.a]))
    return hook


# --- one tensor program for many runs ----------------------------------------------------------

def _init_entries(init, R: int, d: int, dtype, device) -> torch.Tensor:
    """init as an (R, d) tensor: a float or (R,) values fill each run's a; an (R, d) tensor is each run's a."""
    t = torch.as_tensor(init, dtype=dtype, device=device)
    if t.ndim == 2:
        if t.shape != (R, d):
            raise ValueError(f"an init matrix must have shape (R, d) = ({R}, {d}), got {tuple(t.shape)}")
        return t.clone()
    return _per_run(t, R, dtype, device, "init")[:, None].expand(R, d).clone()


def _per_run(v, R: int, dtype, device, name: str) -> torch.Tensor:
    """A float or an (R,) sequence -> an (R,) tensor."""
    t = torch.as_tensor(v, dtype=dtype, device=device).reshape(-1)
    if t.numel() == 1:
        t = t.expand(R)
    if t.shape != (R,):
        raise ValueError(f"{name} must be a float or hold R={R} values, got {t.numel()}")
    return t.clone()


@torch.no_grad()
def train_linear(X: torch.Tensor, y: torch.Tensor, target: torch.Tensor, *, lr, steps, beta=0.0,
                 penalty: str | None = None, ista: bool = False, depth: int | None = None, init=1e-6,
                 shape: tuple | None = None, eval_steps=None, stop_threshold: float | None = None,
                 log=None) -> dict:
    """Train R independent linear runs as one tensor program: every step advances all active runs
    with a handful of batched ops (no autograd, no per-run Python).

    The update is the one models/train.py makes with loss "mse" on `sensing_data` (the paper's
    x <- x - lr (G(x) + beta H(x)), Tikeng Notsawo+25), G the gradient of 1/2 ||X a - y||^2:
    - depth None: a (R, d) from init (init * 1 for a number), a <- a - lr (X^T r + beta H(a)), r = X a - y, H = sign(a)
      ("l1", sign(0) = 0) or U V^T of a reshaped to `shape` ("nuclear", singular values > 0);
      ista=True: a <- prox_{lr beta P}(a - lr X^T r) instead (`prox_step`);
    - depth L: a = u^L - v^L (`SignedDiagonalNet`), u, v <- u, v -+ lr L u^(L-1), v^(L-1) * X^T r.
    Per-run settings: lr, beta, init floats or (R,) tensors (init also (R, d): each run's own initial a, e.g.
    1e-6 * vec(I) for a matrix); steps an int or (R,) ints (run r makes
    steps[r] steps). Each run records train error ||X a - y|| / ||y|| and test error
    ||a - a*|| / ||a*|| at its eval steps (None: `theory.delay.fine_grid(steps[r])`; a sequence:
    shared; a list of R sequences: per run; 0 and steps[r] always); the rows of the result are the
    union of these steps, NaN where a run does not evaluate. Early stop: with `stop_threshold`, a
    run freezes (no further step, no further record) at its first eval step with test error <= it.
    A run whose errors turn NaN/Inf at an eval step is frozen there (its `diverged` step).
    Finished runs leave the batch (it shrinks), so the cost is ~ sum_r steps_r / R per step.

    X (R, N, d), y (R, N), target (R, d) a* vectorized, float64 recommended.
    Returns {"steps": list (T,), "train_err" (T, R), "test_err" (T, R), "final" (R, d) the linear
    map at each run's last step, "last" (R,) long the step each run ended at, "diverged" (R,) long
    (-1: finite)}. Cost: O(N d) per run-step (+ one batched SVD for "nuclear")."""

    if X.ndim != 3 or y.shape != X.shape[:2] or target.shape != (X.shape[0], X.shape[2]):
        raise ValueError(f"expected X (R, N, d), y (R, N), target (R, d); got {tuple(X.shape)}, "
                         f"{tuple(y.shape)}, {tuple(target.shape)}")
    if penalty not in (None, "l1", "nuclear"):
        raise ValueError(f"penalty must be None, 'l1' or 'nuclear', got {penalty!r}")
    if (ista or penalty == "nuclear") and depth is not None:
        raise ValueError("ista and the nuclear penalty act on a plain linear map (depth None)")
    R, N, d = X.shape
    dt, dev = X.dtype, X.device
    shape = tuple(shape) if shape is not None else (d,)
    if math.prod(shape) != d:
        raise ValueError(f"shape {shape} does not hold d={d} entries")
    if penalty == "nuclear" and len(shape) != 2:
        raise ValueError("the nuclear penalty needs a matrix shape (n1, n2)")
    lr, beta = (_per_run(v, R, dt, dev, k) for v, k in ((lr, "lr"), (beta, "beta")))
    init = _init_entries(init, R, d, dt, dev)
    st = torch.as_tensor(steps, dtype=torch.long).reshape(-1)
    st = st.expand(R).clone() if st.numel() == 1 else st
    if st.shape != (R,) or int(st.min()) < 0:
        raise ValueError(f"steps must be a nonnegative int or hold R={R} values")
    st_list = [int(v) for v in st]
    if eval_steps is None:
        grids = [set(fine_grid(s)) if s > 0 else set() for s in st_list]
    elif len(eval_steps) and not isinstance(eval_steps[0], (int,)) and hasattr(eval_steps[0], "__iter__"):
        if len(eval_steps) != R:
            raise ValueError(f"per-run eval_steps must hold R={R} sequences")
        grids = [set(int(t) for t in g) for g in eval_steps]
    else:
        grids = [set(int(t) for t in eval_steps)] * R
    grids = [{t for t in g if 0 <= t <= s} | {0, s} for g, s in zip(grids, st_list)]
    union = sorted(set().union(*grids))
    row = {t: i for i, t in enumerate(union)}
    at = torch.zeros(len(union), R, dtype=torch.bool)          # (T, R): run r evaluates at union[i]
    for r, g in enumerate(grids):
        at[[row[t] for t in g], r] = True
    groups = shared_data_groups(X, y)
    with one_thread(dev):
        out = _loop(X, y, target, groups, lr, beta, init, st, union, row, at, depth, ista, penalty, shape,
                    stop_threshold, log)
    return {"steps": union, "train_err": out[0], "test_err": out[1], "final": out[2], "last": out[3],
            "diverged": out[4]}


def shared_data_groups(X: torch.Tensor, y: torch.Tensor) -> list[list[int]]:
    """Runs that share their data (equal X and y), as lists of run indices in first-seen order: the
    loop multiplies each data set once by all its runs (one GEMM, not one matrix-vector per run)."""
    key = torch.stack([X.sum((1, 2)), (X * torch.linspace(1, 2, X.shape[2], dtype=X.dtype, device=X.device)).sum((1, 2)),
                       y.sum(1)], 1).cpu().tolist()
    groups: list[list[int]] = []
    seen: dict = {}
    for r, k in enumerate(map(tuple, key)):
        for g in seen.get(k, []):
            if torch.equal(X[groups[g][0]], X[r]) and torch.equal(y[groups[g][0]], y[r]):
                groups[g].append(r)
                break
        else:
            seen.setdefault(k, []).append(len(groups))
            groups.append([r])
    return groups


def _loop(X, y, target, groups, lr, beta, init, st, union, row, at, depth, ista, penalty, shape, stop_threshold, log):
    """The step loop of `train_linear`. Layout: D data sets x M slots, state (D, d, M); slot (k, m) is
    run groups[k][m] (-1: padding). A stopped run keeps its slot with lr 0 (frozen exactly); a data set
    leaves the batch when all its runs have stopped."""
    R, N, d = X.shape
    dt, dev = X.dtype, X.device
    D, M = len(groups), max(len(g) for g in groups)
    slot = torch.full((D, M), -1, dtype=torch.long)
    for k, g in enumerate(groups):
        slot[k, :len(g)] = torch.tensor(g)
    valid = slot >= 0
    ridx = slot.clamp_min(0)
    first = torch.tensor([g[0] for g in groups])
    c = {"slot": slot, "alive": valid.clone(),
         "X": X[first.to(dev)], "y": y[first.to(dev)][:, :, None],                       # (D, N, d), (D, N, 1)
         "t": target[ridx.to(dev)].transpose(1, 2),                                         # (D, d, M)
         "lr": lr[ridx.to(dev)][:, None, :], "beta": beta[ridx.to(dev)][:, None, :],      # (D, 1, M)
         "st": st[ridx]}                                                                    # (D, M)
    c["XT"] = c["X"].transpose(1, 2).contiguous()
    c["yn"] = torch.linalg.vector_norm(c["y"], dim=(1, 2))[:, None]                        # (D, 1)
    c["tn"] = torch.linalg.vector_norm(c["t"], dim=1)                                       # (D, M)
    a0 = init[ridx.to(dev)].transpose(1, 2).contiguous()                                  # (D, d, M)
    c["s"] = [a0.clone()] if depth is None else [a0.clone(), a0.clone()]                  # a or (u, v)
    c["lr_eff"] = c["lr"] * valid.to(dev)[:, None, :]
    train_err = torch.full((len(union), R), math.nan, dtype=dt)
    test_err = torch.full((len(union), R), math.nan, dtype=dt)
    final = torch.full((R, d), math.nan, dtype=dt, device=dev)
    last = st.clone()
    diverged = torch.full((R,), -1, dtype=torch.long)

    def vector(s):
        return s[0] if depth is None else s[0] ** depth - s[1] ** depth

    def svd_subgrad(a, thr=None):
        """a (Dc, d, M) -> U V^T (thr None; 0 on stopped slots) or the singular-value prox with
        thresholds thr (Dc, 1, M) (a itself on stopped slots), same layout; SVDs of live slots only."""
        alive = c["alive"].to(dev)                                                  # (Dc, M)
        flat = a.transpose(1, 2)                                                    # (Dc, M, d)
        u_, s_, vh = torch.linalg.svd(flat[alive].reshape(-1, *shape), full_matrices=False)
        w = (s_ > 0).to(dt) if thr is None else torch.clamp(s_ - thr.transpose(1, 2)[alive], min=0.0)
        out = torch.zeros_like(flat) if thr is None else flat.clone()
        out[alive] = ((u_ * w[..., None, :]) @ vh).reshape(-1, d)
        return out.transpose(1, 2)

    eval_set, n_evals, done = set(union), len(union), 0
    for step in range(int(st.max()) + 1 if R else 0):
        if step in eval_set:
            i = row[step]
            a = vector(c["s"])                                                            # (Dc, d, M)
            tr = (torch.linalg.vector_norm(torch.bmm(c["X"], a) - c["y"], dim=1) / c["yn"]).cpu()  # (Dc, M)
            te = (torch.linalg.vector_norm(a - c["t"], dim=1) / c["tn"]).cpu()
            sl = c["slot"]
            here = c["alive"] & at[i][sl.clamp_min(0)]
            runs = sl[here]
            train_err[i, runs], test_err[i, runs] = tr[here], te[here]
            bad = here & ~(torch.isfinite(tr) & torch.isfinite(te))
            stop = here & ((c["st"] == step) | bad)
            if stop_threshold is not None:
                stop |= here & (te <= stop_threshold)
            if bool(stop.any()):
                sd = stop.to(dev)
                final[sl[stop].to(dev)] = a.transpose(1, 2)[sd]
                last[sl[stop]] = step
                diverged[sl[bad]] = step
                for t in c["s"]:                      # a diverged run's slot restarts from 0, frozen (no NaN in SVDs)
                    t.masked_fill_(bad.to(dev)[:, None, :], 0.0)
                c["alive"] = c["alive"] & ~stop
                c["lr_eff"] = c["lr"] * c["alive"].to(dev)[:, None, :]
                keep = c["alive"].any(1)
                if not bool(keep.any()):
                    break
                if not bool(keep.all()):
                    kd = keep.to(dev)
                    c = {k: ([t[kd] for t in v] if k == "s" else v[keep] if k in ("slot", "alive", "st") else v[kd])
                         for k, v in c.items()}
            done += 1
            if log and done % max(1, n_evals // 10) == 0:
                log(f"step {step}: {int(c['alive'].sum())}/{R} runs active")
        a = vector(c["s"])
        g = torch.bmm(c["XT"], torch.bmm(c["X"], a) - c["y"])                            # (Dc, d, M) = X^T (X a - y)
        lr_eff = c["lr_eff"]
        if depth is not None:
            u, v = c["s"]
            gu = g if depth == 1 else g * (u if depth == 2 else u ** (depth - 1))
            gv = g if depth == 1 else g * (v if depth == 2 else v ** (depth - 1))
            u.addcmul_(gu, lr_eff, value=-float(depth))
            v.addcmul_(gv, lr_eff, value=float(depth))
        elif ista:
            z = c["s"][0] - lr_eff * g
            thr = lr_eff * c["beta"]
            c["s"][0] = svd_subgrad(z, thr) if penalty == "nuclear" else torch.sign(z) * torch.clamp(z.abs() - thr, min=0.0)
        else:
            a = c["s"][0]
            if penalty == "l1":
                g.addcmul_(torch.sign(a), c["beta"])
            elif penalty == "nuclear":
                g.addcmul_(svd_subgrad(a), c["beta"])
            a.addcmul_(g, lr_eff, value=-1.0)
    return train_err, test_err, final.cpu() if dev.type != "cpu" else final, last, diverged


def run_view(out: dict, cols) -> dict:
    """The records of the runs `cols` of a `train_linear` result, as one serial fit of them would
    give: {"steps" (T',), "train_err" (T', k), "test_err" (T', k), "final" (k, d), "diverged" first
    diverged step or -1} on the rows where any of them recorded (runs of one group share a grid)."""
    cols = torch.as_tensor(list(cols), dtype=torch.long)
    tr, te = out["train_err"][:, cols], out["test_err"][:, cols]
    keep = (~torch.isnan(tr) | ~torch.isnan(te)).any(1)
    div = out["diverged"][cols]
    return {"steps": [t for t, k in zip(out["steps"], keep.tolist()) if k], "train_err": tr[keep],
            "test_err": te[keep], "final": out["final"][cols], "diverged": int(div[div >= 0].min()) if (div >= 0).any() else -1}
