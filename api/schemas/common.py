"""Shapes shared by several resources: the input types every body, query and header uses
(text, emails, phones, countries, times, amounts), strictness, money.

Each input type refuses a value outside its documented format with a 422 that names the
format and never repeats the value (ecosystem.values).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ecosystem import values
from ecosystem.countries import country
from ecosystem.errors import InvalidCommand
from ecosystem.money import PLAIN_DECIMAL, Money


def _checked(form: Callable[[str, str], str], what: str, empty: bool = False) -> AfterValidator:
    """The value in `form`; with `empty`, a blank value is also accepted (as "")."""
    if empty:
        return AfterValidator(lambda value: form(value, what) if value.strip() else "")
    return AfterValidator(lambda value: form(value, what))


def _plain_text(value: Any) -> str:
    if not isinstance(value, str) or not PLAIN_DECIMAL.match(value):
        raise ValueError(
            'an amount is a plain decimal string such as "1000.00": digits, optionally a '
            "point and decimals; no sign, no exponent"
        )
    return value


# One line of free text (names, titles, labels, references): no control characters at all.
Text = Annotated[str, StringConstraints(max_length=200), _checked(values.line, "the text")]
RequiredText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    _checked(values.line, "the text"),
]
# Several lines (notes, reasons, descriptions): line breaks and tabs, no other control.
LongText = Annotated[str, StringConstraints(max_length=5000), _checked(values.text, "the text")]
Email = Annotated[str, StringConstraints(max_length=200), _checked(values.email, "the email")]
# A contact's email and phone: each is one, or is left empty.
EmailOrEmpty = Annotated[
    str, StringConstraints(max_length=200), _checked(values.email, "the email", empty=True)
]
PhoneOrEmpty = Annotated[
    str, StringConstraints(max_length=200), _checked(values.phone, "the phone", empty=True)
]
CountryCode = Annotated[str, _checked(country, "the country")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# A text a list is filtered by: compared in the database, which cannot hold NUL.
QueryText = Annotated[
    str, StringConstraints(max_length=200), _checked(values.without_nul, "the filter")
]
# A list cursor, exactly as this API returned it (anything else is 400: projections.queries).
Cursor = Annotated[str, StringConstraints(max_length=500)]
# A time with its offset, as UTC; refused when naive or out of range once in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(lambda value: values.moment(value, "the time"))]
# A count or a log position: what the database's 64-bit integers hold.
Position = Annotated[int, Field(ge=0, le=2**63 - 1)]
# A plain decimal (a bound on amounts): digits, optionally a point and digits; no sign, no
# exponent.
AmountText = Annotated[str, BeforeValidator(_plain_text)]
PlainDecimal = Annotated[Decimal, BeforeValidator(lambda value: Decimal(_plain_text(value)))]


class Strict(BaseModel):
    """Unknown fields are refused by name rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: AmountText = Field(
        description='A plain decimal string such as "125000.00": digits, optionally a point '
        "and at most the currency's minor units of decimals (2 for EUR, 0 for JPY, 3 for "
        "KWD); no sign, no exponent.",
        examples=["125000.00"],
    )
    currency: CurrencyCode = Field(description="ISO 4217 code, such as EUR or USD.")

    @model_validator(mode="after")
    def _an_amount_of_its_currency(self) -> MoneyIn:
        try:
            Money.of(self.amount, self.currency)
        except InvalidCommand as error:
            raise ValueError(error.detail) from None
        return self

    def to_money(self) -> Money:
        return Money.of(self.amount, self.currency)


class MoneyOut(BaseModel):
    amount: str = Field(description="Plain decimal string with the currency's minor units.")
    currency: str


class Written(BaseModel):
    id: str
    version: int


def dump(model: BaseModel) -> dict[str, Any]:
    """Only what the client sent (PATCH semantics: absent means unchanged)."""
    return model.model_dump(exclude_unset=True)
