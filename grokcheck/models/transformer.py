"""Decoder-only transformer for `x op y =` sequences (Power+22; PKU project Sec. 2.1).

Pre-LayerNorm residual blocks done right: x <- x + Attn(LN(x)); x <- x + MLP(LN(x)) (the
teddykoker/PKU code adds the residual to the *normed* x). Causal self-attention, learned
positional embeddings, GELU MLP of width 4d, final LayerNorm, and a linear head on the last
position (the EQ token) giving logits over the p answers. Paper size: 2 layers, d = 128,
4 heads. Every random draw (init and dropout masks) comes from an explicit torch.Generator.
Examples never interact: attention mixes positions within a sequence only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from grokcheck.streams import generator as stream_generator
from grokcheck.theory.validation import check_int, check_modulus, check_real


def generator_init_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every parameter with PyTorch's default init, but from `generator`.

    Linear: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)); Embedding: N(0, 1);
    LayerNorm: ones and zeros; LSTM: U(-1/sqrt(hidden), 1/sqrt(hidden)). Returns `model`.
    """
    gdev = generator.device  # draws on the generator's device, copied to the parameter's

    def uniform_(t, bound):
        t.copy_((torch.rand(t.shape, generator=generator, dtype=t.dtype, device=gdev).to(t.device) * 2 - 1) * bound)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                uniform_(m.weight, bound)
                if m.bias is not None:
                    uniform_(m.bias, bound)
            elif isinstance(m, nn.Embedding):
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator, dtype=m.weight.dtype,
                                           device=gdev).to(m.weight.device))
            elif isinstance(m, nn.LayerNorm):
                m.weight.fill_(1.0)
                m.bias.fill_(0.0)
            elif isinstance(m, nn.LSTM):
                for w in m.parameters():
                    uniform_(w, 1 / math.sqrt(m.hidden_size))
    return model


class TokenModel(nn.Module):
    """Base of the sequence models (Transformer, MLP, LSTM): tokens (N, T) long -> logits (N, p).

    Validates p and T, owns the token embedding `tok` (vocabulary p + 2: numbers, OP, EQ; width d)
    and draws every parameter from a generator once the subclass has built its layers."""

    def __init__(self, p: int, seq_len: int, d: int):
        super().__init__()
        self.p = check_modulus(p)
        self.seq_len = check_int("seq_len", seq_len, 1)
        self.tok = nn.Embedding(p + 2, check_int("d", d, 1))

    def init_parameters_(self, generator: torch.Generator | None, seed: int) -> None:
        """Draw every parameter from `generator`; None: from the stream (seed, "init") (`grokcheck.streams`)."""
        generator_init_(self, generator if generator is not None else stream_generator(seed, "init"))

    def check_tokens(self, tokens: torch.Tensor) -> None:
        if tokens.ndim != 2 or tokens.shape[1] != self.seq_len:
            raise ValueError(f"tokens must have shape (N, {self.seq_len}), got {tuple(tokens.shape)}")


class Dropout(nn.Module):
    """Inverted dropout whose masks come from its own stream: the CPU generator of
    stream (seed, "dropout", index) (`grokcheck.streams`), so the layers of a model and the models of
    different seeds never share masks.

    Masks are drawn on the CPU and moved to x's device: a CUDA run sees the same masks as a CPU
    run (one host-to-device copy of a bool mask per layer and step; cheap at these model sizes).
    Active only in `model.train()` mode; identity in eval mode or when rate == 0.
    """

    def __init__(self, rate: float, seed: int = 0, index: int = 0):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.generator = stream_generator(seed, "dropout", index)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = (torch.rand(x.shape, generator=self.generator, device=self.generator.device) >= self.rate).to(x.device)
        return x * keep.to(x.dtype) / (1.0 - self.rate)


class Block(nn.Module):
    """One pre-LN decoder block: causal multi-head attention then a GELU MLP (4d)."""

    def __init__(self, d: int, heads: int, dropout: float, seed: int, index: int = 0):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop_attn, self.drop_mlp = Dropout(dropout, seed, 2 * index), Dropout(dropout, seed, 2 * index + 1)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Causal softmax(q k^T / sqrt(d/h)) v per head, written out (vmap- and torch.func-friendly)."""
        n, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)  # each (N, T, d)
        q, k, v = (z.view(n, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))  # (N, h, T, d/h)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)  # (N, h, T, T)
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()  # (T, T)
        y = scores.masked_fill(~causal, float("-inf")).softmax(-1) @ v  # (N, h, T, d/h)
        return self.proj(y.transpose(1, 2).reshape(n, t, d))  # (N, T, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_attn(self.attention(self.ln1(x)))
        return x + self.drop_mlp(self.mlp(self.ln2(x)))


class Transformer(TokenModel):
    """Tokens (N, T) long -> logits over the p answers (N, p), read at the last position.

    Args:
        p: modulus (vocabulary p + 2: numbers, OP, EQ; outputs p classes).
        seq_len: T (4 for `x op y =`, 2k for k-ary sums).
        d: model width; heads must divide it. layers: number of blocks.
        dropout: rate after attention and MLP in each block (train mode only).
        generator: torch.Generator for the init (None: stream (seed, "init")); seed: the run seed of
            the dropout streams (seed, "dropout", layer index). Build on the CPU and `.to(device)`.
    Cost per example: O(layers * (T d^2 + T^2 d)).
    """

    def __init__(self, p: int, seq_len: int = 4, d: int = 128, heads: int = 4, layers: int = 2,
                 dropout: float = 0.0, generator: torch.Generator | None = None, seed: int = 0):
        super().__init__(p, seq_len, d)
        heads, layers = check_int("heads", heads, 1), check_int("layers", layers, 1)
        if d % heads:
            raise ValueError(f"heads ({heads}) must divide d ({d})")
        self.pos = nn.Embedding(seq_len, d)
        self.blocks = nn.ModuleList(Block(d, heads, dropout, seed, i) for i in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, p)
        self.init_parameters_(generator, seed)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.check_tokens(tokens)
        x = self.tok(tokens) + self.pos.weight[None]  # (N, T, d)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x[:, -1]))  # (N, p)


@dataclass(frozen=True)
class AdamWRecipe:
    """The course project's AdamW transformer recipe (PKU project Sec. 2.1): the model and optimizer
    of one run, shared by the claims that train it (transformer-grokking, and the rich AdamW
    setting of transformer-kernel-exit). Paper values: `PKU_PAPER`."""
    p: int = 41                       # modulus
    d: int = 128                      # width
    layers: int = 2                   # transformer blocks
    heads: int = 4
    lr: float = 1e-3                  # AdamW peak lr
    weight_decay: float = 1.0
    warmup_steps: int = 10            # linear warm-up from 0.1 lr
    batch_size: int | None = 64       # None = full batch

    def __post_init__(self):
        check_modulus(self.p)
        for name in ("d", "layers", "heads"):
            check_int(name, getattr(self, name), 1)
        check_real("lr", self.lr, 0.0, lower_open=True)
        check_real("weight_decay", self.weight_decay, 0.0)
        check_int("warmup_steps", self.warmup_steps, 0)
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size, 1)


PKU_PAPER = AdamWRecipe()
# Our ci-size model: p = 23, 1 block of width 32, lr 1e-2, full batch.
PKU_SMALL = AdamWRecipe(p=23, d=32, layers=1, lr=1e-2, batch_size=None)
