"""R quadratic-net runs trained in one pass with analytic gradients: no autograd graph, no p^2 masks.

The same training as `models.batched.train_batched` with `quadratic_pairs_forward` /
`quadratic_triples_forward` (the reference, autograd), for the paper's network f = V (W x)^2
(Mohamadi+24 Sec. 2) on one-hot pairs or triples. Per run r, on its n_r training rows only (rows
padded to n_max with weight 0; w_i = 1 / n_r), with H (n, h), Z (n, h), F (n, p):

    pairs (a, b):  H = W[:, a] + W[:, p + b],  Z = H * H,  F = Z V^T
        ce:  G = w (softmax(F) - onehot(y))          mse: G = 2 w (F - onehot(y))        (n, p)
        dV = G^T Z (p, h),  dH = 2 H * (G V) (n, h),  dW[:, a_i] += dH_i,  dW[:, p + b_i] += dH_i
    triples (a, b, c), mse only:  g = <Z_i, V[c_i]>,  dg = 2 w (g - y),
        dV[c_i] += dg_i Z_i,  dH = 2 H * (dg V[c])

The three products of a pairs step are batched matrix products over the runs (`torch.bmm`); the
one-hot inputs are gathers (`embedding_bag`, the reference's forward) and their adjoint is one
sparse (CSR) matrix product built once per set of live runs. The optimizers of models/train.py
(gd / ngd / sign with decoupled weight decay, adam / adamw / sgd_nesterov with torch.optim's
arithmetic, eps / betas / momentum from the config) and every penalty of models/penalties.py
(`penalty_subgradient(..., runs=True)`) act on the stacked state (W (R, h, 2p), V (R, p, h)).

Runs of different n: the rows are cut into chunks (`row_chunk_rows`) and a chunk past a run's n_r
leaves that run out of its products (`_Rows`), so a grid of training sizes costs about its own rows,
not R n_max; a caller with such a grid cuts the chunks at its smallest n. For a given `row_chunk_rows`
the chunk boundaries do not depend on the other runs, so each run's sums are the ones it would have
alone (to the batched product's round-off); the default chunk (`row_chunk`) depends on R and the
largest n of the pass.

Evaluation runs only at the eval steps, over the whole table in chunks of R x `eval_rows` rows,
with per-run sums instead of per-run boolean selections. A run whose loss turns NaN/Inf is
frozen (`History.diverged_at`), and `stop(step, run, metrics)` may freeze a run once its event
is recorded (its History then ends at that eval step); frozen runs leave the products, so the
work per step follows the live runs. The device is the tensors' device (CPU or CUDA, no branch).
"""
from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F

from grokcheck.models.batched import _bshape, _check_masks, _check_same_architecture, _log_points, _per_point_loss, \
    default_test_masks, masks_to_index, quadratic_pairs_forward, quadratic_triples_forward, run_scales, \
    stateless_step, train_batched
from grokcheck.models.groups import _fit_budget, group_bytes
from grokcheck.models.penalties import penalty_subgradient
from grokcheck.models.quadratic import QuadraticNet, pairs_forward
from grokcheck.models.train import DTYPES, Data, History, TrainConfig, check_targets, default_eval_steps, lr_at
from grokcheck.theory.validation import check_int


def scatter_matrix(targets: torch.Tensor, valid: torch.Tensor, rows_per_run: int, dtype,
                   runs: torch.Tensor | None = None, total: int | None = None) -> torch.Tensor:
    """The adjoint of a gather as a CSR matrix S (total * rows_per_run, R * n): S @ src (R * n, h) adds
    src row (i, j) into rows runs[i] * rows_per_run + targets[i, j, l] (l < k) wherever valid[i, j].

    targets (R, n, k) long, valid (R, n) bool; runs (R,) the stacked runs these R are (default 0..R-1,
    total R). Built once per set of live runs (the training rows are fixed)."""
    R, n, k = targets.shape
    device = targets.device
    runs = torch.arange(R, device=device) if runs is None else runs
    total = R if total is None else total
    flat = (targets + runs[:, None, None] * rows_per_run).reshape(-1)  # (R n k,)
    keep = valid[..., None].expand(R, n, k).reshape(-1)
    src = torch.arange(R * n, device=device).repeat_interleave(k)[keep]
    dst = flat[keep]
    order = torch.argsort(dst, stable=True)
    crow = torch.zeros(total * rows_per_run + 1, dtype=torch.long, device=device)
    crow[1:] = torch.cumsum(torch.bincount(dst, minlength=total * rows_per_run), 0)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the CSR @ dense product is all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, src[order], torch.ones(len(src), dtype=dtype, device=device),
                                       (total * rows_per_run, R * n), check_invariants=True)


