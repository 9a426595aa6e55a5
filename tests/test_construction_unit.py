"""Unit tests of theory/construction.py and theory/margins.py, with negative controls."""
import dataclasses

import pytest
import torch

from grokcheck.models.quadratic import fourier_network
from grokcheck.theory.construction import construction_target
from grokcheck.theory.margins import linf_norm, margins, normalized_linf_margin
from grokcheck.theory.tasks import binary_table
from grokcheck.claims.mohamadi import construction as claim


@pytest.mark.parametrize("p", [2, 3, 6, 7, 13])
def test_fourier_network_exact(p):
    x, y = binary_table(p)
    f = fourier_network(p).logits(x[:, 0], x[:, 1]).detach()
    assert torch.allclose(f, construction_target(p), rtol=0, atol=claim.RTOL_PER_P * p)


def test_duplication_scales_linf():
    net = fourier_network(7, copies=8)
    assert net.width == 8 * 7 * 8
    assert linf_norm([net.W, net.V]) == pytest.approx(0.5, abs=1e-12)


def test_perturbed_network_fails_the_exactness_check():
    """Negative control: changing one weight must break the observable the claim asserts."""
    p = 11
    net = fourier_network(p)
    with torch.no_grad():
        net.V[3, 5] += 1e-4
    x, _ = binary_table(p)
    err = float((net.logits(x[:, 0], x[:, 1]).detach() - construction_target(p)).abs().max()) / p
    assert err > claim.RTOL_PER_P


def test_claim_refutes_a_wrong_construction(monkeypatch):
    """The claim's own verdict turns to `refuted` when the construction is wrong."""
    real = claim.fourier_network

    def broken(p, copies=1, half=False, dtype=torch.float64, device=None):
        net = real(p, copies, half, dtype, device)
        with torch.no_grad():
            net.W[1, 0] *= 1.01
        return net

    monkeypatch.setattr(claim, "fourier_network", broken)
    obs, _ = claim.measure(dataclasses.replace(claim.SCALES["ci"], ps=(5, 7), copies=(1, 2)))
    failing = {o.name for o in obs if o.role == "claim" and not o.passed}
    assert "max_p max|f - 4p 1| / p" in failing


def test_margins_and_normalization():
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 5.0]])
    q = margins(logits, torch.tensor([0, 1]))
    assert q.tolist() == [2.0, -3.0]
    assert normalized_linf_margin(8.0, 2.0) == 1.0
    with pytest.raises(ValueError):
        normalized_linf_margin(1.0, 0.0)


def test_half_variant_even_p_rejected():
    with pytest.raises(ValueError, match="odd"):
        construction_target(8, half=True)
