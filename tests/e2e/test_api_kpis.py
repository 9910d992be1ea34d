"""Partner KPIs over HTTP: a seeded co-sell scenario, every figure checked against numbers
worked out by hand, for the owner and for a partner that counts only what it may see."""

from __future__ import annotations

import re
from collections.abc import Sequence as Seq
from typing import Any

import pytest

from tests.e2e.conftest import Caller, World

KPIS = "/v1/kpis"
SECTIONS = ("pipeline", "partners", "win_rate", "stages", "invitations", "inactive")
OPEN = ("Prospect", "Qualified", "Technical Validation", "Business Validation", "Committed")
DECIMAL = re.compile(r"^\d+\.\d{2}$")


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def amounts(**by_currency: str) -> list[dict[str, str]]:
    """Per-currency totals as the API lists them: sorted by currency code."""
    return [{"currency": c, "amount": a} for c, a in sorted(by_currency.items())]


def post(world: World, caller: Caller, deal: str, tail: str, body: Any = None) -> Any:
    response = world.client.post(
        f"/v1/opportunities/{deal}{tail}", json=body, headers=caller.headers
    )
    assert response.status_code in (200, 204), response.text  # 204: the caller left the deal
    return response


class Scenario:
    """Owner A with partners B and C, who are not partners of each other.

    A shares everything with its partners; B keeps the default policy, so A, its partner on
    b1, sees b1's stage and participants but not its amount.

    | deal | owner | amount        | stage                  | others               |
    |------|-------|---------------|------------------------|----------------------|
    | a1   | A     | 100000.00 EUR | Prospect               | B accepted           |
    | a2   | A     |  50000.50 EUR | Qualified              | C accepted           |
    | a3   | A     |  20000.00 USD | Committed              | B, C accepted        |
    | a4   | A     |   7500.25 USD | Prospect               | C invited (pending)  |
    | a5   | A     |  30000.00 EUR | Qualified, then won    | B accepted           |
    | a6   | A     |  12000.00 GBP | won                    | C declined           |
    | a7   | A     |   8000.00 EUR | Business Val., lost    | C accepted           |
    | a8   | A     |   5000.00 USD | Technical Validation   | B withdrawn          |
    | b1   | B     |  40000.00 EUR | Prospect               | A accepted           |
    | b2   | B     |  15000.00 EUR | Qualified              | A invited (pending)  |
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.a, self.b, self.c = (world.company() for _ in range(3))
        world.partners(self.a, self.b)
        world.partners(self.a, self.c)
        world.share(self.a, "full")
        self.deals: dict[str, str] = {}
        a, b, c = self.a, self.b, self.c
        self.deal("a1", a, "100000.00", "EUR", accepted=[b])
        self.deal("a2", a, "50000.50", "EUR", stages=["Qualified"], accepted=[c])
        self.deal("a3", a, "20000.00", "USD", stages=["Committed"], accepted=[b, c])
        self.deal("a4", a, "7500.25", "USD", invited=[c])
        self.deal("a5", a, "30000.00", "EUR", stages=["Qualified"], accepted=[b], close="won")
        self.deal("a6", a, "12000.00", "GBP", invited=[c])
        post(world, c, self.deals["a6"], f"/invitations/{c.party_id}/decline")
        post(world, a, self.deals["a6"], "/close", {"outcome": "won"})
        self.deal("a7", a, "8000.00", "EUR", ["Business Validation"], accepted=[c], close="lost")
        self.deal("a8", a, "5000.00", "USD", stages=["Technical Validation"], accepted=[b])
        post(world, a, self.deals["a8"], f"/invitations/{b.party_id}/withdraw")
        self.deal("b1", b, "40000.00", "EUR", accepted=[a])
        self.deal("b2", b, "15000.00", "EUR", stages=["Qualified"], invited=[a])

    def deal(
        self, name: str, owner: Caller, amount: str, currency: str, stages: Seq[str] = (),
        accepted: Seq[Caller] = (), invited: Seq[Caller] = (), close: str = "",
    ) -> None:  # fmt: skip
        world = self.world
        opened = world.opportunity(owner, expected_amount=money(amount, currency))
        deal = self.deals[name] = opened["id"]
        for partner in [*accepted, *invited]:
            body = {"party_id": partner.party_id, "role": "co_seller"}
            post(world, owner, deal, "/invitations", body)
        for partner in accepted:
            post(world, partner, deal, f"/invitations/{partner.party_id}/accept")
        for stage in stages:
            post(world, owner, deal, "/stage", {"stage": stage})
        if close:
            body = {"outcome": close, "reason": "Budget cut" if close == "lost" else ""}
            post(world, owner, deal, "/close", body)

    def kpis(self, caller: Caller, **params: Any) -> dict[str, Any]:
        response = self.world.client.get(KPIS, params=params, headers=caller.headers)
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        assert report["party_id"] == caller.party_id
        assert "position" not in report and response.headers["Cosell-Consistency-Token"]
        return report


@pytest.fixture
def scenario(world: World) -> Scenario:
    return Scenario(world)


def by_stage(**figures: tuple[int, list[dict[str, str]]]) -> list[dict[str, Any]]:
    """Every open stage in order; stages not named hold nothing."""
    named = {stage.replace(" ", "_"): stage for stage in OPEN}
    given = {named[key]: value for key, value in figures.items()}
    return [
        {"stage": s, "count": given.get(s, (0, []))[0], "amounts": given.get(s, (0, []))[1]}
        for s in OPEN
    ]


def assert_stays(stages: list[dict[str, Any]], **ended: int) -> None:
    """Ended stays per open stage (unnamed: none); the average is a non-negative day count."""
    named = {stage.replace(" ", "_"): stage for stage in OPEN}
    expected = {named[key]: count for key, count in ended.items()}
    assert [s["stage"] for s in stages] == list(OPEN)
    for figures in stages:
        count = expected.get(figures["stage"], 0)
        assert figures["ended_stays"] == count, figures
        if count:
            assert DECIMAL.match(figures["average_days"]), figures
        else:
            assert figures["average_days"] is None, figures


def test_the_owner_s_kpis_count_its_deals_and_those_it_partners_on(scenario: Scenario) -> None:
    report = scenario.kpis(scenario.a)
    assert report["pipeline"] == {
        "open_count": 6,  # a1 a2 a3 a4 a8 and b1; not b2, where A is only invited
        "amounts": amounts(EUR="150000.50", USD="32500.25"),
        "by_stage": by_stage(
            Prospect=(3, amounts(EUR="100000.00", USD="7500.25")),  # a1 a4 b1
            Qualified=(1, amounts(EUR="50000.50")),
            Technical_Validation=(1, amounts(USD="5000.00")),
            Committed=(1, amounts(USD="20000.00")),
        ),
        "without_visible_amount": 1,  # b1: B's policy hides its amount
    }
    assert report["win_rate"] == {"won": 2, "lost": 1, "rate": "0.6667"}
    assert report["invitations"] == {"received": 1, "sent": 1}  # b2; a4 (a6 declined)
    assert report["inactive"] == {"days": 30, "count": 0, "opportunities": []}
    partners = report["partners"]
    assert partners["influenced_pipeline"] == amounts(EUR="150000.50", USD="20000.00")
    assert partners["influenced_open_count"] == 4  # a1 a2 a3 b1
    assert partners["influenced_won"] == amounts(EUR="30000.00")
    assert partners["influenced_won_count"] == 1  # a5
    # a2 a3 a5 a6 a7 a8 left Prospect; a5 left Qualified; a7 left Business Validation.
    assert_stays(report["stages"], Prospect=6, Qualified=1, Business_Validation=1)


def test_a_partner_s_kpis_count_only_what_it_may_see(scenario: Scenario) -> None:
    report = scenario.kpis(scenario.b)
    assert report["pipeline"] == {
        "open_count": 4,  # a1 a3 b1 b2; not a8, which B left
        "amounts": amounts(EUR="155000.00", USD="20000.00"),
        "by_stage": by_stage(
            Prospect=(2, amounts(EUR="140000.00")),  # a1 b1
            Qualified=(1, amounts(EUR="15000.00")),
            Committed=(1, amounts(USD="20000.00")),
        ),
        "without_visible_amount": 0,
    }
    assert report["win_rate"] == {"won": 1, "lost": 0, "rate": "1.0000"}
    assert report["invitations"] == {"received": 0, "sent": 1}  # b2
    assert report["inactive"] == {"days": 30, "count": 0, "opportunities": []}
    partners = report["partners"]
    assert partners["influenced_pipeline"] == amounts(EUR="140000.00", USD="20000.00")
    assert partners["influenced_open_count"] == 3  # a1 a3 b1
    assert partners["influenced_won"] == amounts(EUR="30000.00")
    assert partners["influenced_won_count"] == 1
    assert_stays(report["stages"], Prospect=3, Qualified=1)  # a3 a5 b2; a5


def partner_figures(
    party: Caller, open_count: int, pipeline: list[Any], won_count: int, won: list[Any]
) -> dict[str, Any]:
    return {
        "party_id": party.party_id, "open_count": open_count, "pipeline": pipeline,
        "won_count": won_count, "won": won,
    }  # fmt: skip


def test_figures_by_partner_name_the_other_companies_on_each_deal(scenario: Scenario) -> None:
    """On a deal you own your partners are those who accepted; on a deal you partner on,
    the owner and the other partners. Never your own company."""
    a, b, c = scenario.a, scenario.b, scenario.c
    for_a = [
        partner_figures(b, 3, amounts(EUR="100000.00", USD="20000.00"), 1, amounts(EUR="30000.00")),
        partner_figures(c, 2, amounts(EUR="50000.50", USD="20000.00"), 0, []),
    ]  # B: a1 a3 b1 (amount hidden), won a5; C: a2 a3 (a4 only invited, a7 lost)
    for_b = [
        partner_figures(a, 3, amounts(EUR="140000.00", USD="20000.00"), 1, amounts(EUR="30000.00")),
        partner_figures(c, 1, amounts(USD="20000.00"), 0, []),
    ]  # A: a1 a3 b1, won a5 (b2: A only invited); C: a3
    for caller, expected in ((a, for_a), (b, for_b)):
        listed = scenario.kpis(caller)["partners"]["by_partner"]
        assert caller.party_id not in [p["party_id"] for p in listed]
        assert listed == sorted(expected, key=lambda p: p["party_id"])


def test_a_company_outside_every_deal_counts_nothing(scenario: Scenario) -> None:
    outsider = scenario.world.company()
    report = scenario.kpis(outsider)
    assert report["pipeline"] == {
        "open_count": 0, "amounts": [], "by_stage": by_stage(), "without_visible_amount": 0,
    }  # fmt: skip
    assert report["partners"] == {
        "by_partner": [], "influenced_pipeline": [], "influenced_won": [],
        "influenced_open_count": 0, "influenced_won_count": 0,
    }  # fmt: skip
    assert report["win_rate"] == {"won": 0, "lost": 0, "rate": None}
    assert report["invitations"] == {"received": 0, "sent": 0}
    assert_stays(report["stages"])


def test_each_section_alone_holds_the_same_figures(scenario: Scenario) -> None:
    for caller in (scenario.a, scenario.b):
        report = scenario.kpis(caller, inactive_days=1)
        assert report["inactive"]["days"] == 1
        for section in SECTIONS:
            response = scenario.world.client.get(
                f"{KPIS}/{section}", params={"inactive_days": 1}, headers=caller.headers
            )
            assert response.status_code == 200, response.text
            alone = response.json()
            assert alone["section"] == section
            assert alone["party_id"] == caller.party_id
            assert "position" not in alone and response.headers["Cosell-Consistency-Token"]
            assert alone["computed_at"]
            assert alone["figures"] == report[section], section


def test_a_deal_registered_moments_ago_is_not_inactive(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    for days in (1, 3650):
        response = world.client.get(
            f"{KPIS}/inactive", params={"inactive_days": days}, headers=vendor.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["figures"] == {"days": days, "count": 0, "opportunities": []}
    assert deal["id"]


def test_an_unknown_section_or_a_bad_inactive_days_is_refused_with_422(world: World) -> None:
    vendor = world.company()
    refused: list[tuple[str, dict[str, Any]]] = [
        (f"{KPIS}/forecast", {}),
        (f"{KPIS}/Pipeline", {}),
        (KPIS, {"inactive_days": 0}),
        (KPIS, {"inactive_days": -5}),
        (KPIS, {"inactive_days": "soon"}),
        (f"{KPIS}/inactive", {"inactive_days": 0}),
    ]
    for path, params in refused:
        response = world.client.get(path, params=params, headers=vendor.headers)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
