"""Prometheus metrics (issue 12, item 6): what an operator needs to see, nothing a visitor typed.

Labels are closed sets only (event kinds from cobrowse/protocol.py, refusal codes the server
itself defines, a direction, an error reason): never a URL, a name, an id or page content.

Under gunicorn every worker is its own process: ``gunicorn.conf.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a directory (a fresh temporary one unless the operator gives
one) before any worker imports this module, and ``/metrics`` merges all workers' files.
Without that variable (tests in one process, the CLI) the metrics live in this process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from cobrowse.protocol import AGENT_KINDS, VISITOR_KINDS

KNOWN_KINDS = frozenset(VISITOR_KINDS) | frozenset(AGENT_KINDS)

POLLS_OPEN = Gauge("cobrowse_polls_parked", "Long polls held open by the server now",
                   multiprocess_mode="livesum")
POLLS_ANSWERED = Counter("cobrowse_polls_answered", "Polls answered (events or empty)")
SENDS = Counter("cobrowse_sends_events", "Events in accepted sends, by kind", ["kind"])
REFUSALS = Counter("cobrowse_refusals", "Refused requests, by refusal code", ["code"])
RELAYED = Counter("cobrowse_events_relayed", "Session events relayed to the other side",
                  ["direction"])
SANITIZE_SECONDS = Histogram("cobrowse_sanitize_seconds", "Server-side sanitizing time",
                             ["kind"], buckets=(.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
SNAPSHOT_BYTES = Histogram("cobrowse_snapshot_bytes", "Size of sends carrying a snapshot, "
                           "as received", buckets=(1e3, 1e4, 1e5, 5e5, 1e6, 2e6, 4e6, 8e6, 16e6))
REDIS_ERRORS = Counter("cobrowse_redis_errors", "Requests failed by Redis, by reason", ["reason"])
REDIS_SECONDS = Histogram("cobrowse_redis_round_trip_seconds",
                          "Time of each Redis round trip of the hot path (send, poll, wake-up "
                          "reads), scripts and pipelined reads included",
                          buckets=(.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1))


def kind_label(kind: object) -> str:
    """A kind as a label: only the protocol's own kinds, anything else is ``other``."""
    return kind if isinstance(kind, str) and kind in KNOWN_KINDS else "other"


def count_send(events: object) -> None:
    """Count the events of an accepted send by kind."""
    if isinstance(events, list):
        for event in events:
            SENDS.labels(kind_label(event.get("k") if isinstance(event, dict) else None)).inc()


def redis_error_reason(message: str) -> str:
    """Pool exhaustion is its own reason: it says "add connections", not "Redis is down"."""
    return "pool_exhausted" if "No connection available" in message else "unavailable"


class StateCollector:
    """Gauges read from the broker at scrape time: the same in every worker, so they are
    not per-process values to sum."""

    def __init__(self, broker):
        self.broker = broker

    def collect(self):
        from cobrowse.storage import keys

        for name, key, doc in (("cobrowse_sessions_active", keys.ACTIVE_SESSIONS,
                                "Co-browse sessions running now"),
                               ("cobrowse_invitations_open", keys.OPEN_INVITATIONS,
                                "Invitations waiting for the visitor's answer")):
            family = GaugeMetricFamily(name, doc)
            try:
                family.add_metric([], len(self.broker.smembers(key)))
            except Exception:  # noqa: BLE001 - a scrape during an outage still shows the rest
                REDIS_ERRORS.labels("unavailable").inc()
                continue
            yield family


def exposition(broker) -> tuple[bytes, str]:
    """The text format of every worker's metrics plus the broker's state gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
    else:
        workers = REGISTRY  # one process: its own metrics
    state = CollectorRegistry()
    state.register(StateCollector(broker))
    return generate_latest(workers) + generate_latest(state), CONTENT_TYPE_LATEST
