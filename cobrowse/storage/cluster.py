"""The Redis broker on a Redis Cluster (issue 12, item 5): ``COBROWSE_REDIS_URL=
redis+cluster://host:port`` (any node of the cluster; redis-py's ``RedisCluster`` finds the
others and follows slot moves and failovers).

Everything else is the Redis broker as it is (cobrowse/storage/redis.py): every multi-key
script and transaction names keys of one hash tag (cobrowse/storage/keys.py), so each runs
on one node; plain pipelines are split by node. Wake-ups stay classic pub/sub: a PUBLISH on
any node is broadcast over the cluster bus, so the listener subscribes on one node and
hears every script's wake-up. The hot path's batched round trips run one command at a time
here (each to its keys' node): a few more round trips per send and poll than on one Redis.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script

from cobrowse.storage.redis import POOL_DEFAULTS, RedisBroker

SCHEME = "redis+cluster"

#: Pool options a cluster node's (non-blocking) pool does not take.
_BLOCKING_ONLY = frozenset({"timeout"})


def is_cluster_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme == SCHEME


def node_url(url: str) -> str:
    """``redis+cluster://h:p/...`` -> ``redis://h:p/0``: one node, as a plain client sees it
    (a cluster has database 0 only)."""
    parts = urlsplit(url)
    return urlunsplit(("redis", parts.netloc, "/0", parts.query, ""))


def has_tag(key: str) -> bool:
    """Redis Cluster's rule: the text between the first ``{`` and the next ``}``, if any."""
    start = key.find("{")
    return start >= 0 and key.find("}", start + 2) > start + 1


class ClusterBroker(RedisBroker):
    """``RedisBroker`` whose commands go through ``RedisCluster``."""

    backend = "redis-cluster"

    def __init__(self, url: str, **options):
        pool_options = {k: v for k, v in options.items()
                        if k not in ("prefix", "ready_timeout", "health_interval")}
        # The parent builds its pub/sub client on one node (what wake-ups need) and its
        # scripts; its command client is replaced below before it ever connects.
        super().__init__(node_url(url), **options)
        settings = {**POOL_DEFAULTS, **pool_options}
        cluster_options = {k: v for k, v in settings.items() if k not in _BLOCKING_ONLY}
        plain = self._redis
        self._redis = RedisCluster.from_url(node_url(url), decode_responses=True,
                                            **cluster_options)
        plain.connection_pool.disconnect()
        if self._lean is not None:  # the lean client speaks to one node: the cluster client routes
            self._lean.close()
            self._lean = None
        for name, value in list(vars(self).items()):
            if isinstance(value, Script):
                setattr(self, name, self._redis.register_script(value.script))

    def _k(self, key: str) -> str:
        # A key without a hash tag gets itself as its tag, so the keys derived from it (the
        # stream's id counter, its dedupe record) land in its slot and its scripts can run.
        return self.prefix + (key if has_tag(key) else f"{{{key}}}")

    def _round_trip(self, commands: list[tuple]) -> list:
        """The hot path's batched commands, one at a time: each goes to the node of its own
        keys (a plain pipeline or the lean client would send them all to one node). Replies
        and errors come back in order, as from a pipeline."""
        out = []
        for command in commands:
            try:
                out.append(self._redis.execute_command(*command))
            except redis.exceptions.NoScriptError as err:
                # As the lean client reports it (the parent reloads scripts on "NOSCRIPT").
                out.append(redis.ResponseError(f"NOSCRIPT {err}"))
            except redis.exceptions.ResponseError as err:
                out.append(err)
        return out

    def delete(self, *keys):
        # redis-py's cluster pipeline takes DEL with one key only: one DEL per key, still
        # one pipeline (one round trip per node).
        if not keys:
            return
        with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                for name in self._group(key):
                    pipe.delete(name)
            pipe.execute()

    def close(self):
        """Wake every waiter, stop the listener, disconnect from every node."""
        self._waiters.close()
        if self._listener is not None:
            self._listener.stop()
        self._redis.close()
        self._sub_redis.connection_pool.disconnect()

    def ping(self):
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def stats(self):
        listener = self._listener
        subscribed = listener is not None and listener.subscribed.is_set()
        return {
            "backend": self.backend,
            "nodes": len(self._redis.get_nodes()),
            # Open command connections, over every node's pool, plus the subscription.
            "connections": sum(len(getattr(node.redis_connection.connection_pool,
                                           "_available_connections", ()))
                               + len(getattr(node.redis_connection.connection_pool,
                                             "_in_use_connections", ()))
                               for node in self._redis.get_nodes() if node.redis_connection)
            + int(subscribed),
            "pubsub_connections": int(subscribed),
            "waiters": len(self._waiters),
            "reconnects": listener.reconnects if listener else 0,
            "wake_messages": listener.messages if listener else 0,
        }
