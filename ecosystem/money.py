"""Money: a Decimal amount in an ISO 4217 currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ecosystem.currencies import MINOR_UNITS
from ecosystem.errors import InvalidCommand

MAX_DIGITS = 18


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidCommand("an amount must be a finite decimal number")
        if self.amount < 0:
            raise InvalidCommand("an amount must not be negative")
        exponent = self.amount.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > MINOR_UNITS[self.currency]:
            raise InvalidCommand(
                f"{self.currency} amounts have at most {MINOR_UNITS[self.currency]} decimal places"
            )
        if len(self.amount.as_tuple().digits) > MAX_DIGITS:
            raise InvalidCommand(f"an amount has at most {MAX_DIGITS} digits")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        try:
            value = Decimal(amount)
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidCommand(f"{amount!r} is not a decimal amount") from None
        return cls(value, currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def check_currency(code: str) -> None:
    if code not in MINOR_UNITS:
        raise InvalidCommand(f"{code!r} is not an ISO 4217 currency code")
