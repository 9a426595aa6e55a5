"""Modular-arithmetic datasets (Mohamadi+24 Sec. 2; PKU project; Power+22).

Every dataset is the full table of a task as integer tensors; a split is a deterministic
permutation from (fraction, seed). Inputs stay as indices; `one_hot_pairs` gives the
paper's x = (e_a, e_b) in R^{2p} when a model needs it.
"""
from __future__ import annotations

import itertools

import torch

from grokcheck.streams import generator
from grokcheck.theory.validation import check_fraction, check_int, check_modulus

OPS = ("add", "sub", "mul", "div")


def modular_inverse(y: torch.Tensor, p: int) -> torch.Tensor:
    """y^(p-2) mod p, the inverse of y != 0 for prime p (Fermat). Shape as y."""
    out = torch.ones_like(y)
    base, e = y % p, p - 2
    while e:
        if e & 1:
            out = out * base % p
        base = base * base % p
        e >>= 1
    return out


def binary_table(p: int, op: str = "add") -> tuple[torch.Tensor, torch.Tensor]:
    """All pairs (x, y) and labels x op y mod p.

    Returns (inputs (N, 2) long, labels (N,) long) with N = p^2, or N = p(p-1) for
    `div`, whose y ranges over 1..p-1 and whose label is the true quotient x * y^(p-2)
    (not x * y, the bug of the PKU notebook). Raises ValueError for p < 2, unknown op,
    or a non-prime p with div.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; expected one of {', '.join(OPS)}")
    p = check_modulus(p, prime=(op == "div"))
    ys = torch.arange(1 if op == "div" else 0, p)
    x, y = torch.meshgrid(torch.arange(p), ys, indexing="ij")
    x, y = x.reshape(-1), y.reshape(-1)  # (N,)
    if op == "add":
        labels = (x + y) % p
    elif op == "sub":
        labels = (x - y) % p
    elif op == "mul":
        labels = (x * y) % p
    else:
        labels = (x * modular_inverse(y, p)) % p
    return torch.stack([x, y], dim=1), labels


def kary_sum_table(p: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All k-tuples (x1..xk) and labels x1 + ... + xk mod p: ((p^k, k) long, (p^k,) long)."""
    p = check_modulus(p)
    k = check_int("k", k, 1)
    inputs = torch.tensor(list(itertools.product(range(p), repeat=k)), dtype=torch.long)
    return inputs.reshape(-1, k), inputs.sum(dim=1) % p


def regression_triples(p: int, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's regression task: all triples (a, b, c), target p * 1[a + b = c mod p].

    Mohamadi+24 Sec. 2: N = p^3 points, the zero predictor has population loss p.
    Returns (triples (p^3, 3) long, targets (p^3,) dtype).
    """
    p = check_modulus(p)
    r = torch.arange(p)
    a, b, c = (t.reshape(-1) for t in torch.meshgrid(r, r, r, indexing="ij"))
    targets = p * ((a + b) % p == c).to(dtype)
    return torch.stack([a, b, c], dim=1), targets


def one_hot_pairs(inputs: torch.Tensor, p: int, dtype=torch.float32) -> torch.Tensor:
    """x = (e_a, e_b) in R^{2p} for index pairs (N, 2): returns (N, 2p)."""
    p = check_modulus(p)
    if inputs.ndim != 2 or inputs.shape[1] != 2:
        raise ValueError(f"inputs must have shape (N, 2), got {tuple(inputs.shape)}")
    out = torch.zeros(inputs.shape[0], 2 * p, dtype=dtype)
    out.scatter_(1, inputs[:, :1], 1.0)
    out.scatter_(1, inputs[:, 1:] + p, 1.0)
    return out


def split_indices(n_total: int, fraction: float, seed: int | torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic train/test split of range(n_total): (train (n,), test (n_total - n,)).

    n = max(1, round(fraction * n_total)); train and test are disjoint, sorted, and cover
    range(n_total). The permutation is drawn from `seed` when it is a torch.Generator (a claim
    passes `ctx.rng("split")`), or from the named stream ("split", seed) of `grokcheck.streams`
    when it is an integer, so a split never shares its permutation with another stream of the
    same seed (the eNTK subset, the init, ...). (n_total, fraction, seed) fixes the split on
    every platform.
    """
    n_total = check_int("n_total", n_total, 1)
    fraction = check_fraction(fraction)
    if isinstance(seed, torch.Generator):
        gen = seed
    else:
        gen = generator(seed, "split")
    mask = train_mask(n_total, max(1, int(round(fraction * n_total))), gen)
    return mask.nonzero()[:, 0], (~mask).nonzero()[:, 0]


def train_mask(n_total: int, n_train: int, generator: torch.Generator) -> torch.Tensor:
    """(n_total,) bool marking the training points: the first n_train of one permutation of
    range(n_total) drawn from `generator` (the one split draw of grokcheck; `split_indices` returns
    the same points as sorted indices)."""
    n_total = check_int("n_total", n_total, 1)
    n_train = check_int("n_train", n_train, 1)
    if n_train > n_total:
        raise ValueError(f"n_train must be <= n_total = {n_total}, got {n_train}")
    perm = torch.randperm(n_total, generator=generator)
    mask = torch.zeros(n_total, dtype=torch.bool)
    mask[perm[:n_train]] = True
    return mask
