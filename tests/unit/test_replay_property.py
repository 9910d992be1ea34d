"""Whatever owner and partners do to a deal, its stored history rebuilds exactly that deal."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosystem.actors import Actor
from ecosystem.audit.sealing import PersonalData, Sealed
from ecosystem.errors import CosellError
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole, SharedOpportunity
from ecosystem.opportunities.fields import Contact, Stage

OWNER = Actor(uuid4(), uuid4())
PARTNER_A = Actor(uuid4(), uuid4())
PARTNER_B = Actor(uuid4(), uuid4())
NAMES = {OWNER: "owner", PARTNER_A: "partner_a", PARTNER_B: "partner_b"}


@dataclass(frozen=True)
class Command:
    """One attempt by one party to change the deal; it may well be refused."""

    verb: str
    args: tuple[Any, ...]
    actor: Actor

    def __call__(self, opp: SharedOpportunity) -> None:
        extra = {"partnership_active": True} if self.verb == "invite" else {}
        getattr(opp, self.verb)(*self.args, actor=self.actor, **extra)

    def __repr__(self) -> str:
        parties = {actor.party_id: name for actor, name in NAMES.items()}
        args = ", ".join(
            parties.get(a, repr(a)) if isinstance(a, UUID) else repr(a) for a in self.args
        )
        return f"{NAMES[self.actor]}.{self.verb}({args})"


WHO = st.sampled_from(list(NAMES))
# Mostly the party each command is meant for, so that sequences get far, sometimes anyone.
BY_OWNER = st.one_of(st.just(OWNER), WHO)
BY_PARTNER = st.one_of(st.sampled_from([PARTNER_A, PARTNER_B]), WHO)
PARTY = BY_PARTNER.map(lambda actor: actor.party_id)
# Owner last: Hypothesis favours early choices, and inviting anyone as owner is always refused.
ROLE = st.sampled_from([*(r for r in PartnerRole if r is not PartnerRole.OWNER), PartnerRole.OWNER])
TEXT = st.text(max_size=12)
NAME = st.text(min_size=1, max_size=12)
MONEY = st.one_of(
    st.builds(Money, st.decimals(min_value=0, max_value=10**6, places=2), st.just("EUR")),
    st.builds(Money, st.decimals(min_value=0, max_value=10**9, places=0), st.just("JPY")),
)
DETAILS = {
    "title": NAME,
    "customer.name": NAME,
    "customer.website_domain": st.sampled_from(["", "acme.com", "https://www.Globex.com/x", "-"]),
    "customer.country": st.sampled_from([None, "DE", "FR", "de"]),
    "customer.industry": TEXT,
    "customer.contacts": st.lists(st.builds(Contact, name=TEXT, email=TEXT), max_size=2),
    "expected_amount": st.one_of(st.none(), MONEY),
    "target_close_date": st.one_of(st.none(), st.dates(date(1995, 1, 1), date(2105, 1, 1))),
    "next_steps": TEXT,
    "products": st.lists(TEXT, max_size=3),
}
COUNTERPART = {
    "crm_reference": TEXT,
    "forecast_amount": st.one_of(st.none(), MONEY),
    "internal_notes": TEXT,
}


def changes(rules: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    paths = st.lists(st.sampled_from(sorted(rules)), min_size=1, max_size=3, unique=True)
    return paths.flatmap(lambda chosen: st.fixed_dictionaries({p: rules[p] for p in chosen}))


def command(
    verb: str, who: st.SearchStrategy[Actor], *args: st.SearchStrategy[Any]
) -> st.SearchStrategy[Command]:
    return st.builds(Command, st.just(verb), st.tuples(*args), who)


COMMANDS = st.one_of(
    command("invite", BY_OWNER, PARTY, ROLE),
    command("accept_invitation", BY_PARTNER),
    command("decline_invitation", BY_PARTNER, TEXT),
    command("withdraw", WHO, PARTY, TEXT),
    command("update_details", BY_OWNER, changes(DETAILS)),
    command("change_stage", BY_OWNER, st.sampled_from(Stage), st.booleans()),
    command("close", BY_OWNER, st.sampled_from(Outcome), TEXT),
    command("add_note", WHO, st.uuids(), TEXT),
    command("update_counterpart", WHO, changes(COUNTERPART)),
)


def typed(value: Any) -> tuple[str, Any]:
    """An enum read back as a plain string would compare equal; its type tells them apart."""
    return (type(value).__name__, value)


def state_of(opp: SharedOpportunity, personal: PersonalData | None = None) -> dict[str, Any]:
    """The deal's state; contacts as their text (stored, their personal data is sealed)."""
    fields = copy.deepcopy(opp.fields)
    if personal is not None:
        fields["customer.contacts"] = [opened(c, personal) for c in fields["customer.contacts"]]
    return {
        "version": opp.version,
        "modified_on": opp.modified_on,
        "stage": typed(opp.stage),
        "closing_reason": opp.closing_reason,
        "fields": fields,
        "participants": {
            party: (typed(p.role), typed(p.status), p.since)
            for party, p in opp.participants.items()
        },
        "notes": [(n.note_id, n.author, n.text, n.written_at) for n in opp.notes],
        "counterparts": {party: dict(c.fields) for party, c in opp.counterparts.items()},
    }


def opened(contact: Contact, personal: PersonalData) -> Contact:
    parts = [contact.name, contact.email, contact.phone]
    texts = personal.open_texts(p for p in parts if isinstance(p, Sealed))
    name, email, phone = (texts.get(p, p) if isinstance(p, Sealed) else p for p in parts)
    return Contact(name, email, phone, contact.title)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(COMMANDS, min_size=15, max_size=50))
def test_a_deal_rebuilt_from_its_stored_events_is_the_deal_that_was_worked(
    sqlite_network: Network, commands: list[Command]
) -> None:
    opp = SharedOpportunity.register(
        OWNER.party_id, {"title": "Deal", "customer.name": "Acme"}, OWNER
    )
    sqlite_network.save(opp)
    seen = {opp.version: state_of(opp)}
    for attempt in commands:
        before = state_of(opp)
        try:
            attempt(opp)
        except CosellError:
            assert opp.collect_events() == []
            assert state_of(opp) == before
        sqlite_network.save(opp)
        seen[opp.version] = state_of(opp)

    personal = sqlite_network.personal_data
    assert state_of(sqlite_network.repository.get(opp.id), personal) == state_of(opp)
    for version, state in seen.items():
        stored = sqlite_network.repository.get(opp.id, version=version)
        assert state_of(stored, personal) == state
