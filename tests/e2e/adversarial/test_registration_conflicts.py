"""Registration conflicts answer a guess at a customer only to a party that may see it.

Registering a deal for the customer of an open deal one takes part in is refused (409) only
when the registrant may see the field that matched (the customer's name or website domain);
otherwise the answer is exactly that of a wrong guess, and the earlier deal's owner finds a
conflict record to act on.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller

CONFLICTS = "/v1/registration-conflicts"
_TIME = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?")


def register(four: Four, who: Caller, name: str, domain: str = "", **headers: str) -> Any:
    customer = {"name": name, **({"website_domain": domain} if domain else {})}
    body = {"title": "Our own deal", "customer": customer}
    return four.client.post("/v1/opportunities", json=body, headers={**who.headers, **headers})


def answer(response: Any, *sent: str) -> tuple[int, Any, list[str]]:
    """Status, body and header names, with what differs by construction taken out: the new
    deal's id, the times, and the values the caller itself sent."""
    text = response.text
    if response.status_code == 201:
        text = text.replace(response.json()["id"], "<id>")
    for i, value in enumerate(sent):
        text = text.replace(value, f"<sent {i}>")
    names = sorted(set(response.headers) - {"content-length"})
    return response.status_code, json.loads(_TIME.sub("<time>", text)), names


def customer(four: Four) -> tuple[str, str]:
    return four.deal["customer"]["name"], four.deal["customer"]["website_domain"]


def conflicts(four: Four, who: Caller) -> list[dict[str, Any]]:
    listed = four.client.get(CONFLICTS, headers=who.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def test_a_partner_that_may_not_see_the_domain_cannot_test_a_guess_at_it(four: Four) -> None:
    four.world.share(four.a, "summary")  # B sees the customer's name, not its domain
    name, domain = customer(four)
    before = four.client.get(f"/v1/opportunities/{four.deal['id']}", headers=four.b.headers)

    right = register(four, four.b, "Guess One", domain)
    wrong = register(four, four.b, "Guess Two", "x" + domain[1:])

    assert answer(right, "Guess One", domain) == answer(wrong, "Guess Two", "x" + domain[1:])
    assert right.status_code == 201, right.text
    after = four.client.get(f"/v1/opportunities/{four.deal['id']}", headers=four.b.headers)
    assert after.json() == before.json()  # the earlier deal's history stays as it was
    refused = register(four, four.b, name)  # the name it may see still conflicts
    assert refused.status_code == 409, refused.text
    assert refused.json()["conflicting_opportunities"] == [four.deal["id"]]
    [record] = conflicts(four, four.a)
    assert record["opportunity_id"] == four.deal["id"]
    assert record["matched_fields"] == ["customer.website_domain"]
    assert record["status"] == "open"
    assert right.json()["id"] not in json.dumps(record)
    assert "registered_by_party_id" not in record


def test_a_partner_that_may_see_the_domain_is_told_of_the_conflict(four: Four) -> None:
    _, domain = customer(four)  # the standard preset shares the website domain

    refused = register(four, four.b, "Another Name", domain)

    assert refused.status_code == 409, refused.text
    assert refused.json()["conflicting_opportunities"] == [four.deal["id"]]
    assert conflicts(four, four.a) == []  # refused: nothing registered, nothing recorded


def test_an_invitee_cannot_test_a_guess_at_the_name_or_the_domain(four: Four) -> None:
    name, domain = customer(four)  # an invitee sees neither by default

    by_name = register(four, four.c, name)
    wrong_name = register(four, four.c, name[:-1] + "X")
    by_domain = register(four, four.c, "Guess One", domain)
    wrong_domain = register(four, four.c, "Guess Two", "x" + domain[1:])

    assert answer(by_name, name) == answer(wrong_name, name[:-1] + "X")
    assert answer(by_domain, "Guess One", domain) == answer(
        wrong_domain, "Guess Two", "x" + domain[1:]
    )
    assert by_name.status_code == 201, by_name.text
    matched = sorted(r["matched_fields"][0] for r in conflicts(four, four.a))
    assert matched == ["customer.name", "customer.website_domain"]


def test_a_company_taking_no_part_gets_the_same_answer_and_leaves_no_record(four: Four) -> None:
    name, domain = customer(four)

    right = register(four, four.d, name, domain)
    wrong = register(four, four.d, name[:-1] + "X", "x" + domain[1:])

    assert answer(right, name, domain) == answer(wrong, name[:-1] + "X", "x" + domain[1:])
    assert conflicts(four, four.a) == []


def test_the_owner_acts_on_a_record_and_nobody_else_learns_of_it(four: Four) -> None:
    name, _ = customer(four)
    registered = register(four, four.c, name).json()
    [record] = conflicts(four, four.a)
    one = f"{CONFLICTS}/{record['id']}"

    for other in (four.b, four.c, four.d):
        assert conflicts(four, other) == []
        assert four.client.get(one, headers=other.headers).status_code == 404
        assert four.client.post(f"{one}/acknowledge", headers=other.headers).status_code == 404
    auditor = four.auditor(four.a)
    assert four.client.post(f"{one}/acknowledge", headers=auditor.headers).status_code == 403
    acknowledged = four.client.post(f"{one}/acknowledge", headers=four.a.headers)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    dismissed = four.client.post(
        f"{one}/dismiss", json={"reason": "another site"}, headers=four.a.headers
    )
    assert dismissed.json()["status"] == "dismissed", dismissed.text
    assert dismissed.json()["reason"] == "another site"
    assert conflicts(four, four.a)[0]["status"] == "dismissed"

    invited = four.client.post(
        f"/v1/opportunities/{registered['id']}/invitations",
        json={"party_id": four.a.party_id, "role": "co_seller"},
        headers=four.c.headers,
    )
    assert invited.status_code == 200, invited.text
    [seen] = conflicts(four, four.a)  # taking part in the new deal, A may see which it is
    assert seen["registered_opportunity_id"] == registered["id"]
    assert seen["registered_by_party_id"] == four.c.party_id


def test_a_retried_registration_is_replayed_and_recorded_once(four: Four) -> None:
    name, _ = customer(four)
    key = {"Idempotency-Key": "register-once"}

    first = register(four, four.c, name, **key)
    again = register(four, four.c, name, **key)

    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(conflicts(four, four.a)) == 1
