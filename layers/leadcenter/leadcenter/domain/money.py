"""Money as decimal strings, never floats: amounts are kept as integer minor units (cents, 1/100).

Every currency is kept to 2 decimal places (ISO 4217 exponents are not applied: a JPY amount reads "1200.00");
an amount with more than 2 decimals is refused where it enters. A cost (spend / count) is rounded half-up to the
cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_minor(amount: str) -> int:
    """ "12.34" -> 1234. Raises ValueError for anything but a non-negative amount with at most 2 decimals."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite() or value < 0 or value != value.quantize(CENT):
        raise ValueError(f"not a non-negative amount with at most 2 decimals: {amount!r}")
    return int(value * 100)


def to_text(minor: int) -> str:
    """1234 -> "12.34"."""
    return str((Decimal(minor) / 100).quantize(CENT))


def cost(minor: int, count: int) -> str | None:
    """Spend per item, half-up to the cent; None when there is nothing to divide by."""
    if count <= 0:
        return None
    return str((Decimal(minor) / (Decimal(count) * 100)).quantize(CENT, rounding=ROUND_HALF_UP))
