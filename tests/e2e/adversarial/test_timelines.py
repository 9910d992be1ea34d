"""Timelines: times, versions, participants and existence reach a party only as far as its view
of the object at that time allowed; an auditor sees what its company saw, no more.

On A's deal (see the suite's conftest), A moves the stage and changes the title after C was
invited, and B keeps a private counterpart field: C (invited) may know of its invitation only,
B (accepted) of everything the policy shows it from its invitation on, A of all but B's
private field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller

AUDIT = "/v1/audit/objects"


@pytest.fixture
def deal(four: Four) -> str:
    """A's deal after a stage move, a title change and a private counterpart field of B's."""
    deal_id = str(four.deal["id"])
    act(four, four.a, deal_id, "POST", "/stage", stage="Qualified")
    act(four, four.a, deal_id, "PATCH", "", title="Retail rollout, phase 2")
    act(four, four.b, deal_id, "PATCH", "/counterpart", crm_reference="B-CRM-7")
    act(four, four.a, deal_id, "POST", "/stage", stage="Technical Validation")
    return deal_id


def act(four: Four, who: Caller, deal_id: str, method: str, tail: str, **body: Any) -> None:
    url = f"/v1/opportunities/{deal_id}"
    version = four.client.get(url, headers=who.headers).json()["version"]
    headers = {**who.headers, "If-Match": f'"{version}"'}
    done = four.client.request(method, f"{url}{tail}", json=body, headers=headers)
    assert done.status_code == 200, done.text


def events(four: Four, who: Caller, deal_id: str) -> list[dict[str, Any]]:
    found = four.client.get(f"/v1/opportunities/{deal_id}/events", headers=who.headers)
    assert found.status_code == 200, found.text
    return list(found.json()["events"])


def audit(four: Four, who: Caller, deal_id: str, tail: str, **params: Any) -> Any:
    return four.client.get(f"{AUDIT}/{deal_id}/{tail}", params=params, headers=who.headers)


def as_for_a_random_id(four: Four, who: Caller, deal_id: str, tail: str, **params: Any) -> None:
    """The answer equals, status and body, the one for an object that was never made."""
    asked = audit(four, who, deal_id, tail, **params)
    other = str(uuid4())
    random = audit(four, who, other, tail, **params)
    assert asked.status_code == random.status_code == 404, asked.text
    assert asked.json() == {**random.json(), "detail": random.json()["detail"].replace(
        other, deal_id)}, asked.text  # fmt: skip


def test_an_invitee_s_history_is_its_invitation_alone(four: Four, deal: str) -> None:
    everything = events(four, four.a, deal)
    invitation = next(e for e in everything
                      if e["type"] == "PartnerInvited" and e["data"]["participants"]["party_id"]
                      == four.c.party_id)  # fmt: skip
    mine = events(four, four.c, deal)
    assert [(e["version"], e["type"], e["occurred_at"]) for e in mine] == [
        (1, "PartnerInvited", invitation["occurred_at"])
    ]
    hidden = {e["occurred_at"] for e in everything} - {invitation["occurred_at"]}
    assert not hidden & {e["occurred_at"] for e in mine}
    audited = audit(four, four.auditor(four.c), deal, "events").json()["events"]
    assert [(e["version"], e["occurred_at"]) for e in audited] == [(1, invitation["occurred_at"])]


def test_a_history_numbers_its_events_without_gaps_that_show_hidden_ones(
    four: Four, deal: str
) -> None:
    owner = events(four, four.a, deal)  # all but B's private counterpart field
    assert "CounterpartUpdated" not in {e["type"] for e in owner}
    assert [e["version"] for e in owner] == list(range(1, len(owner) + 1))
    audited = audit(four, four.auditor(four.a), deal, "events").json()["events"]
    assert [e["version"] for e in audited] == list(range(1, len(owner) + 1))


def test_an_accepted_partner_sees_its_history_from_its_invitation_with_times(
    four: Four, deal: str
) -> None:
    everything = {(e["type"], e["occurred_at"]): e for e in events(four, four.a, deal)}
    seen = events(four, four.b, deal)
    assert [e["type"] for e in seen] == [
        "PartnerInvited", "InvitationAccepted", "PartnerInvited", "StageChanged",
        "DetailsUpdated", "CounterpartUpdated", "StageChanged",
    ]  # fmt: skip
    assert [e["version"] for e in seen] == list(range(1, len(seen) + 1))
    for event in seen:
        if event["type"] != "CounterpartUpdated":  # its own, which A does not see
            assert (event["type"], event["occurred_at"]) in everything
    assert [e["data"]["stage"] for e in seen if e["type"] == "StageChanged"] == [
        "Qualified", "Technical Validation"]  # fmt: skip
    audited = audit(four, four.auditor(four.b), deal, "events").json()["events"]
    assert [{k: v for k, v in e.items() if k not in ("position", "leaf_index")}
            for e in audited] == seen  # fmt: skip


def test_an_auditor_gets_no_past_state_from_before_its_company_could_see(
    four: Four, deal: str
) -> None:
    auditor = four.auditor(four.c)
    everything = events(four, four.a, deal)
    for number in range(2, len(everything) + 2):  # C's history has one event
        as_for_a_random_id(four, auditor, deal, "state", version=number)
    registered = datetime.fromisoformat(everything[0]["occurred_at"])
    for moment in (registered, registered + timedelta(microseconds=1)):
        as_for_a_random_id(four, auditor, deal, "state", at=moment.isoformat())
        as_for_a_random_id(four, auditor, deal, "access", field="title", at=moment.isoformat())
    first = audit(four, auditor, deal, "state", version=1).json()
    invited = four.client.get(f"/v1/opportunities/{deal}", headers=four.c.headers).json()
    assert first["version"] == first["view"]["version"] == 1
    assert first["as_of"][:19] == invited["invitation"]["since"][:19]
    assert "updated_at" not in first["view"] and "stage_history" not in first["view"]


def test_access_names_only_the_participants_the_owner_s_policy_shows(four: Four, deal: str) -> None:
    hide = {"viewer": "partners", "field": "participants", "effect": "deny"}
    admin = four.world.security_admin(four.a)
    denied = four.client.post("/v1/policies/rules", json=hide, headers=admin.headers)
    assert denied.status_code == 201, denied.text
    now = datetime.now().astimezone().isoformat()
    own = audit(four, four.auditor(four.b), deal, "access", field="counterparts.crm_reference",
                at=now, owner=four.b.party_id)  # fmt: skip
    assert own.status_code == 200, own.text
    named = {d["party_id"] for d in own.json()["decisions"]}
    assert named == {four.a.party_id, four.b.party_id}  # C, invited, is not B's to know
    whole = audit(four, four.auditor(four.a), deal, "access", field="title", at=now,
                  owner=four.a.party_id)  # fmt: skip
    assert {d["party_id"] for d in whole.json()["decisions"]} == {
        four.a.party_id, four.b.party_id, four.c.party_id}  # fmt: skip


def test_access_answers_alike_for_a_party_that_held_data_and_one_that_did_not(
    four: Four, deal: str
) -> None:
    auditor = four.auditor(four.c)  # invited: the participants are not C's to know
    now = datetime.now().astimezone().isoformat()
    answers = [
        audit(four, auditor, deal, "access", field="counterparts.crm_reference", at=now,
              owner=party)
        for party in (four.b.party_id, four.d.party_id, str(uuid4()))
    ]  # fmt: skip
    assert {a.status_code for a in answers} == {422}, [a.text for a in answers]
    assert answers[0].json() == answers[1].json() == answers[2].json()


def test_a_bundle_discloses_no_event_its_company_could_not_see(four: Four, deal: str) -> None:
    bundle = four.client.get("/v1/audit/bundle", headers=four.auditor(four.c).headers)
    assert bundle.status_code == 200, bundle.text
    entries = [e for e in bundle.json()["events"] if e["object_id"] == deal.replace("-", "")]
    assert len(entries) == len(events(four, four.a, deal)) + 1  # and B's private field
    disclosed = [e for e in entries if not e.get("withheld")]
    assert [e["topic"].rsplit(".", 1)[-1] for e in disclosed] == ["PartnerInvited"]


def test_an_invitee_s_history_of_a_solution_is_its_invitation_alone(four: Four) -> None:
    body = {"name": "Lakehouse Guard", "summary": "Governed analytics", "role": "builder"}
    created = four.client.post("/v1/solutions", json=body, headers=four.a.headers)
    assert created.status_code == 201, created.text
    url = f"/v1/solutions/{created.json()['id']}"

    def post(tail: str, change: dict[str, Any]) -> None:
        done = four.client.post(f"{url}{tail}", json=change, headers=four.a.headers)
        assert done.status_code == 200, done.text

    post("/lifecycle", {"to": "In Development"})
    post("/invitations", {"party_id": four.c.party_id, "role": "integrator"})
    post("/sign-off", {})
    everything = four.client.get(f"{url}/events", headers=four.a.headers).json()["events"]
    mine = four.client.get(f"{url}/events", headers=four.c.headers).json()["events"]
    assert [(e["version"], e["type"]) for e in mine] == [(1, "PartnerInvited")]
    assert mine[0]["occurred_at"] == everything[2]["occurred_at"]
