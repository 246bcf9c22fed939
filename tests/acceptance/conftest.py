"""The acceptance suite: the product used as people use it, in two real Chromium contexts
(a visitor and an agent) against real gunicorn with gevent and a real Redis, demo mode.

Every test gets its own agent (one session per agent is a product rule, so a failed test
must not block the next) and fresh browser contexts.
"""

from __future__ import annotations

import uuid

import pytest

from cobrowse.rules.passwords import hash_password
from cobrowse.storage import create_broker
from cobrowse.storage.directory import Agent, BrokerStore, Directory
from tests.support.servers import Gunicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "acceptance-password-1"
VISITOR_VIEWPORT = {"width": 1100, "height": 800}
AGENT_VIEWPORT = {"width": 1280, "height": 720}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def stack(redis_url):
    """gunicorn (gevent worker) in demo mode on Redis. Invitations expire after 10 s here so
    the expiry test is quick; everything else is the default configuration."""
    server = Gunicorn(redis_url, demo=True, env={
        "COBROWSE_INVITE_TTL": "10", "COBROWSE_REAPER_INTERVAL": "1",
        "COBROWSE_POLL_HOLD": "20", "COBROWSE_WEBHOOK_MAX_DELAY": "2"}).start()
    server.redis_url = redis_url
    server.base = f"http://localhost:{server.port}"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_client(stack):
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def directory(stack):
    broker = create_broker(stack.redis_url)
    yield Directory(BrokerStore(broker))
    broker.close()


def display_name(agent_name: str) -> str:
    """The name the visitor sees for ``agent_name`` (the agent fixture's display name)."""
    return "Alice " + agent_name[-4:]


@pytest.fixture
def agent_name(directory):
    """A fresh agent for this test, added through the same store the CLI writes."""
    name = "agent-" + uuid.uuid4().hex[:8]
    directory.put_agent(Agent(name=name, password_hash=hash_password(PASSWORD),
                              display=display_name(name)))
    return name


@pytest.fixture
def agent_display(agent_name):
    """The agent's display name, as the visitor sees it on the agent's pointer."""
    return display_name(agent_name)


@pytest.fixture
def visitor_viewport():
    """The visitor's window size; a test may override it with
    ``@pytest.mark.parametrize("visitor_viewport", [...])``."""
    return VISITOR_VIEWPORT


@pytest.fixture
def visitor_context(browser, visitor_viewport):
    context = browser.new_context(viewport=visitor_viewport)
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def agent_context(browser):
    context = browser.new_context(viewport=AGENT_VIEWPORT)
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def visitor(visitor_context, stack):
    """The visitor's tab on the demo site's home page, the tag loaded."""
    page = visitor_context.new_page()
    page.goto(f"{stack.base}/demo/")
    page.wait_for_function("window.CoBrowse !== undefined")
    return page


@pytest.fixture
def agent(agent_context, stack, agent_name):
    """The agent's workspace, signed in."""
    page = agent_context.new_page()
    page.goto(f"{stack.base}/workspace/")
    page.get_by_test_id("login-username").fill(agent_name)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("chat-input").or_(page.get_by_test_id("conversation")).or_(
        page.get_by_test_id("logout")).first.wait_for()
    return page


@pytest.fixture
def new_visitor(browser, stack):
    """A factory for more visitors, each in its own browser context (own sessionStorage),
    on ``path`` of the demo site with the tag loaded: ``new_visitor(path="/demo/")``."""
    contexts = []

    def make(path: str = "/demo/", viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or VISITOR_VIEWPORT)
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{stack.base}{path}")
        page.wait_for_function("window.CoBrowse !== undefined")
        return page

    yield make
    for context in contexts:
        context.close()
