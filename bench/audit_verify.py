"""Verification speed of a 100,000-event log (Merkle chain and party signatures), against the
raw SHA-256 and Ed25519-verify rates measured in the same run on the same inputs.

Run: .venv/bin/python bench/audit_verify.py [--events 100000] [--repeat 3]
         [--postgres-url ADMIN_URL]

The log: four companies that require signed commands, and deals co-sold among them, every
command signed by its party (a `SignedCommand` beside its events), written in batches
through the event store's own recorder and ledger; a checkpoint every 10,000 events.
`verify_store` then reads every event back, recomputes its leaf, folds the tree, checks
every checkpoint's root and signature and every party signature. The raw baseline times
exactly the cryptography that check cannot avoid, on the same bytes and signatures, with
nothing around it: one SHA-256 over each stored state (with its seed), one over each leaf,
one per tree node, and one Ed25519 verification per signature. The check runs with its
signature verifications on one thread (its reader thread only fetches the next page of rows),
then on one thread per core, each against the raw work done on as many threads (and the
one-thread raw rate). Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from api.bootstrap import build_network, checkpoints_of, policies_of
from api.settings import Settings
from bench.commands_throughput import postgres_database, postgres_unreachable, sqlite_database
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.audit.bundle import verify_bundle
from ecosystem.audit.canonical import canonical
from ecosystem.audit.checkpoints import b64, public_key_from, raw_public_key, unb64
from ecosystem.audit.domainmodel import SignedCommand
from ecosystem.audit.leaves import Leaf
from ecosystem.audit.requests import sign_request
from ecosystem.audit.signature_checks import default_jobs
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole, SharedOpportunity
from ecosystem.opportunities.fields import Contact, Stage
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.partnerships.domainmodel import partnership_id
from projections.audit.auditor import Auditor
from projections.audit.checkpoints import Checkpoints
from projections.audit.ledger import ledger
from projections.audit.verify_store import SIGNED_TOPIC, verify_store

REPEAT = "runs of each, interleaved; the fastest counts (the machine's noise only adds)"
STAGES = [Stage.QUALIFIED, Stage.TECHNICAL_VALIDATION, Stage.BUSINESS_VALIDATION]


class Company:
    def __init__(self, network: Network, name: str) -> None:
        party = network.register_party(OPERATOR, name, f"{name.lower()}.example", PartyKind.ISV)
        _, issued = network.add_user(OPERATOR, party.object_id, name, f"u@{name}.example",
                                     [Role.ADMIN, Role.SALES, Role.AUDITOR])  # fmt: skip
        assert issued is not None
        self.principal: Principal = network.authenticate(issued.token)
        self.key = Ed25519PrivateKey.generate()
        public = b64(raw_public_key(self.key.public_key()))
        network.register_signing_key(self.principal, self.principal.party_id, public)

    def signed(self, path: str, deal: SharedOpportunity, before: int) -> SignedCommand:
        """The signature of the command that took `deal` from version `before`."""
        actor = self.principal.actor
        _, request = sign_request(self.key, method="POST", path=path, body=b"{}",
                                  party_id=actor.party_id, user_id=actor.user_id)  # fmt: skip
        versions = list(range(before + 1, deal.version + 1))
        return SignedCommand(request.document, b64(request.signature), {deal.id.hex: versions})


def write_log(network: Network, store: Checkpoints, events: int, rng: random.Random) -> int:
    companies = [Company(network, name) for name in ("Vendor", "Integrator", "Reseller", "Cloud")]
    vendor, partners = companies[0], companies[1:]
    for other in partners:
        network.propose_partnership(vendor.principal, other.principal.party_id)
        network.accept_partnership(other.principal, partnership_id(
            vendor.principal.party_id, other.principal.party_id))  # fmt: skip
    for company in companies:
        network.require_signatures(company.principal, company.principal.party_id, True)
    deals: list[tuple[SharedOpportunity, Company]] = []
    batch: dict[UUID, list[Any]] = {}
    next_checkpoint = 10_000
    while (written := network.log_position) < events:
        if not deals or rng.random() < 0.08:
            partner = rng.choice(partners)
            n = len(deals)
            person = Contact(f"Person {n}", f"p{n}@customer.example")
            fields = {"title": f"Deal {n}", "customer.name": f"Customer {n}",
                      "customer.contacts": [person]}  # fmt: skip
            deal = SharedOpportunity.register(vendor.principal.party_id, fields,
                                              vendor.principal.actor)  # fmt: skip
            signed = vendor.signed("/v1/opportunities", deal, 0)
            before = deal.version
            deal.invite(partner.principal.party_id, PartnerRole.CO_SELLER,
                        vendor.principal.actor, partnership_active=True)  # fmt: skip
            invited = vendor.signed(f"/v1/opportunities/{deal.id}/invitations", deal, before)
            before = deal.version
            deal.accept_invitation(partner.principal.actor)
            path = f"/v1/opportunities/{deal.id}/invitations/{partner.principal.party_id}/accept"
            accepted = partner.signed(path, deal, before)
            deals.append((deal, partner))
            batch.setdefault(deal.id, [deal]).extend([signed, invited, accepted])
        else:
            deal, partner = rng.choice(deals)
            before = deal.version
            if rng.random() < 0.5:
                deal.add_note(UUID(int=rng.getrandbits(128)), f"Note {rng.randint(0, 10**6)}",
                              partner.principal.actor)  # fmt: skip
                signed = partner.signed(f"/v1/opportunities/{deal.id}/notes", deal, before)
            else:
                stage = rng.choice([s for s in STAGES if s != deal.stage])
                deal.change_stage(stage, True, vendor.principal.actor)
                signed = vendor.signed(f"/v1/opportunities/{deal.id}/stage", deal, before)
            batch.setdefault(deal.id, [deal]).append(signed)
        if len(batch) >= 100:
            _flush(network, batch)
        if written >= next_checkpoint:
            store.sign()
            next_checkpoint += 10_000
    _flush(network, batch)
    store.sign()
    return network.log_position


def _flush(network: Network, batch: dict[UUID, list[Any]]) -> None:
    """Each deal, then the signatures of its commands: as one command's transaction would."""
    network.save(*(item for items in batch.values() for item in items))
    batch.clear()


