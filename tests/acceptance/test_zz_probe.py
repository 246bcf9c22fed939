from tests.acceptance import flows
from playwright.sync_api import expect

def test_probe(visitor, agent):
    rep = flows.start_cobrowse(visitor, agent)
    vb = visitor.locator("#cta-insurance").bounding_box()
    print("visitor box", vb)
    visitor.mouse.move(vb["x"] + vb["width"] * 0.25, vb["y"] + vb["height"] * 0.5)
    cur = agent.get_by_test_id("cobrowse-visitor-cursor")
    expect(cur).to_be_visible()
    print("cursor", cur.bounding_box(), "label", cur.inner_text())
    print("replica el", rep.locator("#cta-insurance").bounding_box())
    print("replica frame", agent.get_by_test_id("cobrowse-replica").bounding_box())
    rep.locator("#card-shop").hover()
    ac = visitor.get_by_test_id("cobrowse-agent-cursor")
    expect(ac).to_be_visible()
    print("agent cursor", ac.bounding_box(), ac.inner_text())
    print("visitor shop", visitor.locator("#card-shop").bounding_box())
