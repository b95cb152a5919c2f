"""Money is Decimal with two places; the rounding rule is a parameter (POLICY.md §1: half-up to the cent)."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value, rounding: str = ROUND_HALF_UP) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT, rounding=rounding)
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"not an amount of money: {value!r}")


def format_yuan(value) -> str:
    """¥1,234.56 as the UI shows it."""
    if value is None:
        return ""
    return f"¥{to_money(value):,.2f}"