CHUNK_BYTES = 4 << 20  # per (R, rows, h) activation of one row chunk on the CPU (near the cache; `row_chunk`)


class _Rows:
    """The training rows of a set of runs: tokens (R, n, 2 | 3) long, targets (R, n), weights (R, n)
    (1 / n_r, 0 on padding: each run's own rows come first, `batched.masks_to_index`), cut into row
    chunks of `chunk` rows per run. Each chunk keeps the runs that have training rows in it (`runs`:
    None for all R, else their indices; a run with fewer rows leaves the products of the chunks past
    its n_r, so runs of different n cost their own rows, not n_max), their gather indices into the
    stacked tables (W^T as (R * 2p, h), V as (R * p, h)) and the CSR adjoints of those gathers, built
    once; chunks past every run's rows are dropped. The chunk boundaries do not depend on which runs a
    chunk keeps, so a run's sums are the ones it has in a batch of runs of its own n, up to the batched
    product's round-off (`torch.bmm` may block a small product differently at another batch size:
    ~1e-16 relative in float64; bit-identical at the claims' sizes checked)."""

    def __init__(self, tokens, targets, weights, p: int, chunk: int):
        self.tokens, self.y, self.w, self.p, self.chunk = tokens, targets, weights, p, chunk
        R, n, k = tokens.shape
        device = tokens.device
        counts = (weights > 0).sum(1)  # (R,) training rows per run
        self.chunks = []
        for s in range(0, n, chunk):
            live = counts > s
            if not bool(live.any()):  # past every run's rows (a subset of runs keeps the full set's n_max)
                break
            runs = None if bool(live.all()) else torch.nonzero(live).flatten()
            sel = (lambda t: t) if runs is None else (lambda t: t[runs])
            tk, w = sel(tokens)[:, s:s + chunk], sel(weights)[:, s:s + chunk]
            base = (torch.arange(R, device=device) if runs is None else runs)[:, None]
            cols = torch.stack([tk[..., 0], tk[..., 1] + p], 2)  # (R', c, 2) columns of W
            flat_ab = (cols + 2 * p * base[..., None]).reshape(-1, 2)  # (R' c, 2) rows of the W^T table
            S_W = scatter_matrix(cols, w > 0, 2 * p, weights.dtype, runs, R)
            flat_c = tk[..., 2] + p * base if k == 3 else None  # (R', c) rows of the V table
            S_V = scatter_matrix(tk[..., 2:], w > 0, p, weights.dtype, runs, R) if k == 3 else None
            self.chunks.append((flat_ab, flat_c, sel(targets)[:, s:s + chunk], w, S_W, S_V, runs))

    def subset(self, runs: torch.Tensor) -> "_Rows":
        return _Rows(self.tokens[runs], self.y[runs], self.w[runs], self.p, self.chunk)


