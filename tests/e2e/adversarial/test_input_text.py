"""Text at the edge of its format: customers, contacts, notes, reasons, users, labels and
party names. Each refusal is a clear problem+json 4xx that repeats nothing and writes nothing;
the PostgreSQL run is what catches NUL."""

from __future__ import annotations

from typing import Any

import pytest

from ecosystem.actors import Role
from tests.e2e.adversarial.conftest import Four
from tests.e2e.adversarial.test_input_edges import NUL, assert_problem, snapshot
from tests.e2e.conftest import Caller, World

# --- customers, contacts ----------------------------------------------------------------------

BAD_CUSTOMERS = {
    "unassigned country": {"country": "AB"},
    "user-assigned country": {"country": "XK"},
    "contact email that is no email": {"contacts": [{"name": "Dana", "email": "dana at acme"}]},
    "contact email without a domain": {"contacts": [{"name": "Dana", "email": "dana@"}]},
    "contact phone in words": {"contacts": [{"name": "Dana", "phone": "call reception"}]},
    "contact phone too short": {"contacts": [{"name": "Dana", "phone": "+49 1"}]},
    "contact phone without +": {"contacts": [{"name": "Dana", "phone": "030 1234567"}]},
    "NUL in a contact name": {"contacts": [{"name": f"Da{NUL}na"}]},
    "line break in a customer name": {"name": "Acme\nEvil"},
    "NUL in a customer name": {"name": f"Acme{NUL}"},
}


def test_a_customer_outside_its_documented_format_is_refused_and_writes_nothing(
    four: Four,
) -> None:
    deal = four.deal["id"]
    before = snapshot(four.world, four.a, deal)
    etag = four.client.get(f"/v1/opportunities/{deal}", headers=four.a.headers).headers["ETag"]
    for what, bad in BAD_CUSTOMERS.items():
        patched = four.client.patch(
            f"/v1/opportunities/{deal}",
            json={"customer": bad},
            headers={**four.a.headers, "If-Match": etag},
        )
        assert patched.status_code == 422, what
        assert_problem(patched, 422, "dana at acme", "call reception")
    assert snapshot(four.world, four.a, deal) == before


def test_contacts_in_the_documented_format_are_kept(world: World) -> None:
    owner = world.company()
    contact = {"name": "Dana", "email": "Dana@ACME.example", "phone": "+49 30-1234567"}
    deal = world.opportunity(
        owner, customer={"name": "Acme", "country": "DE", "contacts": [contact]}
    )
    shown = deal["customer"]["contacts"][0]
    assert (shown["email"], shown["phone"]) == ("Dana@acme.example", "+49 30-1234567")


# --- free text: NUL and control characters ----------------------------------------------------


def test_control_characters_in_free_text_are_refused_and_write_nothing(four: Four) -> None:
    """No control character in any text; line breaks and tabs only in multi-line text."""
    world, deal = four.world, four.deal["id"]
    before = snapshot(world, four.a, deal)
    for bad in [f"x{NUL}y", "x\x07y", "x\x1by", "x\x85y"]:
        for path, body in [
            ("notes", {"text": bad}),
            ("close", {"outcome": "lost", "reason": bad}),
            ("invitations/" + four.b.party_id + "/withdraw", {"reason": bad}),
        ]:
            refused = world.client.post(
                f"/v1/opportunities/{deal}/{path}", json=body, headers=four.a.headers
            )
            assert_problem(refused, 422)
        declined = world.client.post(
            f"/v1/opportunities/{deal}/invitations/{four.c.party_id}/decline",
            json={"reason": bad},
            headers=four.c.headers,
        )
        assert_problem(declined, 422)
    assert snapshot(world, four.a, deal) == before
    # Multi-line text keeps its line breaks and tabs.
    written = world.client.post(
        f"/v1/opportunities/{deal}/notes",
        json={"text": "first line\n\tsecond line"},
        headers=four.a.headers,
    )
    assert written.status_code == 200, written.text


def users_of(world: World, admin: Caller) -> Any:
    listed = world.client.get(f"/v1/parties/{admin.party_id}/users", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    return listed.json()


@pytest.mark.parametrize(
    "body",
    [
        {"name": f"Ada{NUL}", "email": "ada@vendor.example"},
        {"name": "Ada\nLovelace", "email": "ada@vendor.example"},
        {"name": "Ada", "email": f"ada{NUL}@vendor.example"},
        {"name": "Ada", "email": "ada"},
        {"name": "Ada", "email": "ada@vendor"},
        {"name": "Ada", "email": "ada@@vendor.example"},
        {"name": "Ada", "email": "ada@vendor.example\nBcc: eve@evil.example"},
    ],
    ids=["NUL name", "two-line name", "NUL email", "no domain", "no dot", "two @", "header"],
)
def test_a_user_outside_the_documented_format_is_refused_and_writes_nothing(
    world: World, body: dict[str, str]
) -> None:
    admin = world.company(Role.ADMIN)
    before = users_of(world, admin)
    refused = world.client.post(
        f"/v1/parties/{admin.party_id}/users",
        json={**body, "roles": ["sales"]},
        headers=admin.headers,
    )
    assert_problem(refused, 422, "evil.example")
    assert users_of(world, admin) == before


def test_a_users_email_is_unique_within_its_party_in_any_case(world: World) -> None:
    admin, other = world.company(Role.ADMIN), world.company(Role.ADMIN)
    path = f"/v1/parties/{admin.party_id}/users"
    body = {"name": "Ada", "email": "ada@vendor.example", "roles": ["sales"]}
    assert world.client.post(path, json=body, headers=admin.headers).status_code == 201
    before = users_of(world, admin)
    for email in ("ada@vendor.example", "ADA@Vendor.Example"):
        again = world.client.post(path, json={**body, "email": email}, headers=admin.headers)
        assert_problem(again, 409)
    assert users_of(world, admin) == before
    # Another company's users are its own business: the same address is no conflict there.
    elsewhere = f"/v1/parties/{other.party_id}/users"
    assert world.client.post(elsewhere, json=body, headers=other.headers).status_code == 201


def test_control_characters_in_labels_and_party_names_are_refused(world: World) -> None:
    admin = world.company(Role.ADMIN)
    operator = world.user(world.party(operator=True), Role.ADMIN)
    token = world.client.post(
        f"/v1/users/{admin.user_id}/tokens", json={"label": f"laptop{NUL}"}, headers=admin.headers
    )
    assert_problem(token, 422)
    key = world.client.post(
        f"/v1/parties/{admin.party_id}/keys",
        json={"public_key": "A" * 43, "label": "laptop\r\n"},
        headers=admin.headers,
    )
    assert_problem(key, 422)
    directory = world.client.get("/v1/parties", headers=admin.headers).json()
    party = world.client.post(
        "/v1/parties",
        json={"name": f"Evil{NUL}Co", "website_domain": "evil.example", "kind": "isv"},
        headers=operator.headers,
    )
    assert_problem(party, 422)
    assert world.client.get("/v1/parties", headers=admin.headers).json() == directory
    tokens = users_of(world, admin)[0]["tokens"]
    assert len(tokens) == 1
