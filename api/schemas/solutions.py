"""Joint solution requests, turned into field-path changes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import LongText, RequiredText, Strict, Text
from ecosystem.solutions.fields import Lifecycle, PricingModel


class ListingIn(Strict):
    url: Text | None = Field(None, description="The marketplace listing, https://...")
    pricing_model: PricingModel | None = None
    regions: list[RequiredText] | None = Field(None, max_length=50)


class SolutionDetails(Strict):
    name: RequiredText | None = None
    summary: LongText | None = None
    use_cases: list[RequiredText] | None = Field(None, max_length=50)
    target_industries: list[RequiredText] | None = Field(None, max_length=50)
    listing: ListingIn | None = None

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in self.model_fields_set - {"role"}:
            value = getattr(self, name)
            if name == "listing" and value is not None:
                for part in value.model_fields_set:
                    changes[f"listing.{part}"] = getattr(value, part)
            elif name == "listing":
                continue
            else:
                changes[name] = value
        return changes


class SolutionCreate(SolutionDetails):
    name: RequiredText
    role: str = Field("builder", description="Your party's role: builder, integrator, "
                      "reseller or cloud_provider.")  # fmt: skip


class SolutionUpdate(SolutionDetails):
    """A partial update: send only the fields to change."""


class LifecycleMove(Strict):
    to: Lifecycle


class ComponentCreate(Strict):
    name: RequiredText
    description: LongText = ""


class SolutionCounterpart(Strict):
    crm_reference: Text | None = None
    internal_notes: LongText | None = None

    def changes(self) -> dict[str, Any]:
        return {
            n: "" if getattr(self, n) is None else getattr(self, n) for n in self.model_fields_set
        }
