"""LSTM over `x op y =` token sequences (PKU project Sec. 2.2).

Embeddings (N, T, d) go into a batch-first LSTM that recurs over the T positions of each
example (the PKU notebook passed (T, N) input with batch_first=True, so it recurred across
examples); the answer is a linear map of the last position's top-layer hidden state.
"""
from __future__ import annotations

import torch
from torch import nn

from grokcheck.models.transformer import Dropout, TokenModel
from grokcheck.theory.validation import check_int


class LSTM(TokenModel):
    """Tokens (N, T) long -> logits (N, p).

    Args:
        p: modulus (vocabulary p + 2). seq_len: T. d: embedding width.
        hidden: LSTM hidden size. layers: stacked LSTM layers.
        dropout: rate on the final hidden state (train mode only).
        generator: torch.Generator for the init; seed: dropout mask seed.
    Cost per example: O(T layers (d + hidden) hidden), sequential in T.
    """

    def __init__(self, p: int, seq_len: int = 4, d: int = 128, hidden: int = 128, layers: int = 1,
                 dropout: float = 0.0, generator: torch.Generator | None = None, seed: int = 0):
        super().__init__(p, seq_len, d)
        hidden, layers = check_int("hidden", hidden, 1), check_int("layers", layers, 1)
        self.rnn = nn.LSTM(d, hidden, num_layers=layers, batch_first=True)
        self.drop = Dropout(dropout, seed)
        self.head = nn.Linear(hidden, p)
        self.init_parameters_(generator, seed)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.check_tokens(tokens)
        out, _ = self.rnn(self.tok(tokens))  # (N, T, hidden), batch first
        return self.head(self.drop(out[:, -1]))  # (N, p)
