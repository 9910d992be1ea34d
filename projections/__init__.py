"""Per-company read models: projected from the event log through the one redaction function."""

from projections.kpis import SECTIONS, company_kpis
from projections.projector import OpportunityProjector
from projections.queries import BadQuery, OpportunityQuery
from projections.read_models import ReadModelBehind, ReadModels
from projections.rebuild import Rebuilt, rebuild, replayed_digest
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore

__all__ = [
    "SECTIONS",
    "BadQuery",
    "OpportunityProjector",
    "OpportunityQuery",
    "ProjectionRunner",
    "ReadModelBehind",
    "ReadModelStore",
    "ReadModels",
    "Rebuilt",
    "company_kpis",
    "rebuild",
    "replayed_digest",
]
