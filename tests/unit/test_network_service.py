"""The Network service on SQLite: who may register, see and change a shared deal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.errors import Conflict, NotFound, NotPermitted, RoleNotAllowed, Unauthenticated
from ecosystem.network import Network
from ecosystem.opportunities.conflicts import RegistrationConflict
from ecosystem.opportunities.domainmodel import Outcome, ParticipantStatus, PartnerRole
from ecosystem.opportunities.fields import Stage
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.partnerships.domainmodel import partnership_id


def join(network: Network, name: str) -> Principal:
    """A new company on the network, and its first user: an admin, signed in by token."""
    domain = f"{name.lower()}-{uuid4().hex[:6]}.example"
    party = network.register_party(OPERATOR, name, domain, PartyKind.ISV)
    return user_of(network, party.object_id, Role.ADMIN)


def user_of(network: Network, party_id: UUID, *roles: Role) -> Principal:
    _, issued = network.add_user(
        OPERATOR, party_id, "Ada", f"ada-{uuid4().hex[:8]}@example.com", list(roles)
    )
    assert issued is not None
    return network.authenticate(issued.token)


def partner(network: Network, one: Principal, other: Principal) -> None:
    network.propose_partnership(one, other.party_id)
    network.accept_partnership(other, partnership_id(one.party_id, other.party_id))


def register(
    network: Network, seller: Principal, customer: str = "Acme", domain: str = "", **kw: Any
) -> UUID:
    fields = {"title": f"{customer} deal", "customer.name": customer}
    if domain:
        fields["customer.website_domain"] = domain
    return network.register_opportunity(seller, fields, **kw).object_id


def share(network: Network, owner: Principal, with_: Principal, accept: bool = True) -> UUID:
    deal = register(network, owner)
    network.invite_partner(owner, deal, with_.party_id, PartnerRole.CO_SELLER)
    if accept:
        network.accept_invitation(with_, deal)
    return deal


@pytest.fixture
def vendor(sqlite_network: Network) -> Principal:
    return join(sqlite_network, "Vendor")


@pytest.fixture
def integrator(sqlite_network: Network, vendor: Principal) -> Principal:
    """An active partner of the vendor."""
    company = join(sqlite_network, "Integrator")
    partner(sqlite_network, vendor, company)
    return company


# --- registration conflicts -----------------------------------------------------------------


def test_registering_the_same_customer_again_is_a_conflict(
    sqlite_network: Network, vendor: Principal
) -> None:
    first = register(sqlite_network, vendor, "ACME, Inc.")
    with pytest.raises(RegistrationConflict) as refused:
        register(sqlite_network, vendor, "Acme Incorporated")
    assert refused.value.conflicting == [first]
    assert [o.id for o in sqlite_network.opportunities_for(vendor)] == [first]


def test_the_same_website_domain_is_a_conflict_whatever_the_name(
    sqlite_network: Network, vendor: Principal
) -> None:
    first = register(sqlite_network, vendor, "Acme", domain="acme.com")
    with pytest.raises(RegistrationConflict) as refused:
        register(sqlite_network, vendor, "Acme Europe", domain="https://www.ACME.com/de")
    assert refused.value.conflicting == [first]


def test_override_conflicts_registers_the_deal_anyway(
    sqlite_network: Network, vendor: Principal
) -> None:
    first = register(sqlite_network, vendor, "Acme")
    second = register(sqlite_network, vendor, "ACME Ltd", override_conflicts=True)
    assert [o.id for o in sqlite_network.opportunities_for(vendor)] == [first, second]


def test_a_party_not_involved_in_the_other_deal_gets_no_conflict(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    register(sqlite_network, vendor, "Acme", domain="acme.com")
    own = register(sqlite_network, integrator, "Acme", domain="acme.com")
    assert sqlite_network.opportunity(integrator, own).owner_id == integrator.party_id


def test_an_accepted_partner_that_sees_the_customer_name_gets_a_conflict(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    deal = share(sqlite_network, vendor, integrator)  # partners see the name by default
    with pytest.raises(RegistrationConflict) as refused:
        register(sqlite_network, integrator, "Acme")
    assert refused.value.conflicting == [deal]


def test_an_invitee_that_may_not_see_the_name_registers_and_the_owner_is_told(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    deal = share(sqlite_network, vendor, integrator, accept=False)
    own = register(sqlite_network, integrator, "Acme")
    [record] = sqlite_network.registration_conflicts(vendor)
    assert (record.opportunity_id, record.registered_id) == (deal, own)
    assert record.matched == ["customer.name"]
    assert sqlite_network.registration_conflicts(integrator) == []


def test_a_partner_that_left_the_other_deal_gets_no_conflict(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    deal = share(sqlite_network, vendor, integrator)
    sqlite_network.withdraw_partner(integrator, deal, integrator.party_id)
    register(sqlite_network, integrator, "Acme")


@pytest.mark.parametrize("outcome", [Outcome.WON, Outcome.LOST])
def test_a_closed_deal_does_not_conflict(
    sqlite_network: Network, vendor: Principal, outcome: Outcome
) -> None:
    first = register(sqlite_network, vendor, "Acme")
    sqlite_network.close_opportunity(vendor, first, outcome, "budget")
    register(sqlite_network, vendor, "Acme")


def test_a_deal_moved_to_another_customer_no_longer_conflicts_under_the_old_name(
    sqlite_network: Network, vendor: Principal
) -> None:
    first = register(sqlite_network, vendor, "Acme")
    sqlite_network.update_opportunity(vendor, first, {"customer.name": "Globex"}, None)
    register(sqlite_network, vendor, "Acme")
    with pytest.raises(RegistrationConflict):
        register(sqlite_network, vendor, "Globex")


def test_customers_with_non_latin_names_are_told_apart(
    sqlite_network: Network, vendor: Principal
) -> None:
    register(sqlite_network, vendor, "トヨタ自動車")
    register(sqlite_network, vendor, "ソニー")
    assert len(sqlite_network.opportunities_for(vendor)) == 2


# --- invitations ----------------------------------------------------------------------------


def test_an_active_partner_is_invited_and_can_accept(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    deal = share(sqlite_network, vendor, integrator, accept=False)
    seen = sqlite_network.opportunity(integrator, deal)
    assert seen.status_of(integrator.party_id) is ParticipantStatus.INVITED
    sqlite_network.accept_invitation(integrator, deal)
    assert sqlite_network.opportunity(vendor, deal).is_partner(integrator.party_id)


@pytest.mark.parametrize("relation", ["none", "proposed", "declined", "ended"])
def test_only_active_partners_can_be_invited(
    sqlite_network: Network, vendor: Principal, relation: str
) -> None:
    other = join(sqlite_network, "Reseller")
    pair = partnership_id(vendor.party_id, other.party_id)
    if relation != "none":
        sqlite_network.propose_partnership(vendor, other.party_id)
    if relation == "declined":
        sqlite_network.decline_partnership(other, pair)
    if relation == "ended":
        sqlite_network.accept_partnership(other, pair)
        sqlite_network.end_partnership(other, pair)
    deal = register(sqlite_network, vendor)
    with pytest.raises(Conflict, match="active partners"):
        sqlite_network.invite_partner(vendor, deal, other.party_id, PartnerRole.RESELLER)
    assert sqlite_network.opportunity(vendor, deal).version == 1


def test_inviting_a_party_that_does_not_exist_is_not_found(
    sqlite_network: Network, vendor: Principal
) -> None:
    deal = register(sqlite_network, vendor)
    with pytest.raises(NotFound):
        sqlite_network.invite_partner(vendor, deal, uuid4(), PartnerRole.CO_SELLER)


def test_a_partner_cannot_invite_for_the_owner(
    sqlite_network: Network, vendor: Principal, integrator: Principal
) -> None:
    reseller = join(sqlite_network, "Reseller")
    partner(sqlite_network, vendor, reseller)
    deal = share(sqlite_network, vendor, integrator)
    with pytest.raises(NotPermitted):
        sqlite_network.invite_partner(integrator, deal, reseller.party_id, PartnerRole.RESELLER)


# --- who sees the deal ----------------------------------------------------------------------

Command = Callable[[Network, Principal, UUID], object]
COMMANDS: dict[str, Command] = {
    "read": lambda n, p, d: n.opportunity(p, d),
    "history": lambda n, p, d: n.history(p, d),
    "update": lambda n, p, d: n.update_opportunity(p, d, {"title": "Mine"}, None),
    "invite": lambda n, p, d: n.invite_partner(p, d, p.party_id, PartnerRole.CO_SELLER),
    "accept": lambda n, p, d: n.accept_invitation(p, d),
    "decline": lambda n, p, d: n.decline_invitation(p, d, "no"),
    "withdraw": lambda n, p, d: n.withdraw_partner(p, d, p.party_id),
    "stage": lambda n, p, d: n.change_stage(p, d, Stage.COMMITTED),
    "close": lambda n, p, d: n.close_opportunity(p, d, Outcome.WON),
    "note": lambda n, p, d: n.add_note(p, d, "hello"),
    "counterpart": lambda n, p, d: n.update_counterpart(p, d, {"crm_reference": "X"}, None),
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_a_party_outside_the_deal_is_told_it_does_not_exist(
    sqlite_network: Network, vendor: Principal, command: Command, role: Role
) -> None:
    deal = register(sqlite_network, vendor)
    outsider = user_of(sqlite_network, join(sqlite_network, "Outsider").party_id, role)
    with pytest.raises(NotFound):
        command(sqlite_network, outsider, deal)
    with pytest.raises(NotFound):
        command(sqlite_network, outsider, uuid4())
    assert sqlite_network.opportunity(vendor, deal).version == 1


@pytest.mark.parametrize("leave", ["decline", "withdraw"])
def test_a_party_that_left_the_deal_can_no_longer_read_it(
    sqlite_network: Network, vendor: Principal, integrator: Principal, leave: str
) -> None:
    deal = share(sqlite_network, vendor, integrator, accept=False)
    if leave == "decline":
        sqlite_network.decline_invitation(integrator, deal, "not for us")
    else:
        sqlite_network.withdraw_partner(vendor, deal, integrator.party_id)
    with pytest.raises(NotFound):
        sqlite_network.opportunity(integrator, deal)


@pytest.mark.parametrize(
    "command", [c for name, c in COMMANDS.items() if name not in ("read", "history")]
)
def test_an_auditor_on_the_deal_may_read_but_not_change_it(
    sqlite_network: Network, vendor: Principal, command: Command
) -> None:
    deal = register(sqlite_network, vendor)
    auditor = user_of(sqlite_network, vendor.party_id, Role.AUDITOR)
    assert sqlite_network.opportunity(auditor, deal).fields["title"] == "Acme deal"
    with pytest.raises(RoleNotAllowed):
        command(sqlite_network, auditor, deal)


def test_an_auditor_cannot_register_a_deal(sqlite_network: Network, vendor: Principal) -> None:
    auditor = user_of(sqlite_network, vendor.party_id, Role.AUDITOR)
    with pytest.raises(RoleNotAllowed):
        register(sqlite_network, auditor)
    assert sqlite_network.opportunities_for(vendor) == []


# --- authentication -------------------------------------------------------------------------


def test_a_token_signs_in_as_its_user_with_their_roles(
    sqlite_network: Network, vendor: Principal
) -> None:
    _, issued = sqlite_network.add_user(OPERATOR, vendor.party_id, "Bo", "bo@x.io", [Role.SALES])
    assert issued is not None
    principal = sqlite_network.authenticate(issued.token)
    assert principal.party_id == vendor.party_id
    assert principal.roles == {Role.SALES}
    assert not principal.network_admin


def test_a_revoked_token_no_longer_signs_in(sqlite_network: Network, vendor: Principal) -> None:
    written, issued = sqlite_network.add_user(
        OPERATOR, vendor.party_id, "Bo", "bo@x.io", [Role.SALES]
    )
    assert issued is not None
    sqlite_network.revoke_token(OPERATOR, written.object_id, issued.token_id)
    with pytest.raises(Unauthenticated):
        sqlite_network.authenticate(issued.token)


@pytest.mark.parametrize("token", ["", "csl_not-a-real-token", "Bearer csl_x"])
def test_an_unknown_token_does_not_sign_in(sqlite_network: Network, token: str) -> None:
    with pytest.raises(Unauthenticated):
        sqlite_network.authenticate(token)
