"""The demo network: three companies co-selling two deals, building a joint solution and
funding its launch together, and what each of them sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.demo_shared import seed_plan, seed_solution
from ecosystem.actors import OPERATOR, Actor, Principal, Role
from ecosystem.errors import NotFound
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole
from ecosystem.opportunities.fields import Contact, Stage
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange
from policies import Redaction

COMPANIES: list[dict[str, Any]] = [
    {
        "name": "Northwind Software",
        "domain": "northwind-software.example",
        "kind": PartyKind.ISV,
        "operator": False,
        "users": [
            ("Nora Lind", "nora", [Role.ADMIN, Role.SALES]),
            ("Sam Ortiz", "sam", [Role.SALES]),
            ("Ines Park", "ines", [Role.SECURITY_ADMIN]),
        ],
    },
    {
        "name": "Bluebridge Consulting",
        "domain": "bluebridge.example",
        "kind": PartyKind.SI,
        "operator": False,
        "users": [
            ("Bea Kumar", "bea", [Role.ADMIN, Role.PARTNER_MANAGER, Role.SALES]),
            ("Ravi Shah", "ravi", [Role.SECURITY_ADMIN]),
        ],
    },
    {
        "name": "Stratus Cloud",
        "domain": "stratus-cloud.example",
        "kind": PartyKind.CLOUD_PROVIDER,
        "operator": True,
        "users": [
            ("Otto Berg", "otto", [Role.ADMIN]),
            ("Cara Diaz", "cara", [Role.PARTNER_MANAGER, Role.SALES]),
        ],
    },
]


@dataclass(frozen=True)
class DemoUser:
    company: str
    name: str
    email: str
    roles: list[Role]
    token: str


def is_seeded(network: Network) -> bool:
    return any(p.website_domain == COMPANIES[0]["domain"] for p in network.parties())


def seed(network: Network) -> None:
    """Three companies, two partnerships and two deals in different stages."""
    principals: dict[str, Principal] = {}
    security: dict[str, Principal] = {}
    for company in COMPANIES:
        party = network.register_party(
            OPERATOR, company["name"], company["domain"], company["kind"], company["operator"]
        )
        for name, handle, roles in company["users"]:
            _, issued = network.add_user(
                OPERATOR, party.object_id, name, f"{handle}@{company['domain']}", roles
            )
            assert issued is not None
            principal = network.authenticate(issued.token)
            principals.setdefault(company["name"], principal)
            if Role.SECURITY_ADMIN in roles:
                security[company["name"]] = principal
    vendor, integrator, cloud = (principals[c["name"]] for c in COMPANIES)
    for partner in (integrator, cloud):
        proposal = network.propose_partnership(vendor, partner.party_id)
        network.accept_partnership(partner, proposal.object_id)
    _share(network, security, integrator.party_id)

    contoso = network.register_opportunity(
        vendor,
        {
            "title": "Contoso Retail: data platform modernisation",
            "customer.name": "Contoso Retail",
            "customer.website_domain": "contoso-retail.example",
            "customer.industry": "Retail",
            "customer.country": "DE",
            "customer.contacts": [
                Contact("Dana Weiss", "dana.weiss@contoso-retail.example", "+49 30 1234567", "CIO")
            ],
            "expected_amount": Money(Decimal("250000.00"), "EUR"),
            "target_close_date": date(2027, 3, 31),
            "next_steps": "Architecture workshop with the customer's data team.",
            "products": ["Northwind Lakehouse", "Stratus Managed Kubernetes"],
        },
    )
    deal = contoso.object_id
    network.invite_partner(vendor, deal, integrator.party_id, PartnerRole.CO_SELLER)
    network.invite_partner(vendor, deal, cloud.party_id, PartnerRole.CLOUD_PROVIDER)
    network.accept_invitation(integrator, deal)
    network.accept_invitation(cloud, deal)
    network.change_stage(vendor, deal, Stage.QUALIFIED)
    network.change_stage(vendor, deal, Stage.TECHNICAL_VALIDATION)
    network.add_note(integrator, deal, "Bluebridge will staff the migration: two architects.")
    network.update_counterpart(
        integrator,
        deal,
        {
            "crm_reference": "BB-OPP-4411",
            "forecast_amount": Money(Decimal("80000.00"), "EUR"),
            "internal_notes": "Margin target 22%.",
        },
        expected_version=None,
    )

    fabrikam = network.register_opportunity(
        vendor,
        {
            "title": "Fabrikam: analytics rollout",
            "customer.name": "Fabrikam Inc.",
            "customer.website_domain": "fabrikam.example",
            "customer.industry": "Manufacturing",
            "customer.country": "US",
            "expected_amount": Money(Decimal("120000.00"), "USD"),
            "target_close_date": date(2027, 6, 30),
        },
    )
    network.change_stage(vendor, fabrikam.object_id, Stage.QUALIFIED)
    network.invite_partner(vendor, fabrikam.object_id, cloud.party_id, PartnerRole.CLOUD_PROVIDER)
    seed_solution(network, vendor, integrator, cloud, deal)
    seed_plan(network, vendor, integrator, cloud, deal)


def _share(network: Network, security: dict[str, Principal], integrator: UUID) -> None:
    """Northwind shows every partner a summary and its strategic tier (Bluebridge) a standard
    view without contacts; Bluebridge shares its notes, never its counterpart fields."""
    northwind, bluebridge = security["Northwind Software"], security["Bluebridge Consulting"]
    for change in (
        PolicyChange("apply_preset", viewer="partners", preset="summary"),
        PolicyChange("add_tier_member", tier="strategic", party_id=integrator),
        PolicyChange("apply_preset", viewer="tier:strategic", preset="standard"),
    ):
        network.change_sharing_policy(northwind, northwind.party_id, change)
    notes = PolicyChange("add_rule", viewer="partners", field="notes", action="read")
    network.change_sharing_policy(bluebridge, bluebridge.party_id, notes)


def issue_demo_tokens(network: Network) -> list[DemoUser]:
    """A fresh token for every demo user (tokens are stored hashed, so old ones cannot be shown)."""
    users = []
    for company in COMPANIES:
        party = next(p for p in network.parties() if p.website_domain == company["domain"])
        for user in network.users_of(OPERATOR, party.id):
            _, issued = network.issue_token(OPERATOR, user.id, "demo session")
            users.append(
                DemoUser(company["name"], user.name, user.email, sorted(user.roles), issued.token)
            )
    return users


def what_each_company_sees(
    network: Network, redaction: Redaction
) -> list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per company, the demo deals, and its solutions and plans, as the API would show them."""
    seen = []
    for party in network.parties():
        users = network.users_of(OPERATOR, party.id)
        if not users:
            continue
        principal = _principal_of(network, party.id, users[0].id)
        views = [
            redaction.opportunity_view(party.id, o) for o in network.opportunities_for(principal)
        ]
        objects = [*network.solutions_for(principal), *network.funding_plans_for(principal)]
        shared = [redaction.shared_view(party.id, o) for o in objects]
        seen.append(
            (party.name, [v for v in views if v is not None], [v for v in shared if v is not None])
        )
    return seen


