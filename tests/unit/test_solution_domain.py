"""JointSolution: what the owner, its builders, other partners and strangers may do to it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, CosellError, InvalidCommand, NotPermitted
from ecosystem.opportunities.domainmodel import ParticipantStatus
from ecosystem.solutions.domainmodel import JointSolution, SolutionRole
from ecosystem.solutions.fields import Lifecycle, PricingModel

OWNER = Actor(uuid4(), uuid4())
BUILDER = Actor(uuid4(), uuid4())
RESELLER = Actor(uuid4(), uuid4())
INVITEE = Actor(uuid4(), uuid4())
STRANGER = Actor(uuid4(), uuid4())
URL = "https://marketplace.example.com/data-platform"


def propose(fields: dict[str, Any] | None = None, role: Any = "integrator") -> JointSolution:
    return JointSolution.propose(
        OWNER.party_id, role, {"name": "Data platform", **(fields or {})}, OWNER
    )


def written(solution: JointSolution) -> list[str]:
    """The names of the events a command left pending."""
    return [type(e).__name__ for e in solution.collect_events()]


def state_of(solution: JointSolution) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(solution).items() if k != "_pending_events"})


def assert_refused(
    solution: JointSolution,
    error: type[CosellError],
    command: Callable[..., object],
    *args: Any,
    match: str | None = None,
) -> None:
    """The command is refused with `error` and leaves the solution as it was, nothing pending."""
    solution.collect_events()
    before = state_of(solution)
    with pytest.raises(error, match=match) as refusal:
        command(*args)
    assert type(refusal.value) is error
    assert solution.collect_events() == []
    assert state_of(solution) == before


@pytest.fixture
def solution() -> JointSolution:
    """Owned by OWNER (integrator); BUILDER and RESELLER accepted; INVITEE invited as builder."""
    made = propose()
    made.invite(BUILDER.party_id, SolutionRole.BUILDER, OWNER, partnership_active=True)
    made.accept_invitation(BUILDER)
    made.invite(RESELLER.party_id, "reseller", OWNER, partnership_active=True)
    made.accept_invitation(RESELLER)
    made.invite(INVITEE.party_id, "builder", OWNER, partnership_active=True)
    made.collect_events()
    return made


def developing(solution: JointSolution) -> JointSolution:
    solution.move(Lifecycle.IN_DEVELOPMENT, OWNER)
    solution.collect_events()
    return solution


def validated(solution: JointSolution) -> JointSolution:
    developing(solution)
    solution.sign_off(BUILDER)
    solution.move(Lifecycle.VALIDATED, OWNER)
    solution.collect_events()
    return solution


def published(solution: JointSolution) -> JointSolution:
    validated(solution)
    solution.update_details({"listing.url": URL}, OWNER)
    solution.move(Lifecycle.PUBLISHED, OWNER)
    solution.collect_events()
    return solution


def retired(solution: JointSolution) -> JointSolution:
    solution.move(Lifecycle.RETIRED, OWNER)
    solution.collect_events()
    return solution


# --- proposing and details ------------------------------------------------------------------


def test_a_proposed_solution_is_owned_by_its_proposer_in_the_role_it_chose() -> None:
    made = propose({"summary": "  Lakehouse in a box "})
    assert made.lifecycle is Lifecycle.PROPOSED
    assert made.involved_parties == {OWNER.party_id}
    assert made.role_of(OWNER.party_id) is SolutionRole.INTEGRATOR
    assert made.fields["name"] == "Data platform"
    assert made.fields["summary"] == "Lakehouse in a box"
    assert made.fields["listing.url"] == ""
    assert made.fields["listing.pricing_model"] is None
    assert made.sign_offs == {} and made.components == {} and made.links == {}
    assert written(made) == ["Proposed"]


@pytest.mark.parametrize("role", list(SolutionRole))
def test_the_owner_may_propose_in_any_solution_role(role: SolutionRole) -> None:
    assert propose(role=role.value).role_of(OWNER.party_id) is role


def test_proposing_needs_a_name() -> None:
    with pytest.raises(InvalidCommand, match="missing fields: name"):
        JointSolution.propose(OWNER.party_id, "builder", {"summary": "no name"}, OWNER)


@pytest.mark.parametrize("name", ["", "   ", "n" * 201, "Data\x00platform", 42])
def test_proposing_needs_a_usable_name(name: Any) -> None:
    with pytest.raises(InvalidCommand, match="name"):
        propose({"name": name})


@pytest.mark.parametrize("role", ["owner", "Builder", "", "partner", None])
def test_proposing_needs_a_valid_owner_role_and_names_the_allowed_ones(role: Any) -> None:
    with pytest.raises(InvalidCommand, match="builder, integrator, reseller, cloud_provider"):
        propose(role=role)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("colour", "blue"),
        ("lifecycle", "Published"),
        ("owner_id", STRANGER.party_id),
        ("name", "x" * 201),
        ("name", "Q3\x1b[31m"),
        ("summary", "s" * 5001),
        ("summary", "bell\x07"),
        ("use_cases", "analytics"),
        ("use_cases", ["analytics", ""]),
        ("use_cases", ["u"] * 51),
        ("target_industries", ["retail\x00"]),
        ("listing.regions", ["EU", 7]),
        ("listing.url", "http://marketplace.example.com"),
        ("listing.url", "ftp://marketplace.example.com"),
        ("listing.url", "marketplace.example.com"),
        ("listing.url", "https://"),
        ("listing.url", "https://market place.example.com"),
        ("listing.url", "https://example.com/\x00"),
        ("listing.pricing_model", "freemium"),
        ("listing.pricing_model", "FREE"),
        ("listing.pricing_model", 3),
    ],
)
def test_a_bad_value_is_refused_when_proposing_and_when_updating(
    solution: JointSolution, path: str, value: Any
) -> None:
    assert_refused(solution, InvalidCommand, solution.update_details, {path: value}, OWNER)
    with pytest.raises(InvalidCommand):
        propose({path: value})


def test_unknown_fields_are_refused_by_name(solution: JointSolution) -> None:
    assert_refused(
        solution,
        InvalidCommand,
        solution.update_details,
        {"colour": "blue", "name": "New"},
        OWNER,
        match="unknown fields: colour",
    )


def test_an_unknown_pricing_model_is_refused_naming_the_known_ones(
    solution: JointSolution,
) -> None:
    assert_refused(
        solution,
        InvalidCommand,
        solution.update_details,
        {"listing.pricing_model": "freemium"},
        OWNER,
        match="free, byol, subscription, usage, contract",
    )


@pytest.mark.parametrize("model", list(PricingModel))
def test_the_owner_sets_a_known_pricing_model_and_may_clear_it(
    solution: JointSolution, model: PricingModel
) -> None:
    solution.update_details({"listing.pricing_model": model.value}, OWNER)
    assert solution.fields["listing.pricing_model"] is model
    solution.update_details({"listing.pricing_model": None}, OWNER)
    assert solution.fields["listing.pricing_model"] is None


def test_the_owner_changes_the_details_and_only_changes_are_recorded(
    solution: JointSolution,
) -> None:
    solution.update_details({"name": " Data platform ", "listing.regions": ["EU", "US"]}, OWNER)
    (event,) = solution.collect_events()
    assert type(event).__name__ == "DetailsUpdated"
    assert vars(event)["changes"] == {"listing.regions": ["EU", "US"]}
    assert solution.fields["listing.regions"] == ["EU", "US"]


def test_an_update_that_changes_nothing_writes_no_event(solution: JointSolution) -> None:
    solution.update_details({"name": "Data platform", "use_cases": []}, OWNER)
    assert written(solution) == []


@pytest.mark.parametrize(
    "who", [BUILDER, RESELLER, INVITEE, STRANGER], ids=["builder", "reseller", "invitee", "other"]
)
def test_only_the_owner_may_change_the_details(solution: JointSolution, who: Actor) -> None:
    assert_refused(solution, NotPermitted, solution.update_details, {"name": "Mine"}, who)


# --- invitations and withdrawing ------------------------------------------------------------


def test_an_invited_party_is_pending_until_it_accepts_in_its_role(
    solution: JointSolution,
) -> None:
    assert solution.is_invited(INVITEE.party_id)
    assert INVITEE.party_id in solution.involved_parties
    assert solution.role_of(INVITEE.party_id) is None
    solution.accept_invitation(INVITEE)
    assert written(solution) == ["InvitationAccepted"]
    assert solution.is_partner(INVITEE.party_id)
    assert solution.role_of(INVITEE.party_id) is SolutionRole.BUILDER


def test_an_invited_party_can_decline_and_is_no_longer_involved(solution: JointSolution) -> None:
    solution.decline_invitation("not our stack", INVITEE)
    assert written(solution) == ["InvitationDeclined"]
    assert solution.status_of(INVITEE.party_id) is ParticipantStatus.DECLINED
    assert INVITEE.party_id not in solution.involved_parties


@pytest.mark.parametrize(
    "who", [BUILDER, RESELLER, INVITEE, STRANGER], ids=["builder", "reseller", "invitee", "other"]
)
def test_only_the_owner_may_invite(solution: JointSolution, who: Actor) -> None:
    assert_refused(solution, NotPermitted, solution.invite, uuid4(), "builder", who, True)


@pytest.mark.parametrize("role", ["owner", "funder", "Builder", ""])
def test_a_partner_is_invited_only_in_a_solution_role(solution: JointSolution, role: str) -> None:
    assert_refused(solution, InvalidCommand, solution.invite, uuid4(), role, OWNER, True)


@pytest.mark.parametrize(
    "who", [OWNER, BUILDER, RESELLER, INVITEE], ids=["owner", "builder", "reseller", "invitee"]
)
def test_a_party_already_on_the_solution_cannot_be_invited_again(
    solution: JointSolution, who: Actor
) -> None:
    assert_refused(solution, InvalidCommand, solution.invite, who.party_id, "builder", OWNER, True)


def test_a_solution_is_shared_only_with_active_partners(solution: JointSolution) -> None:
    assert_refused(solution, Conflict, solution.invite, STRANGER.party_id, "builder", OWNER, False)


def test_a_party_that_declined_can_be_invited_again_in_another_role(
    solution: JointSolution,
) -> None:
    solution.decline_invitation("", INVITEE)
    solution.invite(INVITEE.party_id, "cloud_provider", OWNER, partnership_active=True)
    solution.accept_invitation(INVITEE)
    assert solution.role_of(INVITEE.party_id) is SolutionRole.CLOUD_PROVIDER


@pytest.mark.parametrize("who", [OWNER, BUILDER, STRANGER], ids=["owner", "builder", "other"])
def test_only_a_pending_invitee_can_accept_or_decline(solution: JointSolution, who: Actor) -> None:
    assert_refused(solution, InvalidCommand, solution.accept_invitation, who)
    assert_refused(solution, InvalidCommand, solution.decline_invitation, "", who)


@pytest.mark.parametrize("who", [BUILDER, INVITEE], ids=["builder", "invitee"])
def test_the_owner_can_withdraw_a_partner_or_an_invitation(
    solution: JointSolution, who: Actor
) -> None:
    solution.withdraw(who.party_id, "reorganised", OWNER)
    assert written(solution) == ["PartnerWithdrawn"]
    assert solution.status_of(who.party_id) is ParticipantStatus.WITHDRAWN
    assert who.party_id not in solution.involved_parties


def test_a_partner_can_leave_and_be_invited_back(solution: JointSolution) -> None:
    solution.withdraw(RESELLER.party_id, "no capacity", RESELLER)
    assert solution.status_of(RESELLER.party_id) is ParticipantStatus.WITHDRAWN
    solution.invite(RESELLER.party_id, "reseller", OWNER, partnership_active=True)
    assert solution.is_invited(RESELLER.party_id)


@pytest.mark.parametrize("who", [RESELLER, INVITEE, STRANGER], ids=["reseller", "invitee", "other"])
def test_nobody_else_can_withdraw_a_partner(solution: JointSolution, who: Actor) -> None:
    assert_refused(solution, NotPermitted, solution.withdraw, BUILDER.party_id, "", who)


def test_the_owner_cannot_withdraw_from_its_own_solution(solution: JointSolution) -> None:
    assert_refused(solution, InvalidCommand, solution.withdraw, OWNER.party_id, "", OWNER)


def test_a_party_not_on_the_solution_cannot_be_withdrawn(solution: JointSolution) -> None:
    assert_refused(solution, InvalidCommand, solution.withdraw, STRANGER.party_id, "", OWNER)
    solution.withdraw(BUILDER.party_id, "", BUILDER)
    assert_refused(solution, InvalidCommand, solution.withdraw, BUILDER.party_id, "", OWNER)


# --- lifecycle ------------------------------------------------------------------------------


def test_the_owner_takes_a_solution_through_its_whole_lifecycle(solution: JointSolution) -> None:
    solution.move("In Development", OWNER)
    solution.sign_off(BUILDER)
    solution.move(Lifecycle.VALIDATED, OWNER)
    solution.update_details({"listing.url": URL}, OWNER)
    solution.move(Lifecycle.PUBLISHED, OWNER)
    solution.move(Lifecycle.RETIRED, OWNER)
    events = solution.collect_events()
    moves = [(vars(e)["from_stage"], vars(e)["to"]) for e in events if type(e).__name__ == "Moved"]
    assert moves == [
        (Lifecycle.PROPOSED, Lifecycle.IN_DEVELOPMENT),
        (Lifecycle.IN_DEVELOPMENT, Lifecycle.VALIDATED),
        (Lifecycle.VALIDATED, Lifecycle.PUBLISHED),
        (Lifecycle.PUBLISHED, Lifecycle.RETIRED),
    ]
    assert solution.lifecycle is Lifecycle.RETIRED
    assert not solution.is_live


@pytest.mark.parametrize(
    "who", [BUILDER, RESELLER, INVITEE, STRANGER], ids=["builder", "reseller", "invitee", "other"]
)
@pytest.mark.parametrize("to", [Lifecycle.IN_DEVELOPMENT, Lifecycle.RETIRED])
def test_only_the_owner_moves_the_solution(
    solution: JointSolution, who: Actor, to: Lifecycle
) -> None:
    assert_refused(solution, NotPermitted, solution.move, to, who)


@pytest.mark.parametrize(
    ("reach", "to", "allowed"),
    [
        (lambda s: s, Lifecycle.PROPOSED, "In Development, Retired"),
        (lambda s: s, Lifecycle.VALIDATED, "In Development, Retired"),
        (lambda s: s, Lifecycle.PUBLISHED, "In Development, Retired"),
        (developing, Lifecycle.PROPOSED, "Validated, Retired"),
        (developing, Lifecycle.PUBLISHED, "Validated, Retired"),
        (developing, Lifecycle.IN_DEVELOPMENT, "Validated, Retired"),
        (validated, Lifecycle.PROPOSED, "Published, In Development, Retired"),
        (published, Lifecycle.VALIDATED, "In Development, Retired"),
        (published, Lifecycle.PROPOSED, "In Development, Retired"),
    ],
    ids=[
        "proposed-proposed",
        "proposed-validated",
        "proposed-published",
        "development-proposed",
        "development-published",
        "development-development",
        "validated-proposed",
        "published-validated",
        "published-proposed",
    ],
)
def test_an_illegal_move_is_refused_naming_the_allowed_moves(
    solution: JointSolution,
    reach: Callable[[JointSolution], JointSolution],
    to: Lifecycle,
    allowed: str,
) -> None:
    reach(solution)
    assert_refused(
        solution,
        InvalidCommand,
        solution.move,
        to,
        OWNER,
        match=f"can move to: {allowed}; not to {to}$",
    )


@pytest.mark.parametrize("to", ["Done", "in development", "", None])
def test_an_unknown_stage_is_refused_naming_the_stages(solution: JointSolution, to: Any) -> None:
    assert_refused(
        solution, InvalidCommand, solution.move, to, OWNER, match="Proposed, In Development"
    )


def test_a_builder_who_has_not_signed_off_blocks_validation(solution: JointSolution) -> None:
    developing(solution)
    assert_refused(
        solution,
        InvalidCommand,
        solution.move,
        Lifecycle.VALIDATED,
        OWNER,
        match="waiting for 1 builder",
    )
    assert solution.lifecycle is Lifecycle.IN_DEVELOPMENT


def test_validation_waits_for_every_accepted_builder(solution: JointSolution) -> None:
    solution.accept_invitation(INVITEE)
    developing(solution)
    solution.sign_off(BUILDER)
    assert_refused(
        solution,
        InvalidCommand,
        solution.move,
        Lifecycle.VALIDATED,
        OWNER,
        match="waiting for 1 builder",
    )
    solution.sign_off(INVITEE)
    solution.move(Lifecycle.VALIDATED, OWNER)
    assert solution.lifecycle is Lifecycle.VALIDATED
    assert set(solution.sign_offs) == {BUILDER.party_id, INVITEE.party_id}


def test_a_builder_who_has_only_been_invited_does_not_block_validation(
    solution: JointSolution,
) -> None:
    developing(solution)
    solution.sign_off(BUILDER)
    solution.move(Lifecycle.VALIDATED, OWNER)
    assert solution.lifecycle is Lifecycle.VALIDATED


def test_an_owner_who_builds_must_sign_off_too() -> None:
    made = propose(role="builder")
    made.move(Lifecycle.IN_DEVELOPMENT, OWNER)
    assert_refused(made, InvalidCommand, made.move, Lifecycle.VALIDATED, OWNER, match="waiting")
    made.sign_off(OWNER)
    made.move(Lifecycle.VALIDATED, OWNER)
    assert made.lifecycle is Lifecycle.VALIDATED


def test_a_builder_who_joins_after_the_sign_offs_blocks_validation_until_it_signs(
    solution: JointSolution,
) -> None:
    developing(solution)
    solution.sign_off(BUILDER)
    solution.accept_invitation(INVITEE)
    assert_refused(solution, InvalidCommand, solution.move, Lifecycle.VALIDATED, OWNER)
    solution.sign_off(INVITEE)
    solution.move(Lifecycle.VALIDATED, OWNER)
    assert solution.lifecycle is Lifecycle.VALIDATED


def test_a_withdrawn_builder_loses_its_sign_off_and_no_longer_blocks(
    solution: JointSolution,
) -> None:
    solution.accept_invitation(INVITEE)
    developing(solution)
    solution.sign_off(INVITEE)
    solution.withdraw(INVITEE.party_id, "left", INVITEE)
    assert INVITEE.party_id not in solution.sign_offs
    assert_refused(solution, InvalidCommand, solution.move, Lifecycle.VALIDATED, OWNER)
    solution.sign_off(BUILDER)
    solution.move(Lifecycle.VALIDATED, OWNER)
    assert solution.lifecycle is Lifecycle.VALIDATED


def test_a_solution_without_a_builder_is_never_validated() -> None:
    made = propose()
    made.move(Lifecycle.IN_DEVELOPMENT, OWNER)
    made.collect_events()
    assert_refused(made, InvalidCommand, made.move, Lifecycle.VALIDATED, OWNER)


def test_a_sign_off_is_dated_when_it_is_given(solution: JointSolution) -> None:
    developing(solution)
    solution.sign_off(BUILDER)
    assert written(solution) == ["SignedOff"]
    assert solution.sign_offs == {BUILDER.party_id: solution.modified_on}


@pytest.mark.parametrize(
    "who",
    [OWNER, RESELLER, INVITEE, STRANGER],
    ids=["integrator-owner", "reseller", "invited-builder", "other"],
)
def test_only_an_accepted_builder_signs_off(solution: JointSolution, who: Actor) -> None:
    developing(solution)
    assert_refused(solution, NotPermitted, solution.sign_off, who)


def test_a_withdrawn_builder_cannot_sign_off(solution: JointSolution) -> None:
    developing(solution)
    solution.withdraw(BUILDER.party_id, "", OWNER)
    assert_refused(solution, NotPermitted, solution.sign_off, BUILDER)


@pytest.mark.parametrize("reach", [lambda s: s, validated, published, retired])
def test_a_builder_signs_off_only_while_the_solution_is_in_development(
    solution: JointSolution, reach: Callable[[JointSolution], JointSolution]
) -> None:
    reach(solution)
    assert_refused(solution, InvalidCommand, solution.sign_off, BUILDER, match="In Development")


def test_a_builder_signs_off_only_once(solution: JointSolution) -> None:
    developing(solution)
    solution.sign_off(BUILDER)
    assert_refused(solution, InvalidCommand, solution.sign_off, BUILDER, match="already")


@pytest.mark.parametrize("reach", [validated, published], ids=["validated", "published"])
def test_going_back_to_development_clears_the_sign_offs(
    solution: JointSolution, reach: Callable[[JointSolution], JointSolution]
) -> None:
    reach(solution)
    assert solution.sign_offs
    solution.move(Lifecycle.IN_DEVELOPMENT, OWNER)
    assert solution.sign_offs == {}
    assert_refused(
        solution, InvalidCommand, solution.move, Lifecycle.VALIDATED, OWNER, match="waiting"
    )
    solution.sign_off(BUILDER)
    solution.move(Lifecycle.VALIDATED, OWNER)
    assert solution.lifecycle is Lifecycle.VALIDATED


def test_publishing_needs_a_listing_url(solution: JointSolution) -> None:
    validated(solution)
    assert_refused(
        solution, InvalidCommand, solution.move, Lifecycle.PUBLISHED, OWNER, match="listing.url"
    )
    solution.update_details({"listing.url": URL}, OWNER)
    solution.move(Lifecycle.PUBLISHED, OWNER)
    assert solution.lifecycle is Lifecycle.PUBLISHED


def test_a_listing_url_proposed_up_front_is_enough_to_publish() -> None:
    made = propose({"listing.url": URL}, role="builder")
    made.move(Lifecycle.IN_DEVELOPMENT, OWNER)
    made.sign_off(OWNER)
    made.move(Lifecycle.VALIDATED, OWNER)
    made.move(Lifecycle.PUBLISHED, OWNER)
    assert made.lifecycle is Lifecycle.PUBLISHED


@pytest.mark.parametrize(
    "reach",
    [lambda s: s, developing, validated, published],
    ids=["proposed", "development", "validated", "published"],
)
def test_a_solution_can_be_retired_from_any_live_stage(
    solution: JointSolution, reach: Callable[[JointSolution], JointSolution]
) -> None:
    reach(solution)
    solution.move(Lifecycle.RETIRED, OWNER)
    assert written(solution) == ["Moved"]
    assert solution.lifecycle is Lifecycle.RETIRED


@pytest.mark.parametrize("to", list(Lifecycle))
def test_a_retired_solution_moves_nowhere(solution: JointSolution, to: Lifecycle) -> None:
    retired(solution)
    assert_refused(solution, InvalidCommand, solution.move, to, OWNER)


def test_a_retired_solution_refuses_details_invitations_joins_and_components(
    solution: JointSolution,
) -> None:
    retired(solution)
    assert_refused(solution, InvalidCommand, solution.update_details, {"name": "New"}, OWNER)
    assert_refused(
        solution, InvalidCommand, solution.invite, STRANGER.party_id, "builder", OWNER, True
    )
    assert_refused(solution, InvalidCommand, solution.accept_invitation, INVITEE)
    assert_refused(
        solution, InvalidCommand, solution.add_component, uuid4(), {"name": "Late"}, BUILDER
    )


# --- components -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", [OWNER, BUILDER, RESELLER], ids=["owner", "builder", "reseller"])
def test_accepted_participants_contribute_components_they_own(
    solution: JointSolution, who: Actor
) -> None:
    component_id = uuid4()
    solution.add_component(component_id, {"name": " Connector ", "description": "CDC"}, who)
    assert written(solution) == ["ComponentAdded"]
    component = solution.components[component_id]
    assert (component.contributor, component.name, component.description) == (
        who.party_id,
        "Connector",
        "CDC",
    )


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["invitee", "other"])
def test_only_accepted_participants_contribute_components(
    solution: JointSolution, who: Actor
) -> None:
    assert_refused(
        solution, NotPermitted, solution.add_component, uuid4(), {"name": "Connector"}, who
    )


def test_a_partner_that_left_contributes_no_more_components(solution: JointSolution) -> None:
    solution.withdraw(BUILDER.party_id, "", BUILDER)
    assert_refused(
        solution, NotPermitted, solution.add_component, uuid4(), {"name": "Connector"}, BUILDER
    )


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"description": "no name"},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "Conn\x00ector"},
        {"name": "Connector", "description": "d" * 5001},
        {"name": "Connector", "version": "1.0"},
    ],
)
def test_a_component_needs_a_valid_name_and_known_fields(
    solution: JointSolution, values: dict[str, Any]
) -> None:
    assert_refused(solution, InvalidCommand, solution.add_component, uuid4(), values, BUILDER)


def test_only_the_contributor_removes_its_component(solution: JointSolution) -> None:
    component_id = uuid4()
    solution.add_component(component_id, {"name": "Connector"}, BUILDER)
    for who in (OWNER, RESELLER, INVITEE, STRANGER):
        assert_refused(solution, NotPermitted, solution.remove_component, component_id, who)
    solution.remove_component(component_id, BUILDER)
    assert written(solution) == ["ComponentRemoved"]
    assert solution.components == {}


def test_removing_a_component_the_solution_does_not_have_is_refused(
    solution: JointSolution,
) -> None:
    assert_refused(solution, InvalidCommand, solution.remove_component, uuid4(), BUILDER)


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [OWNER, BUILDER, RESELLER], ids=["owner", "builder", "reseller"])
def test_accepted_participants_link_opportunities(solution: JointSolution, who: Actor) -> None:
    opportunity_id = uuid4()
    solution.link_opportunity(opportunity_id, who)
    assert written(solution) == ["OpportunityLinked"]
    link = solution.links[opportunity_id]
    assert (link.linked_by, link.since) == (who.party_id, solution.modified_on)


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["invitee", "other"])
def test_only_accepted_participants_link_opportunities(solution: JointSolution, who: Actor) -> None:
    assert_refused(solution, NotPermitted, solution.link_opportunity, uuid4(), who)


@pytest.mark.parametrize("again", [BUILDER, RESELLER], ids=["same-party", "other-party"])
def test_an_opportunity_is_linked_only_once(solution: JointSolution, again: Actor) -> None:
    opportunity_id = uuid4()
    solution.link_opportunity(opportunity_id, BUILDER)
    assert_refused(
        solution,
        InvalidCommand,
        solution.link_opportunity,
        opportunity_id,
        again,
        match="already linked",
    )


@pytest.mark.parametrize("who", [BUILDER, OWNER], ids=["linker", "owner"])
def test_the_linker_or_the_owner_removes_a_link(solution: JointSolution, who: Actor) -> None:
    opportunity_id = uuid4()
    solution.link_opportunity(opportunity_id, BUILDER)
    solution.collect_events()
    solution.unlink_opportunity(opportunity_id, who)
    assert written(solution) == ["OpportunityUnlinked"]
    assert solution.links == {}
    solution.link_opportunity(opportunity_id, RESELLER)
    assert solution.links[opportunity_id].linked_by == RESELLER.party_id


def test_nobody_else_removes_a_link(solution: JointSolution) -> None:
    opportunity_id = uuid4()
    solution.link_opportunity(opportunity_id, BUILDER)
    assert_refused(solution, NotPermitted, solution.unlink_opportunity, opportunity_id, RESELLER)
    for who in (INVITEE, STRANGER):
        assert_refused(solution, NotPermitted, solution.unlink_opportunity, opportunity_id, who)


def test_a_linker_that_left_can_no_longer_remove_its_link(solution: JointSolution) -> None:
    opportunity_id = uuid4()
    solution.link_opportunity(opportunity_id, BUILDER)
    solution.withdraw(BUILDER.party_id, "", BUILDER)
    assert_refused(solution, NotPermitted, solution.unlink_opportunity, opportunity_id, BUILDER)
    solution.unlink_opportunity(opportunity_id, OWNER)
    assert solution.links == {}


def test_removing_a_link_that_does_not_exist_is_refused(solution: JointSolution) -> None:
    assert_refused(
        solution, InvalidCommand, solution.unlink_opportunity, uuid4(), OWNER, match="not linked"
    )


# --- counterparts ---------------------------------------------------------------------------


def test_each_party_keeps_its_own_counterpart_fields(solution: JointSolution) -> None:
    solution.update_counterpart({"crm_reference": "SF-1"}, BUILDER)
    solution.update_counterpart({"crm_reference": "HS-9", "internal_notes": "push"}, OWNER)
    assert solution.counterparts == {
        BUILDER.party_id: {"crm_reference": "SF-1"},
        OWNER.party_id: {"crm_reference": "HS-9", "internal_notes": "push"},
    }
    assert RESELLER.party_id not in solution.counterparts
    assert solution.fields["name"] == "Data platform"


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Mine now"},
        {"listing.url": URL},
        {"crm_reference": "r" * 201},
        {"crm_reference": "SF\x00-1"},
        {"internal_notes": "n" * 5001},
        {"internal_notes": 5},
    ],
)
def test_a_partner_writes_only_valid_counterpart_fields(
    solution: JointSolution, changes: dict[str, Any]
) -> None:
    assert_refused(solution, InvalidCommand, solution.update_counterpart, changes, BUILDER)


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["invitee", "other"])
def test_only_accepted_participants_keep_counterpart_fields(
    solution: JointSolution, who: Actor
) -> None:
    assert_refused(solution, NotPermitted, solution.update_counterpart, {"crm_reference": "X"}, who)


def test_a_counterpart_update_that_changes_nothing_writes_no_event(
    solution: JointSolution,
) -> None:
    solution.update_counterpart({"crm_reference": "SF-1"}, BUILDER)
    solution.collect_events()
    solution.update_counterpart({"crm_reference": " SF-1 "}, BUILDER)
    assert written(solution) == []


def test_a_counterpart_update_records_only_what_changed(solution: JointSolution) -> None:
    solution.update_counterpart({"crm_reference": "SF-1"}, BUILDER)
    solution.collect_events()
    solution.update_counterpart({"crm_reference": "SF-1", "internal_notes": "n"}, BUILDER)
    (event,) = solution.collect_events()
    assert type(event).__name__ == "CounterpartUpdated"
    assert vars(event)["changes"] == {"internal_notes": "n"}


def test_builders_are_the_accepted_participants_in_the_builder_role(
    solution: JointSolution,
) -> None:
    assert set(solution.builders()) == {BUILDER.party_id}
    solution.accept_invitation(INVITEE)
    assert set(solution.builders()) == {BUILDER.party_id, INVITEE.party_id}
