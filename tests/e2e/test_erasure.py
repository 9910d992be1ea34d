"""Erasing a contact's personal data: gone from every store and output, the log still verifies."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import LargeBinary, MetaData, Text, cast, create_engine, select
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from api.bootstrap import checkpoints_of
from api.settings import Settings
from ecosystem.actors import Role
from ecosystem.audit.bundle import verify_bundle
from ecosystem.audit.sealing import identity_of, lookup_of
from ecosystem.network import Network
from projections.audit.recorded import RecordedLog
from projections.audit.vault import subject_keys, subject_lookups
from projections.audit.verify_store import verify_store
from projections.store import opportunity_rows
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import Caller, World

TITLE = "Head of IT"  # a contact's job title is not sealed: it stays after an erasure


def person(first: str) -> dict[str, str]:
    """Values found nowhere else, so any occurrence of one is this person's data."""
    tag = secrets.token_hex(4)
    digits = "".join(str(secrets.randbelow(10)) for _ in range(8))
    return {
        "name": f"{first} Quistorp-{tag}",
        "email": f"{tag}@erase-me.example",
        "phone": f"+49 30 {digits}",
    }


def contacts(*people: dict[str, str]) -> list[dict[str, Any]]:
    return [{**p, "title": TITLE} for p in people]


def traces(someone: dict[str, str]) -> list[str]:
    """Every form the person's data could be found in (the phone also as bare digits)."""
    return [*someone.values(), someone["phone"].replace(" ", "")]


def occurrences(found: str | bytes, someone: dict[str, str]) -> dict[str, int]:
    """How often each trace of the person occurs, in any letter case."""
    if isinstance(found, str):
        found = found.encode()
    low = found.lower()
    return {t: low.count(t.lower().encode()) for t in traces(someone)}


def nowhere(someone: dict[str, str]) -> dict[str, int]:
    return dict.fromkeys(traces(someone), 0)


def shown_in(text: str, someone: dict[str, str]) -> bool:
    """Whether the person's name, email and phone are all shown."""
    return all(value in text for value in someone.values())


@dataclass
class Scene:
    """A vendor and a partner sharing everything on two deals that name the same person."""

    world: World
    vendor: Caller
    partner: Caller
    deals: list[str]  # the first registered with the contacts, the second patched to them
    # once the partner took part (a partner's history starts with its invitation)
    subject: dict[str, str]  # the person to erase
    survivor: dict[str, str]  # a colleague at the customer, who stays
    title: str

    @property
    def readers(self) -> dict[str, Caller]:
        return {"vendor": self.vendor, "partner": self.partner}


