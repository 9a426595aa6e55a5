"""The modular-arithmetic MLP of Tikeng Notsawo+25 (reference repo neural_nets/mlp.py,
`Encoder_Decoder('matrix_product')`, Figs 1-2, 30), without biases.

For inputs (x1, x2) in [p]^2:
    M1 = reshape(E1[:, x1], (k, k)), M2 = reshape(E2[:, x2], (k, k))      E1, E2: (k^2, p)
    h  = vec(M1 @ M2)                                                     (k^2,)
    f  = W2 relu(W1 h)                                                    W1: (d, k^2), W2: (p, d)
with k = 8, d = 64 (22.7k parameters at p = 97). Init: E1, E2 as torch's default Linear(p, k^2)
weights, U(-1/sqrt(p), 1/sqrt(p)); W1 ~ N(0, 1/k^2), W2 ~ N(0, 1/d) (std 1/sqrt(fan_in)).
The blog's formula (Hadamard product with biases) is not what the code trains.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from grokcheck.theory.validation import check_int


class MatrixProductMLP(nn.Module):
    """forward(inputs (B, 2) long) -> logits (B, p). `weights()` lists the four weight matrices."""

    def __init__(self, p: int, k: int = 8, hidden: int = 64, generator: torch.Generator | None = None,
                 dtype=torch.float32, device=None):
        """generator: the init's torch.Generator (e.g. `ctx.rng("init")`); None draws from torch's global
        default generator, only on purpose. Draws are made on the generator's device, then moved to `device`."""
        super().__init__()
        self.p, self.k = check_int("p", p, 2), check_int("k", k, 1)
        hidden = check_int("hidden", hidden, 1)
        g, gdev = generator, (generator.device if generator is not None else "cpu")
        bound = 1 / math.sqrt(p)
        u = lambda *shape: ((torch.rand(*shape, generator=g, dtype=dtype, device=gdev) * 2 - 1) * bound).to(device)
        n = lambda *shape: torch.randn(*shape, generator=g, dtype=dtype, device=gdev).to(device)
        self.E1 = nn.Parameter(u(k * k, p))                                     # (k^2, p)
        self.E2 = nn.Parameter(u(k * k, p))                                     # (k^2, p)
        self.W1 = nn.Parameter(n(hidden, k * k) / k)                            # (d, k^2)
        self.W2 = nn.Parameter(n(p, hidden) / math.sqrt(hidden))                # (p, d)

    def weights(self) -> list[torch.Tensor]:
        return [self.E1, self.E2, self.W1, self.W2]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        B, k = inputs.shape[0], self.k
        m1 = self.E1[:, inputs[:, 0]].T.reshape(B, k, k)   # (B, k, k)
        m2 = self.E2[:, inputs[:, 1]].T.reshape(B, k, k)   # (B, k, k)
        # M1 @ M2 as a broadcast product summed over the inner index: (B, k, k, 1) * (B, 1, k, k) -> (B, k, k, k);
        # CPU bmm on many 8x8 matrices is ~10x slower than this
        h = (m1.unsqueeze(3) * m2.unsqueeze(1)).sum(2).reshape(B, k * k)  # (B, k^2)
        return torch.relu(h @ self.W1.T) @ self.W2.T        # (B, p)


@torch.no_grad()
def weight_norms(tensors, l0_threshold: float = 1e-4) -> dict:
    """Norms over all weights, as logged by the paper: l0 = #{|w| > l0_threshold}, l1 = sum |w|,
    l2 = sqrt(sum w^2) (unsquared, all weights together), nuclear = sum over matrices of ||W||_*."""
    tensors = [t.detach().double() for t in tensors]
    return {"l0": float(sum(int((t.abs() > l0_threshold).sum()) for t in tensors)),
            "l1": float(sum(t.abs().sum() for t in tensors)),
            "l2": float(math.sqrt(sum(float((t * t).sum()) for t in tensors))),
            "nuclear": float(sum(torch.linalg.matrix_norm(t, ord="nuc") for t in tensors if t.ndim == 2))}
