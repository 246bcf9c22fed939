"""Per-participant inboxes and every other piece of shared state, behind one contract.

``create_broker(None)`` gives the embedded in-process broker (one worker only);
``create_broker("redis://...")`` the Redis broker (any number of workers and hosts);
``create_broker("redis+cluster://host:port")`` the same on a Redis Cluster.
See base.py for the contract, tests/test_broker_contract.py for the tests both pass.
"""

from __future__ import annotations

from cobrowse.storage.base import Broker, BrokerError, BrokerUnavailable
from cobrowse.storage.memory import MemoryBroker
from cobrowse.storage.waiters import Waiter

__all__ = ["Broker", "BrokerError", "BrokerUnavailable", "MemoryBroker", "Waiter", "create_broker"]


def create_broker(redis_url: str | None, *, prefix: str = "cobrowse:", **options) -> Broker:
    """The broker for ``redis_url`` (None or "" -> in-process). ``options`` go to the backend
    (for Redis: pool options such as ``max_connections``, ``health_interval``)."""
    if not redis_url:
        return MemoryBroker(prefix=prefix)
    # Imported here so the embedded default does not need the redis package loaded.
    if redis_url.startswith("redis+cluster://"):
        from cobrowse.storage.cluster import ClusterBroker

        return ClusterBroker(redis_url, prefix=prefix, **options)
    from cobrowse.storage.redis import RedisBroker

    return RedisBroker(redis_url, prefix=prefix, **options)