def _principal_of(network: Network, party_id: UUID, user_id: UUID) -> Principal:
    user = network.user(user_id)
    if user.party_id != party_id:
        raise NotFound("user not in party")
    return Principal(Actor(party_id, user_id), user.roles)


def describe(view: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A few lines saying what a company sees of one deal, and what is hidden from it."""
    customer = view.get("customer", {})
    amount = view.get("expected_amount")
    invitation = view.get("invitation", {})
    relation = "owner" if invitation.get("role") == "owner" else invitation.get("status")
    lines = [f"{view.get('title')}  [{view.get('stage')}]  ({relation})"]

    def shown(label: str, value: Any) -> None:
        lines.append(f"    {label:<14} {'(hidden)' if value is None else value}")

    shown("customer", customer.get("name"))
    shown("industry", customer.get("industry"))
    shown("amount", f"{amount['amount']} {amount['currency']}" if amount else None)
    contacts = customer.get("contacts")
    shown("contacts", None if contacts is None else ", ".join(map(_contact, contacts)) or "none")
    notes = view.get("notes")
    shown("notes", None if notes is None else len(notes))
    counterparts = view.get("counterparts")
    shown("counterparts", None if not counterparts else ", ".join(names[p] for p in counterparts))
    return lines


def _contact(contact: dict[str, Any]) -> str:
    return "(erased)" if contact.get("erased") else str(contact.get("name", "(hidden)"))
