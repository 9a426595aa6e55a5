"""Token sequences for the sequence models (Power+22; PKU project; teddykoker/grokking).

A binary task `x op y = z` becomes the 4-token input (x, OP, y, EQ); a k-ary sum becomes
the 2k-token input (x1, OP, x2, OP, ..., xk, EQ). Numbers are tokens 0..p-1, OP = p,
EQ = p + 1, so the vocabulary has p + 2 tokens; the label is the answer z in 0..p-1
(the loss is on the answer token only). Labels come from theory/tasks.py, so division
is the true quotient x * y^(p-2) with y in 1..p-1, not the PKU notebook's x * y.
"""
from __future__ import annotations

import torch

from grokcheck.theory.tasks import binary_table, kary_sum_table, split_indices
from grokcheck.theory.validation import check_fraction, check_int, check_modulus


def vocab_size(p: int) -> int:
    """p numbers + OP + EQ."""
    return check_modulus(p) + 2


def op_token(p: int) -> int:
    return check_modulus(p)


def eq_token(p: int) -> int:
    return check_modulus(p) + 1


def encode(operands: torch.Tensor, p: int) -> torch.Tensor:
    """Operands (N, k) long in 0..p-1 -> tokens (N, 2k): x1 OP x2 OP ... xk EQ."""
    p = check_modulus(p)
    if operands.ndim != 2 or operands.shape[1] < 1:
        raise ValueError(f"operands must have shape (N, k) with k >= 1, got {tuple(operands.shape)}")
    if operands.numel() and (operands.min() < 0 or operands.max() >= p):
        raise ValueError(f"operands must lie in 0..{p - 1}")
    n, k = operands.shape
    tokens = torch.full((n, 2 * k), op_token(p), dtype=torch.long)  # (N, 2k)
    tokens[:, 0::2] = operands
    tokens[:, -1] = eq_token(p)
    return tokens


def sequence_table(p: int, op: str = "add", k: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Every equation of a task as tokens and labels.

    op in {"add", "sub", "mul", "div"} with k = 2 (N = p^2, or p(p-1) for div), or
    op = "add" with any k >= 2 (the k-ary sum x1 + ... + xk mod p, N = p^k).
    Returns (tokens (N, 2k) long, labels (N,) long).
    """
    k = check_int("k", k, 2)
    if k == 2:
        operands, labels = binary_table(p, op)
    elif op != "add":
        raise ValueError(f"k-ary tasks (k={k}) are sums only; got op={op!r}")
    else:
        operands, labels = kary_sum_table(p, k)
    return encode(operands, p), labels


def sequence_split(p: int, op: str, fraction: float, seed: int, k: int = 2):
    """Deterministic train/test split of `sequence_table(p, op, k)`.

    Returns ((train_tokens (n, 2k), train_labels (n,)), (test_tokens, test_labels)),
    n = round(fraction * N) (at least 1). Raises ValueError if the test set is empty.
    """
    fraction = check_fraction(fraction)
    tokens, labels = sequence_table(p, op, k)
    tr, te = split_indices(len(labels), fraction, seed)
    if len(te) == 0:
        raise ValueError(f"fraction {fraction} leaves no test data (N = {len(labels)})")
    return (tokens[tr], labels[tr]), (tokens[te], labels[te])