class RawWork:
    """The cryptography a verification cannot avoid, on the log's own bytes, to time bare."""

    def __init__(self, network: Network, store: Checkpoints) -> None:
        self.hashed, self.signatures = raw_inputs(network, store)

    def seconds(self, threads: int) -> tuple[float, float]:
        """(SHA-256 seconds, Ed25519 seconds on `threads` threads)."""
        sha = hashlib.sha256
        started = time.perf_counter()
        for data in self.hashed:
            sha(data).digest()
        sha_seconds = time.perf_counter() - started
        return sha_seconds, _verify_all(self.signatures, threads)


def raw_inputs(network: Network, store: Checkpoints) -> tuple[list[bytes], list[Any]]:
    """What is hashed (each state with its seed, each leaf, each node) and each signature."""
    engine: Any = network.factory.datastore.engine  # type: ignore[attr-defined]
    events = network.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    query = select(events.c.id, events.c.originator_id, events.c.originator_version,
                   events.c.topic, events.c.state, ledger.c.seed, ledger.c.content) \
        .join(ledger, ledger.c.position == events.c.id).order_by(events.c.id)  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    states = [b"\x11" + bytes(r.seed) + bytes(r.state) for r in rows]
    leaves = [b"\x00" + Leaf(r.id, UUID(str(r.originator_id)), r.originator_version, r.topic,
                             hashlib.sha256(s).digest(), bytes(r.content)).encoded()
              for r, s in zip(rows, states, strict=True)]  # fmt: skip
    nodes = [b"\x01" + bytes(64)] * (len(rows) - 1)
    keys = _party_keys(network, rows)
    signatures = []
    for r in rows:
        if r.topic == SIGNED_TOPIC:
            state = json.loads(network.recorder.plain(bytes(r.state)))  # type: ignore[attr-defined]
            key = keys[(state["document"]["party_id"], state["document"]["key_id"])]
            signatures.append((key, unb64(state["signature"]), canonical(state["document"])))
    network_key = store.public_key()
    signatures += [(network_key, c.signature, c.statement()) for c in store.all()]
    return states + leaves + nodes, signatures


