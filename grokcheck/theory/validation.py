"""Argument checks shared by every module: one clear ValueError per bad input."""
from __future__ import annotations

import math
import numbers

import torch
from torch._C._functorch import is_functorch_wrapped_tensor


def is_prime(p: int) -> bool:
    """True when the integer p is prime (trial division; p is small here)."""
    if p < 2:
        return False
    i = 2
    while i * i <= p:
        if p % i == 0:
            return False
        i += 1
    return True


def check_int(name: str, value, minimum: int) -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_modulus(p, *, prime: bool = False) -> int:
    """Validate the modulus p (an integer >= 2; prime when `prime`)."""
    p = check_int("p", p, 2)
    if prime and not is_prime(p):
        raise ValueError(f"p must be prime for this operation, got p={p}")
    return p


def check_fraction(fraction) -> float:
    """Validate a training fraction in (0, 1]."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    fraction = float(fraction)
    if not (0.0 < fraction <= 1.0):
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    return fraction


def check_real(name: str, value, minimum: float | None = None, maximum: float | None = None, *,
               lower_open: bool = False, upper_open: bool = False) -> float:
    """Return `value` as a finite float, or raise ValueError (naming `name`) unless it is a real
    number (not bool) in [minimum, maximum] (open ends when lower_open / upper_open)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if lower_open else value < minimum):
        raise ValueError(f"{name} must be {'>' if lower_open else '>='} {minimum}, got {value}")
    if maximum is not None and (value >= maximum if upper_open else value > maximum):
        raise ValueError(f"{name} must be {'<' if upper_open else '<='} {maximum}, got {value}")
    return value


def check_index_tensor(name: str, x, columns: int | tuple, upper: int) -> None:
    """ValueError unless x is an integer tensor (N, columns) (columns an int or a tuple of allowed
    widths) with every entry in [0, upper): token ids / pairs / triples at a model or kernel boundary.
    One pass over x (min and max); use at entry points, not in per-step loops. Under torch.func
    transforms (vmap, grad, jacrev) and on the meta device the values cannot be read: only dtype and
    shape are checked there (the caller validates the unbatched data once)."""
    allowed = (columns,) if isinstance(columns, int) else tuple(columns)
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer token ids, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[1] not in allowed:
        want = " or ".join(f"(N, {c})" for c in allowed)
        raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
    if x.numel() and x.device.type != "meta" and not is_functorch_wrapped_tensor(x):
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi >= upper:
            raise ValueError(f"{name} entries must be in [0, {upper}), got min {lo}, max {hi}")
