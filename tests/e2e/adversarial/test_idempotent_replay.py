"""A retried request never outlives the caller's view: it is answered as a read by that caller now.

An Idempotency-Key lets a client send a request again safely. The retry writes nothing, and
its answer is exactly what a GET of the object by the same caller answers now: the current
version under today's policies, or, once the caller's party no longer takes part, the 404 an
unknown id gets, whatever the first answer showed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid4

from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

# Values A writes after the partner's first request; none can occur in an id or a hex hash.
SECRETS: dict[str, Any] = {
    "expected_amount": {"amount": "7531902468.25", "currency": "EUR"},
    "next_steps": "Call the Marmoset board",
}
MARKERS = ("7531902468", "Marmoset")
KINDS = {"solution": "/v1/solutions", "funding_plan": "/v1/funding-plans"}


def keyed(caller: Caller, key: str) -> dict[str, str]:
    return {**caller.headers, "Idempotency-Key": key}


def as_unknown(response: Response, object_id: str) -> tuple[int, str, str]:
    """Status, content type and body, with the object's id (which the caller sent) made
    anonymous: what any id the caller could have sent would get."""
    return (response.status_code, response.headers.get("content-type", ""),
            response.text.replace(object_id, "<id>"))  # fmt: skip


def assert_answered_as_unknown(world: World, who: Caller, base: str, object_id: str,
                               replayed: Response) -> None:  # fmt: skip
    """The retry's answer is the 404 of an id that never existed, and of a read now."""
    random = str(uuid4())
    unknown = world.client.get(f"{base}/{random}", headers=who.headers)
    read = world.client.get(f"{base}/{object_id}", headers=who.headers)
    assert replayed.status_code == 404, replayed.text
    assert as_unknown(replayed, object_id) == as_unknown(unknown, random)
    assert as_unknown(read, object_id) == as_unknown(unknown, random)
    assert "Idempotent-Replayed" not in replayed.headers
    assert [m for m in MARKERS if m in replayed.text] == []


def assert_answered_as_read(world: World, who: Caller, url: str, replayed: Response) -> None:
    """The retry's answer is the caller's GET of the object now: body and version."""
    read = world.client.get(url, headers=who.headers)
    assert read.status_code == 200, read.text
    assert replayed.status_code in (200, 201), replayed.text
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == read.json()
    assert replayed.headers["ETag"] == read.headers["ETag"]


def widen(world: World, owner: Caller, object_type: str = "opportunity") -> None:
    admin = world.security_admin(owner)
    body = {"viewer": "partners", "preset": "full", "object_type": object_type}
    applied = world.client.post("/v1/policies/presets", json=body, headers=admin.headers)
    assert applied.status_code == 200, applied.text


def patch(world: World, who: Caller, url: str, body: Any, after: Response) -> Response:
    """Change the object, expecting the version `after` answered."""
    return world.client.patch(
        url, json=body, headers={**who.headers, "If-Match": after.headers["ETag"]}
    )


def post(world: World, who: Caller, url: str, body: Any = None, key: str = "") -> Response:
    headers = keyed(who, key) if key else who.headers
    return world.client.post(url, json=body, headers=headers)


# --- deals ------------------------------------------------------------------------------------


