"""The paper's network: f(theta; x) = V (W x)^{.2}, no biases (Mohamadi+24 Sec. 2).

W in R^{h x 2p}, V in R^{p x h}; f is 3-homogeneous in theta = (W, V).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from grokcheck.theory.construction import fourier_weights
from grokcheck.theory.validation import check_int, check_modulus


def uniform_fan_in_(weight: torch.Tensor, scale: float, generator: torch.Generator | None) -> None:
    """PyTorch's default nn.Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), times `scale`."""
    bound = scale / math.sqrt(weight.shape[1])
    with torch.no_grad():
        weight.copy_((torch.rand(weight.shape, generator=generator, dtype=weight.dtype) * 2 - 1) * bound)


class QuadraticNet(nn.Module):
    """f(x) = V (W x)^2 on one-hot pairs x = (e_a, e_b).

    Args:
        p: modulus (number of tokens and of logits).
        width: hidden units h.
        init_scale: alpha, multiplies PyTorch's default uniform fan-in init (Fig. 1/2 sweeps).
        generator: torch.Generator for the init (house rule 9).
        dtype: parameter dtype.
    Parameters: W (width, 2p), V (p, width).
    """

    def __init__(self, p: int, width: int, init_scale: float = 1.0,
                 generator: torch.Generator | None = None, dtype=torch.float32):
        super().__init__()
        self.p = check_modulus(p)
        self.width = check_int("width", width, 1)
        if not init_scale > 0:
            raise ValueError(f"init_scale must be > 0, got {init_scale}")
        self.W = nn.Parameter(torch.empty(width, 2 * p, dtype=dtype))
        self.V = nn.Parameter(torch.empty(p, width, dtype=dtype))
        uniform_fan_in_(self.W, init_scale, generator)
        uniform_fan_in_(self.V, init_scale, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One-hot (or any real) inputs (n, 2p) -> logits (n, p)."""
        h = x @ self.W.T  # (n, width)
        return (h * h) @ self.V.T  # (n, p)

    def logits(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Integer inputs a, b (n,) -> logits (n, p), without building one-hot vectors."""
        h = self.W[:, a].T + self.W[:, self.p + b].T  # (n, width)
        return (h * h) @ self.V.T  # (n, p)

    def regression_output(self, triples: torch.Tensor) -> torch.Tensor:
        """The regression task's scalar g(theta; (a, b, c)) = f_c(a, b): triples (n, 3) -> (n,)."""
        a, b, c = triples.unbind(1)
        h = self.W[:, a].T + self.W[:, self.p + b].T  # (n, width)
        return ((h * h) * self.V[c]).sum(1)  # (n,)


def fourier_network(p: int, copies: int = 1, half: bool = False, dtype=torch.float64) -> QuadraticNet:
    """The Appendix F construction (`theory.construction.fourier_weights`) as a QuadraticNet of
    width 8 * len(frequencies) * copies: W (h, 2p), V (p, h)."""
    W, V = fourier_weights(p, copies, half, dtype)
    net = QuadraticNet(p, W.shape[0], dtype=dtype)
    with torch.no_grad():
        net.W.copy_(W)
        net.V.copy_(V)
    return net
