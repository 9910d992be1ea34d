"""Partnerships, users' tokens, roles, money and the names that identify a customer."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from ecosystem.actors import OPERATOR, SYSTEM, Actor, Capability, Principal, Role
from ecosystem.errors import Conflict, InvalidCommand, NotFound, RoleNotAllowed
from ecosystem.money import Money
from ecosystem.names import normalise_company_name, normalise_domain
from ecosystem.parties.domainmodel import Party, PartyKind, User
from ecosystem.partnerships.domainmodel import Partnership, PartnershipStatus, partnership_id

VENDOR = Actor(uuid4(), uuid4())
INTEGRATOR = Actor(uuid4(), uuid4())


@pytest.fixture
def proposal() -> Partnership:
    """VENDOR proposed to INTEGRATOR; nothing pending."""
    partnership = Partnership(VENDOR.party_id, INTEGRATOR.party_id, VENDOR)
    partnership.collect_events()
    return partnership


# --- partnerships: dual opt-in --------------------------------------------------------------


def test_a_partnership_is_the_same_whoever_proposes_it() -> None:
    assert partnership_id(VENDOR.party_id, INTEGRATOR.party_id) == partnership_id(
        INTEGRATOR.party_id, VENDOR.party_id
    )
    proposal = Partnership(INTEGRATOR.party_id, VENDOR.party_id, INTEGRATOR)
    assert proposal.id == partnership_id(VENDOR.party_id, INTEGRATOR.party_id)


def test_a_proposal_is_not_active_until_the_invited_party_accepts(proposal: Partnership) -> None:
    assert proposal.status is PartnershipStatus.PROPOSED
    assert not proposal.is_active
    proposal.accept(INTEGRATOR)
    assert proposal.is_active


def test_the_proposer_cannot_accept_or_decline_its_own_proposal(proposal: Partnership) -> None:
    for answer in (proposal.accept, proposal.decline):
        with pytest.raises(InvalidCommand, match="only the invited party"):
            answer(VENDOR)
        assert proposal.collect_events() == []
    assert proposal.status is PartnershipStatus.PROPOSED


def test_an_answered_proposal_cannot_be_answered_again(proposal: Partnership) -> None:
    proposal.decline(INTEGRATOR)
    proposal.collect_events()
    with pytest.raises(InvalidCommand):
        proposal.accept(INTEGRATOR)
    assert proposal.collect_events() == []
    assert proposal.status is PartnershipStatus.DECLINED


@pytest.mark.parametrize("who", [VENDOR, INTEGRATOR], ids=["proposer", "invited"])
def test_either_party_can_end_a_partnership(proposal: Partnership, who: Actor) -> None:
    proposal.accept(INTEGRATOR)
    proposal.end("strategy changed", who)
    assert proposal.status is PartnershipStatus.ENDED
    with pytest.raises(InvalidCommand):
        proposal.end("again", who)


@pytest.mark.parametrize("answer", ["accept", "end"])
def test_a_live_partnership_cannot_be_proposed_again(proposal: Partnership, answer: str) -> None:
    if answer == "accept":
        proposal.accept(INTEGRATOR)
    proposal.collect_events()
    with pytest.raises(Conflict):
        proposal.propose_again(INTEGRATOR.party_id, INTEGRATOR)
    assert proposal.collect_events() == []


@pytest.mark.parametrize("finish", ["decline", "end"])
def test_after_a_decline_or_an_end_either_party_may_propose_again(
    proposal: Partnership, finish: str
) -> None:
    if finish == "decline":
        proposal.decline(INTEGRATOR)
    else:
        proposal.end("", VENDOR)
    proposal.propose_again(INTEGRATOR.party_id, INTEGRATOR)
    assert proposal.status is PartnershipStatus.PROPOSED
    with pytest.raises(InvalidCommand, match="only the invited party"):
        proposal.accept(INTEGRATOR)
    proposal.accept(VENDOR)
    assert proposal.is_active


# --- parties, users and tokens --------------------------------------------------------------


def test_a_party_keeps_its_public_identity() -> None:
    party = Party("Acme", "acme.com", PartyKind.ISV, False, SYSTEM)
    assert (party.name, party.website_domain, party.kind) == ("Acme", "acme.com", PartyKind.ISV)


@pytest.fixture
def user() -> User:
    return User(VENDOR.party_id, "Ada", "ada@acme.com", [Role.SALES], SYSTEM)


def test_an_issued_token_is_accepted_until_it_is_revoked(user: User) -> None:
    token_id = uuid4()
    user.issue_token(token_id, "hash-1", "laptop", SYSTEM)
    assert user.accepts("hash-1")
    user.revoke_token(token_id, SYSTEM)
    assert not user.accepts("hash-1")
    assert not user.tokens[token_id].active


def test_revoking_one_token_keeps_the_others(user: User) -> None:
    first, second = uuid4(), uuid4()
    user.issue_token(first, "hash-1", "laptop", SYSTEM)
    user.issue_token(second, "hash-2", "ci", SYSTEM)
    user.revoke_token(first, SYSTEM)
    assert user.accepts("hash-2")


def test_an_unknown_token_is_not_accepted(user: User) -> None:
    assert not user.accepts("never-issued")


def test_a_token_is_dated_when_it_is_issued_and_revoked(user: User) -> None:
    token_id = uuid4()
    user.issue_token(token_id, "hash-1", "laptop", SYSTEM)
    assert user.tokens[token_id].issued_at == user.modified_on
    user.revoke_token(token_id, SYSTEM)
    assert user.tokens[token_id].revoked_at == user.modified_on


def test_revoking_an_unknown_or_revoked_token_is_refused(user: User) -> None:
    token_id = uuid4()
    user.issue_token(token_id, "hash-1", "laptop", SYSTEM)
    user.revoke_token(token_id, SYSTEM)
    user.collect_events()
    with pytest.raises(NotFound):
        user.revoke_token(uuid4(), SYSTEM)
    with pytest.raises(InvalidCommand):
        user.revoke_token(token_id, SYSTEM)
    assert user.collect_events() == []


# --- roles ----------------------------------------------------------------------------------

ALLOWED = {
    Role.ADMIN: set(Capability) - {Capability.MANAGE_POLICY, Capability.AUDIT},
    Role.PARTNER_MANAGER: {
        Capability.MANAGE_PARTNERSHIPS,
        Capability.MANAGE_FUNDS,
        Capability.SELL,
        Capability.READ,
    },
    Role.SALES: {Capability.SELL, Capability.READ},
    Role.SECURITY_ADMIN: {Capability.READ, Capability.MANAGE_POLICY, Capability.READ_POLICY},
    Role.AUDITOR: {
        Capability.READ,
        Capability.READ_POLICY,
        Capability.AUDIT,
        Capability.SEE_OPERATOR_ACTS,
    },
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_each_role_may_do_exactly_what_the_table_allows(role: Role, capability: Capability) -> None:
    principal = Principal(actor=VENDOR, roles=frozenset({role}), network_admin=True)
    if capability in ALLOWED[role]:
        principal.require(capability)
    else:
        with pytest.raises(RoleNotAllowed):
            principal.require(capability)


def test_only_a_network_administrator_registers_parties() -> None:
    party_admin = Principal(actor=VENDOR, roles=frozenset({Role.ADMIN}))
    with pytest.raises(RoleNotAllowed, match="network administrator"):
        party_admin.require(Capability.REGISTER_PARTY)
    Principal(VENDOR, frozenset({Role.ADMIN}), network_admin=True).require(
        Capability.REGISTER_PARTY
    )


def test_only_a_network_administrator_suspends_parties() -> None:
    party_admin = Principal(actor=VENDOR, roles=frozenset({Role.ADMIN}))
    with pytest.raises(RoleNotAllowed, match="network administrator"):
        party_admin.require(Capability.SUSPEND_PARTY)
    Principal(VENDOR, frozenset({Role.ADMIN}), network_admin=True).require(Capability.SUSPEND_PARTY)


def test_only_a_network_administrator_erases_personal_data() -> None:
    party_admin = Principal(actor=VENDOR, roles=frozenset({Role.ADMIN}))
    with pytest.raises(RoleNotAllowed, match="network administrator"):
        party_admin.require(Capability.ERASE_PERSONAL_DATA)
    Principal(VENDOR, frozenset({Role.ADMIN}), network_admin=True).require(
        Capability.ERASE_PERSONAL_DATA
    )


@pytest.mark.parametrize("capability", list(Capability))
def test_the_operator_may_do_everything_even_without_roles(capability: Capability) -> None:
    OPERATOR.require(capability)
    Principal(actor=SYSTEM, roles=frozenset()).require(capability)


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("1000.50", "EUR", "1000.50"), ("1000", "JPY", "1000"), ("1.505", "KWD", "1.505"),
     ("0", "USD", "0.00"), ("1E+3", "EUR", "1000.00"), ("-0", "EUR", "0.00")],
)  # fmt: skip
def test_an_amount_carries_exactly_its_currencys_minor_units(
    amount: str, currency: str, shown: str
) -> None:
    money = Money.of(amount, currency)
    assert money.amount == Decimal(amount)
    assert str(money) == f"{shown} {currency}"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("-0.01", "EUR"),
        ("10.555", "EUR"),
        ("1.5", "JPY"),
        ("10", "EURO"),
        ("10", "eur"),
        ("ten", "EUR"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        ("1" * 19, "EUR"),
    ],
)
def test_a_bad_amount_is_refused(amount: str, currency: str) -> None:
    with pytest.raises(InvalidCommand):
        Money.of(amount, currency)


def test_an_amount_must_be_a_decimal_not_a_float_or_int() -> None:
    for amount in (10, 10.5):
        with pytest.raises(InvalidCommand):
            Money(amount, "EUR")  # type: ignore[arg-type]


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("https://WWW.Example.com/x", "example.com"),
        ("example.com.", "example.com"),
        ("  Example.COM  ", "example.com"),
        ("http://sales@shop.example.co.uk:8080/p?q=1#top", "shop.example.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
    ],
)
def test_a_website_is_reduced_to_its_domain(given: str, domain: str) -> None:
    assert normalise_domain(given) == domain


@pytest.mark.parametrize(
    "given", ["", "localhost", "not a domain", "exa_mple.com", "-acme.com", "a..com"]
)
def test_what_is_not_a_domain_is_refused(given: str) -> None:
    with pytest.raises(InvalidCommand, match="not a website domain"):
        normalise_domain(given)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ACME, Inc.", "Acme Incorporated"),
        ("Société Générale", "SOCIETE GENERALE SA"),
        ("Globex Corp.", "globex corporation"),
        ("Initech GmbH & Co. KG", "Initech"),
        ("Philips N.V.", "Philips NV"),
    ],
)
def test_spellings_of_the_same_company_name_match(one: str, other: str) -> None:
    assert normalise_company_name(one) == normalise_company_name(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme", "Acme Labs"),
        ("Group", "Holdings"),
        ("トヨタ自動車", "ソニー"),
        ("Газпром", "Лукойл"),
    ],
)
def test_different_companies_do_not_match(one: str, other: str) -> None:
    assert normalise_company_name(one) != normalise_company_name(other)
