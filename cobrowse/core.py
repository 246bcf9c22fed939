"""The server's parts, wired together once per process (no Flask here)."""

from __future__ import annotations

import os

from cobrowse import config as config_mod
from cobrowse import metrics
from cobrowse.rules.agent_links import AgentLinks
from cobrowse.rules.auth import AgentAuth
from cobrowse.rules.codes import SupportCodes
from cobrowse.rules.conversations import Conversations
from cobrowse.rules.integrations import Integrations
from cobrowse.rules.participants import Participants
from cobrowse.rules.platform import Platform
from cobrowse.rules.reaper import Reaper
from cobrowse.rules.relay import Relay
from cobrowse.rules.sessions import Lifecycle
from cobrowse.rules.views import agent_or_visitor_state
from cobrowse.rules.visitor_refs import VisitorRefs
from cobrowse.rules.visitors import Visitors
from cobrowse.rules.watchers import Watchers
from cobrowse.rules.webhooks import Webhooks
from cobrowse.storage import create_broker
from cobrowse.storage.directory import BrokerStore, Directory, FileStore
from cobrowse.transport.context import Contexts
from cobrowse.transport.parts import Parts
from cobrowse.transport.polling import Poller
from cobrowse.transport.sending import Sender


def make_directory(config, broker) -> Directory:
    """Agents and sites: in Redis when Redis is configured, else in a file under data_dir."""
    if config.redis_url:
        return Directory(BrokerStore(broker))
    return Directory(FileStore(os.path.join(config.data_dir, "directory.json")))


def pool_options(config) -> dict:
    """Redis pool sized from ``worker_connections`` (issue 12, item 3): a parked poll holds no
    connection, but every send and every poll's reads take one briefly; one per 200 open
    connections, between 16 and 64. A burst waits for a free one (the pool's ``timeout``,
    cobrowse/storage/redis.py: a busy worker holds connections longer, so that wait must
    outlast a burst; a 2 s wait turned a 2,000-poll burst into 503s). Options in the Redis
    URL's query string (``?max_connections=``) still win."""
    if not config.redis_url:
        return {}
    return {"max_connections": max(16, min(64, config.worker_connections // 200))}


class Core:
    """Everything a request needs: broker, directory and the domain services."""

    def __init__(self, config=None, broker=None):
        self.config = config or config_mod.load().validate()
        self.broker = broker or create_broker(self.config.redis_url or None,
                                              **pool_options(self.config))
        if hasattr(self.broker, "observe_round_trip"):
            self.broker.observe_round_trip = metrics.REDIS_SECONDS.observe
        self.directory = make_directory(self.config, self.broker)
        self.participants = Participants(self.broker, self.config)
        self.conversations = Conversations(self.broker, self.config, self.participants)
        self.lifecycle = Lifecycle(self.broker, self.config, self.conversations)
        self.relay = Relay(self.broker, self.config, self.directory, self.lifecycle)
        self.watchers = Watchers(self.broker, self.config, self.conversations, self.lifecycle,
                                 self.directory)
        self.contexts = Contexts(self)
        self.sender = Sender(self)
        self.parts = Parts(self)
        self.poller = Poller(self)
        self.auth = AgentAuth(self)
        self.visitors = Visitors(self)
        self.reaper = Reaper(self)
        # The integration surface (issue 13): codes, visitor references, platform API, webhooks.
        self.integrations = Integrations(self.directory.store)
        self.codes = SupportCodes(self)
        self.visitor_refs = VisitorRefs(self)
        self.agent_links = AgentLinks(self)
        self.platform = Platform(self)
        self.webhooks = Webhooks(self)
        self.lifecycle.observers += [self.platform.observe, self.webhooks.observe]

    def state(self, who: dict):
        return agent_or_visitor_state(self, who)

    def start_draining(self) -> None:
        """Answer every parked poll now (shutdown or reload): clients move to another worker.

        The broker stays open: until the worker really stops it still answers the requests
        of open keep-alive connections (each told ``Connection: close``). ``drain`` comes
        after, when the worker exits (gunicorn.conf.py ``worker_exit``). No I/O: safe to
        run right after a signal (issue 10, item 7).
        """
        self.poller.draining.set()
        self.reaper.stop()
        self.webhooks.stop()
        self.broker.wake_all()

    def drain(self) -> None:
        """Answer every parked poll and release the broker (its listener and connections)."""
        self.start_draining()
        self.broker.close()