def _verify_all(signatures: list[Any], threads: int) -> float:
    def verify(part: list[Any]) -> None:
        for key, signature, message in part:
            key.verify(signature, message)

    workers = [threading.Thread(target=verify, args=(signatures[i::threads],))
               for i in range(threads)]  # fmt: skip
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def _party_keys(network: Network, rows: list[Any]) -> dict[tuple[str, str], Any]:
    keys = {}
    for party in network.parties():
        for key in party.signing_keys.values():
            keys[(str(party.id), key.key_id)] = public_key_from(key.public_key)
    return keys


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(url: str, events: int, label: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cosell-bench-key-") as folder:
        settings = Settings(database_url=url, signing_key_file=Path(folder) / "network.pem")
        network = build_network(settings)
        store = checkpoints_of(network, settings)
        try:
            print(f"\n== {label}: writing a signed log of ~{events:,} events …", flush=True)
            seconds, size = timed(lambda: write_log(network, store, events, random.Random(7)))
            print(f"   {size:,} events in {seconds:.1f} s")
            jobs, work = default_jobs(), RawWork(network, store)
            verify_s = parallel_s = sha_s = ed_s = ed_n = float("inf")
            for _ in range(repeat):  # interleaved, so that the machine's noise hits all alike
                seconds, report = timed(lambda: verify_store(network, store, jobs=1))
                assert report.ok, report.lines()
                verify_s = min(verify_s, seconds)
                seconds, parallel = timed(lambda: verify_store(network, store, jobs=jobs))
                assert parallel.ok, parallel.lines()
                parallel_s = min(parallel_s, seconds)
                sha, ed = work.seconds(1)
                sha_s, ed_s = min(sha_s, sha), min(ed_s, ed)
                ed_n = min(ed_n, work.seconds(jobs)[1])
            deep_s, deep = timed(lambda: verify_store(network, store, deep=True, jobs=1))
            assert deep.ok, deep.lines()
            raw, raw_n, signatures = sha_s + ed_s, sha_s + ed_n, len(work.signatures)
            print(f"   verified: {dict(report.counts)}")
            print(f"{'':3}{'':44}{'seconds':>9}{'events/s':>11}")
            _row("verify (chain + signatures), 1 thread", verify_s, size, "   (+ 1 reading ahead)")
            _row("raw SHA-256 + Ed25519, same work, 1 thread", raw, size,
                 f"   (SHA-256 {sha_s:.2f} s, {signatures:,} Ed25519 {ed_s:.2f} s)")  # fmt: skip
            _row(f"verify, signatures on {jobs} threads", parallel_s, size)
            _row(f"raw, Ed25519 on {jobs} threads", raw_n, size)
            _row("verify --deep (+ field commitments), 1 thread", deep_s, size)
            print(f"   ratio verify / raw rate, 1 thread: {raw / verify_s:.2f}   (target >= 0.70)")
            print(f"   ratio verify / raw rate, {jobs} threads: {raw_n / parallel_s:.2f}; "
                  f"against the 1-thread raw rate: {raw / parallel_s:.2f}")  # fmt: skip
            _bundle(network, store)
        finally:
            network.close()


def _row(label: str, seconds: float, size: int, extra: str = "") -> None:
    print(f"{'':3}{label:<44}{seconds:>9.2f}{size / seconds:>11,.0f}{extra}")


def _bundle(network: Network, store: Checkpoints) -> None:
    """An auditor of the integrator exports its bundle; verifying it offline, timed."""
    auditor = next(p for p in network.parties() if p.name == "Integrator")
    principal = Principal(OPERATOR.actor.__class__(auditor.id, UUID(int=1)),
                          frozenset({Role.AUDITOR}))  # fmt: skip
    export_s, bundle = timed(
        lambda: Auditor(network, store, policies_of(network)).bundle(principal)
    )
    text = json.dumps(bundle)
    verify_s, report = timed(lambda: verify_bundle(json.loads(text)))
    assert report.ok, report.lines()
    count = len(bundle["events"])
    print(
        f"   bundle of the integrator: {count:,} events, {len(text) / 1e6:.1f} MB, exported in "
        f"{export_s:.1f} s, verified offline in {verify_s:.2f} s ({count / verify_s:,.0f} "
        "events/s, parsing included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--repeat", type=int, default=3, help=REPEAT)
    args = parser.parse_args()
    with sqlite_database() as url:
        measure(url, args.events, "SQLite", args.repeat)
    if args.postgres_url:
        reason = postgres_unreachable(args.postgres_url)
        if reason:
            print(f"\n== PostgreSQL: skipped ({reason})")
            return
        with postgres_database(args.postgres_url) as url:
            measure(url, args.events, "PostgreSQL", args.repeat)


if __name__ == "__main__":
    main()
