"""Integrations (issue 13): a messaging platform's server, known by its API key.

``cobrowse integration add NAME [--webhook URL]`` makes one and prints its API key and
webhook secret once. Only the SHA-256 of the key is stored (a key is 192 random bits, so a
plain hash is enough: there is nothing to brute-force). The webhook secret must be stored
as is, because the server signs with it. Integrations live beside agents and sites, in the
directory's store (Redis, or the data file of the embedded broker).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass

from cobrowse.errors import BadRequest
from cobrowse.rules.participants import digest
from cobrowse.storage.directory import check_name

#: Integrations are read on every API call; a worker keeps them this long (seconds).
CACHE_SECONDS = 3.0


@dataclass
class Integration:
    name: str
    key_hash: str
    webhook: str = ""
    secret: str = ""
    created: float = 0.0


def check_webhook(url: str) -> str:
    """A webhook URL must be plain http(s) with a host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("the webhook must be an http:// or https:// URL")
    return url


class Integrations:
    """Add, list, remove and authenticate integrations."""

    def __init__(self, store):
        self.store = store
        self._cache: tuple[float, dict[str, Integration]] = (0.0, {})

    def _by_hash(self) -> dict[str, Integration]:
        fetched, found = self._cache
        if time.monotonic() - fetched > CACHE_SECONDS:
            found = {}
            for raw in self.store.all("integrations").values():
                item = Integration(**json.loads(raw))
                found[item.key_hash] = item
            self._cache = (time.monotonic(), found)
        return found

    def add(self, name: str, webhook: str = "") -> tuple[Integration, str]:
        """A new integration (or new credentials for one): returns it and its API key."""
        check_name(name, "integration name")
        key = "cbk_" + secrets.token_urlsafe(24)
        item = Integration(name=name, key_hash=digest(key),
                           webhook=check_webhook(webhook) if webhook else "",
                           secret="whsec_" + secrets.token_urlsafe(24), created=time.time())
        self.store.put("integrations", name, json.dumps(asdict(item)))
        self._cache = (0.0, {})
        return item, key

    def get(self, name: str) -> Integration | None:
        raw = self.store.all("integrations").get(name)
        return Integration(**json.loads(raw)) if raw else None

    def all(self) -> list[Integration]:
        return [Integration(**json.loads(v)) for _, v in sorted(self.store.all("integrations").items())]

    def remove(self, name: str) -> bool:
        found = self.get(name) is not None
        self.store.remove("integrations", name)
        self._cache = (0.0, {})
        return found

    def by_key(self, key: object) -> Integration | None:
        """The integration whose API key this is, or None."""
        if not isinstance(key, str) or not 10 < len(key) < 200:
            return None
        return self._by_hash().get(digest(key))
