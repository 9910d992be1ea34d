"""The composition root: settings in, a wired Network (event store, services, policies) out."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError

from api.settings import Settings
from ecosystem.audit.sealing import PersonalData
from ecosystem.network import Network
from policies import PolicyDecisions, PolicyTable
from projections import OpportunityProjector, ProjectionRunner, ReadModels, ReadModelStore
from projections.audit.checkpoints import Checkpoints, NetworkKey
from projections.audit.vault import SubjectKeys


def build_network(settings: Settings) -> Network:
    """The same code on SQLite and PostgreSQL; only the URL differs."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        "PERSISTENCE_MODULE": "projections.audit.ledger:LedgerFactory",  # events + their leaves
        "SQLALCHEMY_URL": settings.database_url,
    }
    if settings.store_cipher_key:  # every stored event encrypted at rest (AES-GCM)
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.store_cipher_key
    for attempt in range(3):
        try:
            network = Network(env)
            break
        except DBAPIError:  # processes starting together on an empty database race to
            if attempt == 2:  # create the event table; the loser finds it on a second look
                raise
    network.personal_data = PersonalData(SubjectKeys(_engine(network), network.mapper.cipher))
    wire_policies(network)
    return network


def _engine(network: Network) -> Any:
    return network.factory.datastore.engine  # type: ignore[attr-defined]


def checkpoints_of(network: Network, settings: Settings) -> Checkpoints:
    """The ledger's signed checkpoints, signed with the network key the settings name."""
    return Checkpoints(_engine(network), NetworkKey(settings.signing_key_path()))


def wire_policies(network: Network) -> PolicyDecisions:
    """The policy decisions over the Casbin table in the event store's own database."""
    decisions = PolicyDecisions(network, PolicyTable(_engine(network)))
    network.write_grants = decisions
    network.read_grants = decisions
    return decisions


def policies_of(network: Network) -> PolicyDecisions:
    """The decisions wired into this network (wiring them if it was built without)."""
    grants = network.write_grants
    return grants if isinstance(grants, PolicyDecisions) else wire_policies(network)


def read_models_of(network: Network, settings: Settings) -> ReadModels:
    """Each company's read models, in the event store's own database."""
    return ReadModels(
        read_model_store(network), settings.read_wait_seconds, network.personal_data.open_texts
    )


def read_model_store(network: Network) -> ReadModelStore:
    return ReadModelStore(network.factory.datastore)  # type: ignore[attr-defined]


def projection_runner(network: Network, settings: Settings) -> ProjectionRunner:
    """A runner that keeps every company's read models current, woken by local writes."""
    runner = ProjectionRunner(
        OpportunityProjector(network, read_model_store(network)), settings.poll_seconds
    )
    network.recorded_listeners.append(runner.wake)
    return runner
