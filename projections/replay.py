"""The network as of one log position: its deals and sharing policies, advanced event by event.

Read models are a function of the log up to their position: each row is the redaction of a
deal's state at that position under the policies in force at that position. `Replay` keeps
exactly that state, so an incremental projection and a rebuild compute rows the same way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.partnerships.domainmodel import ACTIVE_AFTER, Partnership, partnership_id
from ecosystem.shared_objects import SharedObject
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.solutions.domainmodel import JointSolution
from policies import MaskCompiler, Redaction
from policies.table import default_rows, policy_rows

OPPORTUNITY_TOPIC = get_topic(SharedOpportunity) + "."
SHARED_TOPICS = (get_topic(JointSolution) + ".", get_topic(CoFundingPlan) + ".")
POLICY_TOPIC = get_topic(SharingPolicy) + "."
PARTNERSHIP_TOPIC = get_topic(Partnership) + "."
PAGE = 500


@dataclass(frozen=True)
class DealChanged:
    deal: SharedOpportunity


@dataclass(frozen=True)
class SharedChanged:
    """A joint solution or co-funding plan changed."""

    found: SharedObject


@dataclass(frozen=True)
class PolicyChanged:
    owner_id: UUID


@dataclass(frozen=True)
class PartnershipChanged:
    """Two parties became, or stopped being, active partners."""

    parties: tuple[UUID, UUID]


Change = DealChanged | SharedChanged | PolicyChanged | PartnershipChanged | None
Versions = Callable[[UUID], int | None]  # an object's version as of where the replay started


class Replay:
    """Deals (an LRU of them, or all when `keep_all`) and every policy, as of `position`."""

    def __init__(
        self, network: Network, position: int = 0, keep_all: bool = False, cache: int = 20_000,
        versions: Versions = lambda object_id: None,
    ) -> None:  # fmt: skip
        self._network = network
        self.position = position
        self._started_at = versions
        self._versions: dict[UUID, int] = {}  # of every object an applied event changed
        self._keep_all = keep_all
        self._cache_size = cache
        self._deals: OrderedDict[UUID, Any] = OrderedDict()  # deals, solutions and plans
        self._policies: dict[UUID, SharingPolicy] = {}
        self._pairs: dict[UUID, tuple[UUID, UUID]] = {}  # partnership id -> its two parties
        self._active: set[UUID] = set()  # the partnerships active as of this position
        self._redaction: Redaction | None = None
        self._load_policies(position)

    def _load_policies(self, position: int) -> None:
        """Every policy and partnership as of `position`, from their events (there are few)."""
        topics = [
            f"{get_topic(cls)}.{name}"
            for cls in (SharingPolicy, Partnership)
            for name, value in vars(cls).items()
            if isinstance(value, type) and issubclass(value, Aggregate.Event)
        ]
        start = 1
        while position:
            page = self._network.recorder.select_notifications(
                start, PAGE, stop=position, topics=topics
            )
            for notification in page:
                event = self._network.mapper.to_domain_event(notification)
                if notification.topic.startswith(POLICY_TOPIC):
                    self._advance_policy(event)
                else:
                    self._advance_partnership(event)
            if len(page) < PAGE:
                break
            start = page[-1].id + 1

    def apply(self, notification: Notification) -> Change:
        """Advance by one recorded event; say what it changed, if it matters to read models."""
        if notification.id <= self.position:
            raise ValueError(f"event {notification.id} is not after position {self.position}")
        self.position = notification.id
        topic = notification.topic
        if topic.startswith(OPPORTUNITY_TOPIC):
            event = self._network.mapper.to_domain_event(notification)
            return DealChanged(self._advance_deal(event))
        if topic.startswith(SHARED_TOPICS):
            event = self._network.mapper.to_domain_event(notification)
            return SharedChanged(self._advance_deal(event))
        if topic.startswith(POLICY_TOPIC):
            event = self._network.mapper.to_domain_event(notification)
            return PolicyChanged(self._advance_policy(event).owner_id)
        if topic.startswith(PARTNERSHIP_TOPIC):
            event = self._network.mapper.to_domain_event(notification)
            return self._advance_partnership(event)
        return None

    def deal(self, deal_id: UUID, version: int) -> Any:
        """The deal (or solution, or plan) at `version` (its version as of this position)."""
        cached = self._deals.get(deal_id)
        if cached is not None and cached.version == version:
            return cached
        loaded: Any = self._network.repository.get(deal_id, version=version)
        self._remember(loaded)
        return loaded

    def deals(self) -> Iterator[SharedOpportunity]:
        """Every deal held (all of them when built with `keep_all`)."""
        return (d for d in list(self._deals.values()) if isinstance(d, SharedOpportunity))

    def shared_objects(self) -> Iterator[SharedObject]:
        """Every solution and plan held (all of them when built with `keep_all`)."""
        return (o for o in list(self._deals.values()) if isinstance(o, SharedObject))

    def at_position(self, object_id: UUID) -> Any | None:
        """A deal, solution or plan as of this position; None if it did not exist yet."""
        version = self._versions.get(object_id) or self._started_at(object_id)
        if version is None:
            return None
        return self.deal(object_id, version)

    def involved_in(self, object_id: UUID) -> frozenset[UUID]:
        """Who took part in an object as of this position (the audience of links to it)."""
        found = self.at_position(object_id)
        return frozenset(found.involved_parties) if found is not None else frozenset()

    def redaction(self) -> Redaction:
        """The one redaction function under the policies in force at this position."""
        if self._redaction is None:
            p_rows, g_rows = default_rows()
            for policy in self._policies.values():
                more_p, more_g = policy_rows(policy)
                p_rows, g_rows = p_rows + more_p, g_rows + more_g
            self._redaction = Redaction(
                MaskCompiler(p_rows, g_rows), self.involved_in, partners=self.partners
            )
        return self._redaction

    def partners(self, party_a: UUID, party_b: UUID) -> bool:
        """Whether the two were active partners as of this position."""
        return partnership_id(party_a, party_b) in self._active

    def _advance_deal(self, event: Any) -> Any:
        deal = self._advanced(self._deals.get(event.originator_id), event)
        self._versions[deal.id] = deal.version
        self._remember(deal)
        return deal

    def _advance_policy(self, event: Any) -> SharingPolicy:
        policy: SharingPolicy = self._advanced(self._policies.get(event.originator_id), event)
        self._policies[policy.id] = policy
        self._redaction = None
        return policy

    def _advance_partnership(self, event: Any) -> PartnershipChanged | None:
        """Follow whether the pair is active; say so when that changed."""
        pair = event.originator_id
        if hasattr(event, "proposer_id"):
            self._pairs[pair] = (event.proposer_id, event.partner_id)
        was = pair in self._active
        if isinstance(event, ACTIVE_AFTER):
            self._active.add(pair)
        else:
            self._active.discard(pair)
        if was == (pair in self._active) or pair not in self._pairs:
            return None
        return PartnershipChanged(self._pairs[pair])

    def _advanced(self, held: Any, event: Any) -> Any:
        """The aggregate after `event`: from the one held if it is just before, else loaded."""
        version = event.originator_version
        if version == 1:
            return event.mutate(None)
        if held is not None and held.version == version - 1:
            return event.mutate(held)
        return self._network.repository.get(event.originator_id, version=version)

    def _remember(self, deal: Any) -> None:
        self._deals[deal.id] = deal
        self._deals.move_to_end(deal.id)
        if not self._keep_all and len(self._deals) > self._cache_size:
            self._deals.popitem(last=False)
