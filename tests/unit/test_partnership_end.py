"""A partnership remembers what crosses it while active, and its end ends each side's part."""

from __future__ import annotations

from uuid import uuid4

import pytest

from ecosystem.actors import SYSTEM_ID, Actor
from ecosystem.errors import Conflict
from ecosystem.opportunities.domainmodel import ParticipantStatus, PartnerRole, SharedOpportunity
from ecosystem.partnerships.domainmodel import ACTIVE_AFTER, PARTNERSHIP_ENDED, Partnership

VENDOR = Actor(uuid4(), uuid4())
INTEGRATOR = Actor(uuid4(), uuid4())


def active() -> Partnership:
    partnership = Partnership(VENDOR.party_id, INTEGRATOR.party_id, VENDOR)
    partnership.accept(INTEGRATOR)
    partnership.collect_events()
    return partnership


def test_an_object_is_recorded_as_shared_only_across_an_active_partnership() -> None:
    proposal = Partnership(VENDOR.party_id, INTEGRATOR.party_id, VENDOR)
    proposal.collect_events()
    with pytest.raises(Conflict):
        proposal.record_sharing(uuid4(), VENDOR.party_id, VENDOR)
    assert proposal.collect_events() == [] and proposal.shared == {}


def test_the_record_names_the_sharing_party_but_not_its_user() -> None:
    partnership, deal = active(), uuid4()
    partnership.record_sharing(deal, VENDOR.party_id, VENDOR)
    (event,) = partnership.collect_events()
    assert event.actor == Actor(VENDOR.party_id, SYSTEM_ID)
    assert partnership.shared == {deal: VENDOR.party_id}


def test_the_newest_event_says_whether_the_partnership_is_active() -> None:
    partnership = Partnership(VENDOR.party_id, INTEGRATOR.party_id, VENDOR)
    partnership.accept(INTEGRATOR)
    partnership.record_sharing(uuid4(), INTEGRATOR.party_id, INTEGRATOR)
    partnership.end("", VENDOR)
    newest = [isinstance(e, ACTIVE_AFTER) for e in partnership.collect_events()]
    assert newest == [False, True, True, False]


def test_the_end_forgets_what_was_shared_so_a_new_partnership_starts_empty() -> None:
    partnership = active()
    partnership.record_sharing(uuid4(), VENDOR.party_id, VENDOR)
    partnership.end("", INTEGRATOR)
    assert partnership.shared == {}
    partnership.propose_again(INTEGRATOR.party_id, INTEGRATOR)
    partnership.accept(VENDOR)
    assert partnership.shared == {}


def test_the_end_withdraws_the_partner_from_the_deal_with_its_reason() -> None:
    deal = SharedOpportunity.register(VENDOR.party_id, {"title": "T", "customer.name": "C"}, VENDOR)
    deal.invite(INTEGRATOR.party_id, PartnerRole.CO_SELLER, VENDOR, partnership_active=True)
    deal.accept_invitation(INTEGRATOR)
    deal.collect_events()
    assert deal.end_participation(INTEGRATOR.party_id, INTEGRATOR)
    (event,) = deal.collect_events()
    assert (event.party_id, event.reason) == (INTEGRATOR.party_id, PARTNERSHIP_ENDED)
    assert deal.status_of(INTEGRATOR.party_id) is ParticipantStatus.WITHDRAWN
    assert not deal.end_participation(INTEGRATOR.party_id, INTEGRATOR)  # nothing left to end
    assert not deal.end_participation(VENDOR.party_id, INTEGRATOR)  # the owner stays
    assert deal.collect_events() == []
