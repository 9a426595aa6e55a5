"""ntk/empirical.py: every fast path against the Jacobian-contraction reference."""
import math

import pytest
import torch
from torch import nn

from grokcheck.models.quadratic import QuadraticNet
from grokcheck.ntk.empirical import empirical_ntk, regression_ntk
from grokcheck.theory.tasks import binary_table

RTOL_F64 = 1e-9  # two float64 evaluation orders of the same sums: ~1e-15 each, 1e-9 is ample
OUTPUTS = ["trace_mean", "trace_sum", "full", 0, 2]


def rel(a, b):
    return float((a - b).norm() / b.norm())


def quad(p, width, seed=0):
    return QuadraticNet(p, width, generator=torch.Generator().manual_seed(seed))


def pairs(p, n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, p, (n, 2), generator=g)  # (n, 2), repeats allowed


@pytest.mark.parametrize("p,width", [(3, 1), (5, 6), (7, 13)])
@pytest.mark.parametrize("given_x2", [False, True])
@pytest.mark.parametrize("chunk", [None, 4])
@pytest.mark.parametrize("output", OUTPUTS)
def test_three_methods_agree_on_quadratic_net(p, width, given_x2, chunk, output):
    net = quad(p, width, seed=p + width)
    x1 = pairs(p, 11, seed=1)
    x2 = pairs(p, 6, seed=2) if given_x2 else None
    ref = empirical_ntk(net, x1, x2, method="jacobian", output=output)
    n2 = 6 if given_x2 else 11
    assert ref.shape == ((11, n2, p, p) if output == "full" else (11, n2))
    assert ref.dtype == torch.float64
    for method in ("jacobian", "ntk_vp", "closed_form"):
        k = empirical_ntk(net, x1, x2, method=method, output=output, chunk_size=chunk)
        assert k.shape == ref.shape, method
        assert rel(k, ref) <= RTOL_F64, f"method={method} chunk={chunk} output={output}"


def test_closed_form_full_table_fast_path():
    """The full table in a-major order takes the diagonal-view path; check it separately."""
    p = 7
    net = quad(p, 10)
    x, _ = binary_table(p)
    shuffled = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))]
    for output in ("trace_mean", 1):
        ref = empirical_ntk(net, x, shuffled, method="jacobian", output=output)
        k = empirical_ntk(net, x, method="closed_form", output=output)[:, _inverse_perm(x, shuffled, p)]
        assert rel(k, ref) <= RTOL_F64, f"closed_form full table output={output}"


def _inverse_perm(x, shuffled, p):
    return shuffled[:, 0] * p + shuffled[:, 1]  # column of each shuffled pair in the table


@pytest.mark.parametrize("method", ["jacobian", "ntk_vp", "closed_form"])
def test_trace_conventions_differ_by_exactly_o(method):
    p = 5
    net = quad(p, 7)
    x = pairs(p, 9, seed=3)
    mean = empirical_ntk(net, x, method=method, output="trace_mean")
    total = empirical_ntk(net, x, method=method, output="trace_sum")
    full = empirical_ntk(net, x, method=method, output="full")
    per_logit = sum(empirical_ntk(net, x, method=method, output=k) for k in range(p))
    assert rel(total, p * mean) <= RTOL_F64, method
    assert rel(per_logit, total) <= RTOL_F64, method
    assert rel(full.diagonal(dim1=2, dim2=3).mean(-1), mean) <= RTOL_F64, method


def test_closed_form_is_positive_semidefinite_and_symmetric():
    p = 5
    k = empirical_ntk(quad(p, 8), pairs(p, 20, 4), method="closed_form", output="trace_mean")
    assert torch.equal(k, k.T) or rel(k, k.T) <= RTOL_F64
    assert float(torch.linalg.eigvalsh(k).min()) >= -RTOL_F64 * float(k.diagonal().max())


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("method", ["ntk_vp", "closed_form"])
def test_regression_ntk_matches_jacobian(method, given):
    p = 5
    net = quad(p, 6)
    g = torch.Generator().manual_seed(5)
    t1 = torch.randint(0, p, (13, 3), generator=g)
    t2 = torch.randint(0, p, (7, 3), generator=g) if given else None
    ref = regression_ntk(net, t1, t2, method="jacobian")
    for chunk in (None, 5):
        k = regression_ntk(net, t1, t2, method=method, chunk_size=chunk)
        assert rel(k, ref) <= RTOL_F64, f"regression_ntk method={method} chunk={chunk}"


