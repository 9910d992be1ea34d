"""The attackers' world: four companies around one deal of A's, played over HTTP on both stores.

A owns the deal; B is an accepted partner on it; C is A's partner, invited but not accepted;
D is A's partner and takes no part. Each company has an auditor. Every test in this suite
states a rule (not a symptom): an answer may depend on a hidden value only for a party that
may see that value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World


@dataclass
class Four:
    """A's deal and the four companies around it, each with an auditor."""

    world: World
    a: Caller
    b: Caller
    c: Caller
    d: Caller
    deal: dict[str, Any]
    auditors: dict[str, Caller]

    @property
    def client(self) -> Any:
        return self.world.client

    def auditor(self, of: Caller) -> Caller:
        return self.auditors[of.party_id]


@pytest.fixture
def four(world: World) -> Four:
    a, b, c, d = (world.company(name=f"Company {name}") for name in "ABCD")
    world.share(a, "standard")
    deal = world.shared(a, b)
    for other in (c, d):
        world.partners(a, other)
    invited = world.client.post(
        f"/v1/opportunities/{deal['id']}/invitations",
        json={"party_id": c.party_id, "role": "co_seller"},
        headers=a.headers,
    )
    assert invited.status_code == 200, invited.text
    auditors = {x.party_id: world.user(x.party_id, Role.AUDITOR) for x in (a, b, c, d)}
    return Four(world, a, b, c, d, invited.json(), auditors)
