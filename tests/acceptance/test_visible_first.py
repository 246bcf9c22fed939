"""Visible first (issue 16, item 3): the Python docs' 1.7 MB index, the visitor's uplink
throttled, through the real server to the real workspace. The first piece the replica builds
holds what the visitor sees and not the far end of the page; the workspace says it is still
loading the rest, then stops saying so; the finished replica has the visitor's text and
element ids, in order."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cobrowse.storage.directory import Site
from tests.acceptance import flows

GENINDEX = Path("/usr/share/doc/python3/html/genindex-all.html")
KBIT = 512

#: In the workspace: the replica's state when the first piece is built (data-rest appears,
#: before any fill is applied: the observer runs before the next event is handled), whether
#: the "loading the rest" note showed, and when the rest was in.
WATCH = """([visible, far]) => {
  const rec = window.__vf = {};
  new MutationObserver(() => {
    const frame = document.querySelector('[data-testid=cobrowse-replica]');
    const note = document.querySelector('[data-testid=cobrowse-loading-rest]');
    if (note && !note.hidden) rec.noteShown = true;
    if (!frame) return;
    if (frame.dataset.rest === 'loading' && !rec.first) {
      const text = frame.contentDocument.body.textContent;
      rec.first = { visible: text.includes(visible), far: text.includes(far),
                    top: !!frame.contentDocument.getElementById('Symbols'),
                    z: !!frame.contentDocument.getElementById('Z') };
    }
    if (rec.first && !frame.dataset.rest) rec.full = true;
  }).observe(document.body, { subtree: true, childList: true, attributes: true,
                              attributeFilter: ['data-rest', 'hidden'] });
}"""

#: The page's text (text nodes outside scripts, styles and the tag's UI) and element ids.
CONTENT = """(doc) => {
  const out = [];
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('script, style, noscript, template, cobrowse-ui')) continue;
    const t = n.data.trim();
    if (t) out.push(t);
  }
  const ids = [...doc.body.querySelectorAll('[id]')].filter((e) => !e.closest('cobrowse-ui'))
    .map((e) => e.id);
  return { text: out.join('\\n'), ids };
}"""


@pytest.fixture
def slow_site(stack, directory):
    """A site whose page and API go through a throttled uplink (bench/throttle_proxy.py)."""
    from bench.throttle_proxy import ThrottleProxy

    proxy = ThrottleProxy(stack.port, KBIT).start()
    proxy.url = f"http://127.0.0.1:{proxy.port}"
    proxy.site = f"vf{uuid.uuid4().hex[:8]}"
    directory.put_site(Site(id=proxy.site, origins=[proxy.url]))
    yield proxy
    proxy.stop()


@pytest.mark.slow
@pytest.mark.skipif(not GENINDEX.exists(), reason="python3-doc is not installed")
def test_the_visible_part_comes_first_then_the_rest(slow_site, visitor_context, agent):
    html = GENINDEX.read_text(errors="replace").replace(
        "</body>", f'<script src="{slow_site.url}/tag/cobrowse.js" data-site="{slow_site.site}" '
        'async></script></body>', 1)
    page_url = f"{slow_site.url}/pages/genindex.html"
    visitor_context.route(page_url, lambda route: route.fulfill(body=html, content_type="text/html"))
    visitor = visitor_context.new_page()
    visitor.goto(page_url)
    visitor.wait_for_function("window.CoBrowse !== undefined && !!window.CoBrowse.version")
    visible, far, far_top = visitor.evaluate("""() => {
      const links = [...document.querySelectorAll('.body a')];
      const shown = links.filter((a) => { const r = a.getBoundingClientRect();
                                          return r.top >= 0 && r.bottom <= innerHeight; });
      const last = links[links.length - 1];
      return [shown[shown.length - 1].textContent, last.textContent,
              last.getBoundingClientRect().top / innerHeight];
    }""")
    assert far_top > 50  # the far end is far away

    flows.chat_and_take(visitor, agent)
    flows.agent_invite(agent, "view")
    agent.evaluate(WATCH, [visible, far])
    card = flows.visitor_invite_card(visitor)
    expect(card).to_be_visible(timeout=flows.TIMEOUT)
    card.get_by_test_id("cobrowse-accept").click()
    # The tag captures the 1.7 MB page right away: the frame paints after that.
    expect(visitor.get_by_test_id("cobrowse-frame")).to_be_visible(timeout=60000)
    agent.wait_for_function("() => window.__vf.first", timeout=60000)
    first = agent.evaluate("() => window.__vf.first")
    assert first == {"visible": True, "far": False, "top": True, "z": False}
    agent.wait_for_function("() => window.__vf.full", timeout=120000)
    assert agent.evaluate("() => window.__vf.noteShown")
    expect(agent.get_by_test_id("cobrowse-loading-rest")).to_be_hidden()

    seen = visitor.evaluate(f"() => ({CONTENT})(document)")
    shown = flows.replica_eval(agent, f"({CONTENT})(doc)")
    assert shown["ids"] == seen["ids"]
    assert shown["text"] == seen["text"]
