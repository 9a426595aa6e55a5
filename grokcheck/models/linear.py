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
from grokcheck.models.train import Data
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
           "ista_hook"]


def fit_runs(model: nn.Module, X: torch.Tensor, y: torch.Tensor, target: torch.Tensor, config, *,
             post_step=None, log=None) -> dict:
    """Train K batched runs with models/train.py and record each run's relative errors.

    X (K, N, d), y (K, N), target (K, d): the ground truth a* (vectorized). At every eval
    step of `config` records train error ||X_k a_k - y_k|| / ||y_k|| and test error
    ||a_k - a*_k|| / ||a*_k|| (Frobenius for matrices). Returns {"steps": list (T,),
    "train_err": (T, K), "test_err": (T, K), "history": History}. Cost: config.steps train() steps."""
    from grokcheck.models.train import train
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
