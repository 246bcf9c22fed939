"""Shared fixtures. Keep one section per concern; add new fixtures below the broker ones."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# The checkout is importable without installing it (pytest started from anywhere).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cobrowse.storage import create_broker  # noqa: E402
from tests.support.redis_server import RedisServer, RedisServerError  # noqa: E402

# --- broker ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    """URL of a redis-server started for this test session (never a Redis already running)."""
    try:
        server = RedisServer().start()
    except RedisServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster():
    """A 3-master Redis Cluster started for this test session, on loopback."""
    from tests.support.redis_cluster import RedisCluster

    try:
        cluster = RedisCluster().start()
    except RedisServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster):
    """URL of that cluster."""
    return redis_cluster.url


@pytest.fixture(params=["memory", "redis", pytest.param("cluster", marks=pytest.mark.slow)])
def broker(request):
    """A fresh broker of each backend (a Redis Cluster too). Redis ones get a unique key prefix
    per test, so tests never see each other's keys and no FLUSHDB is needed."""
    if request.param == "memory":
        url = None
    elif request.param == "cluster":
        url = request.getfixturevalue("redis_cluster_url")
    else:
        url = request.getfixturevalue("redis_url")
    instance = create_broker(url, prefix=f"t{uuid.uuid4().hex[:10]}:")
    yield instance
    instance.close()


# --- the app in-process (Flask test client) -------------------------------------------------

AGENT_PASSWORD = "correct horse battery"


def configure(core, origin="http://shop.example", mask=("#card",)):
    """A site "shop" and agents alice and bob, written through the same directory the CLI uses."""
    from cobrowse.rules.passwords import hash_password
    from cobrowse.storage.directory import Agent, Site

    core.directory.put_site(Site(id="shop", origins=[origin], mask=list(mask)))
    for name in ("alice", "bob"):
        core.directory.put_agent(Agent(name=name, password_hash=hash_password(AGENT_PASSWORD),
                                       display=name.title()))


@pytest.fixture
def app(tmp_path):
    from cobrowse import create_app

    application = create_app({"demo": True, "data_dir": str(tmp_path), "poll_hold": 2.0,
                              "reaper_interval": 3600, "webhook_interval": 3600})
    configure(application.extensions["cobrowse"])
    yield application
    application.extensions["cobrowse"].drain()


@pytest.fixture
def core(app):
    return app.extensions["cobrowse"]


@pytest.fixture
def transport(app):
    from tests.support.actors import flask_transport

    return flask_transport(app.test_client())


@pytest.fixture
def visitor(transport):
    """A visitor of the demo site, through the in-process API (acceptance tests have their
    own: a page in Chromium)."""
    from tests.support.actors import Visitor

    v = Visitor(transport)
    v.hello()
    return v


@pytest.fixture
def agent(transport):
    """The demo agent alice, signed in through the in-process API."""
    from tests.support.actors import Agent

    a = Agent(transport)
    a.login("alice", AGENT_PASSWORD)
    return a


# --- one real Chromium for every browser test -------------------------------------------------
# Playwright's sync API allows one running instance per thread: every browser test shares this.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium", pytrace=False)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    from playwright.sync_api import expect

    # Playwright's 5 s default for expect() is tight on a loaded 2-core CI machine (a Python
    # docs page with web fonts and frames, the tag loading async): 10 s, the same everywhere.
    expect.set_options(timeout=10_000)
    instance = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


# --- the tag against a fake server (tests/test_tag_fake*.py) ------------------------------------


@pytest.fixture
def fake():
    """A fake co-browse server that records what the tag sends."""
    from tests.support.tag_fake import FakeServer

    server = FakeServer()
    yield server
    server.close()


@pytest.fixture
def page(browser, fake):
    """A page in a fresh context, collecting uncaught page errors in ``page.errors``."""
    context = browser.new_context()
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()
