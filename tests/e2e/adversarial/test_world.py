"""The attackers' world is what its docstring says: who sees A's deal, and how."""

from __future__ import annotations

from tests.e2e.adversarial.conftest import Four


def test_each_company_sees_a_deal_as_its_seat_allows(four: Four) -> None:
    url = f"/v1/opportunities/{four.deal['id']}"
    assert four.client.get(url, headers=four.a.headers).status_code == 200
    assert four.client.get(url, headers=four.b.headers).status_code == 200
    assert four.client.get(url, headers=four.d.headers).status_code == 404
    invited = four.client.get(url, headers=four.c.headers)
    assert invited.status_code == 200
    assert "customer" not in invited.json() or not invited.json()["customer"].get("contacts")
