"""Money is integer fen (1/100 CNY) everywhere in the hub; platforms that speak yuan are converted here."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import Field

Fen = Annotated[int, Field(ge=0, description="Amount in integer fen (1 CNY = 100 fen)")]
SignedFen = Annotated[int, Field(description="Signed amount in integer fen (adjustments may be negative)")]


def yuan_to_fen(value: str | int | Decimal | float) -> int:
    """Convert a platform yuan amount ("200.07", 200, or a JSON double) to fen without float error.

    Floats are accepted only because some platforms send JSON doubles; they are converted through
    their shortest repr, so 0.1 + 0.2 style artefacts never reach the ledger.
    """
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a yuan amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a yuan amount: {value!r}")
    fen = (amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if fen != amount * 100:
        raise ValueError(f"yuan amount has more than 2 decimals: {value!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """Format fen as a 2-decimal yuan string, the form Chinese platform APIs expect."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
