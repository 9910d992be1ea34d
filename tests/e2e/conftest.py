"""HTTP fixtures: the real ASGI app over a real store, and a small co-sell world to act in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ecosystem.actors import OPERATOR, Role
from ecosystem.network import Network
from ecosystem.parties.domainmodel import PartyKind
from tests.consistent import ConsistentClient


@dataclass
class Caller:
    """A user of one party, holding a bearer token."""

    party_id: str
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """Parties and users created through the operator, then driven through HTTP."""

    def __init__(self, network: Network, client: TestClient) -> None:
        self.network = network
        self.client = client
        self._count = 0
        self._security_admins: dict[str, Caller] = {}

    def party(
        self, name: str | None = None, kind: PartyKind = PartyKind.ISV, operator: bool = False
    ) -> str:
        self._count += 1
        name = name or f"Company {self._count}"
        domain = f"company-{self._count}.example"
        written = self.network.register_party(OPERATOR, name, domain, kind, operator)
        return str(written.object_id)

    def user(self, party_id: str, *roles: Role) -> Caller:
        from uuid import UUID

        self._count += 1  # a party's users have distinct emails
        email = f"user-{self._count}@example.com"
        written, issued = self.network.add_user(
            OPERATOR, UUID(party_id), "Test User", email, list(roles or [Role.ADMIN])
        )
        assert issued is not None
        return Caller(party_id, str(written.object_id), issued.token)

    def company(self, *roles: Role, name: str | None = None) -> Caller:
        """A new party with one user holding `roles` (admin + sales when none are given)."""
        return self.user(self.party(name), *(roles or (Role.ADMIN, Role.SALES)))

    def partners(self, a: Caller, b: Caller) -> str:
        """Make a and b active partners; returns the partnership id."""
        proposed = self.client.post(
            "/v1/partnerships", json={"party_id": b.party_id}, headers=a.headers
        )
        assert proposed.status_code == 201, proposed.text
        pid = proposed.json()["id"]
        accepted = self.client.post(f"/v1/partnerships/{pid}/accept", headers=b.headers)
        assert accepted.status_code == 200, accepted.text
        return str(pid)

    def share(self, owner: Caller, preset: str = "full", viewer: str = "partners") -> None:
        """The owner's security admin applies a sharing preset (full: all core fields, notes)."""
        admin = self.security_admin(owner)
        body = {"viewer": viewer, "preset": preset}
        applied = self.client.post("/v1/policies/presets", json=body, headers=admin.headers)
        assert applied.status_code == 200, applied.text

    def security_admin(self, of: Caller) -> Caller:
        if of.party_id not in self._security_admins:
            self._security_admins[of.party_id] = self.user(of.party_id, Role.SECURITY_ADMIN)
        return self._security_admins[of.party_id]

    def opportunity(self, owner: Caller, **overrides: Any) -> dict[str, Any]:
        self._count += 1
        body: dict[str, Any] = {
            "title": f"Deal {self._count}",
            "customer": {
                "name": f"Customer {self._count}",
                "website_domain": f"cust-{self._count}.example",
            },
            "expected_amount": {"amount": "1000.00", "currency": "EUR"},
        }
        body.update(overrides)
        response = self.client.post("/v1/opportunities", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def shared(self, owner: Caller, partner: Caller, accept: bool = True) -> dict[str, Any]:
        """An opportunity of owner's with partner invited (and accepted, by default)."""
        self.partners(owner, partner)
        opp = self.opportunity(owner)
        invited = self.client.post(
            f"/v1/opportunities/{opp['id']}/invitations",
            json={"party_id": partner.party_id, "role": "co_seller"},
            headers=owner.headers,
        )
        assert invited.status_code == 200, invited.text
        if accept:
            accepted = self.client.post(
                f"/v1/opportunities/{opp['id']}/invitations/{partner.party_id}/accept",
                headers=partner.headers,
            )
            assert accepted.status_code == 200, accepted.text
            return dict(accepted.json())
        return dict(invited.json())


@pytest.fixture
def client(network: Network) -> Iterator[TestClient]:
    app = create_app(Settings(), network=network)
    with ConsistentClient(app, network, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def world(network: Network, client: TestClient) -> World:
    return World(network, client)
