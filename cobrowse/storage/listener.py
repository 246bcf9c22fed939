"""The one pub/sub connection of a Redis broker, turning wake messages into local wake-ups.

Every worker process keeps exactly one subscription, whatever the number of parked polls
(DESIGN.md, principle 6). Wake messages carry a stream name; the listener wakes the local
waiters of that stream. When the connection dies (Redis restart, failover, a proxy or
``CLIENT KILL`` cutting it, a silent network partition caught by our own pings), it
reconnects with capped, jittered exponential backoff and then wakes *every* local waiter:
messages published while it was away are lost, so each parked poll re-reads its streams.
"""

from __future__ import annotations

import logging
import random

import redis

from cobrowse import concurrency
from cobrowse.storage.waiters import WaiterRegistry

log = logging.getLogger(__name__)

#: Payload of our own liveness pings (redis-py swallows its own health-check pongs, so we
#: send ours to see them come back).
PING_PAYLOAD = "cobrowse-listener-ping"


class WakeListener:
    """Subscribes ``channel`` and dispatches its messages to ``registry``."""

    def __init__(
        self,
        client: redis.Redis,
        channel: str,
        control: str,
        registry: WaiterRegistry,
        *,
        health_interval: float = 5.0,
        backoff: tuple[float, float] = (0.05, 2.0),
    ):
        self._client = client
        self._channel = channel
        self._control = control  # private channel: a message there means "stop now"
        self._registry = registry
        self._health_interval = health_interval
        self._backoff = backoff
        self._stopping = False
        self._thread = None
        self.subscribed = concurrency.Event()  # set while subscribed
        self.first_subscription = concurrency.Event()  # set once, never cleared
        self.reconnects = 0  # subscriptions after the first one
        self.messages = 0

    def start(self) -> None:
        self._thread = concurrency.spawn(self._run, name="cobrowse-wake-listener")

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the loop to end (it notices at once through the control channel) and wait."""
        self._stopping = True
        try:
            self._client.publish(self._control, "stop")
        except redis.RedisError:
            pass  # Redis is gone: the loop is reconnecting and will see _stopping
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = self._backoff[0]
        subscriptions = 0
        while not self._stopping:
            pubsub = self._client.pubsub()
            try:
                pubsub.subscribe(self._channel, self._control)
                self._await_confirmation(pubsub)
                subscriptions += 1
                if subscriptions > 1:
                    self.reconnects += 1
                    log.warning("wake listener resubscribed to %s", self._channel)
                delay = self._backoff[0]
                # Anything published while we were not subscribed is lost: every waiter
                # registered by now re-reads. Waiters held back by ``first_subscription``
                # register after this, so they are not woken for nothing.
                self._registry.wake_all()
                self.subscribed.set()
                self.first_subscription.set()
                self._pump(pubsub)
            except (redis.RedisError, OSError) as exc:
                if not self._stopping:
                    log.warning("wake listener lost Redis (%s); retrying in %.2fs", exc, delay)
            except Exception:
                # A bug here must not leave the worker deaf to wake-ups for good: log it
                # loudly and start over like after a lost connection.
                log.exception("wake listener failed; retrying in %.2fs", delay)
            finally:
                self.subscribed.clear()
                _close_quietly(pubsub)
            if self._stopping:
                break
            concurrency.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._backoff[1])

    def _await_confirmation(self, pubsub) -> None:
        """Block until Redis confirms both subscriptions, so no wake-up is missed after."""
        deadline = concurrency.monotonic() + self._health_interval
        confirmed = 0
        while confirmed < 2:
            left = deadline - concurrency.monotonic()
            if left <= 0:
                raise redis.TimeoutError("no confirmation of SUBSCRIBE")
            message = pubsub.get_message(timeout=left)
            if message and message["type"] == "subscribe":
                confirmed += 1

    def _pump(self, pubsub) -> None:
        """Dispatch messages until stopped; raise on a dead connection."""
        ping_sent = False
        while not self._stopping:
            message = pubsub.get_message(timeout=self._health_interval)
            if message is None:
                if ping_sent:  # a whole interval without even our pong: the link is dead
                    raise redis.ConnectionError("no answer to the listener's PING")
                pubsub.ping(PING_PAYLOAD)
                ping_sent = True
                continue
            ping_sent = False
            if message["type"] != "message":
                continue
            if message["channel"] == self._control:
                return
            self.messages += 1
            self._registry.dispatch(message["data"])


def _close_quietly(pubsub) -> None:
    try:
        pubsub.close()
    except (redis.RedisError, OSError) as exc:  # the socket is already broken
        log.debug("closing a broken pub/sub connection: %s", exc)
