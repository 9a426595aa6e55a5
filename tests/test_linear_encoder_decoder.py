"""Unit tests of models/encoder_decoder.py (the paper's matrix-product MLP) and its norm log."""
import math

import pytest
import torch

from models.encoder_decoder import MatrixProductMLP, weight_norms
from models.penalties import penalty_value


def test_parameter_count_and_no_biases():
    m = MatrixProductMLP(97)
    assert sum(t.numel() for t in m.parameters()) == 2 * 97 * 64 + 64 * 64 + 64 * 97  # 22,720 (~22.7k)
    assert all(t.ndim == 2 for t in m.parameters())


def test_forward_is_matrix_product_of_embeddings():
    m = MatrixProductMLP(7, k=2, hidden=5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = torch.tensor([[3, 5], [0, 6]])
    out = m(x)
    assert out.shape == (2, 7)
    M1 = m.E1[:, 3].reshape(2, 2)
    M2 = m.E2[:, 5].reshape(2, 2)
    want = m.W2 @ torch.relu(m.W1 @ (M1 @ M2).reshape(-1))
    assert torch.allclose(out[0], want, rtol=1e-12)
    # the product is not symmetric in (x1, x2) in general: a Hadamard-product model would be
    assert not torch.allclose(m(torch.tensor([[5, 3]]))[0], out[0])


def test_weight_norms():
    a = torch.tensor([[3.0, 0.0], [0.0, -4.0]])
    b = torch.tensor([[1e-5, 2.0]])
    n = weight_norms([a, b])
    assert n["l0"] == 3
    assert n["l1"] == pytest.approx(9 + 1e-5)
    assert n["l2"] == pytest.approx(math.sqrt(29 + 1e-10))
    assert n["nuclear"] == pytest.approx(7 + float(torch.linalg.matrix_norm(b.double(), ord="nuc")))
    assert n["nuclear"] == pytest.approx(float(penalty_value("nuclear", [a.double(), b.double()])))


def test_validation():
    with pytest.raises(ValueError):
        MatrixProductMLP(1)
    with pytest.raises(ValueError):
        MatrixProductMLP(7, k=0)
