"""Ending a partnership ends what crosses it: data owned by X reaches Y only while X and Y
are active partners (or Y is X), on every channel, whoever owns the object the data is on."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from ecosystem.errors import Conflict
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole, SharedOpportunity
from ecosystem.partnerships.domainmodel import Partnership, partnership_id
from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller, World

ENDED = "partnership ended"


def get(world: World, who: Caller, url: str) -> Any:
    return world.client.get(url, headers=who.headers)


def end(world: World, who: Caller, other: Caller) -> None:
    pair = partnership_id(UUID(who.party_id), UUID(other.party_id))
    ended = world.client.post(f"/v1/partnerships/{pair}/end", headers=who.headers)
    assert ended.status_code == 200, ended.text


def as_unknown(response: Any, object_id: str, unknown: str) -> tuple[int, str]:
    """Status and body, with the id asked for in place of `object_id`."""
    return response.status_code, response.text.replace(object_id, unknown)


def note(world: World, who: Caller, deal: str, text: str) -> None:
    written = world.client.post(
        f"/v1/opportunities/{deal}/notes", json={"text": text}, headers=who.headers
    )
    assert written.status_code == 200, written.text


def retitle(world: World, owner: Caller, deal: str, title: str) -> None:
    etag = get(world, owner, f"/v1/opportunities/{deal}").headers["ETag"]
    changed = world.client.patch(
        f"/v1/opportunities/{deal}", json={"title": title},
        headers={**owner.headers, "If-Match": etag},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text


def keep_counterpart(world: World, who: Caller, deal: str, crm_reference: str) -> None:
    etag = get(world, who, f"/v1/opportunities/{deal}").headers["ETag"]
    changed = world.client.patch(
        f"/v1/opportunities/{deal}/counterpart", json={"crm_reference": crm_reference},
        headers={**who.headers, "If-Match": etag},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text


def share_counterparts(world: World, who: Caller) -> None:
    admin = world.security_admin(who)
    rule = {"viewer": "partners", "field": "counterparts.crm_reference"}
    added = world.client.post("/v1/policies/rules", json=rule, headers=admin.headers)
    assert added.status_code in (200, 201), added.text


def history(world: World, who: Caller, deal: str) -> list[dict[str, Any]]:
    answer = get(world, who, f"/v1/opportunities/{deal}/events")
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


# --- the two partners ------------------------------------------------------------------------


def test_after_the_end_the_partner_is_as_unknown_to_the_deal_as_a_stranger(four: Four) -> None:
    world, a, b, deal = four.world, four.a, four.b, four.deal["id"]
    end(world, b, a)
    retitle(world, a, deal, "Written after the end")
    note(world, a, deal, "A note written after the end")
    unknown = str(uuid.uuid4())
    for tail in ("", "/events"):
        seen = get(world, b, f"/v1/opportunities/{deal}{tail}")
        assert seen.status_code == 404
        assert as_unknown(seen, deal, unknown) == as_unknown(
            get(world, b, f"/v1/opportunities/{unknown}{tail}"), unknown, unknown
        )
    listed = get(world, b, "/v1/opportunities")
    assert listed.status_code == 200
    assert deal not in listed.text
    assert "Written after the end" not in listed.text and "A note written" not in listed.text
    refused = world.client.post(
        f"/v1/opportunities/{deal}/notes", json={"text": "still here?"}, headers=b.headers
    )
    assert refused.status_code == 404


def test_the_end_is_recorded_on_the_deal_as_a_withdrawal_because_the_partnership_ended(
    four: Four,
) -> None:
    world, a, b, c, deal = four.world, four.a, four.b, four.c, four.deal["id"]
    end(world, a, b)
    withdrawn = [e for e in history(world, a, deal) if e["type"] == "PartnerWithdrawn"]
    assert [e["data"]["participants"] for e in withdrawn] == [
        {"party_id": b.party_id, "reason": ENDED}
    ]
    assert withdrawn[0]["actor"]["party_id"] == a.party_id
    seen = get(world, a, f"/v1/opportunities/{deal}").json()
    status = {p["party_id"]: p["status"] for p in seen["participants"]}
    assert status[b.party_id] == "withdrawn"
    assert status[c.party_id] == "invited"  # A's other partnerships go on
    assert get(world, c, f"/v1/opportunities/{deal}").status_code == 200


def test_the_end_withdraws_each_side_from_the_other_side_s_objects(world: World) -> None:
    a, b = world.company(), world.company()
    world.partners(a, b)
    body = {"name": "Lakehouse Guard", "summary": "Governed analytics"}
    created = world.client.post("/v1/solutions", json=body, headers=b.headers)
    assert created.status_code == 201, created.text
    solution = created.json()["id"]
    for route, who in (("invitations", b), (f"invitations/{a.party_id}/accept", a)):
        body = {"party_id": a.party_id, "role": "builder"} if who is b else None
        done = world.client.post(
            f"/v1/solutions/{solution}/{route}", json=body, headers=who.headers
        )
        assert done.status_code == 200, done.text
    assert get(world, a, "/v1/solutions").json()["items"]
    end(world, a, b)
    assert get(world, a, f"/v1/solutions/{solution}").status_code == 404
    assert get(world, a, f"/v1/solutions/{solution}/events").status_code == 404
    assert get(world, a, "/v1/solutions").json()["items"] == []
    events = get(world, b, f"/v1/solutions/{solution}/events").json()["events"]
    withdrawn = [e for e in events if e["type"] == "PartnerWithdrawn"]
    assert [e["data"] for e in withdrawn] == [{"party_id": a.party_id, "reason": ENDED}]
    assert withdrawn[0]["actor"]["party_id"] == a.party_id


# --- a third participant -----------------------------------------------------------------------


def test_a_third_participant_s_data_reaches_a_party_only_while_the_two_are_partners(
    world: World,
) -> None:
    a, b, e = world.company(), world.company(), world.company()
    for party in (a, b, e):
        world.share(party, "standard")  # notes are shared with partners
    share_counterparts(world, b)
    share_counterparts(world, e)
    world.partners(b, e)
    deal = world.shared(a, b)["id"]
    world.partners(a, e)
    invited = world.client.post(
        f"/v1/opportunities/{deal}/invitations",
        json={"party_id": e.party_id, "role": "reseller"}, headers=a.headers,
    )  # fmt: skip
    assert invited.status_code == 200, invited.text
    accepted = world.client.post(
        f"/v1/opportunities/{deal}/invitations/{e.party_id}/accept", headers=e.headers
    )
    assert accepted.status_code == 200, accepted.text
    note(world, e, deal, "E's note before")
    keep_counterpart(world, e, deal, "E-CRM-1")
    note(world, b, deal, "B's note before")
    keep_counterpart(world, b, deal, "B-CRM-1")
    before = get(world, b, f"/v1/opportunities/{deal}").text
    assert "E's note before" in before and "E-CRM-1" in before  # shared while partners

    end(world, e, b)
    for viewer, words in ((b, ("E's note before", "E-CRM-1")), (e, ("B's note", "B-CRM"))):
        listed = get(world, viewer, "/v1/opportunities")  # the end alone re-projects the rows
        assert deal in listed.text and not any(word in listed.text for word in words)
    note(world, e, deal, "E's note after")
    keep_counterpart(world, e, deal, "E-CRM-2")
    note(world, b, deal, "B's note after")

    for viewer, other in ((b, e), (e, b)):
        view = get(world, viewer, f"/v1/opportunities/{deal}")
        assert view.status_code == 200  # both still work A's deal
        assert other.party_id not in view.json().get("counterparts", {})
        assert {n["author_party_id"] for n in view.json()["notes"]} == {viewer.party_id}
        events = history(world, viewer, deal)
        assert not [x for x in events if x["type"] in ("NoteAdded", "CounterpartUpdated")
                    and x.get("actor", {}).get("party_id") == other.party_id]  # fmt: skip
        other_words = ("E's note", "E-CRM") if other is e else ("B's note", "B-CRM")
        listed = get(world, viewer, "/v1/opportunities").text
        texts = (view.text, str(events), listed)
        assert not any(word in text for word in other_words for text in texts)
    owner = get(world, a, f"/v1/opportunities/{deal}").json()
    assert owner["counterparts"][b.party_id]["crm_reference"] == "B-CRM-1"
    assert owner["counterparts"][e.party_id]["crm_reference"] == "E-CRM-2"
    assert {n["text"] for n in owner["notes"]} >= {"E's note after", "B's note after"}


# --- races ---------------------------------------------------------------------------------


def principal_of(network: Network, who: Caller) -> Any:
    return network.authenticate(who.token)


def test_an_invitation_racing_the_end_of_the_partnership_loses(
    four: Four, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The invitation checked an active partnership; the end is saved before the invitation:
    the invitation is refused, and D takes no part in the deal."""
    network, a, d, deal = four.world.network, four.a, four.d, UUID(four.deal["id"])
    pair = partnership_id(UUID(a.party_id), UUID(d.party_id))
    save, ended = network.save, []

    def end_first(*aggregates: Any, **kwargs: Any) -> Any:
        if not ended and any(isinstance(x, SharedOpportunity) for x in aggregates):
            ended.append(network.end_partnership(principal_of(network, d), pair))
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(network, "save", end_first)
    with pytest.raises(Conflict):
        network.invite_partner(
            principal_of(network, a), deal, UUID(d.party_id), PartnerRole.CO_SELLER
        )
    monkeypatch.undo()
    assert ended
    assert UUID(d.party_id) not in network.involved_in(deal)
    assert get(four.world, d, f"/v1/opportunities/{deal}").status_code == 404


