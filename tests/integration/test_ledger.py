"""The ledger: one leaf per event in the event's own transaction, dense under concurrent
writers on both stores, adopted once for an older log, and over an encrypted store."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text

from api.bootstrap import build_network, checkpoints_of
from api.demo import seed
from api.settings import Settings
from ecosystem.actors import OPERATOR, Role
from ecosystem.errors import VersionMismatch
from ecosystem.network import Network
from ecosystem.opportunities.fields import Contact
from ecosystem.parties.domainmodel import PartyKind
from projections.audit.ledger import ledger
from projections.audit.vault import subject_keys
from projections.audit.verify_store import verify_store
from tests.integration.test_concurrency import race, seller

WRITERS = 8
COMMANDS = 25


def engine_of(network: Network) -> Any:
    return network.factory.datastore.engine  # type: ignore[attr-defined]


def positions(network: Network) -> tuple[list[int], list[tuple[int, int]]]:
    """The event ids in the log, and (leaf index, position) of every leaf, in order."""
    events = network.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    with engine_of(network).connect() as connection:
        ids = list(connection.execute(select(events.c.id).order_by(events.c.id)).scalars())
        leaves = connection.execute(
            select(ledger.c.leaf_index, ledger.c.position).order_by(ledger.c.leaf_index)
        ).all()
    return ids, [(int(i), int(p)) for i, p in leaves]


def assert_one_leaf_per_event(network: Network) -> None:
    ids, leaves = positions(network)
    assert [index for index, _ in leaves] == list(range(len(ids)))  # dense, from 0
    assert [position for _, position in leaves] == ids  # every event, in log order


def verified(network: Network, settings: Settings) -> Any:
    store = checkpoints_of(network, settings)
    store.sign()
    return verify_store(network, store, deep=True)


def test_every_recorded_event_has_its_leaf_and_the_log_verifies(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    network = build_network(settings)
    try:
        seed(network)
        assert_one_leaf_per_event(network)
        report = verified(network, settings)
        assert report.ok, report.lines()
        assert report.counts["events"] == network.log_position
    finally:
        network.close()


def test_a_refused_or_lost_write_leaves_no_leaf(network: Network) -> None:
    sam = seller(network)
    deal = network.register_opportunity(sam, {"title": "Deal", "customer.name": "Acme"}).object_id
    before = positions(network)
    with pytest.raises(VersionMismatch):
        network.update_opportunity(sam, deal, {"title": "Stale"}, expected_version=7)
    stale = network.opportunity(sam, deal)
    network.update_opportunity(sam, deal, {"title": "First"}, expected_version=1)
    after_first = positions(network)
    stale.update_details({"title": "Second"}, sam.actor)
    with pytest.raises(Exception, match=r"UNIQUE|duplicate"):
        network.save(stale)  # the store refuses version 2 again: nor event, nor leaf
    assert positions(network) == after_first != before
    assert_one_leaf_per_event(network)


def test_concurrent_writers_keep_the_leaves_dense_and_verifiable(database_url: str) -> None:
    """Writers with their own connection pools (as separate processes have) race."""
    settings = Settings(database_url=database_url)
    first = build_network(settings)
    networks = [first, *(build_network(settings) for _ in range(WRITERS - 1))]
    try:
        sams = [seller_of(n, i) for i, n in enumerate(networks)]

        def write(i: int) -> int:
            network, sam = networks[i], sams[i]
            for c in range(COMMANDS):
                person = Contact(f"P {i}-{c}", f"p{i}{c}@c.example")
                fields = {"title": f"Deal {i}-{c}", "customer.name": f"Customer {i}-{c}",
                          "customer.contacts": [person]}  # fmt: skip
                network.register_opportunity(sam, fields)
            return COMMANDS

        assert race(WRITERS, write) == [COMMANDS] * WRITERS
        assert_one_leaf_per_event(first)
        report = verified(first, settings)
        assert report.ok, report.lines()
    finally:
        for network in networks:
            network.close()


def seller_of(network: Network, i: int) -> Any:
    party = network.register_party(OPERATOR, f"V{i}", f"v{i}.example", PartyKind.ISV).object_id
    _, issued = network.add_user(OPERATOR, party, "Sam", f"sam@v{i}.example", [Role.SALES])
    assert issued is not None
    return network.authenticate(issued.token)


@pytest.fixture
def older_log(sqlite_url: str) -> Iterator[str]:
    """A log written by a store without a ledger (as Cosell before it had one)."""
    plain = Network(
        {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": sqlite_url}
    )
    try:
        sam = seller(plain)
        plain.register_opportunity(sam, {"title": "Old deal", "customer.name": "Old Co"})
    finally:
        plain.close()
    yield sqlite_url


def test_a_log_from_before_the_ledger_is_adopted_once_then_grows_as_usual(older_log: str) -> None:
    settings = Settings(database_url=older_log)
    network = build_network(settings)
    try:
        assert_one_leaf_per_event(network)
        sam = network.authenticate(
            network.add_user(OPERATOR, network.parties()[0].id, "Kim", "k@v.example",
                             [Role.SALES])[1].token  # type: ignore[union-attr]
        )  # fmt: skip
        network.register_opportunity(sam, {"title": "New deal", "customer.name": "New Co"})
        assert_one_leaf_per_event(network)
        assert verified(network, settings).ok
    finally:
        network.close()
    again = build_network(settings)  # a second start adopts nothing more
    try:
        assert_one_leaf_per_event(again)
    finally:
        again.close()


def test_with_a_store_cipher_no_event_is_readable_in_the_database_file(tmp_path: Path) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    url = f"sqlite:///{tmp_path / 'cosell.db'}"
    settings = Settings(database_url=url, store_cipher_key=key)
    network = build_network(settings)
    try:
        seed(network)
        owner = next(p for p in network.parties() if p.name == "Northwind Software")
        with engine_of(network).connect() as connection:
            wrapped = connection.execute(select(subject_keys.c.key)).scalars().all()
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            subjects = [UUID(s) for s in connection.execute(select(subject_keys.c.subject))
                        .scalars()]  # fmt: skip
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cosell"))
        for plain in (b"Contoso Retail", b"Dana Weiss", b'"fields"', b'"timestamp"'):
            assert plain not in raw  # every event's state is ciphertext
        assert wrapped and all(len(w) > 32 for w in wrapped)  # personal-data keys are wrapped
        keys = network.personal_data.store.keys(subjects).values()
        assert keys and not any(k in raw for k in keys)
        assert owner.name == "Northwind Software"  # and everything reads back as usual
        assert verified(network, settings).ok
    finally:
        network.close()
    wrong = Settings(database_url=url, store_cipher_key=base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(Exception, match=r"deserialise|cipher"):
        build_network(wrong).parties()


def test_an_invalid_store_cipher_key_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="16, 24 or 32 bytes"):
        Settings(store_cipher_key="not-a-key")
