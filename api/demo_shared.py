"""The demo's joint solution and co-funding plan, shared by the three demo companies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from ecosystem.actors import Principal
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.solutions.domainmodel import JointSolution
from ecosystem.solutions.fields import Lifecycle

PROOF = "5f2b0e8c2a3d4b6e9f1a7c3e5d8b0a2c4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def seed_solution(
    network: Network, vendor: Principal, integrator: Principal, cloud: Principal, deal: UUID
) -> UUID:
    """Northwind and Bluebridge build a solution on Stratus; both builders sign it off."""
    written = network.propose_solution(
        vendor,
        {
            "name": "Retail Lakehouse Accelerator",
            "summary": "Northwind Lakehouse with Bluebridge's migration kit, on Stratus.",
            "use_cases": ["Store analytics", "Demand forecasting"],
            "target_industries": ["Retail"],
            "listing.url": "https://marketplace.stratus-cloud.example/retail-lakehouse",
            "listing.pricing_model": "subscription",
            "listing.regions": ["eu-central", "us-east"],
        },
    )
    solution = written.object_id
    kind = JointSolution
    network.invite_to(kind, vendor, solution, integrator.party_id, "builder")
    network.invite_to(kind, vendor, solution, cloud.party_id, "cloud_provider")
    for partner in (integrator, cloud):
        network.accept_for(kind, partner, solution)
    network.add_component(vendor, solution, {"name": "Lakehouse connector for POS data"})
    kit = {"name": "Migration accelerator", "description": "Playbooks and scripts."}
    network.add_component(integrator, solution, kit)
    network.move_solution(vendor, solution, Lifecycle.IN_DEVELOPMENT)
    for builder in (vendor, integrator):
        network.sign_off_solution(builder, solution)
    network.move_solution(vendor, solution, Lifecycle.VALIDATED)
    network.move_solution(vendor, solution, Lifecycle.PUBLISHED)
    network.link_opportunity(kind, vendor, solution, deal)
    network.update_shared_counterpart(
        kind, integrator, solution, {"internal_notes": "Reuse for the Fabrikam pitch."}, None
    )
    return solution


def seed_plan(
    network: Network, vendor: Principal, integrator: Principal, cloud: Principal, deal: UUID
) -> UUID:
    """Northwind and Stratus fund Bluebridge's launch work; requests in every state."""
    plan = network.create_funding_plan(
        vendor, "EUR",
        {"name": "Retail launch FY27", "objective": "Pipeline for the Lakehouse Accelerator."},
    ).object_id  # fmt: skip
    kind = CoFundingPlan
    network.invite_to(kind, vendor, plan, cloud.party_id, "funder")
    network.invite_to(kind, vendor, plan, integrator.party_id, "partner")
    network.accept_for(kind, cloud, plan)
    network.accept_for(kind, integrator, plan)
    network.commit_funds(vendor, plan, eur("50000.00"))
    network.commit_funds(cloud, plan, eur("100000.00"))
    shares: dict[UUID, Any] = {vendor.party_id: Decimal(40), cloud.party_id: Decimal(60)}
    webinars = network.add_activity(
        vendor, plan, "campaign", "Retail webinar series", eur("30000.00"), shares
    ).extra["activity_id"]
    even = {vendor.party_id: Decimal(50), cloud.party_id: Decimal(50)}
    bootcamp = network.add_activity(
        cloud, plan, "enablement", "Partner bootcamp", eur("20000.00"), even
    ).extra["activity_id"]

    def request(activity: UUID, amount: str, what: str) -> UUID:
        written = network.request_funds(integrator, plan, activity, eur(amount), what)
        request_id: UUID = written.extra["request_id"]
        return request_id

    paid = request(webinars, "12000.00", "Three webinars with Contoso-style retailers.")
    for funder in (vendor, cloud):
        network.approve_request(funder, plan, paid)
    claim = network.claim_funds(
        integrator, plan, paid, eur("12000.00"), [{"name": "webinar-invoices.pdf", "sha256": PROOF}]
    ).extra["claim_id"]
    network.record_payout(vendor, plan, claim, eur("4800.00"), "NW-PAY-0193")
    network.record_payout(cloud, plan, claim, eur("7200.00"), "SC-MDF-7781")
    asked = request(bootcamp, "8000.00", "Two-day bootcamp for 20 consultants.")
    network.ask_for_information(cloud, plan, asked, "Which certifications will attendees take?")
    rejected = request(webinars, "15000.00", "Trade-show booth.")
    network.reject_request(vendor, plan, rejected, "A booth is not a webinar; use the events plan.")
    pending = request(webinars, "5000.00", "Follow-up webinar for Q2.")
    network.approve_request(vendor, plan, pending)
    network.update_shared_counterpart(
        kind, cloud, plan, {"budget_notes": "From the EMEA MDF pool; 40% left for H2."}, None
    )
    network.link_opportunity(kind, vendor, plan, deal)
    return plan


def describe_shared(view: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A few lines saying what a company sees of a solution or plan."""
    invitation = view.get("invitation", {})
    state = view.get("lifecycle") or view.get("currency") or ""
    lines = [
        f"{view.get('name')}  [{state}]  ({invitation.get('role')}, {invitation.get('status')})"
    ]

    def shown(label: str, value: Any) -> None:
        lines.append(f"    {label:<14} {'(hidden)' if value is None else value}")

    if "lifecycle" in view:
        components = view.get("components")
        shown("components", None if components is None else len(components))
    else:
        commitments = view.get("commitments")
        total = sum(Decimal(c["committed"]["amount"]) for c in commitments or [])
        shown("committed", None if commitments is None else f"{total} {view.get('currency')}")
        requests = view.get("requests") or []
        shown("requests", ", ".join(r["status"] for r in requests) or "none you may see")
    links = view.get("links")
    shown("linked deals", None if links is None else len(links))
    counterparts = view.get("counterparts")
    shown("counterparts", ", ".join(names[p] for p in counterparts) if counterparts else "none")
    return lines
