"""A visitor's network drops for 20 s in the middle of a session (a train tunnel): the agent
keeps pointing and highlighting, the visitor keeps typing and chatting. When the network comes
back nothing is lost (the replica shows what was typed, the visitor's page shows the agent's
pointer and highlight) and nothing is doubled (the chat line written offline reaches the
agent exactly once)."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.support_privacy import marker, replica_value

DROP_SECONDS = 20

#: Records, in the visitor's page, every highlight ring the tag draws (they fade after ~1 s,
#: so a test could miss one by looking at the wrong moment).
WATCH_HIGHLIGHTS = """() => {
  window.__highlights = 0;
  const root = document.querySelector('cobrowse-ui').shadowRoot;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes)
      if (n.nodeType === 1 && n.dataset.testid === 'cobrowse-highlight') window.__highlights++;
  }).observe(root, {childList: true, subtree: true});
}"""


def test_a_20_second_network_drop_loses_and_doubles_nothing(stack, visitor_context, visitor, agent):
    visitor.goto(f"{stack.base}/demo/insurance.html")
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info)")
    rep = flows.start_cobrowse(visitor, agent, "shared")
    visitor.evaluate(WATCH_HIGHLIGHTS)
    # The agent's pointer is somewhere else before the drop.
    rep.locator("#email").hover()
    cursor = visitor.get_by_test_id("cobrowse-agent-cursor")
    expect(cursor).to_be_visible()

    # What reaches the server from the visitor during the drop (nothing must).
    through = []
    visitor_context.on("requestfinished", lambda r: through.append((time.monotonic(), r.url))
                       if "/api/" in r.url else None)

    visitor_context.set_offline(True)
    dropped = time.monotonic()
    typed = marker("Offline")
    offline_chat = flows.unique("Written in the tunnel")
    visitor.locator("#full-name").press_sequentially(typed)
    flows.open_chat(visitor)
    visitor.get_by_test_id("cobrowse-chat-input").fill(offline_chat)
    visitor.get_by_test_id("cobrowse-chat-send").click()
    # Meanwhile the agent highlights the page's heading, then points at the plan selector.
    rep.locator("h1").first.click()
    rep.locator("#plan").hover()
    visitor.wait_for_timeout(DROP_SECONDS * 1000 - (time.monotonic() - dropped) * 1000)
    assert not [u for t, u in through if t > dropped + 0.5], "requests got through the drop"
    assert visitor.evaluate("window.__highlights") == 0, "the highlight came through the drop"
    visitor_context.set_offline(False)

    # Nothing lost: the replica shows what was typed offline; the visitor sees the agent's
    # pointer on the plan selector and the highlight that was sent meanwhile.
    replica_value(agent, "#full-name", typed)
    plan = visitor.locator("#plan").bounding_box()
    flows.eventually(lambda: (b := flows.box(cursor)) and flows.contains(plan, b["x"], b["y"], 4),
                     what="the agent's pointer on the plan selector after the drop")
    flows.eventually(lambda: visitor.evaluate("window.__highlights") >= 1,
                     what="the agent's highlight shown to the visitor after the drop")
    expect(agent.get_by_test_id("chat-message").filter(has_text=offline_chat)).to_have_count(1)

    # Nothing doubled: a line written after the drop arrives after the offline one, which is
    # still there exactly once, on both sides; the highlight was shown once.
    after = flows.visitor_chat(visitor, flows.unique("Out of the tunnel"))
    expect(agent.get_by_test_id("chat-message").filter(has_text=after)).to_have_count(1)
    expect(agent.get_by_test_id("chat-message").filter(has_text=offline_chat)).to_have_count(1)
    expect(visitor.get_by_test_id("cobrowse-chat-message").filter(has_text=offline_chat)
           ).to_have_count(1)
    assert visitor.evaluate("window.__highlights") == 1
    texts = agent.get_by_test_id("chat-message").all_inner_texts()
    order = [i for i, t in enumerate(texts) if offline_chat in t] + [
        i for i, t in enumerate(texts) if after in t]
    assert len(order) == 2 and order[0] < order[1], texts
    flows.wait_status(agent, "active")
    assert visitor.evaluate("CoBrowse.info().session.id")
