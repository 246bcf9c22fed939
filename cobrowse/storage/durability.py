"""Does the Redis we are given keep what it holds across a restart? (issue 12, item 4)

With Redis configured, agents and sites live in Redis: a Redis without persistence forgets
them all at its next restart, and nobody can sign in until an operator adds everything again.
The server checks once, at start (gunicorn.conf.py), never per broker (the CLI and the tests
build brokers often, and must stay quick).

The rule, documented in README.md ("Redis that keeps what it must"):

- persistence on (AOF, or RDB ``save`` points): start;
- persistence off and ``COBROWSE_REDIS_EPHEMERAL=1``: start, with a warning;
- persistence off and ``COBROWSE_REDIS_EPHEMERAL=0``: refuse to start;
- persistence off, the variable unset, on a Redis on this machine (loopback): start, with a
  warning. Debian's and upstream's default configuration save RDB snapshots, so a local Redis
  without any was made so on purpose (tests, benchmarks, a development box);
- persistence off, the variable unset, on another host (a cache service or a shared Redis
  whose defaults we do not control): refuse to start;
- the Redis will not say (managed services often refuse ``CONFIG``; ``INFO persistence`` shows
  AOF but not RDB save points): start, with a warning, unless it shows AOF on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Persistence:
    """What the Redis said about itself. ``known`` is False when it would not say."""

    aof: bool
    rdb: bool
    known: bool = True

    @property
    def durable(self) -> bool:
        return self.aof or self.rdb


def probe(client) -> Persistence:
    """Ask a redis-py client: ``CONFIG GET``, or ``INFO persistence`` where CONFIG is refused."""
    import redis

    try:
        appendonly = client.config_get("appendonly").get("appendonly", "no")
        save = client.config_get("save").get("save", "")
        return Persistence(aof=str(appendonly).lower() == "yes", rdb=bool(str(save).strip()))
    except redis.ResponseError:
        info = client.info("persistence")
        return Persistence(aof=bool(int(info.get("aof_enabled", 0))), rdb=False,
                           known=bool(int(info.get("aof_enabled", 0))))


def on_loopback(url: str) -> bool:
    """True when the Redis URL names this machine (or a Unix socket)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return True
    host = parts.hostname or "localhost"
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def verdict(found: Persistence, url: str, ephemeral: bool | None) -> tuple[bool, str]:
    """(may start, what to tell the operator: "" when all is well)."""
    if found.durable:
        return True, ""
    if not found.known:
        return True, ("cannot tell whether this Redis saves its data (CONFIG is refused): "
                      "make sure it does, or sites and agents are lost at its next restart")
    lost = ("this Redis keeps nothing across a restart (no AOF, no RDB save points): sites, "
            "agents and running sessions are lost when it restarts")
    if ephemeral:
        return True, lost + " (accepted: COBROWSE_REDIS_EPHEMERAL=1)"
    if ephemeral is None and on_loopback(url):
        return True, lost + " (accepted for a Redis on this machine; see README)"
    return False, (lost + ". Turn persistence on (appendonly yes), or set "
                   "COBROWSE_REDIS_EPHEMERAL=1 if you accept losing them.")


def check(url: str, ephemeral: bool | None) -> tuple[bool, str]:
    """Connect once, probe, decide. An unreachable Redis is not refused here: the server
    starts and answers 503 until Redis is back, as during any outage."""
    import redis

    from cobrowse.storage.cluster import is_cluster_url, node_url

    # On a cluster: the node named (each node has its own settings; operators set them alike).
    plain = node_url(url) if is_cluster_url(url) else url
    client = redis.Redis.from_url(plain, socket_connect_timeout=3, socket_timeout=3)
    try:
        found = probe(client)
    except redis.RedisError as err:
        return True, f"could not check Redis persistence now ({err}); starting anyway"
    finally:
        client.close()
    return verdict(found, url, ephemeral)
