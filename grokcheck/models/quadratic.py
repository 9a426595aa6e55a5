"""The paper's network: f(theta; x) = V (W x)^{.2}, no biases (Mohamadi+24 Sec. 2).

W in R^{h x 2p}, V in R^{p x h}; f is 3-homogeneous in theta = (W, V).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from grokcheck.theory.construction import fourier_weights
from grokcheck.theory.validation import check_index_tensor, check_int, check_modulus, check_real


def uniform_fan_in_(weight: torch.Tensor, scale: float, generator: torch.Generator | None) -> None:
    """PyTorch's default nn.Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), times `scale`.

    The draw is made on the generator's device (the CPU for `ctx.rng` streams) and copied to
    weight's device, so a CPU and a CUDA model from one generator are equal. generator=None draws
    from torch's global default generator: only for callers that want that on purpose."""
    bound = scale / math.sqrt(weight.shape[1])
    gdev = generator.device if generator is not None else "cpu"
    with torch.no_grad():
        draw = torch.rand(weight.shape, generator=generator, dtype=weight.dtype, device=gdev)
        weight.copy_((draw.to(weight.device) * 2 - 1) * bound)


_NO_DRAW = object()  # fourier_network's marker: the weights are set right after, no init draw


class QuadraticNet(nn.Module):
    """f(x) = V (W x)^2 on one-hot pairs x = (e_a, e_b).

    Args:
        p: modulus (number of tokens and of logits).
        width: hidden units h.
        init_scale: alpha, multiplies PyTorch's default uniform fan-in init (Fig. 1/2 sweeps).
        generator: torch.Generator for the init, e.g. `ctx.rng("init", run)`; None
            draws from torch's global default generator (only on purpose: not reproducible by seed).
        dtype: parameter dtype. device: where the parameters live (the init is drawn on the
            generator's device and copied there).
    Parameters: W (width, 2p), V (p, width).
    Inputs are validated at every public call (`logits`, `regression_output`, `forward`: one min /
    max pass); hot loops that validated their data once call `_logits` / `_regression_output`.
    """

    def __init__(self, p: int, width: int, init_scale: float = 1.0,
                 generator: torch.Generator | None = None, dtype=torch.float32, device=None):
        super().__init__()
        self.p = check_modulus(p)
        self.width = check_int("width", width, 1)
        check_real("init_scale", init_scale, 0.0, lower_open=True)
        self.W = nn.Parameter(torch.empty(width, 2 * p, dtype=dtype, device=device))
        self.V = nn.Parameter(torch.empty(p, width, dtype=dtype, device=device))
        if generator is not _NO_DRAW:
            uniform_fan_in_(self.W, init_scale, generator)
            uniform_fan_in_(self.V, init_scale, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One-hot (or any real) inputs (n, 2p) -> logits (n, p)."""
        if not x.is_floating_point() or x.ndim != 2 or x.shape[1] != 2 * self.p:
            raise ValueError(f"forward takes real inputs (n, 2p) = (n, {2 * self.p}) such as one-hot pairs, "
                             f"got {x.dtype} {tuple(x.shape)}; integer pairs go to logits(a, b)")
        h = x @ self.W.T  # (n, width)
        return (h * h) @ self.V.T  # (n, p)

    def logits(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Integer inputs a, b (n,) in [0, p) -> logits (n, p), without building one-hot vectors."""
        if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor) or a.ndim != 1 or a.shape != b.shape:
            raise ValueError("logits takes two 1-D integer tensors a, b of one length (n,)")
        check_index_tensor("pairs (a, b)", torch.stack([a, b], 1), 2, self.p)
        return self._logits(a, b)

    def _logits(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """`logits` without the input check (hot loops whose inputs were validated once)."""
        h = self.W[:, a].T + self.W[:, self.p + b].T  # (n, width)
        return (h * h) @ self.V.T  # (n, p)

    def regression_output(self, triples: torch.Tensor) -> torch.Tensor:
        """The regression task's scalar g(theta; (a, b, c)) = f_c(a, b): triples (n, 3) in [0, p) -> (n,)."""
        check_index_tensor("triples", triples, 3, self.p)
        return self._regression_output(triples)

    def _regression_output(self, triples: torch.Tensor) -> torch.Tensor:
        """`regression_output` without the input check."""
        a, b, c = triples.unbind(1)
        h = self.W[:, a].T + self.W[:, self.p + b].T  # (n, width)
        return ((h * h) * self.V[c]).sum(1)  # (n,)


def fourier_network(p: int, copies: int = 1, half: bool = False, dtype=torch.float64, device=None) -> QuadraticNet:
    """The Appendix F construction (`theory.construction.fourier_weights`) as a QuadraticNet of
    width 8 * len(frequencies) * copies on `device`: W (h, 2p), V (p, h). Deterministic (no generator)."""
    W, V = fourier_weights(p, copies, half, dtype)
    net = QuadraticNet(p, W.shape[0], dtype=dtype, device=device, generator=_NO_DRAW)
    with torch.no_grad():
        net.W.copy_(W)
        net.V.copy_(V)
    return net


def pairs_forward(model: QuadraticNet, pairs: torch.Tensor) -> torch.Tensor:
    """The `forward` that `models.train.train` / `train_batched` call for a QuadraticNet on index pairs:
    pairs (B, 2) long -> logits (B, p)."""
    return model.logits(pairs[:, 0], pairs[:, 1])
