"""Private by default (issue 14): on a site added with ``--private`` the agent sees the page's
shape and only the ``--unmask`` parts; a secret in every shape a page holds one (text, value,
attribute, title, placeholder, alt, CSS ``content:``, the document title, typed) reaches no
request the visitor sends, no Redis key and not the agent's browser.
"""

from __future__ import annotations

import io
import json

import pytest

from cobrowse import cli
from tests.acceptance import flows
from tests.acceptance.privacy_pages import add_site, private_page, secrets_for_shapes, serve
from tests.acceptance.support_privacy import (
    RequestLog,
    agent_strings,
    marker,
    redis_hits,
    replica_value,
    wait_replica,
)

pytestmark = pytest.mark.slow


def start(visitor, agent) -> None:
    """Chat, take, invite (shared), accept; the session is active."""
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "shared")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")


def test_private_site_shows_shape_and_unmasked_parts_only(stack, directory, visitor_context,
                                                          agent, agent_name, redis_client,
                                                          monkeypatch):
    site = add_site(directory, stack, private=True, unmask=[".public"], mask=[".house-secret"])
    s = secrets_for_shapes()
    public, house = marker("Pub"), marker("SHouse")
    url = f"{stack.base}/demo/private-{site}.html"
    serve(visitor_context, url, private_page(s, public, house).replace("SITE_ID", site))
    log = RequestLog(visitor_context, stack.base)
    visitor = visitor_context.new_page()
    visitor.goto(url)
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info && CoBrowse.info().config)")
    start(visitor, agent)

    # The unmasked part shows as it is; the rest keeps its shape.
    wait_replica(agent, "(d, t) => !!d.getElementById('public-text') && "
                        "d.getElementById('public-text').textContent === t", public)
    visitor.locator("#typed").press_sequentially(s["typed"])
    control = marker("Ctl")
    visitor.locator("#public-input").press_sequentially(control)
    replica_value(agent, "#public-input", control)
    flows.eventually(lambda: visitor.evaluate("CoBrowse.info().pending") == 0,
                     what="the tag's send queue to drain")

    shape = wait_replica(agent, """(d) => {
      const h = d.getElementById('heading'), img = d.getElementById('logo');
      if (!h || !img || !d.getElementById('account')) return null;
      return {heading: h.textContent, box: h.getBoundingClientRect().height,
              img: img.getAttribute('src') || '', account: d.getElementById('account').value,
              house: d.querySelector('.house-secret').textContent};
    }""")
    assert shape["heading"] == "\u2022\u2022\u2022" and shape["box"] >= 40  # the box, masked
    assert shape["img"].endswith("/demo/assets/img/hero.svg")  # images stay
    assert shape["account"] == "\u2022\u2022\u2022"
    assert shape["house"] == "\u2022\u2022\u2022"  # --mask wins over --unmask

    assert not log.failures, log.failures
    assert log.hits(control) and log.hits(public), "the capture of the visitor's requests saw nothing"
    everything = agent_strings(agent)
    assert control in everything and public in everything
    found = {}
    for shape_name, secret in [*s.items(), ("house", house)]:
        found[shape_name] = (log.hits(secret), redis_hits(redis_client, secret),
                             secret in everything)
    assert found == {k: ([], [], False) for k in found}, found

    # The audit trail of the whole session: every step, none of the page's content.
    sid = visitor.evaluate("CoBrowse.info().session.id")
    visitor.get_by_test_id("cobrowse-close").click()
    flows.wait_ended(visitor, agent)
    monkeypatch.setenv("COBROWSE_REDIS_URL", stack.redis_url)
    for args in (["audit", "show", sid, "--json"], ["audit", "show", sid],
                 ["audit", "list", "--since", "1h", "--agent", agent_name]):
        out = io.StringIO()
        assert cli.run(args, stdout=out) == 0
        text = out.getvalue()
        assert sid in text
        for secret in [*s.values(), house, public, control]:
            assert secret not in text, (args, secret)
    record = json.loads(cli_output(["audit", "show", sid, "--json"]))
    assert [st["e"] for st in record["steps"]] == [
        "invited", "invitation", "session.started", "page", "session.ended"]
    assert record["pages"] == [f"/demo/private-{site}.html"] and record["end_reason"] == "visitor"
    audit_keys = [k for k in redis_hits(redis_client, sid) if "audit" in k]
    assert audit_keys, "the trail is in Redis"
    for secret in [*s.values(), house, public, control]:
        assert not [k for k in redis_hits(redis_client, secret) if "audit" in k]


def cli_output(args) -> str:
    out = io.StringIO()
    assert cli.run(args, stdout=out) == 0
    return out.getvalue()

