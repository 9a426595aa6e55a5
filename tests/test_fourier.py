"""Unit tests of theory/fourier.py and theory.margins.pac_bayes_margin_rate, with negative controls."""
import math

import pytest
import torch

from grokcheck.theory.construction import construction_target, fourier_weights
from grokcheck.theory.fourier import (class_energy, concentration, dominant_frequency, frequency_classes,
                                      logit_correlation, neuron_mass, neuron_spectrum, phase_consistency)
from grokcheck.theory.margins import pac_bayes_margin_rate
from grokcheck.theory.tasks import binary_table

RTOL_F64 = 1e-10  # round-off of a length-p float64 FFT


@pytest.mark.parametrize("p", [5, 8, 23])
def test_parseval(p):
    x = torch.randn(4, p, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    e = class_energy(x)
    assert e.shape == (4, frequency_classes(p))
    assert torch.allclose(e.sum(1), p * (x ** 2).sum(1), rtol=RTOL_F64)


@pytest.mark.parametrize("p,k,phase", [(7, 2, 0.3), (23, 5, -1.2), (23, 18, 2.0), (8, 4, 0.0)])
def test_cosine_of_any_phase_sits_in_one_class(p, k, phase):
    n = torch.arange(p, dtype=torch.float64)
    share = class_energy(torch.cos(2 * math.pi * k * n / p + phase))
    share = share / share.sum()
    assert float(share[min(k, p - k)]) == pytest.approx(1.0, abs=RTOL_F64)


@pytest.mark.parametrize("p,half", [(7, False), (11, True), (23, True), (12, False)])
def test_construction_is_concentrated_and_phase_consistent(p, half):
    W, V = fourier_weights(p, half=half)
    c = concentration(W, V, 0.5)
    live = c["mass"] > RTOL_F64 * c["mass"].max()  # sin(pi n) neurons of even p are round-off only
    assert c["weighted_fraction"] == pytest.approx(1.0)
    assert torch.allclose(c["share"][live], torch.ones(int(live.sum()), dtype=torch.float64), atol=RTOL_F64)
    assert c["phase"] == pytest.approx(1.0, abs=RTOL_F64)
    if p % 2:  # every class k >= 1 carries the same mass (>= 5% of it for these p)
        assert c["frequencies"] == list(range(1, (p - 1) // 2 + 1))


def test_random_weights_fail_the_concentration_rule():
    """Negative control: Gaussian weights spread their energy (p = 23: top share ~0.3)."""
    g = torch.Generator().manual_seed(1)
    W, V = torch.randn(92, 46, generator=g), torch.randn(23, 92, generator=g)
    assert concentration(W, V, 0.5)["weighted_fraction"] < 0.8


def test_wrong_phase_fails_the_phase_rule():
    """Negative control: the construction with V negated has phi_V shifted by pi: cos = -1."""
    W, V = fourier_weights(11, half=True)
    k, _ = dominant_frequency(neuron_spectrum(W, V))
    live = neuron_mass(W, V) > 0
    assert torch.allclose(phase_consistency(W, -V, k)[live], -torch.ones(int(live.sum()), dtype=torch.float64))
    assert concentration(W, -V, 0.5)["phase"] < 0.8


def test_logit_correlation_of_the_construction_is_one_and_shuffled_labels_are_not():
    p = 13
    _, y = binary_table(p)
    f = construction_target(p)
    assert logit_correlation(f, y) == pytest.approx(1.0, abs=RTOL_F64)
    perm = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))]
    assert logit_correlation(f, perm) < 0.3


@pytest.mark.parametrize("bad", [(torch.zeros(4, 5), torch.zeros(2, 4)), (torch.zeros(4, 6), torch.zeros(2, 4))])
def test_bad_shapes_raise(bad):
    with pytest.raises(ValueError):
        neuron_spectrum(*bad)


def test_concentration_rejects_bad_threshold():
    W, V = fourier_weights(5)
    with pytest.raises(ValueError, match="share_threshold"):
        concentration(W, V, 0.0)


def test_pac_bayes_rate_picks_the_best_gamma_and_rejects_bad_input():
    q = torch.tensor([1.0, 2.0, 3.0, -1.0])
    out = pac_bayes_margin_rate(q, 1.0, 23, 92)
    direct = min(float((q <= g).double().mean()) + math.sqrt(23 / 4) * (92 ** 2 / g) ** (1 / 3)
                 for g in (1.0, 2.0, 3.0))
    assert out["bound"] == pytest.approx(direct)
    assert pac_bayes_margin_rate(-q.abs(), 1.0, 23, 92)["bound"] == math.inf
    with pytest.raises(ValueError):
        pac_bayes_margin_rate(q, 0.0, 23, 92)
