"""MLP on concatenated token embeddings for `x op y =` sequences (PKU project Sec. 2.2).

h_0 = [E x_1; E x_2; ...; E x_T] in R^{T d} (so the operands interact in the first
layer; the PKU notebook's per-token MLP only ever saw "=" at the answer position), then
`depth` ReLU layers of width `hidden` with optional dropout, then a linear map to p logits.
Each example is processed on its own row, so examples never interact.
"""
from __future__ import annotations

import torch
from torch import nn

from grokcheck.models.transformer import Dropout, TokenModel
from grokcheck.theory.validation import check_int


class MLP(TokenModel):
    """Tokens (N, T) long -> logits (N, p).

    Args:
        p: modulus (vocabulary p + 2). seq_len: T. d: embedding width.
        hidden: width of each hidden layer. depth: number of hidden layers (>= 1).
        dropout: rate after each hidden activation (train mode only).
        generator: torch.Generator for the init; seed: dropout mask seed.
    Cost per example: O(T d hidden + depth hidden^2 + hidden p).
    """

    def __init__(self, p: int, seq_len: int = 4, d: int = 128, hidden: int = 256, depth: int = 1,
                 dropout: float = 0.0, generator: torch.Generator | None = None, seed: int = 0):
        super().__init__(p, seq_len, d)
        hidden, depth = check_int("hidden", hidden, 1), check_int("depth", depth, 1)
        layers: list[nn.Module] = []
        width_in = seq_len * d
        for i in range(depth):
            layers += [nn.Linear(width_in, hidden), nn.ReLU(), Dropout(dropout, seed, i)]
            width_in = hidden
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden, p)
        self.init_parameters_(generator, seed)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.check_tokens(tokens)
        h = self.tok(tokens).flatten(1)  # (N, T d)
        return self.head(self.body(h))  # (N, p)
