"""SharedOpportunity: what the owner, its partners and strangers may do to one deal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, CosellError, InvalidCommand, NotPermitted
from ecosystem.money import Money
from ecosystem.opportunities.domainmodel import (
    Outcome,
    ParticipantStatus,
    PartnerRole,
    SharedOpportunity,
)
from ecosystem.opportunities.fields import Contact, Stage

OWNER = Actor(uuid4(), uuid4())
PARTNER = Actor(uuid4(), uuid4())
INVITEE = Actor(uuid4(), uuid4())
STRANGER = Actor(uuid4(), uuid4())
BASICS = {"title": "Data platform", "customer.name": "Acme"}


def register(extra: dict[str, Any] | None = None) -> SharedOpportunity:
    return SharedOpportunity.register(OWNER.party_id, {**BASICS, **(extra or {})}, OWNER)


def written(opp: SharedOpportunity) -> list[str]:
    """The names of the events a command left pending."""
    return [type(e).__name__ for e in opp.collect_events()]


def assert_refused(
    opp: SharedOpportunity,
    error: type[CosellError],
    command: Callable[..., object],
    *args: Any,
    match: str | None = None,
) -> None:
    """The command is refused with `error` and leaves the deal as it was, nothing pending."""
    opp.collect_events()
    version = opp.version
    with pytest.raises(error, match=match):
        command(*args)
    assert opp.collect_events() == []
    assert opp.version == version


@pytest.fixture
def deal() -> SharedOpportunity:
    """Owned by OWNER; PARTNER accepted, INVITEE invited; nothing pending."""
    opp = register()
    opp.invite(PARTNER.party_id, PartnerRole.CO_SELLER, OWNER, partnership_active=True)
    opp.accept_invitation(PARTNER)
    opp.invite(INVITEE.party_id, PartnerRole.RESELLER, OWNER, partnership_active=True)
    opp.collect_events()
    return opp


# --- registration and details ---------------------------------------------------------------


def test_a_registered_deal_starts_as_a_prospect_owned_by_its_registrant() -> None:
    opp = register({"customer.website_domain": "https://WWW.Acme.com/about"})
    assert opp.stage is Stage.PROSPECT
    assert opp.involved_parties == {OWNER.party_id}
    assert opp.fields["customer.website_domain"] == "acme.com"
    assert written(opp) == ["Registered"]


@pytest.mark.parametrize("missing", ["title", "customer.name"])
def test_registering_needs_a_title_and_a_customer_name(missing: str) -> None:
    fields = {path: v for path, v in BASICS.items() if path != missing}
    with pytest.raises(InvalidCommand, match=missing):
        SharedOpportunity.register(OWNER.party_id, fields, OWNER)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("title", "x" * 201),
        ("customer.name", "n" * 201),
        ("customer.industry", "i" * 201),
        ("customer.country", "de"),
        ("customer.country", "DEU"),
        ("customer.country", "D1"),
        ("customer.country", "ÄÖ"),
        ("customer.website_domain", "not a domain"),
        ("customer.website_domain", "localhost"),
        ("expected_amount", "1000 EUR"),
        ("target_close_date", "2030-01-01"),
        ("target_close_date", date(1999, 12, 31)),
        ("customer.contacts", [Contact(name=" ")]),
        ("customer.contacts", [Contact(name="Jo", email="e" * 201)]),
        ("customer.contacts", [Contact(name="Jo")] * 51),
        ("products", ["Analytics", ""]),
        ("products", ["p"] * 51),
        ("next_steps", "n" * 5001),
        ("title", "Q3 \x00 renewal"),
        ("customer.name", "Acme\x1b[31m"),
        ("next_steps", "call\x07"),
        ("stage", Stage.COMMITTED),
        ("owner_id", STRANGER.party_id),
    ],
)
def test_the_owner_cannot_set_a_bad_value(deal: SharedOpportunity, path: str, value: Any) -> None:
    assert_refused(deal, InvalidCommand, deal.update_details, {path: value}, OWNER)
    with pytest.raises(InvalidCommand):
        SharedOpportunity.register(OWNER.party_id, {**BASICS, path: value}, OWNER)


@pytest.mark.parametrize(
    ("amount", "currency"), [("-1", "EUR"), ("10.555", "EUR"), ("1.5", "JPY"), ("10", "EURO")]
)
def test_the_owner_cannot_set_a_bad_amount(
    deal: SharedOpportunity, amount: str, currency: str
) -> None:
    with pytest.raises(InvalidCommand):
        deal.update_details({"expected_amount": Money.of(amount, currency)}, OWNER)
    assert written(deal) == []
    assert deal.fields["expected_amount"] is None


def test_text_keeps_tabs_and_line_breaks(deal: SharedOpportunity) -> None:
    deal.update_details({"next_steps": "1. call\n2.\tdemo\r\n"}, OWNER)
    assert deal.fields["next_steps"] == "1. call\n2.\tdemo"


def test_a_title_of_exactly_200_characters_is_accepted(deal: SharedOpportunity) -> None:
    deal.update_details({"title": "t" * 200}, OWNER)
    assert deal.fields["title"] == "t" * 200


def test_the_owner_changes_the_details_and_only_changes_are_recorded(
    deal: SharedOpportunity,
) -> None:
    deal.update_details(
        {"title": "Data platform", "expected_amount": Money.of("1200.50", "EUR")}, OWNER
    )
    (event,) = deal.collect_events()
    assert isinstance(event, SharedOpportunity.DetailsUpdated)
    assert event.changes == {"expected_amount": Money.of("1200.50", "EUR")}
    assert deal.fields["expected_amount"] == Money.of("1200.50", "EUR")


def test_the_owner_can_clear_the_country(deal: SharedOpportunity) -> None:
    deal.update_details({"customer.country": "DE"}, OWNER)
    deal.update_details({"customer.country": None}, OWNER)
    assert deal.fields["customer.country"] is None


def test_an_update_that_changes_nothing_writes_no_event() -> None:
    opp = register({"customer.website_domain": "acme.com", "customer.country": "DE"})
    opp.collect_events()
    opp.update_details(
        {
            "title": "  Data platform ",
            "customer.website_domain": "https://www.ACME.com/",
            "customer.country": "DE",
        },
        OWNER,
    )
    assert written(opp) == []


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_only_the_owner_may_change_the_details(deal: SharedOpportunity, who: Actor) -> None:
    assert_refused(deal, NotPermitted, deal.update_details, {"title": "Mine"}, who)
    assert deal.fields["title"] == "Data platform"


def test_a_closed_deal_refuses_detail_changes_until_reopened(deal: SharedOpportunity) -> None:
    deal.close(Outcome.WON, "", OWNER)
    assert_refused(deal, InvalidCommand, deal.update_details, {"title": "New"}, OWNER)
    deal.change_stage(Stage.COMMITTED, reopen=True, actor=OWNER)
    deal.update_details({"title": "New"}, OWNER)
    assert deal.fields["title"] == "New"


# --- invitations ----------------------------------------------------------------------------


def test_an_invited_party_is_pending_until_it_accepts(deal: SharedOpportunity) -> None:
    assert deal.is_invited(INVITEE.party_id)
    assert INVITEE.party_id in deal.involved_parties
    deal.accept_invitation(INVITEE)
    assert deal.is_partner(INVITEE.party_id)
    assert deal.participants[INVITEE.party_id].role is PartnerRole.RESELLER


def test_an_invited_party_can_decline_and_is_no_longer_involved(deal: SharedOpportunity) -> None:
    deal.decline_invitation("not our region", INVITEE)
    assert deal.status_of(INVITEE.party_id) is ParticipantStatus.DECLINED
    assert INVITEE.party_id not in deal.involved_parties


def test_an_invitation_and_its_answer_are_dated_when_they_happen() -> None:
    opp = register()
    opp.invite(PARTNER.party_id, PartnerRole.CO_SELLER, OWNER, partnership_active=True)
    assert opp.participants[PARTNER.party_id].since == opp.modified_on
    opp.accept_invitation(PARTNER)
    assert opp.participants[PARTNER.party_id].since == opp.modified_on


@pytest.mark.parametrize("who", [PARTNER, INVITEE], ids=["partner", "invitee"])
def test_only_the_owner_may_invite(deal: SharedOpportunity, who: Actor) -> None:
    assert_refused(
        deal, NotPermitted, deal.invite, STRANGER.party_id, PartnerRole.CO_SELLER, who, True
    )


@pytest.mark.parametrize("role", [PartnerRole.OWNER, "owner"])
def test_a_partner_cannot_be_invited_as_owner(deal: SharedOpportunity, role: Any) -> None:
    assert_refused(deal, InvalidCommand, deal.invite, STRANGER.party_id, role, OWNER, True)


@pytest.mark.parametrize("who", [OWNER, PARTNER, INVITEE], ids=["owner", "partner", "invitee"])
def test_a_party_already_on_the_deal_cannot_be_invited_again(
    deal: SharedOpportunity, who: Actor
) -> None:
    assert_refused(
        deal, InvalidCommand, deal.invite, who.party_id, PartnerRole.CO_SELLER, OWNER, True
    )


def test_a_party_that_declined_can_be_invited_again(deal: SharedOpportunity) -> None:
    deal.decline_invitation("", INVITEE)
    deal.invite(INVITEE.party_id, PartnerRole.CLOUD_PROVIDER, OWNER, partnership_active=True)
    assert deal.is_invited(INVITEE.party_id)


def test_a_closed_deal_refuses_invitations(deal: SharedOpportunity) -> None:
    deal.close(Outcome.LOST, "budget cut", OWNER)
    assert_refused(
        deal, InvalidCommand, deal.invite, STRANGER.party_id, PartnerRole.CO_SELLER, OWNER, True
    )


@pytest.mark.parametrize("who", [OWNER, PARTNER, STRANGER], ids=["owner", "partner", "other"])
def test_only_a_pending_invitee_can_accept_or_decline(deal: SharedOpportunity, who: Actor) -> None:
    assert_refused(deal, InvalidCommand, deal.accept_invitation, who)
    assert_refused(deal, InvalidCommand, deal.decline_invitation, "", who)


# --- withdrawing ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", [PARTNER, INVITEE], ids=["partner", "invitee"])
def test_the_owner_can_withdraw_a_partner_or_an_invitation(
    deal: SharedOpportunity, who: Actor
) -> None:
    deal.withdraw(who.party_id, "reorganised", OWNER)
    assert deal.status_of(who.party_id) is ParticipantStatus.WITHDRAWN
    assert who.party_id not in deal.involved_parties


def test_a_partner_can_leave_the_deal_and_be_invited_back(deal: SharedOpportunity) -> None:
    deal.withdraw(PARTNER.party_id, "no capacity", PARTNER)
    assert deal.status_of(PARTNER.party_id) is ParticipantStatus.WITHDRAWN
    deal.invite(PARTNER.party_id, PartnerRole.CO_SELLER, OWNER, partnership_active=True)
    assert deal.is_invited(PARTNER.party_id)


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["other-partner", "stranger"])
def test_nobody_else_can_withdraw_a_partner(deal: SharedOpportunity, who: Actor) -> None:
    assert_refused(deal, NotPermitted, deal.withdraw, PARTNER.party_id, "", who)


def test_the_owner_cannot_withdraw_from_its_own_deal(deal: SharedOpportunity) -> None:
    assert_refused(deal, InvalidCommand, deal.withdraw, OWNER.party_id, "", OWNER)


def test_a_party_not_on_the_deal_cannot_be_withdrawn(deal: SharedOpportunity) -> None:
    assert_refused(deal, InvalidCommand, deal.withdraw, STRANGER.party_id, "", OWNER)
    deal.withdraw(PARTNER.party_id, "", PARTNER)
    assert_refused(deal, InvalidCommand, deal.withdraw, PARTNER.party_id, "", OWNER)


# --- stages ---------------------------------------------------------------------------------


def test_the_owner_can_skip_stages_forward(deal: SharedOpportunity) -> None:
    deal.change_stage(Stage.COMMITTED, reopen=False, actor=OWNER)
    assert deal.stage is Stage.COMMITTED


def test_moving_back_needs_an_explicit_reopen(deal: SharedOpportunity) -> None:
    deal.change_stage(Stage.BUSINESS_VALIDATION, reopen=False, actor=OWNER)
    assert_refused(
        deal,
        InvalidCommand,
        deal.change_stage,
        Stage.QUALIFIED,
        False,
        OWNER,
        match="explicit reopen",
    )
    deal.change_stage(Stage.QUALIFIED, reopen=True, actor=OWNER)
    (event,) = deal.collect_events()
    assert deal.stage is Stage.QUALIFIED
    assert isinstance(event, SharedOpportunity.StageChanged) and event.reopened


def test_moving_to_the_current_stage_is_refused(deal: SharedOpportunity) -> None:
    assert_refused(deal, InvalidCommand, deal.change_stage, Stage.PROSPECT, True, OWNER)


@pytest.mark.parametrize("stage", [Stage.LAUNCHED, Stage.CLOSED_LOST])
def test_a_deal_is_launched_or_lost_only_by_closing_it(
    deal: SharedOpportunity, stage: Stage
) -> None:
    assert_refused(deal, InvalidCommand, deal.change_stage, stage, True, OWNER, match="use close")


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_only_the_owner_may_change_the_stage_or_close(deal: SharedOpportunity, who: Actor) -> None:
    assert_refused(deal, NotPermitted, deal.change_stage, Stage.QUALIFIED, False, who)
    assert_refused(deal, NotPermitted, deal.close, Outcome.WON, "", who)


def test_a_won_deal_is_launched(deal: SharedOpportunity) -> None:
    deal.close(Outcome.WON, "", OWNER)
    assert deal.stage is Stage.LAUNCHED
    assert not deal.is_open


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_lost_deal_needs_a_reason(deal: SharedOpportunity, reason: str) -> None:
    assert_refused(deal, InvalidCommand, deal.close, Outcome.LOST, reason, OWNER)
    deal.close(Outcome.LOST, "  chose a competitor ", OWNER)
    assert deal.stage is Stage.CLOSED_LOST
    assert deal.closing_reason == "chose a competitor"


def test_a_closed_deal_cannot_be_closed_again(deal: SharedOpportunity) -> None:
    deal.close(Outcome.WON, "", OWNER)
    assert_refused(deal, InvalidCommand, deal.close, Outcome.LOST, "after all", OWNER)


@pytest.mark.parametrize("outcome", [Outcome.WON, Outcome.LOST])
def test_a_closed_deal_reopens_only_explicitly_and_forgets_its_reason(
    deal: SharedOpportunity, outcome: Outcome
) -> None:
    deal.close(outcome, "timing", OWNER)
    assert_refused(
        deal,
        InvalidCommand,
        deal.change_stage,
        Stage.COMMITTED,
        False,
        OWNER,
        match="explicit reopen",
    )
    deal.change_stage(Stage.COMMITTED, reopen=True, actor=OWNER)
    assert deal.stage is Stage.COMMITTED
    assert deal.is_open
    assert deal.closing_reason == ""


# --- notes and counterparts -----------------------------------------------------------------


@pytest.mark.parametrize("who", [OWNER, PARTNER], ids=["owner", "partner"])
def test_accepted_participants_write_notes(deal: SharedOpportunity, who: Actor) -> None:
    deal.add_note(uuid4(), "  Call the CFO on Monday ", who)
    assert [(n.author, n.text) for n in deal.notes] == [(who, "Call the CFO on Monday")]


def test_a_note_is_dated_when_it_was_written(deal: SharedOpportunity) -> None:
    deal.add_note(uuid4(), "Demo booked", PARTNER)
    assert deal.notes[-1].written_at == deal.modified_on


@pytest.mark.parametrize("text", ["", "   ", "n" * 5001])
def test_an_empty_or_overlong_note_is_refused(deal: SharedOpportunity, text: str) -> None:
    assert_refused(deal, InvalidCommand, deal.add_note, uuid4(), text, PARTNER)


def test_only_accepted_participants_write_notes(deal: SharedOpportunity) -> None:
    deal.withdraw(PARTNER.party_id, "", PARTNER)
    for who in (INVITEE, PARTNER, STRANGER):
        assert_refused(deal, NotPermitted, deal.add_note, uuid4(), "hi", who)


def test_each_partner_keeps_its_own_counterpart_fields(deal: SharedOpportunity) -> None:
    deal.update_counterpart({"crm_reference": "SF-1"}, PARTNER)
    deal.update_counterpart({"crm_reference": "HS-9"}, OWNER)
    assert deal.counterparts[PARTNER.party_id].fields == {"crm_reference": "SF-1"}
    assert deal.counterparts[OWNER.party_id].fields == {"crm_reference": "HS-9"}
    assert deal.fields["title"] == "Data platform"


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Mine now"},
        {"customer.name": "Other"},
        {"crm_reference": "r" * 201},
        {"forecast_amount": "5000"},
        {"internal_notes": "n" * 5001},
    ],
)
def test_a_partner_writes_only_valid_counterpart_fields(
    deal: SharedOpportunity, changes: dict[str, Any]
) -> None:
    assert_refused(deal, InvalidCommand, deal.update_counterpart, changes, PARTNER)
    assert deal.fields["title"] == "Data platform"


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["invitee", "other"])
def test_only_accepted_participants_keep_counterpart_fields(
    deal: SharedOpportunity, who: Actor
) -> None:
    assert_refused(deal, NotPermitted, deal.update_counterpart, {"crm_reference": "X"}, who)


def test_a_counterpart_update_that_changes_nothing_writes_no_event(
    deal: SharedOpportunity,
) -> None:
    deal.update_counterpart({"forecast_amount": Money.of("10.00", "USD")}, PARTNER)
    deal.collect_events()
    deal.update_counterpart({"forecast_amount": Money.of("10.00", "USD")}, PARTNER)
    assert written(deal) == []


def test_a_deal_is_shared_only_with_active_partners(deal: SharedOpportunity) -> None:
    assert_refused(
        deal, Conflict, deal.invite, STRANGER.party_id, PartnerRole.CO_SELLER, OWNER, False
    )


def test_an_invitation_to_a_closed_deal_cannot_be_accepted(deal: SharedOpportunity) -> None:
    deal.close(Outcome.LOST, "budget cut", OWNER)
    assert_refused(deal, InvalidCommand, deal.accept_invitation, INVITEE)
