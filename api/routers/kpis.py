"""Partner KPIs of your company, computed from its read model as of a stated log position."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import READ_POSITION, CallerDep, MinPosition, ReadModelsDep
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
    caller: CallerDep, read_models: ReadModelsDep, asked: int, days: int, response: Response
) -> dict[str, Any]:
    caller.principal.require(Capability.READ)
    report = read_models.kpis(
        caller.principal.party_id, datetime.now(UTC), days, caller.needed_position(asked)
    )
    response.headers[READ_POSITION] = str(report["position"])
    return report


@router.get("", response_model=KpiReport)
def all_kpis(
    caller: CallerDep,
    read_models: ReadModelsDep,
    asked: MinPosition,
    response: Response,
    inactive_days: InactiveDays = 30,
) -> dict[str, Any]:
    """Every KPI of your company: pipeline, partners, win rate, stages, invitations, inactive,
    and return on funds per co-funding plan."""
    return _report(caller, read_models, asked, inactive_days, response)


@router.get("/{section}", response_model=KpiSection)
def one_kpi(
    section: Section,
    caller: CallerDep,
    read_models: ReadModelsDep,
    asked: MinPosition,
    response: Response,
    inactive_days: InactiveDays = 30,
) -> dict[str, Any]:
    """One KPI section of your company, with the position and time it was computed at."""
    report = _report(caller, read_models, asked, inactive_days, response)
    keep = ("party_id", "position", "computed_at")
    return {**{k: report[k] for k in keep}, "section": section, "figures": report[section]}
