"""A projector takes only batches that continue from its position: none skips an event."""

from __future__ import annotations

import pytest

from api.demo import seed
from ecosystem.network import Network
from projections import OpportunityProjector, ReadModelStore, replayed_digest
from projections.projector import Discontinuous


def test_a_batch_that_skips_a_recorded_event_is_refused_and_writes_nothing(
    network: Network,
) -> None:
    seed(network)
    store = ReadModelStore(network.factory.datastore)  # type: ignore[attr-defined]
    projector = OpportunityProjector(network, store)
    first = network.recorder.select_notifications(1, 10)
    projector.process(first)
    later = network.recorder.select_notifications(first[-1].id + 2, 10)  # one event left out
    before = store.digest()
    with pytest.raises(Discontinuous):
        projector.process(later)
    assert store.digest() == before
    projector.catch_up()
    position, digest, _ = store.digest()
    assert (digest, position) == (replayed_digest(network, position)[0], network.log_position)


def test_a_batch_replayed_after_it_was_written_changes_nothing(network: Network) -> None:
    seed(network)
    store = ReadModelStore(network.factory.datastore)  # type: ignore[attr-defined]
    projector = OpportunityProjector(network, store)
    projector.catch_up()
    done = store.digest()
    result = projector.process(network.recorder.select_notifications(1, 10_000))
    assert result.rows_written == 0
    assert store.digest() == done
