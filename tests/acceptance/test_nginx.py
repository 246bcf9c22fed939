"""Behind real nginx with its default body limit (client_max_body_size 1 MB): a page whose
snapshot is 1.5 MB gzipped reaches the agent (the tag sends it in parts under its 256 KB cap),
nginx never has to refuse a body, and the visitor's later events still get through."""

from __future__ import annotations

import gzip
import random

import pytest
from playwright.sync_api import expect

from cobrowse.storage.directory import Site
from tests.acceptance import flows
from tests.support.nginx import Nginx

pytestmark = pytest.mark.slow


def big_page(script_src: str, site: str, gzipped: int = 1_500_000) -> str:
    """A page of hard-to-compress text whose snapshot is about ``gzipped`` bytes gzipped."""
    rnd = random.Random(9)
    paragraphs, size = [], 0
    while size < gzipped * 1.7:
        words = " ".join("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                         for _ in range(120))
        paragraphs.append(f"<p>{words}</p>")
        size += len(words)
    body = "\n".join(paragraphs)
    assert len(gzip.compress(body.encode())) > gzipped
    return (f'<!doctype html><html><head><title>big</title></head><body data-page="big">'
            f'<h1 id="counter">0</h1>{body}<p id="last">the very end</p>'
            f'<script src="{script_src}" data-site="{site}" async></script></body></html>')


@pytest.fixture
def nginx(stack, directory):
    """nginx in front of the shared server, and a site whose page is on nginx's origin."""
    proxy = Nginx(stack.port).start()
    proxy.site = f"nginx{proxy.port}"
    directory.put_site(Site(id=proxy.site, origins=[proxy.url]))
    yield proxy
    proxy.stop()


def test_a_big_page_through_nginx_defaults(nginx, visitor_context, agent):
    html = big_page(f"{nginx.url}/tag/cobrowse.js", nginx.site)
    # The page itself comes from the test; the tag and every API request go through nginx.
    visitor_context.route(f"{nginx.url}/pages/big.html",
                          lambda route: route.fulfill(body=html, content_type="text/html"))
    visitor = visitor_context.new_page()
    visitor.goto(f"{nginx.url}/pages/big.html")
    visitor.wait_for_function("window.CoBrowse !== undefined && !!window.CoBrowse.version")
    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "view")
    flows.visitor_accept(visitor)
    flows.wait_status(agent, "active")
    rep = flows.replica(agent)
    expect(rep.locator("#last")).to_have_text("the very end", timeout=90000)
    for n in range(1, 21):  # later events get through, in order
        visitor.evaluate(f"document.getElementById('counter').textContent = '{n}'")
        visitor.wait_for_timeout(50)
    expect(rep.locator("#counter")).to_have_text("20", timeout=30000)
    sends = [(status, length) for status, length, path in nginx.access() if path == "/api/v1/send"]
    assert sends and all(status == 200 for status, _ in sends), sends
    assert max(length for _, length in sends) < 300 * 1024  # under the tag's cap (plus headers)
    assert sum(length for _, length in sends) > 1_400_000  # the whole snapshot went through nginx