def scene(world: World) -> Scene:
    client = world.client
    vendor, partner = world.company(), world.company()
    world.partners(vendor, partner)
    world.share(vendor, "full")
    subject, survivor = person("Zelda"), person("Otto")
    title = f"Erasure deal {secrets.token_hex(6)}"
    people = contacts(subject, survivor)
    logistics = {"name": "Quistorp Logistics", "website_domain": "quistorp.example"}
    first = world.opportunity(vendor, title=title, customer={**logistics, "contacts": people})
    freight = {"name": "Quistorp Freight", "website_domain": "freight.example"}
    second = world.opportunity(vendor, title=f"{title} (renewal)", customer=freight)
    for deal in (first, second):
        path = f"/v1/opportunities/{deal['id']}/invitations"
        invited = client.post(path, json={"party_id": partner.party_id}, headers=vendor.headers)
        assert invited.status_code == 200, invited.text
        accepted = client.post(f"{path}/{partner.party_id}/accept", headers=partner.headers)
        assert accepted.status_code == 200, accepted.text
    patched = client.patch(
        f"/v1/opportunities/{second['id']}",
        json={"customer": {"contacts": people}},
        headers={**vendor.headers, "If-Match": f'"{accepted.json()["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    return Scene(world, vendor, partner, [first["id"], second["id"]], subject, survivor, title)


def got(world: World, caller: Caller, path: str, **params: Any) -> Any:
    response = world.client.get(path, params=params, headers=caller.headers)
    assert response.status_code == 200, f"{path}: {response.text}"
    return response.json()


def every_output(s: Scene) -> dict[str, str]:
    """All the API shows each party, and each party's auditor, by what was asked."""
    world, outputs = s.world, {}
    for who, caller in s.readers.items():
        outputs[f"{who} list"] = got(world, caller, "/v1/opportunities")
        outputs[f"{who} details"] = [got(world, caller, f"/v1/opportunities/{d}") for d in s.deals]
        outputs[f"{who} events"] = [
            got(world, caller, f"/v1/opportunities/{d}/events") for d in s.deals
        ]
        auditor = world.user(caller.party_id, Role.AUDITOR)
        histories = [got(world, auditor, f"/v1/audit/objects/{d}/events") for d in s.deals]
        outputs[f"{who} audit histories"] = histories
        outputs[f"{who} audit states"] = [
            got(world, auditor, f"/v1/audit/objects/{h['object_id']}/state", version=e["version"])
            for h in histories
            for e in h["events"]
        ]
        outputs[f"{who} audit bundle"] = got(world, auditor, "/v1/audit/bundle")
    return {what: json.dumps(output) for what, output in outputs.items()}


def engine_of(network: Network) -> Engine:
    engine: Engine = network.factory.datastore.engine  # type: ignore[attr-defined]
    return engine


def stored_bytes(network: Network) -> bytes:
    """What the store holds: on SQLite the raw database file and its write-ahead log; on
    PostgreSQL every column of every row of every table cast to text, but binary columns as
    their bytes (bytea cast to text is hex, in which plain text would hide)."""
    engine = engine_of(network)
    if engine.dialect.name == "sqlite":
        database = Path(str(engine.url.database))
        files = [database, database.with_name(database.name + "-wal")]
        assert files[1].exists()  # the store runs in WAL mode: the log is scanned too
        return b"".join(f.read_bytes() for f in files)
    tables = MetaData()
    tables.reflect(engine, schema="public")
    assert "cosell_subject_keys" in {t.name for t in tables.sorted_tables}
    found = bytearray()
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            columns = [c if isinstance(c.type, LargeBinary) else cast(c, Text) for c in table.c]
            for row in connection.execute(select(*columns)):
                for value in row:
                    found += as_bytes(value) + b"\x00"
    return bytes(found)


def as_bytes(value: str | bytes | memoryview | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else bytes(value)


def key_row(network: Network, email: str) -> tuple[bytes, str]:
    """The subject's key and the hash of its email, as the key store holds them."""
    lookup = lookup_of(identity_of("", email, ""))
    with engine_of(network).connect() as connection:
        row = connection.execute(
            select(subject_keys.c.key)
            .join(subject_lookups, subject_lookups.c.subject == subject_keys.c.subject)
            .where(subject_lookups.c.lookup == lookup)
        ).one()
    return bytes(row.key), lookup


def table_files(network: Network) -> bytes:
    """On PostgreSQL, the key tables' files on disk, where a deleted row lingers until the
    table is rewritten (empty on SQLite, whose file `stored_bytes` reads whole)."""
    engine = engine_of(network)
    if engine.dialect.name != "postgresql":
        return b""
    query = sql("SELECT pg_read_binary_file(pg_relation_filepath(:t))")
    with engine.connect() as connection:
        connection.execute(sql("CHECKPOINT"))
        return b"".join(
            bytes(connection.execute(query, {"t": table}).scalar_one())
            for table in ("cosell_subject_keys", "cosell_subject_lookups")
        )


def network_admin(world: World) -> Caller:
    return world.user(world.party(operator=True), Role.ADMIN)


def erase(world: World, caller: Caller, **who: str) -> Any:
    return world.client.post("/v1/audit/erasures", json=who, headers=caller.headers)


def erased(s: Scene) -> None:
    response = erase(s.world, network_admin(s.world), email=s.subject["email"])
    assert response.status_code == 200, response.text


def contacts_in(view: dict[str, Any]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = view["customer"]["contacts"]
    return shown


def changed_contacts(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contacts as the one event that recorded them shows them."""
    (changed,) = [
        e["data"]["customer.contacts"] for e in history if "customer.contacts" in e["data"]
    ]
    return list(changed)


def events_of(world: World, caller: Caller, deal: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = got(world, caller, f"/v1/opportunities/{deal}/events")["events"]
    return events


def steps(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Which events of a history are shown: (version, type)."""
    return [(e["version"], e["type"]) for e in events]


def test_partners_allowed_to_see_contacts_see_their_names_emails_and_phones(world: World) -> None:
    s = scene(world)
    for caller in s.readers.values():
        listed = {i["id"]: i for i in got(world, caller, "/v1/opportunities")["items"]}
        for deal in s.deals:
            both = contacts(s.subject, s.survivor)
            assert contacts_in(got(world, caller, f"/v1/opportunities/{deal}")) == both
            assert contacts_in(listed[deal]) == both
            events = json.dumps(events_of(world, caller, deal))
            recorded = caller is s.vendor or deal == s.deals[1]  # else before it was invited
            assert shown_in(events, s.subject) == shown_in(events, s.survivor) == recorded, deal


def test_the_store_never_holds_a_contacts_personal_data_in_plain_text(
    world: World, network: Network
) -> None:
    s = scene(world)
    outputs = every_output(s)  # read models built, histories and bundles served
    assert all(shown_in(text, s.subject) for text in outputs.values())
    stored = stored_bytes(network)
    assert s.title.encode() in stored  # the scan does find what is stored in plain text
    assert occurrences(stored, s.subject) == nowhere(s.subject)
    assert occurrences(stored, s.survivor) == nowhere(s.survivor)
    with engine_of(network).connect() as connection:
        views = connection.execute(select(opportunity_rows.c.view)).scalars().all()
    rows = [json.loads(v) for v in views if s.title in v]
    assert len(rows) == 4  # two deals, each in the vendor's and in the partner's read model
    for row in rows:
        for contact in contacts_in(row):
            assert contact["title"] == TITLE
            assert all(set(contact[p]) == {"$sealed"} for p in ("name", "email", "phone"))


def test_only_a_network_admin_may_erase_and_only_someone_recorded(world: World) -> None:
    s = scene(world)
    email = s.subject["email"]
    assert erase(world, s.vendor, email=email).status_code == 403  # a party's own admin
    operator_sales = world.user(world.party(operator=True), Role.SALES)
    assert erase(world, operator_sales, email=email).status_code == 403
    admin = network_admin(world)
    stranger = f"{secrets.token_hex(4)}@erase-me.example"
    unknown = erase(world, admin, email=stranger)
    assert unknown.status_code == 404, unknown.text
    assert stranger not in unknown.text
    deal = got(world, s.partner, f"/v1/opportunities/{s.deals[0]}")
    assert contacts_in(deal) == contacts(s.subject, s.survivor)  # refusals erased nothing
    response = erase(world, admin, email=email)
    assert response.status_code == 200, response.text
    assert response.json()["subjects_erased"] == 1
    assert sorted(response.json()["opportunities"]) == sorted(s.deals)
    assert occurrences(response.text, s.subject) == nowhere(s.subject)
    again = erase(world, admin, email=email)
    assert again.status_code == 404, again.text  # nothing is held of them any more


def test_an_erased_person_is_found_nowhere_while_their_colleague_still_shows(
    world: World, network: Network
) -> None:
    s = scene(world)
    every_output(s)
    key, lookup = key_row(network, s.subject["email"])
    assert key in stored_bytes(network)  # the scan finds the key while it is held
    files = table_files(network)
    assert not files or key in files  # and so does the scan of PostgreSQL's files
    erased(s)
    for what, text in every_output(s).items():
        assert occurrences(text, s.subject) == nowhere(s.subject), what
        assert shown_in(text, s.survivor), what
    stored = stored_bytes(network) + table_files(network)
    assert occurrences(stored, s.subject) == nowhere(s.subject)
    assert key not in stored
    assert lookup.encode() not in stored
    assert network.personal_data.store.find(identity_of("", s.subject["email"], "")) is None


def a_long_read(network: Network) -> Connection:
    """A read of this database, begun and still open: its snapshot predates what follows."""
    reader = engine_of(network).connect().execution_options(isolation_level="REPEATABLE READ")
    reader.execute(sql("SELECT count(*) FROM network_events")).scalar()
    return reader


def a_write_elsewhere(network: Network) -> Connection:
    """A transaction in another database of the same server that has begun writing: any
    snapshot taken while it runs, a rewrite's own included, counts it as running."""
    writer = create_engine(POSTGRES_URL, poolclass=NullPool).connect()
    writer.execute(sql("SELECT txid_current()"))  # what a first write does: take an id
    return writer


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize("older", [a_long_read, a_write_elsewhere])
def test_an_erasure_waits_out_transactions_older_than_it_before_rewriting_the_key_tables(
    world: World, network: Network, older: Callable[[Network], Connection]
) -> None:
    """PostgreSQL's rewrite keeps a deleted row that a transaction begun before the deletion
    may still see: the key would stay in the key tables' files."""
    s = scene(world)
    key, _ = key_row(network, s.subject["email"])
    transaction = older(network)
    failed: list[BaseException] = []

    def erase_now() -> None:
        try:
            erased(s)
        except BaseException as error:  # reported by the test's own thread
            failed.append(error)

    erasing = threading.Thread(target=erase_now)
    erasing.start()
    try:
        time.sleep(0.5)
        assert erasing.is_alive()  # the erasure waits
    finally:
        transaction.rollback()  # the older transaction ends, whatever the test found
        transaction.close()
    erasing.join(timeout=30)
    assert not erasing.is_alive() and not failed, failed
    assert key not in stored_bytes(network) + table_files(network)


def test_a_person_is_found_by_their_phone_too_and_by_every_identifier_they_gave(
    world: World,
) -> None:
    s = scene(world)
    admin = network_admin(world)
    by_phone = erase(world, admin, phone=s.subject["phone"])  # recorded with email and phone
    assert by_phone.status_code == 200, by_phone.text
    assert by_phone.json()["subjects_erased"] == 1
    twice = person("Ada")  # the same person, known by email on one deal, by phone on another
    email_only = {"name": twice["name"], "email": twice["email"]}
    phone_only = {"name": twice["name"], "phone": twice["phone"]}
    for entry in (email_only, phone_only):
        world.opportunity(s.vendor, customer={"name": f"Other {secrets.token_hex(3)}",
                                              "contacts": [entry]})  # fmt: skip
    both = erase(world, admin, email=twice["email"], phone=twice["phone"])
    assert both.status_code == 200, both.text
    assert both.json()["subjects_erased"] == 2
    for what, text in every_output(s).items():
        assert occurrences(text, twice) == nowhere(twice), what


def test_an_erased_contact_says_it_was_erased_wherever_it_was_shown(world: World) -> None:
    s = scene(world)
    erased(s)
    shown: dict[str, Any] = {}
    for who, caller in s.readers.items():
        auditor = world.user(caller.party_id, Role.AUDITOR)
        listed = {i["id"]: i for i in got(world, caller, "/v1/opportunities")["items"]}
        for n, deal in enumerate(s.deals):
            now = got(world, caller, f"/v1/opportunities/{deal}")
            history = events_of(world, caller, deal)
            audited = got(world, auditor, f"/v1/audit/objects/{deal}/events")["events"]
            latest = len(audited)  # the state after the last event of its own history
            then = got(world, auditor, f"/v1/audit/objects/{deal}/state", version=latest)
            shown |= {
                f"{who}: deal {n}": contacts_in(now),
                f"{who}: list, deal {n}": contacts_in(listed[deal]),
                f"{who}'s auditor: state of deal {n}": contacts_in(then["view"]),
            }
            if who == "vendor" or n == 1:  # else recorded before the partner was invited
                shown |= {
                    f"{who}: events of deal {n}": changed_contacts(history),
                    f"{who}'s auditor: events of deal {n}": changed_contacts(audited),
                }
    remaining = [{"title": TITLE, "erased": True}, *contacts(s.survivor)]
    unmarked = [where for where, seen in shown.items() if seen != remaining]
    assert not unmarked, f"not shown as erased in: {', '.join(unmarked)}"


def test_the_store_and_an_audit_bundle_still_verify_after_an_erasure(
    world: World, network: Network, database_url: str
) -> None:
    s = scene(world)
    settings = Settings(database_url=database_url)
    checkpoints = checkpoints_of(network, settings)
    before = checkpoints.sign()
    erased(s)
    after = checkpoints.sign()
    assert before is not None and after is not None and after.size > before.size
    report = verify_store(network, checkpoints_of(network, settings), deep=True)
    assert report.ok, report.problems
    assert report.counts["checkpoints matched"] >= 2
    for caller in s.readers.values():
        auditor = world.user(caller.party_id, Role.AUDITOR)
        bundle = got(world, auditor, "/v1/audit/bundle", known=[before.size, after.size])
        assert occurrences(json.dumps(bundle), s.subject) == nowhere(s.subject)
        verified = verify_bundle(bundle, checkpoints.public_key(), [before, after])
        assert verified.ok, verified.problems


def test_the_erased_persons_events_are_all_kept_and_the_erasure_is_in_each_history(
    world: World, network: Network
) -> None:
    s = scene(world)
    log = RecordedLog(network)
    recorded = {deal: log.of(UUID(deal)) for deal in s.deals}
    shown = {(w, d): steps(events_of(world, c, d)) for w, c in s.readers.items() for d in s.deals}
    erased(s)
    for deal in s.deals:
        now = log.of(UUID(deal))
        assert now[: len(recorded[deal])] == recorded[deal]  # every event as it was stored
        added = [r.topic.rsplit(".", 1)[-1] for r in now[len(recorded[deal]) :]]
        assert added == ["PersonalDataErased"]
        for who, caller in s.readers.items():
            auditor = world.user(caller.party_id, Role.AUDITOR)
            events = events_of(world, caller, deal)
            numbered = len(shown[who, deal]) + 1  # in its own history
            assert steps(events) == [*shown[who, deal], (numbered, "PersonalDataErased")]
            audited = got(world, auditor, f"/v1/audit/objects/{deal}/events")["events"]
            for seen in (events, audited):
                assert seen[-1]["type"] == "PersonalDataErased"
                assert seen[-1]["data"] == {}
                assert occurrences(json.dumps(seen), s.subject) == nowhere(s.subject)
