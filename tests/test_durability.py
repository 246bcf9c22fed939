"""Redis that keeps what it must (issue 12, item 4): at start the server asks the Redis it is
given whether it persists, and refuses one that does not unless the operator accepts it.
The rule is in cobrowse/storage/durability.py; here it is checked on real redis-servers and
through a real gunicorn start."""

from __future__ import annotations

import pytest
import redis

from cobrowse.storage import durability
from cobrowse.storage.durability import Persistence
from tests.support.redis_server import RedisServer
from tests.support.servers import Gunicorn

NONE = Persistence(aof=False, rdb=False)
UNKNOWN = Persistence(aof=False, rdb=False, known=False)
REMOTE = "redis://redis.internal.example:6379/0"
LOCAL = "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("found, url, ephemeral, starts", [
    (Persistence(aof=True, rdb=False), REMOTE, False, True),
    (Persistence(aof=False, rdb=True), REMOTE, None, True),
    (NONE, REMOTE, None, False),
    (NONE, REMOTE, True, True),
    (NONE, LOCAL, None, True),
    (NONE, "redis://localhost/0", None, True),
    (NONE, "unix:///run/redis/redis.sock", None, True),
    (NONE, LOCAL, False, False),
    (UNKNOWN, REMOTE, None, True),
])
def test_the_rule(found, url, ephemeral, starts):
    may_start, message = durability.verdict(found, url, ephemeral)
    assert may_start is starts
    assert bool(message) is not found.durable


def test_probe_reads_what_a_real_redis_says(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        assert durability.probe(client) == NONE  # the tests' Redis keeps nothing, on purpose
    finally:
        client.close()
    with RedisServer(appendonly=True) as server:
        client = redis.Redis.from_url(server.url)
        try:
            assert durability.probe(client).aof is True
        finally:
            client.close()


def test_a_managed_redis_that_refuses_config_is_read_from_info():
    with RedisServer(appendonly=True, extra_args=("--rename-command", "CONFIG", "")) as server:
        client = redis.Redis.from_url(server.url)
        try:
            assert durability.probe(client) == Persistence(aof=True, rdb=False, known=True)
        finally:
            client.close()


@pytest.mark.slow
def test_gunicorn_refuses_a_redis_without_persistence_unless_accepted(redis_url):
    refused = Gunicorn(redis_url, demo=False, env={"COBROWSE_REDIS_EPHEMERAL": "0"})
    with pytest.raises(RuntimeError, match="keeps nothing across a restart"):
        refused.start()
    refused.stop()
    # Unset, on this machine: starts, and says what it risks.
    with Gunicorn(redis_url, demo=False, env={"COBROWSE_REDIS_EPHEMERAL": ""}) as server:
        assert "keeps nothing across a restart" in server.log()