def test_an_end_racing_an_invitation_withdraws_what_the_invitation_shared(
    four: Four, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end loaded the partnership before the invitation was saved: it is saved after,
    and so ends D's part in the deal too."""
    network, a, d, deal = four.world.network, four.a, four.d, UUID(four.deal["id"])
    pair = partnership_id(UUID(a.party_id), UUID(d.party_id))
    save, invited = network.save, []

    def invite_first(*aggregates: Any, **kwargs: Any) -> Any:
        ending = any(isinstance(x, Partnership) and not x.is_active for x in aggregates)
        if ending and not invited:
            invited.append(
                network.invite_partner(
                    principal_of(network, a), deal, UUID(d.party_id), PartnerRole.CO_SELLER
                )
            )
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(network, "save", invite_first)
    network.end_partnership(principal_of(network, d), pair)
    monkeypatch.undo()
    assert invited
    assert UUID(d.party_id) not in network.involved_in(deal)
    assert get(four.world, d, f"/v1/opportunities/{deal}").status_code == 404
    withdrawn = [e for e in history(four.world, a, str(deal)) if e["type"] == "PartnerWithdrawn"]
    assert [e["data"]["participants"] for e in withdrawn] == [
        {"party_id": d.party_id, "reason": ENDED}
    ]


def test_a_granted_write_racing_the_end_of_the_partnership_loses(
    four: Four, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B may write A's next steps; its write checked B's part in the deal, then the end was
    saved: the write is refused as for any object B takes no part in."""
    world, network, a, b, deal = four.world, four.world.network, four.a, four.b, four.deal["id"]
    admin = world.security_admin(a)
    rule = {"viewer": "partners", "field": "next_steps", "action": "write"}
    granted = world.client.post("/v1/policies/rules", json=rule, headers=admin.headers)
    assert granted.status_code in (200, 201), granted.text
    pair = partnership_id(UUID(a.party_id), UUID(b.party_id))
    etag = get(world, b, f"/v1/opportunities/{deal}").headers["ETag"]
    save, ended = network.save, []

    def end_first(*aggregates: Any, **kwargs: Any) -> Any:
        if not ended and any(isinstance(x, SharedOpportunity) for x in aggregates):
            ended.append(pair)  # before the end's own save comes through here
            network.end_partnership(principal_of(network, a), pair)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(network, "save", end_first)
    written = world.client.patch(
        f"/v1/opportunities/{deal}", json={"next_steps": "B writes after the end"},
        headers={**b.headers, "If-Match": etag},
    )  # fmt: skip
    monkeypatch.undo()
    assert ended
    assert written.status_code == 404, written.text
    owner = get(world, a, f"/v1/opportunities/{deal}").json()
    assert owner.get("next_steps") != "B writes after the end"
