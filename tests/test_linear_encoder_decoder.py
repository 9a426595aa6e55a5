"""Unit tests of models/encoder_decoder.py (the paper's matrix-product MLP) and its norm log."""
import math

import pytest
import torch

from grokcheck.models.encoder_decoder import MatrixProductMLP, weight_norms
from grokcheck.models.penalties import penalty_value


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


def test_rise_rule_rejects_a_shrinking_norm():
    # negative control for l2_not_a_proxy's rise rule: a norm that only shrinks after memorization (what the
    # control feeds it: the l1 norm of l1-penalized runs) fails; one that rises again by >= 5% passes
    from grokcheck.claims.beyond_l2.l2_not_a_proxy import L2_RISE, _l2_story, rises
    steps = [0, 10, 100, 1000]
    metrics = {"train_acc": [0.0, 1.0, 1.0, 1.0], "test_acc": [0.0, 0.0, 0.5, 1.0], "w_l2": [10.0, 40.0, 30.0, 20.0]}
    st = _l2_story(steps, metrics)
    assert st["t_mem"] == 10 and st["t_grok"] == 1000 and st["l2_mem"] == 40.0 and st["l2_min_after"] == 20.0
    assert not rises(st)
    rising = {k: v + [v[-1]] for k, v in metrics.items()}
    rising["w_l2"][-1] = 20.0 * L2_RISE
    assert rises(_l2_story(steps + [2000], rising))
    rising["w_l2"][-1] = 20.0 * L2_RISE * 0.99           # just below 5%: fails
    assert not rises(_l2_story(steps + [2000], rising))
    never = dict(metrics, train_acc=[0.0, 0.5, 0.5, 0.5])  # never memorized: the rule cannot pass
    assert not rises(_l2_story(steps, never))
