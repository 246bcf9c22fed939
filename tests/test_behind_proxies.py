"""Behind real proxies (issue 12, items 2 and 8): Debian's nginx with the site of
docs/deploy/nginx-site.conf (its default ``proxy_pass``, so ``Host`` is the upstream's name,
plus the documented forwarded headers), and haproxy round-robin over two gunicorns with
docs/deploy/haproxy.cfg. Both configuration files are the ones operators install.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import redis

from tests.conftest import AGENT_PASSWORD
from tests.support.actors import Agent, Visitor, http_transport
from tests.support.proxies import DEPLOY, Haproxy, Nginx
from tests.support.redis_server import RedisServer
from tests.support.servers import Gunicorn, cli
from tests.test_api import SNAPSHOT, start_session

pytestmark = pytest.mark.slow
ORIGIN = "http://shop.example"
PREFIX = "cobrowse:"


@pytest.fixture(scope="module")
def stack():
    """gunicorn a (behind nginx, COBROWSE_PUBLIC_URL = nginx's origin) and b, both trusting
    one proxy hop; nginx in front of a; haproxy in front of a and b. Their own Redis: the
    sign-in failures these tests cause must not slow or lock other tests' agents."""
    proxied = {"COBROWSE_TRUSTED_PROXIES": "1", "COBROWSE_ACCESS_LOG": "-",
               "COBROWSE_LOGIN_SLOWDOWN_MAX": "0.3"}
    with contextlib.ExitStack() as cleanup:
        redis_url = cleanup.enter_context(RedisServer()).url
        b = Gunicorn(redis_url, demo=False, env=proxied)
        cleanup.callback(b.stop)
        b.start()
        nginx = Nginx(upstream_port=0)
        a = Gunicorn(redis_url, demo=False, env={**proxied, "COBROWSE_DATA_DIR": b.dir,
                                                 "COBROWSE_PUBLIC_URL": nginx.url})
        cleanup.callback(a.stop)
        a.start()
        nginx.upstream_port = a.port
        cleanup.callback(nginx.stop)
        nginx.start()
        haproxy = Haproxy([a.port, b.port])
        cleanup.callback(haproxy.stop)
        haproxy.start()
        assert cli(["site", "add", "shop", "--origin", ORIGIN], a.env).returncode == 0
        for name in ("alice", "bob", "carol"):
            added = cli(["agent", "add", name, "--password-stdin"], a.env,
                        stdin=AGENT_PASSWORD + "\n")
            assert added.returncode == 0, added.stderr
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        cleanup.callback(client.close)
        yield {"a": a, "b": b, "nginx": nginx, "haproxy": haproxy, "redis": client}


def _directives(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [" ".join(line.split()) for line in lines if line]


@pytest.mark.parametrize("name, fence", [("nginx-site.conf", "nginx"), ("haproxy.cfg", "haproxy")])
def test_the_configs_shown_in_docs_deploy_are_the_files_the_tests_run(name, fence):
    doc = (DEPLOY.parent / "deploy.md").read_text()
    block = re.search(rf"```{fence}\n(.*?)```", doc, re.S)
    assert block, f"docs/deploy.md has no {fence} block"
    # nginx's "location = /metrics { return 404; }" is one line in the doc, three in the file.
    flat = lambda text: " ".join(_directives(text)).replace("{ ", "{").replace(" }", "}")  # noqa: E731
    assert flat(block.group(1)) == flat((DEPLOY / name).read_text())


def test_sign_in_through_nginx_checks_the_public_origin(stack):
    url = stack["nginx"].url
    agent = Agent(http_transport(url), origin=url)
    assert agent.login("carol", AGENT_PASSWORD)["agent"]["name"] == "carol"
    assert isinstance(agent.conversations(), list)  # its token works through nginx too
    other = Agent(http_transport(url), origin="http://evil.example")
    assert other.login("carol", AGENT_PASSWORD, expect=403)["error"] == "csrf"


def test_failures_on_other_names_do_not_lock_out_a_real_agent(stack):
    url = stack["nginx"].url
    attacker = Agent(http_transport(url), origin=url)
    # The attacker's own X-Forwarded-For is not believed: only the hop nginx adds is.
    attacker.headers = lambda: {"Origin": url, "X-Forwarded-For": "203.0.113.9"}
    for n in range(6):
        assert attacker.login(f"intruder{n}", "wrong", expect=401)["error"] == "signin_wrong"
    assert Agent(http_transport(url), origin=url).login("alice", AGENT_PASSWORD)["agent"]["name"] == "alice"
    # The name that failed five times is locked, even with the right password.
    for _ in range(5):
        attacker.login("bob", "wrong", expect=401)
    assert Agent(http_transport(url), origin=url).login("bob", AGENT_PASSWORD, expect=429)["retry_after"] > 0
    counted = set(stack["redis"].scan_iter(f"{PREFIX}login:fail:a:*"))
    assert counted == {f"{PREFIX}login:fail:a:127.0.0.1"}


def test_a_session_through_haproxy_round_robin_over_two_servers(stack):
    url = stack["haproxy"].url
    visitor = Visitor(http_transport(url), origin=ORIGIN)
    visitor.hello()
    agent = Agent(http_transport(url))
    agent.login("alice", AGENT_PASSWORD)
    _, sid = start_session(visitor, agent, "view")
    visitor.send(SNAPSHOT)
    got = []
    for _ in range(10):
        got += agent.poll(hold=5)
        if got:
            break
    assert [e["k"] for e in got] == ["snapshot"]
    for n in range(6):
        agent.send({"k": "highlight", "i": 5, "x": n / 10, "y": 0.5})
    seen = []
    for _ in range(20):
        seen += [e for e in visitor.poll(hold=5) if e["k"] == "highlight"]
        if len(seen) == 6:
            break
    assert [e["x"] for e in seen] == [n / 10 for n in range(6)]
    agent.send({"k": "session.end"})
    assert visitor.wait_for("session.ended")["reason"] == "agent"
    # Round-robin, no stickiness: both servers answered this session's API calls.
    for server in (stack["a"], stack["b"]):
        assert re.search(r'"POST /api/v1/(send|poll)', server.log()), server.log()[-2000:]
