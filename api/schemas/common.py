"""Shapes shared by several resources: money, strictness, list pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ecosystem.money import Money

Text = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
RequiredText = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)
]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Strict(BaseModel):
    """Unknown fields are refused by name rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: Decimal = Field(
        description='Decimal amount; send a string such as "125000.00" to keep every digit.',
        ge=0,
        max_digits=18,
        allow_inf_nan=False,
    )
    currency: CurrencyCode = Field(description="ISO 4217 code, such as EUR or USD.")

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


class MoneyOut(BaseModel):
    amount: str = Field(description="Decimal amount as a string.")
    currency: str


class Written(BaseModel):
    id: str
    version: int


def dump(model: BaseModel) -> dict[str, Any]:
    """Only what the client sent (PATCH semantics: absent means unchanged)."""
    return model.model_dump(exclude_unset=True)
