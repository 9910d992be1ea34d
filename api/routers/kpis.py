"""Partner KPIs of your company, computed from its read model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import CallerDep, ReadAfter, ReadModelsDep
from api.schemas.kpis import KpiReport, KpiSection
from ecosystem.actors import Capability

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])
Section = Literal[
    "pipeline", "partners", "win_rate", "stages", "invitations", "inactive", "funding"
]
InactiveDays = Annotated[
    int, Query(ge=1, le=3650, description="`inactive`: open deals unchanged for this many days.")
]


def _report(
    caller: CallerDep, read_models: ReadModelsDep, at: ReadAfter, days: int, response: Response
) -> dict[str, Any]:
    caller.principal.require(Capability.READ)
    report = read_models.kpis(caller.principal.party_id, datetime.now(UTC), days, at.needed)
    at.stamp(response, report.pop("position"))  # a network-wide count: not the caller's
    return report


@router.get("", response_model=KpiReport)
def all_kpis(
    caller: CallerDep,
    read_models: ReadModelsDep,
    at: ReadAfter,
    response: Response,
    inactive_days: InactiveDays = 30,
) -> dict[str, Any]:
    """Every KPI of your company: pipeline, partners, win rate, stages, invitations, inactive,
    and return on funds per co-funding plan."""
    return _report(caller, read_models, at, inactive_days, response)


@router.get("/{section}", response_model=KpiSection)
def one_kpi(
    section: Section,
    caller: CallerDep,
    read_models: ReadModelsDep,
    at: ReadAfter,
    response: Response,
    inactive_days: InactiveDays = 30,
) -> dict[str, Any]:
    """One KPI section of your company, with the time it was computed at."""
    report = _report(caller, read_models, at, inactive_days, response)
    keep = ("party_id", "computed_at")
    return {**{k: report[k] for k in keep}, "section": section, "figures": report[section]}
