"""Argument checks shared by every module: one clear ValueError per bad input (house rule 8)."""
from __future__ import annotations

import numbers


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
