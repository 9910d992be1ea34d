"""A refusal tells a party nothing it may not see: right and wrong guesses get the same answer.

A funder of a plan whose participants are hidden from it cannot learn who else funds it from
the shares it names; a party cannot learn that a fund request or claim it has no part in
exists; a partner that may not see a deal's stage cannot learn whether it was won or lost.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller

PLANS = "/v1/funding-plans"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response


def answer(response: Any, *sent: str) -> tuple[int, str]:
    """Status and body, with the ids the caller itself sent taken out."""
    text = response.text
    for i, value in enumerate(sent):
        text = text.replace(value, f"<sent {i}>")
    return response.status_code, text


def plan_of(four: Four, *members: tuple[Caller, str]) -> str:
    """A plan of A's, each member invited in its role and accepted; A commits 1000 EUR."""
    client, a = four.client, four.a
    created = ok(client.post(PLANS, json={"name": "FY27", "currency": "EUR"}, headers=a.headers))
    plan = f"{PLANS}/{created.json()['id']}"
    for member, role in members:
        body = {"party_id": member.party_id, "role": role}
        ok(client.post(f"{plan}/invitations", json=body, headers=a.headers))
        ok(client.post(f"{plan}/invitations/{member.party_id}/accept", headers=member.headers))
    ok(client.post(f"{plan}/commitments", json={"amount": eur("1000.00")}, headers=a.headers))
    return plan


def hide(four: Four, object_type: str) -> None:
    """A hides everything of its `object_type`s from its partners."""
    body = {"viewer": "partners", "preset": "hidden", "object_type": object_type}
    admin = four.world.security_admin(four.a)
    ok(four.client.post("/v1/policies/presets", json=body, headers=admin.headers))


def add_activity(four: Four, plan: str, who: Caller, **shares: str) -> Any:
    parties = {"a": four.a, "b": four.b, "c": four.c}
    body = {
        "kind": "campaign", "name": "Webinars", "budget": eur("500.00"),
        "shares": [{"party_id": parties[p].party_id, "percent": v} for p, v in shares.items()],
    }  # fmt: skip
    return four.client.post(f"{plan}/activities", json=body, headers=who.headers)


def test_a_funder_that_may_not_see_participants_cannot_learn_who_else_funds(four: Four) -> None:
    c_funds = plan_of(four, (four.b, "funder"), (four.c, "funder"))
    c_does_not = plan_of(four, (four.b, "funder"), (four.c, "partner"))
    # While B may see the participants, it is told who is a funder and who is not.
    assert add_activity(four, c_funds, four.b, b="50", c="50").status_code == 200
    told = add_activity(four, c_does_not, four.b, b="50", c="50")
    assert told.status_code == 422 and "is not a funder" in told.json()["detail"]

    hide(four, "funding_plan")

    for shares in ({"b": "50", "c": "50"}, {"b": "50", "c": "40"}, {"c": "100"}):
        right = add_activity(four, c_funds, four.b, **shares)
        wrong = add_activity(four, c_does_not, four.b, **shares)
        assert answer(right) == answer(wrong), shares
        assert right.status_code == 422, right.text
    assert add_activity(four, c_funds, four.b, a="50", b="50").status_code == 200  # A is shown


def test_a_funder_with_no_portion_cannot_learn_that_a_request_exists(four: Four) -> None:
    plan = plan_of(four, (four.b, "funder"), (four.c, "funder"))
    activity = ok(add_activity(four, plan, four.a, a="100")).headers["Cosell-Activity-Id"]
    body = {"activity_id": activity, "amount": eur("100.00"), "description": "Q1"}
    requested = ok(four.client.post(f"{plan}/requests", json=body, headers=four.c.headers))
    request = requested.headers["Cosell-Request-Id"]
    unknown = "00000000-0000-4000-8000-000000000000"

    for tail, sent in (("approve", None), ("claims", {"amount": eur("1.00"), "proofs": [
        {"name": "proof.pdf", "sha256": "ab" * 32}]})):  # fmt: skip
        right = four.client.post(f"{plan}/requests/{request}/{tail}", json=sent,
                                 headers=four.b.headers)  # fmt: skip
        wrong = four.client.post(f"{plan}/requests/{unknown}/{tail}", json=sent,
                                 headers=four.b.headers)  # fmt: skip
        assert answer(right, request) == answer(wrong, unknown), tail
        assert right.status_code == 422, right.text
    # The requester, who sees its own request, is still told why it may not approve it.
    own = four.client.post(f"{plan}/requests/{request}/approve", headers=four.c.headers)
    assert own.status_code == 403, own.text


def test_a_partner_that_may_not_see_the_stage_cannot_learn_won_or_lost(four: Four) -> None:
    client, a, b = four.client, four.a, four.b
    hide(four, "opportunity")
    grant = {"viewer": "partners", "field": "next_steps", "action": "write", "effect": "allow"}
    admin = four.world.security_admin(a)
    ok(client.post("/v1/policies/rules", json=grant, headers=admin.headers))
    won = four.deal["id"]
    lost = four.world.opportunity(a, customer={"name": "Other customer"})["id"]
    body = {"party_id": b.party_id, "role": "co_seller"}
    ok(client.post(f"/v1/opportunities/{lost}/invitations", json=body, headers=a.headers))
    ok(client.post(f"/v1/opportunities/{lost}/invitations/{b.party_id}/accept", headers=b.headers))
    ok(client.post(f"/v1/opportunities/{won}/close", json={"outcome": "won"}, headers=a.headers))
    closing = {"outcome": "lost", "reason": "no budget"}
    ok(client.post(f"/v1/opportunities/{lost}/close", json=closing, headers=a.headers))

    answers = []
    for deal in (won, lost):
        version = client.get(f"/v1/opportunities/{deal}", headers=b.headers).headers["ETag"]
        headers = {**b.headers, "If-Match": version}
        patched = client.patch(
            f"/v1/opportunities/{deal}", json={"next_steps": "x"}, headers=headers
        )
        answers.append(answer(patched))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422, answers
