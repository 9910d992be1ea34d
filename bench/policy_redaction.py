"""Benchmark: the cost of field-level redaction on a partner's listing, and of one decision.

Figures, each against a baseline measured in the same run (machines are noisy):
1. Listing 1,000 opportunities for a partner (load from the store + render) with redaction,
   against the same listing rendered without redaction (as their owner, who sees all).
   Target ratio <= 1.25. The rendering alone is also reported, a stricter measure.
2. One compiled-mask decision against one `casbin.Enforcer.enforce` call on the same rows.

    .venv/bin/python bench/policy_redaction.py [--postgres-url ADMIN_URL] [--deals 1000]

Without --postgres-url it runs on a temporary SQLite file; with it, on a database it creates
for the run and drops at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.bootstrap import build_network, policies_of
from api.settings import Settings
from bench.commands_throughput import postgres_database, sqlite_database
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole
from ecosystem.opportunities.fields import Contact
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange


def company(network: Network, name: str, *roles: Role) -> Principal:
    party = network.register_party(OPERATOR, name, f"{name.lower()}.example", PartyKind.ISV)
    _, issued = network.add_user(OPERATOR, party.object_id, name, f"u@{name}.example", list(roles))
    assert issued is not None
    return network.authenticate(issued.token)


def security_admin_and_partnership(
    network: Network, owner: Principal, partner: Principal
) -> Principal:
    """The owner's security admin; owner and partner made partners."""
    _, issued = network.add_user(
        OPERATOR, owner.party_id, "Sec", "sec@vendor.example", [Role.SECURITY_ADMIN]
    )
    assert issued is not None
    proposal = network.propose_partnership(owner, partner.party_id)
    network.accept_partnership(partner, proposal.object_id)
    return network.authenticate(issued.token)


def seed(network: Network, deals: int) -> tuple[Principal, Principal]:
    owner = company(network, "Vendor", Role.ADMIN, Role.SALES)
    partner = company(network, "Partner", Role.ADMIN, Role.SALES)
    security = company(network, "Unused", Role.ADMIN)  # a third party in the directory
    del security
    admin = security_admin_and_partnership(network, owner, partner)
    for change in (
        PolicyChange("apply_preset", viewer="partners", preset="standard"),
        PolicyChange("add_tier_member", tier="gold", party_id=partner.party_id),
        PolicyChange("add_rule", viewer="tier:gold", field="customer.contacts.*"),
        PolicyChange(
            "add_rule", viewer="tier:gold", field="customer.contacts.phone", effect="deny"
        ),
    ):
        network.change_sharing_policy(admin, owner.party_id, change)
    for i in range(deals):
        deal = network.register_opportunity(
            owner,
            {
                "title": f"Deal {i}",
                "customer.name": f"Customer {i}",
                "customer.industry": "Retail",
                "customer.country": "DE",
                "customer.contacts": [
                    Contact(f"Person {i}", f"p{i}@c.example", "+49 30 1234567", "CIO")
                ],
                "expected_amount": Money(Decimal("1000.00") + i, "EUR"),
                "next_steps": "Workshop",
            },
            override_conflicts=True,
        )
        network.invite_partner(owner, deal.object_id, partner.party_id, PartnerRole.CO_SELLER)
        network.accept_invitation(partner, deal.object_id)
        network.add_note(partner, deal.object_id, f"Note on {i}")
    return owner, partner


def best_of(repeats: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default="", help="an admin URL; omit for SQLite")
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    store = postgres_database(args.postgres_url) if args.postgres_url else sqlite_database()
    with store as url:
        network = build_network(Settings(database_url=url))
        try:
            run(network, args)
        finally:
            network.close()


def run(network: Network, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    owner, partner = seed(network, args.deals)
    print(f"seeded {args.deals} shared deals in {time.perf_counter() - started:.1f} s")
    decisions = policies_of(network)

    def listing(as_party: Any) -> Callable[[], Any]:
        def go() -> list[Any]:
            redaction = decisions.redaction()  # what each request does: check for policy news
            found = network.opportunities_for(partner)
            return [redaction.opportunity_view(as_party, o) for o in found]

        return go

    redacted = best_of(args.repeats, listing(partner.party_id))
    unredacted = best_of(args.repeats, listing(owner.party_id))
    print(f"\nlisting {args.deals} for the partner (load + render), best of {args.repeats}:")
    print(f"  without redaction (as owner)  {unredacted * 1000:9.1f} ms")
    print(f"  with redaction (as partner)   {redacted * 1000:9.1f} ms")
    print(f"  ratio                         {redacted / unredacted:9.3f}   (target <= 1.25)")

    loaded = network.opportunities_for(partner)
    redaction = decisions.redaction()
    render_red = best_of(
        args.repeats, lambda: [redaction.opportunity_view(partner.party_id, o) for o in loaded]
    )
    render_full = best_of(
        args.repeats, lambda: [redaction.opportunity_view(owner.party_id, o) for o in loaded]
    )
    print("\nrendering only (aggregates already loaded):")
    print(f"  without redaction  {render_full * 1000:9.1f} ms")
    print(f"  with redaction     {render_red * 1000:9.1f} ms")
    print(f"  ratio              {render_red / render_full:9.3f}")

    decision_costs(decisions, owner, partner)


def decision_costs(decisions: Any, owner: Principal, partner: Principal) -> None:
    enforcer = decisions.enforcer
    masks = decisions.refresh()
    request = (f"party:{partner.party_id}", str(owner.party_id), "opportunity")
    leaf = "customer.contacts.email"
    n = 20000

    def one_mask() -> None:
        for _ in range(n):
            _ = leaf in masks.mask(*request, "read")

    def one_enforce() -> None:
        for _ in range(n // 20):
            enforcer.enforce(*request, leaf, "read")

    per_mask = best_of(5, one_mask) / n
    per_enforce = best_of(5, one_enforce) / (n // 20)
    fresh = type(masks)(enforcer.get_policy(), enforcer.get_grouping_policy())
    compile_time = best_of(
        5,
        lambda: type(masks)(enforcer.get_policy(), enforcer.get_grouping_policy()).mask(
            *request, "read"
        ),
    )
    del fresh
    check = [best_of(1, decisions.refresh) for _ in range(200)]
    print("\none decision (cached compiled mask) against one casbin enforce():")
    print(f"  mask decision   {per_mask * 1e6:9.3f} us")
    print(f"  enforce()       {per_enforce * 1e6:9.3f} us")
    print(f"  enforce / mask  {per_enforce / per_mask:9.0f} x")
    print(f"  compiling one mask from {len(enforcer.get_policy())} rules: "
          f"{compile_time * 1e6:.1f} us")  # fmt: skip
    print(f"  checking the log for policy changes (per request): "
          f"median {statistics.median(check) * 1e6:.1f} us")  # fmt: skip


if __name__ == "__main__":
    main()
