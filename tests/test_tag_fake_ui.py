"""The visitor tag's engagement window, session UI and replay of the agent, in real Chromium
against the scripted fake server (tests/support/tag_fake.py); and what it must not do:
run inside frames, or miss form values that scripts set without events."""

from __future__ import annotations

import re
import time

from tests.support.tag_fake import by_attr, open_page


def test_chat_invite_and_session_ui(page, fake):
    open_page(page, fake)
    launcher = page.get_by_test_id("cobrowse-chat-open")
    # An inline SVG icon, no emoji: headless and minimal systems have no emoji font.
    assert launcher.locator("svg path").count() == 1
    assert launcher.evaluate("b => [...b.childNodes].some(n => n.nodeType === 3)") is False
    assert launcher.locator("svg").bounding_box()["width"] >= 20
    launcher.click()
    page.get_by_test_id("cobrowse-chat-input").fill("hello there")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"))
    assert fake.last("chat")["text"] == "hello there"
    page.get_by_test_id("cobrowse-chat-message").filter(has_text="hello there").wait_for()
    with fake.lock:
        fake.state = {"conversation": {"id": "c1", "status": "open"},
                      "invitation": {"id": "inv1", "mode": "shared", "agent": "Alice"}, "session": None}
    fake.push("inbox", k="invite", invitation="inv1", conversation="c1", mode="shared", agent="Alice", text="")
    invite = page.get_by_test_id("cobrowse-invite")
    invite.wait_for()
    assert "see this tab, click and fill in forms with you" in invite.inner_text()
    page.get_by_test_id("cobrowse-accept").click()
    fake.wait_for(lambda: fake.last("invite.accept"))
    assert fake.last("invite.accept")["invitation"] == "inv1"
    fake.start_session(mode="shared")
    page.get_by_test_id("cobrowse-frame").wait_for()
    fake.wait_for(lambda: fake.last("snapshot"))
    page.get_by_test_id("cobrowse-close").click()
    fake.wait_for(lambda: fake.last("session.end"))
    assert page.get_by_test_id("cobrowse-frame").is_hidden()


def test_agent_pointer_and_control(page, fake):
    open_page(page, fake)
    fake.start_session(mode="view")
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    name = by_attr(doc, "id", "name")["i"]
    pw = by_attr(doc, "id", "pw")["i"]
    fake.push("s_abc", k="pointer", i=name, x=0.5, y=0.5)
    cursor = page.get_by_test_id("cobrowse-agent-cursor")
    cursor.wait_for()
    assert "Alice" in cursor.inner_text()
    box = page.locator("#name").bounding_box()
    cbox = cursor.bounding_box()
    assert abs(cbox["x"] - (box["x"] + box["width"] / 2)) < 3
    fake.push("s_abc", k="control.input", i=name, value="from-agent")
    time.sleep(0.6)
    assert page.input_value("#name") == "initial"  # view only: refused by the tag too
    with fake.lock:
        fake.state["session"]["mode"] = "shared"
    fake.push("inbox", k="session.mode", session="abc", mode="shared")
    page.evaluate("""() => { window.seen = [];
        document.getElementById('name').addEventListener('input', e => seen.push(e.target.value)); }""")
    fake.push("s_abc", k="control.input", i=name, value="from-agent")
    page.wait_for_function("document.getElementById('name').value === 'from-agent'")
    assert page.evaluate("seen") == ["from-agent"]
    fake.push("s_abc", k="control.input", i=pw, value="typed-by-agent")
    fake.push("s_abc", k="control.navigate", url="javascript:alert(1)")
    time.sleep(0.6)
    assert page.input_value("#pw") == ""
    assert page.errors == []


def test_agent_scroll_is_replayed_instantly(page, fake):
    open_page(page, fake)
    page.evaluate("""() => {
        const s = document.getElementById('scroller');
        s.style.scrollBehavior = 'smooth';  // would animate through intermediate positions
        window.tops = [];
        s.addEventListener('scroll', () => tops.push(s.scrollTop));
    }""")
    fake.start_session()
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    fake.push("s_abc", k="scroll", i=by_attr(doc, "id", "scroller")["i"], x=0, y=300)
    page.wait_for_function("tops.length > 0")
    time.sleep(0.2)
    assert page.evaluate("tops") == [300]


def test_the_tag_does_nothing_inside_frames(page, fake):
    open_page(page, fake)  # tag_frame.html, in an iframe of this page, carries the tag too
    frame = page.frame(url=re.compile(r"tag_frame\.html$"))
    frame.wait_for_load_state("load")
    time.sleep(0.5)  # time enough for a tag to start and say hello
    assert frame.evaluate("window.CoBrowse === undefined")
    assert frame.locator("cobrowse-ui").count() == 0
    assert len(fake.hellos) == 1 and page.evaluate("!!CoBrowse.info().state")


def test_values_set_by_script_reach_the_agent(page, fake):
    open_page(page, fake)
    fake.start_session()
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    ids = {name: by_attr(doc, "id", name)["i"] for name in ("name", "agree", "sel", "card")}
    page.evaluate("""() => {  // no input or change events: e.g. an address-copy button
        document.getElementById('name').value = 'set-by-script';
        document.getElementById('agree').checked = true;
        document.getElementById('sel').selectedIndex = 2;
        document.getElementById('card').value = '4111-card-secret';  // masked by the site
    }""")

    def props():
        return {op["i"]: op["p"] for op in fake.ops() if op["o"] == "prop"}

    found = fake.wait_for(lambda: len(props()) >= 4 and props(), timeout=8)
    assert found[ids["name"]] == {"value": "set-by-script"}
    assert found[ids["agree"]] == {"checked": True}
    assert found[ids["sel"]] == {"selected": [2]}
    assert found[ids["card"]] == {"value": "\u2022\u2022\u2022"}
    assert b"4111-card-secret" not in b"".join(fake.bodies)
    time.sleep(1.6)  # the next checks (every 1.5 s) find nothing new: nothing is sent twice
    assert len([op for op in fake.ops() if op["o"] == "prop"]) == 4
