"""Per-neuron Fourier analysis of the quadratic net f = V (W x)^2 (Mohamadi+24 App. F; Nanda+23;
Gromov+23; Morwani+24).

A neuron i has three vectors over Z_p: its a-part W[i, :p], its b-part W[i, p:] and its output
column V[:, i]. Each is split by the real DFT into frequency classes k = 0..p//2 (k and p - k
together, so a real cosine of any phase sits in one class):

    E_k(x) = |X_k|^2 (k = 0, and k = p/2 for even p),  |X_k|^2 + |X_{p-k}|^2 otherwise,
    X_k = sum_n x_n exp(-2 pi i k n / p)      (Parseval: sum_k E_k = p ||x||^2).

`neuron_spectrum` averages the three parts' energy shares, so a neuron whose a-, b- and V-parts
are all cosines at frequency k has share 1 at k. In the Appendix F construction every neuron
has share 1 at its own k, and its phases satisfy phi_V = phi_a + phi_b (mod 2 pi) (row by row of
the table: e.g. row 2 is sin, +sin, -cos: -pi/2 - pi/2 = -pi = pi). Then the neuron's square
contributes A B C cos(w k (n + m - q)) / 2 to f_q(n, m), peaked at n + m = q; the opposite
phase (cos delta = -1) would push the wrong way. `phase_consistency` is
cos(phi_a + phi_b - phi_V) = Re(A_k B_k conj(C_k)) / |A_k B_k C_k| at the neuron's frequency k.

`neuron_mass` = ||W_i||_2^2 ||V_i||_2 is the neuron's 3-homogeneous scale, used to weight neurons
so that dead neurons (decayed to ~0 by weight decay) do not count.

Pure torch (float64), no I/O. Shapes: W (h, 2p), V (p, h); outputs per neuron (h, ...).
"""
from __future__ import annotations

import math

import torch

from grokcheck.theory.validation import check_modulus


def frequency_classes(p: int) -> int:
    """Number of real frequency classes k = 0..p//2: p//2 + 1."""
    return check_modulus(p) // 2 + 1


def class_energy(x: torch.Tensor) -> torch.Tensor:
    """Energy per frequency class of real signals x (..., p) along the last axis: (..., p//2 + 1)
    float64, summing to p ||x||^2 (Parseval)."""
    p = check_modulus(x.shape[-1])
    X = torch.fft.fft(x.to(torch.float64), dim=-1)  # (..., p) complex
    e = X.real ** 2 + X.imag ** 2  # (..., p)
    K = p // 2 + 1
    out = e[..., :K].clone()  # (..., K)
    top = (p - 1) // 2  # classes 1..top have a partner p - k
    out[..., 1:top + 1] += e[..., p - top:].flip(-1)
    return out


def _split(W: torch.Tensor, V: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    if W.ndim != 2 or V.ndim != 2 or W.shape[1] % 2 or V.shape != (W.shape[1] // 2, W.shape[0]):
        raise ValueError(f"need W (h, 2p) and V (p, h), got {tuple(W.shape)} and {tuple(V.shape)}")
    p = check_modulus(V.shape[0])
    W, V = W.detach().to(torch.float64), V.detach().to(torch.float64)
    return W[:, :p], W[:, p:], V.T, p  # each (h, p)


def _shares(x: torch.Tensor) -> torch.Tensor:
    e = class_energy(x)  # (h, K)
    tot = e.sum(-1, keepdim=True)
    return torch.where(tot > 0, e / tot.clamp_min(1e-300), torch.zeros_like(e))


def neuron_spectrum(W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """Share of each neuron's energy per frequency class, (h, p//2 + 1) float64: the mean of the
    a-part's, b-part's and V column's normalized class energies (rows sum to 1; 0 for a zero
    neuron). This is the neuron x frequency heat map."""
    a, b, v, _ = _split(W, V)
    return (_shares(a) + _shares(b) + _shares(v)) / 3


def dominant_frequency(spectrum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(k (h,) long, share (h,) float64): each neuron's top frequency class and its share."""
    share, k = spectrum.max(dim=-1)
    return k, share


def neuron_mass(W: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """||W_i||_2^2 ||V_:,i||_2, the neuron's output scale (f is 2-homogeneous in W_i, 1 in V_i): (h,)."""
    a, b, v, _ = _split(W, V)
    return (a.pow(2).sum(1) + b.pow(2).sum(1)) * v.pow(2).sum(1).sqrt()


def phase_consistency(W: torch.Tensor, V: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """cos(phi_a + phi_b - phi_V) of each neuron at its frequency k (h,) long: (h,) float64 in
    [-1, 1]; 1 for every neuron of the construction, 0 where a part has no energy at k. For
    k = 0 (and p/2) the phases are 0 or pi and the same formula applies."""
    a, b, v, p = _split(W, V)
    if k.shape != (a.shape[0],):
        raise ValueError(f"k must have shape ({a.shape[0]},), got {tuple(k.shape)}")
    idx = k.long()[:, None]
    A, B, C = (torch.fft.fft(x, dim=-1).gather(1, idx).squeeze(1) for x in (a, b, v))  # (h,) complex
    prod = A * B * C.conj()
    mag = prod.abs()
    return torch.where(mag > 0, prod.real / mag.clamp_min(1e-300), torch.zeros_like(mag))


def concentration(W: torch.Tensor, V: torch.Tensor, share_threshold: float) -> dict:
    """Summary statistics of the Fourier-feature rule (claim `fourier-features`):

    weighted_fraction: mass-weighted fraction of neurons whose top class holds >= share_threshold;
    fraction: the same, unweighted; phase: mass-weighted mean phase_consistency over those
    concentrated neurons (nan if none); frequencies: the classes k >= 1 whose concentrated neurons
    hold >= 5% of the total mass (sorted); spectrum (h, K), k (h,), share (h,), mass (h,).
    """
    if not 0 < share_threshold <= 1:
        raise ValueError(f"share_threshold must be in (0, 1], got {share_threshold}")
    spec = neuron_spectrum(W, V)
    k, share = dominant_frequency(spec)
    mass = neuron_mass(W, V)
    total = float(mass.sum())
    conc = share >= share_threshold
    phase = phase_consistency(W, V, k)
    cm = mass * conc
    wfrac = float(cm.sum()) / total if total > 0 else float("nan")
    ph = float((phase * cm).sum() / cm.sum()) if float(cm.sum()) > 0 else float("nan")
    K = spec.shape[1]
    per_k = torch.zeros(K, dtype=torch.float64).index_add_(0, k, cm)  # (K,)
    freqs = [int(i) for i in range(1, K) if total > 0 and float(per_k[i]) >= 0.05 * total]
    return {"weighted_fraction": wfrac, "fraction": float(conc.double().mean()), "phase": ph,
            "frequencies": freqs, "spectrum": spec, "k": k, "share": share, "mass": mass}


def logit_correlation(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Pearson correlation between logits (N, p) and the construction's 4p 1[a + b = q] (N, p),
    i.e. with the one-hot labels (the constant 4p does not change a correlation); float64."""
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"need logits (N, p) and labels (N,), got {tuple(logits.shape)}, {tuple(labels.shape)}")
    f = logits.detach().to(torch.float64).reshape(-1)
    t = torch.nn.functional.one_hot(labels.long(), logits.shape[1]).to(torch.float64).reshape(-1)
    f, t = f - f.mean(), t - t.mean()
    den = math.sqrt(float((f * f).sum()) * float((t * t).sum()))
    return float((f * t).sum()) / den if den > 0 else float("nan")
