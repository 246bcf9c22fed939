"""The server's parts, wired together once per process (no Flask here)."""

from __future__ import annotations

import os

from cobrowse import config as config_mod
from cobrowse.rules.auth import AgentAuth
from cobrowse.rules.conversations import Conversations
from cobrowse.rules.participants import Participants
from cobrowse.rules.reaper import Reaper
from cobrowse.rules.relay import Relay
from cobrowse.rules.sessions import Lifecycle
from cobrowse.rules.views import agent_or_visitor_state
from cobrowse.rules.visitors import Visitors
from cobrowse.storage import create_broker
from cobrowse.storage.directory import BrokerStore, Directory, FileStore
from cobrowse.transport.context import Contexts
from cobrowse.transport.polling import Poller
from cobrowse.transport.sending import Sender


def make_directory(config, broker) -> Directory:
    """Agents and sites: in Redis when Redis is configured, else in a file under data_dir."""
    if config.redis_url:
        return Directory(BrokerStore(broker))
    return Directory(FileStore(os.path.join(config.data_dir, "directory.json")))


class Core:
    """Everything a request needs: broker, directory and the domain services."""

    def __init__(self, config=None, broker=None):
        self.config = config or config_mod.load().validate()
        self.broker = broker or create_broker(self.config.redis_url or None)
        self.directory = make_directory(self.config, self.broker)
        self.participants = Participants(self.broker, self.config)
        self.conversations = Conversations(self.broker, self.config, self.participants)
        self.lifecycle = Lifecycle(self.broker, self.config, self.conversations)
        self.relay = Relay(self.broker, self.config, self.directory, self.lifecycle)
        self.contexts = Contexts(self)
        self.sender = Sender(self)
        self.poller = Poller(self)
        self.auth = AgentAuth(self)
        self.visitors = Visitors(self)
        self.reaper = Reaper(self)

    def state(self, who: dict):
        return agent_or_visitor_state(self, who)

    def drain(self) -> None:
        """Answer every parked poll now (shutdown or reload): clients move to another worker."""
        self.poller.draining.set()
        self.reaper.stop()
        self.broker.close()
