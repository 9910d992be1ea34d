"""No answer tells a company how many events the whole network records, or when: changes and
read-model reads carry an opaque consistency token, good for its own company only.

The rule, asserted as such: what a company reads of its own lists and KPIs is the same
whether or not strangers have been busy meanwhile (tokens and clocks aside), and a token
reveals nothing by its form and works for no other company.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import read_model_store
from api.consistency import READ_AFTER, TOKEN
from api.settings import Settings
from ecosystem.network import Network
from projections import OpportunityProjector
from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller, World

READS = (
    "/v1/opportunities",
    "/v1/solutions",
    "/v1/funding-plans",
    "/v1/kpis",
    "/v1/kpis/pipeline",
    "/v1/kpis/partners",
)
CLOCKS = {"computed_at", "date"}


def _answer(client: Any, caller: Caller, path: str) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body of a read, without what changes by itself: the token (random
    each time), the date and the KPIs' `computed_at`."""
    response = client.get(path, headers={**caller.headers, READ_AFTER: ""})
    assert response.status_code == 200, response.text
    headers = {k: v for k, v in response.headers.items() if k not in CLOCKS}
    token = headers.pop(TOKEN.lower())
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token), token
    body = response.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in CLOCKS}
    return response.status_code, headers, body


def test_a_company_s_reads_are_the_same_however_busy_strangers_are(four: Four) -> None:
    world = four.world
    before = {path: _answer(four.client, four.b, path) for path in READS}
    stranger = world.company()
    for _ in range(5):
        world.opportunity(stranger)
    stranger_token = four.client.get("/v1/opportunities", headers=stranger.headers)
    assert stranger_token.status_code == 200
    after = {path: _answer(four.client, four.b, path) for path in READS}
    assert after == before
    for _, headers, body in after.values():
        assert not any("position" in name.lower() for name in headers)
        assert not (isinstance(body, dict) and "position" in body)


def test_a_change_answers_with_a_token_and_no_log_position(four: Four) -> None:
    note = four.client.post(
        f"/v1/opportunities/{four.deal['id']}/notes", json={"text": "hello"}, headers=four.a.headers
    )
    assert note.status_code in (200, 201), note.text
    assert not any("position" in name.lower() for name in note.headers)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", note.headers[TOKEN])
    again = four.client.get(
        "/v1/opportunities", headers={READ_AFTER: note.headers[TOKEN], **four.a.headers}
    )
    assert again.status_code == 200, again.text
    tokens = {note.headers[TOKEN], again.headers[TOKEN]}
    assert len(tokens) == 2 and len({len(t) for t in tokens}) == 1  # not comparable


def test_another_company_s_token_is_refused_like_a_garbled_one(four: Four) -> None:
    a_token = four.client.post(
        f"/v1/opportunities/{four.deal['id']}/notes", json={"text": "hi"}, headers=four.a.headers
    ).headers[TOKEN]
    flipped = a_token[:10] + ("A" if a_token[10] != "A" else "B") + a_token[11:]
    garbage = [flipped, a_token[:-4], "abc", "12", "0", "!!!!", "A" * len(a_token)]
    answers = {}
    for token in [a_token, *garbage]:
        response = four.client.get(
            "/v1/opportunities", headers={READ_AFTER: token, **four.b.headers}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        answers[token] = response.json()
    assert all(answer == answers[a_token] for answer in answers.values())
    mine = four.client.get("/v1/opportunities", headers={READ_AFTER: a_token, **four.a.headers})
    assert mine.status_code == 200, mine.text


def test_a_token_of_another_server_s_key_is_refused(network: Network, tmp_path: Path) -> None:
    here = create_app(Settings(), network=network)
    elsewhere = create_app(Settings(consistency_key_file=tmp_path / "other-key"), network=network)
    with TestClient(here, raise_server_exceptions=False) as client:
        vendor = World(network, client).company()
        foreign = elsewhere.state.tokens.issue(UUID(vendor.party_id), network.log_position)
        for path in ("/v1/opportunities", "/v1/kpis"):
            response = client.get(path, headers={READ_AFTER: foreign, **vendor.headers})
            assert response.status_code == 400, response.text


def test_the_old_position_header_is_refused_rather_than_ignored(four: Four) -> None:
    response = four.client.get(
        "/v1/opportunities", headers={"Cosell-Min-Position": "1", **four.b.headers}
    )
    assert response.status_code == 400, response.text
    assert READ_AFTER in response.json()["detail"]


def test_a_read_after_my_change_sees_it_even_when_projection_lags(network: Network) -> None:
    """Nothing projects until the test says so: the token alone makes the read wait."""
    app = create_app(Settings(read_wait_seconds=5, run_projections=False), network=network)
    with TestClient(app, raise_server_exceptions=False) as client:
        vendor = World(network, client).company()
        created = client.post(
            "/v1/opportunities", json={"title": "Mine", "customer": {"name": "Mine Co"}},
            headers=vendor.headers,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        later = threading.Timer(
            0.3, OpportunityProjector(network, read_model_store(network)).catch_up
        )
        later.start()
        try:
            response = client.get(
                "/v1/opportunities", headers={READ_AFTER: created.headers[TOKEN], **vendor.headers}
            )
        finally:
            later.join()
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [created.json()["id"]]