def row_chunk(R: int, width: int, dtype, device, n: int | None = None) -> int:
    """Rows per run of one chunk: the most whose (R, rows, width) activation fits CHUNK_BYTES on the CPU,
    a share of the free memory on CUDA (`group_bytes`); with n (the runs' most rows), evened out over the
    ceil(n / rows) chunks it takes, so no chunk is a thin remainder.

    CHUNK_BYTES = 4 MiB, measured (stop 36, `bench/bench_train.py`'s setting, R = 8, 2 cores, share of the
    same run's GEMM, 4 MiB against the 16 MiB of the run groups used before): p = 47 41.4% / 40.7%
    against 40.7% / 38.9% (float32 / float64), p = 97 72.8% / 65.8% against 64.1% / 62.5%, p = 31 32.6% /
    37.1% against 31.0% / 32.1%: the activations of a chunk (H, Z, dH, the (p, rows) logits) stay near the
    cache between the three products."""
    budget = CHUNK_BYTES if torch.device(device).type != "cuda" else group_bytes(device)
    rows = max(64, budget // (R * width * torch.empty((), dtype=dtype).element_size()))
    if n:
        rows = -(-n // -(-n // rows))  # ceil(n / ceil(n / rows)): equal chunks
    return rows


def log_prob_floor(dtype) -> float:
    """The smallest log-probability the fused cross-entropy gradient exponentiates: log(tiny) + 1, so
    probabilities below e * tiny (3.2e-38 in float32, 6.1e-308 in float64) are raised to it, an absolute
    change below e * tiny per entry of softmax - onehot. exp returns a denormal number below log(tiny), and
    the CPU's vectorized exp takes a slow path there: 36x its normal time in float32, measured (the float32
    rounding of log(tiny) itself lies below log(tiny); a trained net's margins put most of its logits
    there, which made the float32 step 2x slower late in training than at init, stop 36)."""
    return math.log(torch.finfo(dtype).tiny) + 1.0


def quadratic_grads(W: torch.Tensor, V: torch.Tensor, rows: _Rows, loss: str):
    """Per-run mean losses (R,) and the analytic gradients (dW (R, h, 2p), dV (R, p, h)) of the
    quadratic net on `rows` (module docstring), summed over the row chunks. W (R, h, 2p), V (R, p, h)."""
    R, width, two_p = W.shape
    p = V.shape[1]
    table = W.transpose(1, 2).reshape(R * two_p, width)  # W^T stacked: row r * 2p + j is column j of W_r
    run_loss = torch.zeros(R, dtype=W.dtype, device=W.device)
    dV = torch.zeros_like(V)
    dWt = torch.zeros(R * two_p, width, dtype=W.dtype, device=W.device)
    for flat_ab, flat_c, y, w, S_W, S_V, runs in rows.chunks:
        Rc, n = y.shape  # the chunk's runs (all R, or those with rows here: `runs`)
        H = F.embedding_bag(flat_ab, table, mode="sum").reshape(Rc, n, width)  # W[:, a] + W[:, p + b], (Rc, n, h)
        Z = H * H
        if flat_c is None:  # logits transposed, (Rc, p, n): the faster layout of the three products on the CPU
            Vr = V if runs is None else V[runs]  # (Rc, p, h)
            dVr = dV if runs is None else dV[runs]  # a copy for a subset: written back below
            out = torch.bmm(Vr, Z.transpose(1, 2))  # F^T = V Z^T, (Rc, p, n)
            w2 = 2 * w[:, None, :]  # G2 = 2 G: the factor 2 of dH rides on the small (p, n) tensor (exact)
            if loss == "ce":
                ls = torch.log_softmax(out, 1)
                part = (-ls.gather(1, y[:, None, :])[:, 0] * w).sum(1)  # the chunk's per-run losses (Rc,)
                # softmax = exp(log-softmax), probabilities raised to e * tiny (`log_prob_floor`)
                G2 = ls.clamp_(min=log_prob_floor(ls.dtype)).exp_().mul_(w2)
                G2.scatter_add_(1, y[:, None, :], -w2)  # 2 w (softmax - onehot), (Rc, p, n)
            else:
                target = F.one_hot(y, p).to(out.dtype).transpose(1, 2) if not y.is_floating_point() else y[:, None, :]
                d = out.sub_(target)
                part = ((d * d).sum(1) * w).sum(1)
                G2 = d.mul_(2 * w2)  # 2 (2 w d)
            dVr.baddbmm_(G2, Z, alpha=0.5)  # G^T Z, (Rc, p, h)
            dH = torch.bmm(G2.transpose(1, 2), Vr).mul_(H)  # 2 (G V) * H, (Rc, n, h)
        else:
            if loss != "mse":
                raise ValueError(f"the regression output (triples) trains with loss 'mse', got {loss!r}")
            Vc = F.embedding(flat_c, V.reshape(R * p, width))  # (Rc, n, h)
            d = (Z * Vc).sum(2) - y.to(Z.dtype)  # (Rc, n)
            part = (d * d * w).sum(1)
            dg = (2 * w * d)[..., None]  # (Rc, n, 1)
            dV.view(R * p, width).addmm_(S_V, (Z * dg).reshape(Rc * n, width))
            dH = (Vc * (2 * dg)).mul_(H)
        if runs is None:
            run_loss += part
        else:
            run_loss.index_add_(0, runs, part)
            if flat_c is None:
                dV[runs] = dVr
        dWt.addmm_(S_W, dH.reshape(Rc * n, width))
    dW = dWt.reshape(R, two_p, width).transpose(1, 2)  # (R, h, 2p)
    return run_loss.double(), dW, dV


class StackedOptimizer:
    """The update rules of models/train.py (module docstring there) on stacked tensors (R, ...), with a
    per-run lr multiplier `scale` (R,) (0 freezes a run: its parameters do not move)."""

    def __init__(self, params: list, config: TrainConfig):
        self.params, self.config, self.t = params, config, 0
        self.m = [torch.zeros_like(q) for q in params] if config.optimizer in ("adam", "adamw") else None
        self.v = [torch.zeros_like(q) for q in params] if config.optimizer in ("adam", "adamw") else None
        self.buf = None

    @torch.no_grad()
    def step(self, grads: list, lr: float, scale: torch.Tensor, frozen: bool | None = None,
             one_lr: bool | None = None) -> None:
        """One update; scale (R,) per-run lr multipliers. frozen (some scale is 0) and one_lr (every scale
        is 0 or 1: torch.optim's scalar arithmetic) may be passed by a caller that knows them (no sync)."""
        cfg, params = self.config, self.params
        frozen = bool((scale == 0).any()) if frozen is None else frozen
        uniform = bool(((scale == 1) | (scale == 0)).all()) if one_lr is None else one_lr
        steps = [_bshape(scale * lr, q) for q in params]  # per-run lr (R, 1, ...), as train_batched
        opt, wd = cfg.optimizer, cfg.weight_decay
        if opt in ("gd", "ngd", "sign"):
            stateless_step(params, grads, steps, opt, wd)
            return
        saved = [q.clone() for q in params] if frozen else None
        if opt == "sgd_nesterov":
            if wd:
                grads = torch._foreach_add(grads, params, alpha=wd)
            if self.buf is None:
                self.buf = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.buf, cfg.momentum)
                torch._foreach_add_(self.buf, grads)
            grads = torch._foreach_add(grads, self.buf, alpha=cfg.momentum)
            if uniform:
                torch._foreach_add_(params, grads, alpha=-lr)
            else:
                torch._foreach_sub_(params, torch._foreach_mul(grads, steps))
        else:  # adam / adamw: torch.optim.Adam(W)'s foreach arithmetic
            beta1, beta2 = cfg.betas
            self.t += 1
            if wd:
                if opt == "adamw":
                    torch._foreach_mul_(params, [1 - s * wd for s in steps] if not uniform else 1 - lr * wd)
                else:
                    grads = torch._foreach_add(grads, params, alpha=wd)
            torch._foreach_lerp_(self.m, grads, 1 - beta1)
            torch._foreach_mul_(self.v, beta2)
            torch._foreach_addcmul_(self.v, grads, grads, 1 - beta2)
            bc1, bc2_sqrt = 1 - beta1 ** self.t, (1 - beta2 ** self.t) ** 0.5
            denom = torch._foreach_sqrt(self.v)
            torch._foreach_div_(denom, bc2_sqrt)
            torch._foreach_add_(denom, cfg.eps)
            if uniform:
                torch._foreach_addcdiv_(params, self.m, denom, (lr / bc1) * -1)
            else:
                ratio = torch._foreach_div(self.m, denom)
                torch._foreach_sub_(params, torch._foreach_mul(ratio, [s / bc1 for s in steps]))
        if saved is not None:
            for q, s in zip(params, saved):
                q.copy_(torch.where(_bshape(scale, q) > 0, q, s))


@torch.no_grad()
def evaluate_runs(W, V, x, y, train_masks, test_masks, config: TrainConfig, scale, rows: int,
                  penalty_weights: list | None = None) -> list:
    """Per-run metrics (list of R dicts, the keys of models.train's History) over the whole table
    x (N, 2 | 3), y (N,), in chunks of R x `rows` rows; per-run means are masked sums (one host sync).
    scale: the regression accuracy scale, per run (R,) (`batched.run_scales`) or one number.
    penalty_weights: per-run l_inf weights (R,) for the objective, default config.penalty_weight."""
    R, N = train_masks.shape
    scale = torch.as_tensor(scale, dtype=torch.float64, device=W.device).expand(R)  # a number: every run's
    fwd = quadratic_pairs_forward if x.shape[1] == 2 else quadratic_triples_forward
    params = {"W": W, "V": V}
    sums = torch.zeros(4, R, dtype=torch.float64, device=W.device)  # train loss, train acc, test loss, test acc
    for s in range(0, N, rows):
        xs, ys = x[s:s + rows], y[s:s + rows]
        out = fwd(params, xs.expand(R, *xs.shape))  # (R, c, p) or (R, c)
        yr = ys.expand(R, *ys.shape)
        loss = _per_point_loss(out, yr, config.loss).double()  # (R, c)
        if out.ndim == 3:
            acc = (out.argmax(2) == yr).double()
        else:
            acc = ((out - yr.to(out.dtype)).abs() < scale[:, None] / 2).double()
        for j, (m, v) in enumerate(((train_masks, loss), (train_masks, acc), (test_masks, loss), (test_masks, acc))):
            sums[j] += torch.where(m[:, s:s + rows], v, torch.zeros((), dtype=v.dtype, device=v.device)).sum(1)
    n_tr = train_masks.sum(1).double()
    n_te = test_masks.sum(1).double()
    means = torch.stack([sums[0] / n_tr, sums[1] / n_tr, sums[2] / n_te, sums[3] / n_te])  # (4, R); 0/0 = NaN
    linf = torch.maximum(W.abs().flatten(1).amax(1), V.abs().flatten(1).amax(1)).double()
    l2 = (W.double().pow(2).flatten(1).sum(1) + V.double().pow(2).flatten(1).sum(1)).sqrt()
    table = torch.cat([means, linf[None], l2[None]]).tolist()  # one host sync
    weights = [config.penalty_weight] * R if penalty_weights is None else penalty_weights
    out = []
    for r in range(R):
        m = {"train_loss": table[0][r], "train_acc": table[1][r], "test_loss": table[2][r], "test_acc": table[3][r],
             "linf": table[4][r], "l2": table[5][r]}
        penalized = config.penalty == "linf" and weights[r] > 0
        m["objective"] = m["train_loss"] + weights[r] * m["linf"] if penalized else m["train_loss"]
        out.append(m)
    return out


def train_fused(models: list, data: Data, train_masks: torch.Tensor, config: TrainConfig, *,
                test_masks: torch.Tensor | None = None, lrs=None, penalty_weights=None, callbacks=(), log=None,
                stop=None, eval_rows: int | None = None, row_chunk_rows: int | None = None) -> tuple[list, dict]:
    """Train R = len(models) QuadraticNets in one pass (module docstring); the models are not changed.

    Args:
        models: R QuadraticNet of one shape (their initial parameters differ by seed).
        data: the shared table: inputs (N, 2) pairs (a, b) with long targets, or (N, 3) triples
            (a, b, c) with float targets and loss "mse" (the regression output f_c(a, b)).
        train_masks: (R, N) bool, run r trains on data[train_masks[r]]. test_masks: (R, N) bool,
            default ~train_masks.
        config: as for models.train.train, full batch (batch_size None).
        lrs: optional per-run learning rates (R,) (every optimizer); default config.lr.
        penalty_weights: optional per-run weights (R,) >= 0 of config.penalty (a lambda sweep in one
            pass); default config.penalty_weight for every run.
        callbacks: cb(step, params, metrics) at every eval step, params {"W": (R, h, 2p), "V": (R, p, h)}
            (live tensors: copy what you keep), metrics a list of R dicts.
        stop: optional stop(step, run, metrics) -> bool at the eval steps: True freezes the run
            (its History ends at this step; it leaves the products).
        eval_rows: table rows per evaluation chunk (R x eval_rows rows per pass); default as
            train_batched (config.eval_chunk // R, capped by the device's group budget).
        row_chunk_rows: training rows per run of one gradient chunk (default `row_chunk`: activations of
            at most about CHUNK_BYTES on the CPU, evened out over the runs' largest n); results agree
            across chunkings to round-off.
    Returns: (histories: list of R History, params {"W": (R, h, 2p), "V": (R, p, h)} final, detached).
    """
    if config.batch_size is not None:
        raise ValueError("train_fused runs full batch only (batch_size=None)")
    R = len(models)
    if R == 0:
        raise ValueError("need at least one model")
    if not all(isinstance(m, QuadraticNet) for m in models):
        raise ValueError("train_fused trains QuadraticNet models only; use models.batched.train_batched")
    _check_same_architecture(models)
    N = len(data)
    test_masks = default_test_masks(train_masks, test_masks)
    _check_masks(train_masks, test_masks, R, N)
    dtype = DTYPES[config.dtype]
    p = models[0].p
    W = torch.stack([m.W.detach() for m in models]).to(dtype).contiguous()  # (R, h, 2p)
    V = torch.stack([m.V.detach() for m in models]).to(dtype).contiguous()  # (R, p, h)
    device = W.device
    x, y = data.inputs.to(device), data.targets.to(device)
    if x.is_floating_point() or x.ndim != 2 or x.shape[1] not in (2, 3):
        raise ValueError(f"train_fused takes integer pairs (N, 2) or triples (N, 3), got {x.dtype} {tuple(x.shape)}")
    if x.shape[1] == 3 and config.loss != "mse":
        raise ValueError(f"triples (the regression output) train with loss 'mse', got {config.loss!r}")
    if N and (int(x.min()) < 0 or int(x.max()) >= p):
        raise ValueError(f"token ids must lie in [0, {p}), got [{int(x.min())}, {int(x.max())}]")
    y = y.to(dtype) if y.is_floating_point() else y
    check_targets(p if x.shape[1] == 2 else None, Data(x, y))
    train_masks, test_masks = train_masks.to(device), test_masks.to(device)
    scale = run_scales(y, train_masks)
    lr_scale = _check_lrs(lrs, R, config, device)
    pen_w = _check_penalty_weights(penalty_weights, R, config)
    idx, wts = masks_to_index(train_masks)
    chunk = row_chunk(R, max(W.shape[1], p), dtype, device, idx.shape[1]) if row_chunk_rows is None else \
        check_int("row_chunk_rows", row_chunk_rows, 1)
    full = _Rows(x[idx], y[idx], wts.to(dtype), p, chunk)
    rows, live = full, None  # rows of the live runs `live` (None: all)
    opt = StackedOptimizer([W, V], config)
    if eval_rows is None:
        eval_rows = _fit_budget(R * max(2 * p, W.shape[1]) * W.element_size(), max(1, config.eval_chunk // R),
                                group_bytes(device))
    eval_rows = check_int("eval_rows", eval_rows, 1)
    histories = [History(device=str(device)) for _ in range(R)]
    ended = [False] * R  # diverged or stopped: frozen, no more History entries (host-side: no device sync)
    eval_steps = set(config.eval_steps if config.eval_steps is not None else default_eval_steps(config.steps, config.n_eval))
    eval_steps = {s for s in eval_steps if 0 <= s <= config.steps} | {0, config.steps}
    use_penalty = config.penalty is not None and (config.penalty_weight > 0 if pen_w is None else max(pen_w) > 0)
    pen_w_dev = None if pen_w is None else torch.tensor(pen_w, dtype=dtype, device=device)
    log_at = _log_points(eval_steps)
    live_now = None  # the live runs the rows / masks below were built for

    for step in range(config.steps + 1):
        if step in eval_steps:
            metrics = evaluate_runs(W, V, x, y, train_masks, test_masks, config, scale, eval_rows, pen_w)
            for cb in callbacks:
                cb(step, {"W": W, "V": V}, metrics)
            for r in range(R):
                if ended[r]:
                    continue
                histories[r].append(step, metrics[r])
                if not math.isfinite(metrics[r]["train_loss"]) or not math.isfinite(metrics[r]["linf"]):
                    histories[r].diverged_at = step
                    ended[r] = True
                elif stop is not None and step < config.steps and stop(step, r, metrics[r]):
                    ended[r] = True
            if log and step in log_at:
                tr = sum(m["train_acc"] for m in metrics) / R
                te = sum(m["test_acc"] for m in metrics) / R
                log(f"step {step}: {R} runs ({sum(not e for e in ended)} live), mean train acc {tr:.3f}, "
                    f"mean test acc {te:.3f}")
        if step == config.steps or all(ended):
            break
        if ended != live_now:
            live_now = list(ended)
            alive = torch.tensor([not e for e in ended], device=device)
            live = None if not any(ended) else torch.nonzero(alive).flatten()
            rows = full if live is None else full.subset(live)
        if live is None:
            run_loss, gW, gV = quadratic_grads(W, V, rows, config.loss)
        else:
            run_loss, gWl, gVl = quadratic_grads(W[live], V[live], rows, config.loss)
            run_loss = torch.zeros(R, dtype=torch.float64, device=device).index_copy_(0, live, run_loss)
            gW = torch.zeros_like(W).index_copy_(0, live, gWl.contiguous())
            gV = torch.zeros_like(V).index_copy_(0, live, gVl)
        bad = ~torch.isfinite(run_loss)
        step_alive = alive
        if bool(bad.any()):  # the step's one device sync
            for r in torch.nonzero(bad).flatten().tolist():
                histories[r].diverged_at = step
                ended[r] = True
                if log:
                    log(f"run {r} diverged (non-finite loss) at step {step}; frozen")
            step_alive = alive & ~bad
        grads = [gW, gV]
        if use_penalty and pen_w_dev is None:
            torch._foreach_add_(grads, penalty_subgradient(config.penalty, [W, V], runs=True), alpha=config.penalty_weight)
        elif use_penalty:
            sub = penalty_subgradient(config.penalty, [W, V], runs=True)
            grads = [g + _bshape(pen_w_dev, s) * s for g, s in zip(grads, sub)]
        frozen = any(ended)
        if frozen:
            grads = [torch.where(_bshape(step_alive, g) > 0, g, torch.zeros_like(g)) for g in grads]
        opt.step(grads, lr_at(step, config), lr_scale * step_alive.double(), frozen=frozen, one_lr=lrs is None)
    return histories, {"W": W.detach(), "V": V.detach()}


def train_quadratic(models: list, data: Data, train_masks: torch.Tensor, config: TrainConfig, *, fused: bool,
                    **kw) -> tuple[list, dict]:
    """The quadratic net's batched training, one switch between the two engines: fused=True is
    `train_fused`; fused=False is the autograd reference `models.batched.train_batched` with the
    hand-batched forward (`quadratic_pairs_forward` / `quadratic_triples_forward`), its callbacks
    seeing parameter names "model.W" / "model.V". Keyword arguments as for the chosen engine
    (test_masks, lrs, callbacks, log; stop / eval_rows / row_chunk_rows / penalty_weights for fused only).

    The two agree to round-off step by step; a claim keeps the reference where its observables
    are round-off sensitive (e.g. chaotic normalized GD at lr 10, float32 runs)."""
    if fused:
        return train_fused(models, data, train_masks, config, **kw)
    fused_only = ("stop", "eval_rows", "row_chunk_rows", "penalty_weights")
    extra = sorted(k for k in fused_only if kw.get(k) is not None)
    if extra:
        raise ValueError(f"{', '.join(extra)} need the fused engine (fused=True)")
    kw = {k: v for k, v in kw.items() if k not in fused_only}
    pairs = data.inputs.shape[1] == 2
    return train_batched(models, data, train_masks, config,
                         forward=pairs_forward if pairs else (lambda m, t: m.regression_output(t)),
                         batched_forward=quadratic_pairs_forward if pairs else quadratic_triples_forward, **kw)


def _check_lrs(lrs, R: int, config: TrainConfig, device) -> torch.Tensor:
    """Per-run lr multipliers lrs / config.lr (R,) float64, ones without lrs; ValueError on a bad lrs."""
    if lrs is None:
        return torch.ones(R, dtype=torch.float64, device=device)
    lrs = torch.as_tensor(lrs, dtype=torch.float64).to(device)
    if lrs.shape != (R,):
        raise ValueError(f"lrs must have shape ({R},), got {tuple(lrs.shape)}")
    if not bool(torch.isfinite(lrs).all()) or bool((lrs <= 0).any()):
        raise ValueError(f"lrs must be positive finite learning rates, got min {float(lrs.min())}")
    return lrs / config.lr


def _check_penalty_weights(weights, R: int, config: TrainConfig) -> list | None:
    """Per-run penalty weights as a list of R floats >= 0 (None: config.penalty_weight for all);
    ValueError on a bad shape or value, or without a config.penalty to weight."""
    if weights is None:
        return None
    weights = [float(w) for w in weights]
    if len(weights) != R:
        raise ValueError(f"penalty_weights must have {R} values, got {len(weights)}")
    if not all(math.isfinite(w) and w >= 0 for w in weights):
        raise ValueError(f"penalty_weights must be finite and >= 0, got {weights}")
    if config.penalty is None:
        raise ValueError("penalty_weights need config.penalty (the penalty they weight)")
    return weights
