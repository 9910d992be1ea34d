"""What a policy hides cannot be learnt sideways: not by filtering, sorting or error messages."""

from __future__ import annotations

from tests.e2e.conftest import World


def test_a_hidden_stage_cannot_be_found_by_filtering_the_list(world: World) -> None:
    vendor, partner = world.company(), world.company()
    deal = world.shared(vendor, partner)
    world.share(vendor, preset="hidden")
    listed = world.client.get("/v1/opportunities", headers=partner.headers).json()["items"]
    assert [item["id"] for item in listed] == [deal["id"]]
    assert "stage" not in listed[0] and "title" not in listed[0]
    for stage in ("Prospect", "Qualified"):
        filtered = world.client.get(
            "/v1/opportunities", params={"stage": stage}, headers=partner.headers
        )
        assert filtered.status_code == 200
        assert filtered.json()["items"] == []
    mine = world.client.get(
        "/v1/opportunities", params={"stage": "Prospect"}, headers=vendor.headers
    )
    assert [item["id"] for item in mine.json()["items"]] == [deal["id"]]


def test_a_refused_partner_change_names_fields_but_never_their_values(world: World) -> None:
    vendor, partner = world.company(), world.company()
    deal = world.shared(vendor, partner)
    current = world.client.get(f"/v1/opportunities/{deal['id']}", headers=vendor.headers)
    refused = world.client.patch(
        f"/v1/opportunities/{deal['id']}",
        json={"expected_amount": {"amount": "5.00", "currency": "EUR"}},
        headers={**partner.headers, "If-Match": current.headers["ETag"]},
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "expected_amount" in refused.json()["detail"]
    assert "1000" not in refused.text
    after = world.client.get(f"/v1/opportunities/{deal['id']}", headers=vendor.headers)
    assert after.json() == current.json()


def test_an_invitee_sees_no_timeline_it_could_sort_by(world: World) -> None:
    vendor, partner = world.company(), world.company()
    world.shared(vendor, partner, accept=False)
    for sort in ("created_at", "-updated_at"):
        listed = world.client.get(
            "/v1/opportunities", params={"sort": sort}, headers=partner.headers
        ).json()["items"]
        assert len(listed) == 1
        assert "created_at" not in listed[0] and "updated_at" not in listed[0]


def test_a_simulation_does_not_reveal_participants_the_caller_may_not_see(world: World) -> None:
    vendor, partner, other = world.company(), world.company(), world.company()
    deal = world.shared(vendor, partner)
    world.partners(vendor, other)
    world.partners(partner, other)  # the partner's data reaches `other` only as partners
    invited = world.client.post(
        f"/v1/opportunities/{deal['id']}/invitations",
        json={"party_id": other.party_id}, headers=vendor.headers,
    )  # fmt: skip
    assert invited.status_code == 200, invited.text
    current = world.client.get(f"/v1/opportunities/{deal['id']}", headers=partner.headers)
    world.client.patch(
        f"/v1/opportunities/{deal['id']}/counterpart", json={"crm_reference": "P-1"},
        headers={**partner.headers, "If-Match": current.headers["ETag"]},
    )  # fmt: skip
    change = {"op": "add_rule", "viewer": "invited", "field": "counterparts.*"}
    body = {"viewer_party_id": other.party_id, "change": change}
    admin = world.security_admin(partner)

    def simulated() -> list[str]:
        answer = world.client.post("/v1/policies/simulate", json=body, headers=admin.headers)
        assert answer.status_code == 200, answer.text
        return [o["object_id"] for o in answer.json()["objects"]]

    assert simulated() == [deal["id"]]  # the partner sees the participants by default
    world.share(vendor, preset="hidden")
    assert simulated() == []  # now it may not learn who else is on the deal