class MLP(nn.Module):
    def __init__(self, d_in, d_hidden, d_out, gen):
        super().__init__()
        self.l1 = nn.utils.skip_init(nn.Linear, d_in, d_hidden)
        self.l2 = nn.utils.skip_init(nn.Linear, d_hidden, d_out)
        _init(self, gen)

    def forward(self, x):  # (n, d_in) -> (n, d_out)
        return self.l2(torch.tanh(self.l1(x)))


class TinyTransformer(nn.Module):
    """Embedding, one single-head causal attention block with LayerNorm and MLP, unembedding."""

    def __init__(self, vocab, d, n_out, gen):
        super().__init__()
        self.emb = nn.utils.skip_init(nn.Embedding, vocab, d)
        self.pos = nn.Parameter(torch.empty(3, d))
        self.qkv = nn.utils.skip_init(nn.Linear, d, 3 * d)
        self.ln = nn.utils.skip_init(nn.LayerNorm, d)
        self.mlp = nn.Sequential(nn.utils.skip_init(nn.Linear, d, 2 * d), nn.GELU(),
                                 nn.utils.skip_init(nn.Linear, 2 * d, d))
        self.out = nn.utils.skip_init(nn.Linear, d, n_out)
        _init(self, gen)

    def forward(self, x):  # tokens (n, 3) -> logits at the last position (n, n_out)
        h = self.emb(x) + self.pos  # (n, 3, d)
        q, k, v = self.qkv(h).chunk(3, dim=-1)  # (n, 3, d) each
        h = h + nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.mlp(self.ln(h))
        return self.out(h[:, -1])  # (n, n_out)


def _init(module, gen):
    with torch.no_grad():
        for prm in module.parameters():
            prm.copy_(torch.randn(prm.shape, generator=gen) / math.sqrt(prm.shape[-1]))


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_jacobian_and_ntk_vp_agree_on_other_models(kind, output):
    g = torch.Generator().manual_seed(7)
    if kind == "mlp":
        model = MLP(4, 9, 3, g)
        x1, x2 = torch.randn(6, 4, generator=g), torch.randn(5, 4, generator=g)
    else:
        model = TinyTransformer(5, 8, 3, g)
        x1, x2 = torch.randint(0, 5, (6, 3), generator=g), torch.randint(0, 5, (5, 3), generator=g)
    for second in (None, x2):
        ref = empirical_ntk(model, x1, second, method="jacobian", output=output)
        for chunk in (None, 4):
            k = empirical_ntk(model, x1, second, method="ntk_vp", output=output, chunk_size=chunk)
            assert rel(k, ref) <= RTOL_F64, f"ntk_vp on {kind}, output={output}, chunk={chunk}"


def test_custom_forward_and_model_not_mutated():
    p = 5
    net = quad(p, 4)
    before = {n: q.detach().clone() for n, q in net.named_parameters()}
    x = pairs(p, 6, 8)
    onehot = torch.cat([nn.functional.one_hot(x[:, 0], p), nn.functional.one_hot(x[:, 1], p)], 1)
    k_onehot = empirical_ntk(net, onehot.float(), forward=lambda m, z: m(z), output=1)
    k_pairs = empirical_ntk(net, x, method="closed_form", output=1)
    assert rel(k_onehot, k_pairs) <= RTOL_F64
    for n, q in net.named_parameters():
        assert q.dtype == torch.float32 and q.requires_grad and torch.equal(q, before[n])


@pytest.mark.parametrize("kwargs,match", [
    (dict(method="closed_form"), "closed_form exists only"),
    (dict(method="nope"), "method must be"),
    (dict(output="trace"), "output must be"),
    (dict(output=3), r"output logit index must be in \[0, 3\)"),
    (dict(chunk_size=0), "chunk_size"),
])
def test_bad_arguments_raise(kwargs, match):
    model = MLP(4, 5, 3, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=match):
        empirical_ntk(model, torch.randn(3, 4, generator=torch.Generator().manual_seed(1)),
                      **kwargs)


def test_closed_form_rejects_bad_indices():
    net = quad(5, 3)
    with pytest.raises(ValueError, match=r"must be in \[0, 5\)"):
        empirical_ntk(net, torch.tensor([[0, 5]]), method="closed_form")
    with pytest.raises(ValueError, match="closed_form exists only"):
        empirical_ntk(net, torch.tensor([[0, 1]]), method="closed_form", forward=lambda m, x: m(x))
    with pytest.raises(ValueError, match="triples"):
        regression_ntk(net, torch.tensor([[0, 1]]), method="closed_form")
