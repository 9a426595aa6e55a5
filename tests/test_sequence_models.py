"""Unit tests of models/sequence_tasks.py, transformer.py, mlp.py, lstm.py.

Labels are pinned (true division, k-ary sums), shapes, determinism of the init, and batch
independence: changing one example must not change any other example's output (the PKU
LSTM recurred across the batch; a model that mixes examples fails `test_batch_independence`).
"""
import pytest
import torch
from torch import nn

from grokcheck.models.lstm import LSTM
from grokcheck.models.mlp import MLP
from grokcheck.models.sequence_tasks import encode, eq_token, op_token, sequence_split, sequence_table, vocab_size
from grokcheck.models.transformer import Dropout, Transformer

P = 7


def make(kind, p=P, seq_len=4, seed=0, dropout=0.0):
    g = torch.Generator().manual_seed(seed)
    if kind == "transformer":
        return Transformer(p, seq_len, d=16, heads=2, layers=2, dropout=dropout, generator=g)
    if kind == "mlp":
        return MLP(p, seq_len, d=8, hidden=16, depth=2, dropout=dropout, generator=g)
    return LSTM(p, seq_len, d=8, hidden=12, layers=2, dropout=dropout, generator=g)


KINDS = ["transformer", "mlp", "lstm"]


@pytest.mark.parametrize("p", [5, 7, 11])
def test_division_tokens_and_labels(p):
    tokens, labels = sequence_table(p, "div")
    assert tokens.shape == (p * (p - 1), 4) and vocab_size(p) == p + 2
    x, y = tokens[:, 0], tokens[:, 2]
    assert torch.all(tokens[:, 1] == op_token(p)) and torch.all(tokens[:, 3] == eq_token(p))
    assert torch.all(y != 0)
    assert torch.all(labels == (x * y.pow(p - 2)) % p)  # x * y^(p-2): exact in int64 for p <= 11
    assert torch.all((labels * y) % p == x)
    assert not torch.equal(labels, (x * y) % p)  # not the PKU notebook's x * y


def test_kary_tokens_and_labels():
    tokens, labels = sequence_table(5, "add", k=3)
    assert tokens.shape == (125, 6)
    assert torch.all(tokens[:, [1, 3]] == op_token(5)) and torch.all(tokens[:, 5] == eq_token(5))
    assert torch.all(labels == tokens[:, [0, 2, 4]].sum(1) % 5)
    assert tokens[7].tolist() == [0, 5, 1, 5, 2, 6]  # (0, 1, 2), row 0*25+1*5+2


def test_encode_and_split_validation():
    with pytest.raises(ValueError):
        encode(torch.tensor([[0, 7]]), 7)
    with pytest.raises(ValueError):
        sequence_table(7, "mul", k=3)
    with pytest.raises(ValueError):
        sequence_split(7, "add", 1.0, seed=0)
    (xtr, ytr), (xte, yte) = sequence_split(7, "add", 0.5, seed=3)
    assert len(ytr) + len(yte) == 49 and xtr.shape[1] == 4
    assert set(map(tuple, xtr.tolist())).isdisjoint(map(tuple, xte.tolist()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seq_len", [4, 6])
def test_shapes_and_deterministic_init(kind, seq_len):
    tokens = torch.randint(0, P, (9, seq_len), generator=torch.Generator().manual_seed(1))
    out = make(kind, seq_len=seq_len)(tokens)
    assert out.shape == (9, P)
    assert torch.equal(out, make(kind, seq_len=seq_len)(tokens))
    assert not torch.equal(out, make(kind, seq_len=seq_len, seed=1)(tokens))
    with pytest.raises(ValueError):
        make(kind, seq_len=seq_len)(tokens[:, :-1])


@pytest.mark.parametrize("kind", KINDS)
def test_batch_independence(kind):
    tokens, _ = sequence_table(P, "add")
    model = make(kind).eval()
    with torch.no_grad():
        base = model(tokens)
        changed = tokens.clone()
        changed[3, 0] = (changed[3, 0] + 1) % P
        out = model(changed)
        alone = model(tokens[10:11])
    others = torch.arange(len(tokens)) != 3
    assert torch.allclose(out[others], base[others], rtol=0, atol=1e-6)
    assert not torch.allclose(out[3], base[3])  # the changed example's output does move
    assert torch.allclose(alone[0], base[10], atol=1e-5)  # batch of one = row of the full batch


class _MixingModel(nn.Module):
    """A deliberately wrong model: adds the batch mean, so examples interact."""

    def __init__(self):
        super().__init__()
        self.inner = make("mlp")

    def forward(self, tokens):
        out = self.inner(tokens)
        return out + out.mean(0, keepdim=True)


def test_batch_independence_check_catches_mixing():
    tokens, _ = sequence_table(P, "add")
    model = _MixingModel()
    with torch.no_grad():
        base = model(tokens)
        changed = tokens.clone()
        changed[3, 0] = (changed[3, 0] + 1) % P
        out = model(changed)
    assert not torch.allclose(out[4:], base[4:], rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_only_in_train_mode(kind):
    tokens, _ = sequence_table(P, "add")
    model = make(kind, dropout=0.5)
    model.eval()
    a, b = model(tokens), model(tokens)
    assert torch.equal(a, b)
    model.train()
    assert not torch.equal(model(tokens), a)


def test_dropout_validation_and_rate():
    with pytest.raises(ValueError):
        Dropout(1.0)
    d = Dropout(0.25, seed=0).train()
    y = d(torch.ones(20000))
    assert abs(float((y == 0).double().mean()) - 0.25) < 0.02  # 4.5 binomial std (0.003)
    with pytest.raises(ValueError):
        Transformer(7, d=10, heads=4)
