"""Money: a Decimal amount in an ISO 4217 currency, never a float.

An amount always carries exactly its currency's minor units (`1000` EUR is `1000.00`, JPY
has none), so it is shown the same way wherever it appears: a plain decimal string, never
`1E+17` and never `-0`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ecosystem.currencies import MINOR_UNITS
from ecosystem.errors import InvalidCommand

LIMIT = Decimal(10) ** 18  # amounts are below 10^18: read models sort them as fixed-width text
# How an amount is written on the way in: digits, then optionally a point and more digits.
# No sign (amounts are never negative, so `-0` is no amount either), no exponent, no spaces.
PLAIN_DECIMAL = re.compile(r"^[0-9]{1,40}(?:\.[0-9]{1,40})?$")


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
        minor = MINOR_UNITS[self.currency]
        if places > minor:
            raise InvalidCommand(f"{self.currency} amounts have at most {minor} decimal places")
        if self.amount >= LIMIT:
            raise InvalidCommand("an amount must be below 10^18")
        # `-0` becomes 0 and every amount carries its currency's minor units exactly.
        object.__setattr__(self, "amount", abs(self.amount).quantize(_unit(minor)))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        try:
            value = Decimal(amount)
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidCommand("an amount must be a decimal number such as 1000.00") from None
        return cls(value, currency)

    @property
    def text(self) -> str:
        """The amount as a plain decimal string with the currency's minor units."""
        return plain(self.amount)

    def __str__(self) -> str:
        return f"{self.text} {self.currency}"


def plain(amount: Decimal) -> str:
    """A decimal as plain digits, never in exponent form and never `-0`."""
    return format(abs(amount) if amount.is_zero() else amount, "f")


def in_minor_units(amount: Decimal, currency: str) -> str:
    """A sum or total of amounts in `currency`, shown with the currency's minor units."""
    return plain(amount.quantize(_unit(MINOR_UNITS.get(currency, 2))))


def check_currency(code: str) -> None:
    if code not in MINOR_UNITS:
        raise InvalidCommand(f"{code!r} is not an ISO 4217 currency code")


def _unit(minor: int) -> Decimal:
    return Decimal(1).scaleb(-minor)
