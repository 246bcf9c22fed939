"""Agents and sites: the records the CLI writes and the server reads.

With Redis they live in Redis, so every worker and host sees an agent added while the server
runs. With the embedded broker they live in a JSON file under ``data_dir`` (the CLI and the
single server process share it; the server re-reads it when it changes).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field

from cobrowse.errors import BadRequest
from cobrowse.protocol import origin_of

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Agent:
    name: str
    password_hash: str
    display: str = ""
    #: ``issuer|subject`` of the single sign-on account this agent was created for ("" for a
    #: password agent): a sign-in only ever reaches the agent of its own account.
    sso_subject: str = ""
    #: A supervisor may join any colleague's co-browse session without the owner's agreement
    #: (still with the visitor's), issue 15, item 2.
    supervisor: bool = False


@dataclass
class Site:
    id: str
    origins: list[str]
    mask: list[str] = field(default_factory=list)
    resource_origins: list[str] = field(default_factory=list)
    #: False: the brand drives everything through the tag's JavaScript API (no chat window).
    ui: bool = True
    #: Private by default (issue 14): all text and values masked except ``unmask``.
    private: bool = False
    unmask: list[str] = field(default_factory=list)
    #: Elements the agent may not operate (issue 14).
    no_control: list[str] = field(default_factory=list)
    #: URL path patterns of pages that pause sharing by themselves (issue 14).
    pause: list[str] = field(default_factory=list)
    #: What the resource proxy fetches for the replica: "fonts", "styles", "images" (issue 11).
    proxy: list[str] = field(default_factory=lambda: ["fonts"])


def check_name(name: str, what: str) -> str:
    if not NAME_RE.match(name or ""):
        raise BadRequest(f"{what} must be 1-64 letters, digits, '.', '_' or '-'")
    return name


def check_origin(url: str) -> str:
    """Normalize an origin given as a URL: ``https://shop.example`` (no path)."""
    from cobrowse.protocol import http_url

    http_url(url, "origin")
    return origin_of(url)


def proxy_words(words) -> list[str]:
    """The site's proxy option checked and in order: ``["fonts", "styles"]``; ``[]`` for none."""
    from cobrowse.sanitize.assets import OPTION_WORDS, parse_option

    try:
        kinds = parse_option(words)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    return [word for word, kind in OPTION_WORDS.items() if kind in kinds]


class BrokerStore:
    """Directory records as broker hashes (Redis in production)."""

    def __init__(self, broker):
        self.broker = broker

    def all(self, kind: str) -> dict[str, str]:
        return self.broker.hgetall(f"dir:{kind}")

    def put(self, kind: str, key: str, value: str) -> None:
        self.broker.hset(f"dir:{kind}", {key: value})

    def remove(self, kind: str, key: str) -> None:
        self.broker.hdel(f"dir:{kind}", [key])


class FileStore:
    """Directory records in one JSON file, locked for writers, cached by mtime for readers."""

    def __init__(self, path: str):
        self.path = path
        self._cache: tuple[float, dict] | None = None

    def _read(self) -> dict:
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        with open(self.path, encoding="utf-8") as fh:
            data = json.load(fh)
        self._cache = (mtime, data)
        return data

    def all(self, kind: str) -> dict[str, str]:
        return dict(self._read().get(kind, {}))

    def _update(self, fn) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._cache = None
            data = self._read()
            fn(data)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
            self._cache = None

    def put(self, kind: str, key: str, value: str) -> None:
        self._update(lambda d: d.setdefault(kind, {}).__setitem__(key, value))

    def remove(self, kind: str, key: str) -> None:
        self._update(lambda d: d.setdefault(kind, {}).pop(key, None))


#: Sites are read on every visitor request; a worker keeps them this long (seconds).
SITE_CACHE_SECONDS = 3.0
#: A site the cache does not know is looked up again if the cache is older than this: a site
#: just added (``cobrowse site add``, then the page opened at once) is found at once, and
#: requests naming unknown sites cost at most a read per this many seconds.
SITE_MISS_SECONDS = 0.25


class Directory:
    """Agents and sites over one of the stores above."""

    def __init__(self, store):
        self.store = store
        self._sites: tuple[float, dict[str, Site]] = (0.0, {})

    def _site_map(self, max_age: float = SITE_CACHE_SECONDS) -> dict[str, Site]:
        fetched, sites = self._sites
        if time.monotonic() - fetched > max_age:
            sites = {k: Site(**json.loads(v)) for k, v in self.store.all("sites").items()}
            self._sites = (time.monotonic(), sites)
        return sites

    def agent(self, name: str) -> Agent | None:
        raw = self.store.all("agents").get(name)
        return Agent(**json.loads(raw)) if raw else None

    def agents(self) -> list[Agent]:
        return [Agent(**json.loads(v)) for _, v in sorted(self.store.all("agents").items())]

    def put_agent(self, agent: Agent) -> None:
        check_name(agent.name, "agent name")
        self.store.put("agents", agent.name, json.dumps(asdict(agent)))

    def remove_agent(self, name: str) -> bool:
        found = self.agent(name) is not None
        self.store.remove("agents", name)
        return found

    def site(self, site_id: str) -> Site | None:
        found = self._site_map().get(site_id)
        if found is None:
            found = self._site_map(SITE_MISS_SECONDS).get(site_id)
        return found

    def sites(self) -> list[Site]:
        return [site for _, site in sorted(self._site_map().items())]

    def put_site(self, site: Site) -> None:
        check_name(site.id, "site id")
        if not site.origins:
            raise BadRequest("a site needs at least one origin")
        from cobrowse.sanitize import selector_problem
        from cobrowse.sanitize.scope import split_rule

        if site.unmask and not site.private:
            raise BadRequest("--unmask only means something on a --private site")
        for rule in (*site.mask, *site.unmask, *site.no_control):
            problem = selector_problem(split_rule(rule)[1])
            if problem:
                raise BadRequest(problem)
        for pattern in site.pause:
            if not pattern.startswith("/") or len(pattern.split()) != 1:
                raise BadRequest(f"the pause pattern {pattern!r} must be a URL path glob "
                                 "such as /checkout/*")
        site.origins = [check_origin(o) for o in site.origins]
        site.resource_origins = [check_origin(o) for o in site.resource_origins]
        site.proxy = proxy_words(site.proxy)
        self.store.put("sites", site.id, json.dumps(asdict(site)))
        self._sites = (0.0, {})

    def remove_site(self, site_id: str) -> bool:
        found = self.site(site_id) is not None
        self.store.remove("sites", site_id)
        self._sites = (0.0, {})
        return found
