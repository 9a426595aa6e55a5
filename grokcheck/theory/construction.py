"""The l_inf-bounded Fourier network of Mohamadi+24 Appendix F (Prop 3.8).

For frequency k and omega = 2 pi / p, eight neurons (a-part over n, b-part over m,
output weight over q):

    i  a-part      b-part       V[q, i]
    0  cos(wkn)   +cos(wkm)    +cos(wkq)
    1  cos(wkn)   -cos(wkm)    -cos(wkq)
    2  sin(wkn)   +sin(wkm)    -cos(wkq)
    3  sin(wkn)   -sin(wkm)    +cos(wkq)
    4  sin(wkn)   +cos(wkm)    +sin(wkq)
    5  sin(wkn)   -cos(wkm)    -sin(wkq)
    6  cos(wkn)   +sin(wkm)    +sin(wkq)
    7  cos(wkn)   -sin(wkm)    -sin(wkq)

Summing the squares gives 4 cos(wk(n + m - q)) per frequency, so over k = 0..p-1,
f_q(n, m) = 4 p 1[n + m = q mod p]; width h = 8p, ||theta||_inf = 1, margin 4p.
`copies` duplicates every neuron c times with every weight scaled by c^(-1/3): the
function is unchanged, ||theta||_inf = c^(-1/3) and the normalized l_inf margin is
q_min / ||theta||_inf^3 = 4 p c = h / 2.
Remark F.1 (odd p): keeping k = 0..(p-1)/2 gives f = 2 + 2p 1[n + m = q].
"""
from __future__ import annotations

import math

import torch

from grokcheck.theory.validation import check_int, check_modulus

# (a-part is cos?, b sign, b-part is cos?, V sign, V is cos?) for the eight rows above.
_ROWS = (
    (True, +1, True, +1, True),
    (True, -1, True, -1, True),
    (False, +1, False, -1, True),
    (False, -1, False, +1, True),
    (False, +1, True, +1, False),
    (False, -1, True, -1, False),
    (True, +1, False, +1, False),
    (True, -1, False, -1, False),
)


def fourier_frequencies(p: int, half: bool = False) -> list[int]:
    """Frequencies used: 0..p-1, or 0..(p-1)//2 for the half variant (Remark F.1)."""
    p = check_modulus(p)
    return list(range((p - 1) // 2 + 1)) if half else list(range(p))


def fourier_weights(p: int, copies: int = 1, half: bool = False,
                    dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The Appendix F weights (W, V) of width h = 8 * len(frequencies) * copies (pure tensors;
    `grokcheck.models.quadratic.fourier_network` wraps them in a QuadraticNet).

    Args:
        p: modulus (any integer >= 2; odd and even p both work for the full variant).
        copies: c, neuron duplication; weights scaled by c^(-1/3).
        half: keep frequencies 0..(p-1)/2 only (Remark F.1; for odd p gives 2 + 2p 1[.]).
        dtype: parameter dtype (float64 for exact checks).
    Returns: W (h, 2p), V (p, h).
    """
    p = check_modulus(p)
    copies = check_int("copies", copies, 1)
    freqs = fourier_frequencies(p, half)
    idx = torch.arange(p, dtype=dtype)
    w_a, w_b, v = [], [], []
    for k in freqs:
        phase = 2 * math.pi * k * idx / p  # (p,)
        cos, sin = torch.cos(phase), torch.sin(phase)
        for a_cos, b_sign, b_cos, v_sign, v_cos in _ROWS:
            w_a.append(cos if a_cos else sin)
            w_b.append(b_sign * (cos if b_cos else sin))
            v.append(v_sign * (cos if v_cos else sin))
    scale = copies ** (-1.0 / 3.0)
    W = torch.cat([torch.stack(w_a), torch.stack(w_b)], dim=1)  # (8F, 2p)
    V = torch.stack(v, dim=1)  # (p, 8F)
    W = W.repeat_interleave(copies, dim=0) * scale  # (8Fc, 2p)
    V = V.repeat_interleave(copies, dim=1) * scale  # (p, 8Fc)
    return W, V


def construction_target(p: int, half: bool = False, dtype=torch.float64) -> torch.Tensor:
    """What the construction computes on all pairs, (p^2, p) indexed [n * p + m, q]:
    4p 1[n + m = q], or 2 + 2p 1[n + m = q] for the half variant with odd p."""
    p = check_modulus(p)
    r = torch.arange(p)
    n, m = (t.reshape(-1) for t in torch.meshgrid(r, r, indexing="ij"))
    hit = ((n + m)[:, None] % p == r[None, :]).to(dtype)  # (p^2, p)
    if not half:
        return 4 * p * hit
    if p % 2 == 0:
        raise ValueError("the half-frequency closed form 2 + 2p 1[.] holds for odd p only")
    return 2 + 2 * p * hit