def test_a_withdrawn_partner_replaying_its_acceptance_gets_the_404_of_an_unknown_deal(
    four: Four,
) -> None:
    world, a, c = four.world, four.a, four.c
    deal = four.deal["id"]
    base = "/v1/opportunities"
    accept = f"{base}/{deal}/invitations/{c.party_id}/accept"
    assert post(world, c, accept, key="K").status_code == 200
    withdrawn = post(world, a, f"{base}/{deal}/invitations/{c.party_id}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    changed = patch(world, a, f"{base}/{deal}", SECRETS, withdrawn)
    assert changed.status_code == 200, changed.text
    widen(world, a)

    replayed = post(world, c, accept, key="K")

    assert_answered_as_unknown(world, c, base, deal, replayed)


def test_a_partner_that_left_a_deal_replaying_a_note_gets_the_404_of_an_unknown_deal(
    four: Four,
) -> None:
    world, a, b = four.world, four.a, four.b
    deal = four.deal["id"]
    base = "/v1/opportunities"
    note = f"{base}/{deal}/notes"
    assert post(world, b, note, {"text": "Met the buyer"}, key="N").status_code == 200
    left = post(world, b, f"{base}/{deal}/invitations/{b.party_id}/withdraw")
    assert left.status_code == 204, left.text
    widen(world, a)

    replayed = post(world, b, note, {"text": "Met the buyer"}, key="N")

    assert_answered_as_unknown(world, b, base, deal, replayed)
    # A key is its user's own: the same request and key from anyone else replays nothing.
    for other in (world.user(b.party_id), four.d):
        sent = post(world, other, note, {"text": "Met the buyer"}, key="N")
        assert_answered_as_unknown(world, other, base, deal, sent)


def test_a_partner_still_on_a_deal_replaying_gets_what_a_read_shows_it_now(four: Four) -> None:
    world, a, b = four.world, four.a, four.b
    deal = four.deal["id"]
    url = f"/v1/opportunities/{deal}"
    first = post(world, b, f"{url}/notes", {"text": "Met the buyer"}, key="N")
    assert first.status_code == 200, first.text
    changed = patch(world, a, url, SECRETS, first)
    assert changed.status_code == 200, changed.text
    widen(world, a)

    replayed = post(world, b, f"{url}/notes", {"text": "Met the buyer"}, key="N")

    assert_answered_as_read(world, b, url, replayed)
    assert all(m in replayed.text for m in MARKERS)  # today's view, under today's policy


# --- joint solutions and co-funding plans -------------------------------------------------------


def shared_object(world: World, owner: Caller, partner: Caller, kind: str) -> str:
    """A solution or plan of owner's, with partner invited (not yet accepted)."""
    body: dict[str, Any] = {"name": "Joint offer", "summary": "Zebra-grade analytics"}
    role = "builder"
    if kind == "funding_plan":
        body, role = {"name": "FY27 push", "currency": "EUR", "objective": "DACH"}, "funder"
    created = post(world, owner, KINDS[kind], body)
    assert created.status_code == 201, created.text
    object_id: str = created.json()["id"]
    invited = post(world, owner, f"{KINDS[kind]}/{object_id}/invitations",
                   {"party_id": partner.party_id, "role": role})  # fmt: skip
    assert invited.status_code == 200, invited.text
    return object_id


def test_a_withdrawn_participant_replaying_its_acceptance_gets_the_404_of_an_unknown_object(
    four: Four,
) -> None:
    world, a, b = four.world, four.a, four.b
    for kind, base in KINDS.items():
        object_id = shared_object(world, a, b, kind)
        accept = f"{base}/{object_id}/invitations/{b.party_id}/accept"
        assert post(world, b, accept, key=f"K-{kind}").status_code == 200
        withdrawn = post(world, a, f"{base}/{object_id}/invitations/{b.party_id}/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
        widen(world, a, kind)

        replayed = post(world, b, accept, key=f"K-{kind}")

        assert_answered_as_unknown(world, b, base, object_id, replayed)


def test_a_participant_replaying_on_a_solution_or_plan_gets_what_a_read_shows_it_now(
    four: Four,
) -> None:
    world, a, b = four.world, four.a, four.b
    for kind, base in KINDS.items():
        object_id = shared_object(world, a, b, kind)
        url = f"{base}/{object_id}"
        accept = f"{url}/invitations/{b.party_id}/accept"
        first = post(world, b, accept, key=f"K-{kind}")
        assert first.status_code == 200, first.text
        changed = patch(world, a, url, {"name": "Renamed offer"}, first)
        assert changed.status_code == 200, changed.text
        widen(world, a, kind)

        replayed = post(world, b, accept, key=f"K-{kind}")

        assert_answered_as_read(world, b, url, replayed)
        assert replayed.json()["name"] == "Renamed offer"


def test_a_created_plan_replayed_after_changes_answers_as_a_read_now(four: Four) -> None:
    world, a = four.world, four.a
    body = {"name": "FY27 push", "currency": "EUR"}
    first = post(world, a, KINDS["funding_plan"], body, key="P")
    assert first.status_code == 201, first.text
    url = f"{KINDS['funding_plan']}/{first.json()['id']}"
    changed = patch(world, a, url, {"objective": "Benelux"}, first)
    assert changed.status_code == 200, changed.text

    replayed = post(world, a, KINDS["funding_plan"], body, key="P")

    assert_answered_as_read(world, a, url, replayed)
    assert replayed.headers["Location"] == url


# --- sharing policies ---------------------------------------------------------------------------


def test_a_replayed_policy_change_answers_as_the_policy_reads_now(four: Four) -> None:
    world, a = four.world, four.a
    admin = world.security_admin(a)
    preset = {"viewer": "partners", "preset": "summary"}
    first = post(world, admin, "/v1/policies/presets", preset, key="S")
    assert first.status_code == 200, first.text
    widen(world, a)

    replayed = post(world, admin, "/v1/policies/presets", preset, key="S")

    assert_answered_as_read(world, admin, "/v1/policies/rules", replayed)
