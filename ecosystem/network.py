"""The Network application: every service of the co-sell network over one event store."""

from __future__ import annotations

from ecosystem.audit.erasure import ErasureCommands
from ecosystem.funding.application import FundingCommands
from ecosystem.parties.operator import OperatorCommands
from ecosystem.sharing.application import SharingCommands
from ecosystem.solutions.application import SolutionCommands


class Network(
    SolutionCommands, FundingCommands, SharingCommands, ErasureCommands, OperatorCommands
):
    """Parties, partnerships, opportunities, joint solutions, co-funding plans, policies, the
    erasure of personal data, and the network operator's acts on parties."""


__all__ = ["Network"]
