"""The tag's own wall for issue 14, against the scripted fake server (no server-side checks
behind it): --no-control refusals in the tag."""

from __future__ import annotations

from tests.support.tag_fake import by_attr, open_page


def clicks(page) -> dict:
    return page.evaluate("({...window.clicks})")


def test_tag_refuses_control_of_no_control_elements(page, fake):
    fake.config["no_control"] = ["#pay", "#boxed"]
    open_page(page, fake, "tag_privacy.html")
    fake.start_session(mode="shared")
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    ids = {name: by_attr(doc, "id", name)["i"]
           for name in ("pay", "pay-inner", "pay-label", "wrap", "wrap-text", "boxed", "other")}
    for name in ("pay", "pay-inner", "pay-label", "wrap", "wrap-text", "boxed"):
        fake.push("s_abc", k="control.click", i=ids[name])
    fake.push("s_abc", k="control.input", i=ids["boxed"], checked=True)
    fake.push("s_abc", k="control.click", i=ids["other"])
    # Events are replayed in order: once the allowed click landed, the others were refused.
    page.wait_for_function("window.clicks.other === 1")
    assert clicks(page) == {"pay": 0, "other": 1, "boxed": 0}
    assert page.evaluate("document.getElementById('boxed').checked") is False
    assert page.errors == []


def texts(doc):
    from tests.support.tag_fake import walk

    return [n.get("x") for n in walk(doc) if n.get("t") == 3]


def snapshots(fake):
    with fake.lock:
        return [e for e in fake.events if e["k"] == "snapshot"]


def test_scoped_rules_switch_with_history_navigation(page, fake):
    fake.config["mask"] = ["/pages/secret/* #card"]
    open_page(page, fake, "tag_privacy.html")
    fake.start_session(mode="shared")
    first = fake.wait_for(lambda: fake.last("snapshot"))
    assert by_attr(first["doc"], "id", "card").get("m") is None and "1234" in texts(first["doc"])
    page.evaluate("history.pushState({}, '', '/pages/secret/step1')")
    second = fake.wait_for(lambda: len(snapshots(fake)) >= 2 and snapshots(fake)[1])
    assert second["url"].endswith("/pages/secret/step1")
    assert by_attr(second["doc"], "id", "card")["m"] == 1 and "1234" not in texts(second["doc"])
    page.evaluate("document.getElementById('card').textContent = '5678'")
    page.evaluate("history.back()")
    third = fake.wait_for(lambda: len(snapshots(fake)) >= 3 and snapshots(fake)[2])
    assert third["url"].endswith("/pages/tag_privacy.html") and "5678" in texts(third["doc"])
    # Nothing of the masked card left while on the scoped page.
    with fake.lock:
        sent_on_secret = b"".join(fake.bodies)
    assert b"1234" in sent_on_secret  # the first page showed it, unmasked there
    assert page.errors == []


def test_pause_sends_nothing_of_the_page(page, fake):
    fake.config["pause"] = ["/pages/private/*"]
    open_page(page, fake, "tag_privacy.html")
    fake.start_session(mode="shared")
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    other = by_attr(doc, "id", "other")["i"]
    page.get_by_test_id("cobrowse-pause").click()
    fake.wait_for(lambda: fake.last("session.pause"))
    with fake.lock:
        mark = len(fake.events)
        bodies = len(fake.bodies)
    assert fake.last("session.pause")["by"] == "visitor"
    # The visitor does all sorts of things while paused: none of it may leave.
    page.evaluate("document.getElementById('wrap-text').textContent = 'PAUSEDSECRET1'")
    page.mouse.move(50, 50)
    page.mouse.move(200, 120)
    page.locator("#pay-label").click()
    page.evaluate("window.scrollTo(0, 40)")
    fake.push("s_abc", k="control.click", i=other)  # the agent's control: refused
    page.wait_for_timeout(1200)  # time for anything that would be sent to be sent
    page.get_by_test_id("cobrowse-resume").click()
    fresh = fake.wait_for(lambda: len(snapshots(fake)) >= 2 and snapshots(fake)[1])
    assert "PAUSEDSECRET1" in texts(fresh["doc"])  # resuming sends a fresh snapshot
    with fake.lock:
        during = fake.events[mark:]
        sent_since = b"".join(fake.bodies[bodies:])
    kinds = [e["k"] for e in during]
    assert kinds[:kinds.index("snapshot")] == ["session.resume"], kinds
    assert sent_since.count(b"PAUSEDSECRET1") == 1  # once: in the fresh snapshot
    assert page.evaluate("window.clicks.other") == 0

    # A --pause page pauses by itself and resumes when the visitor leaves it.
    page.evaluate("history.pushState({}, '', '/pages/private/account')")
    auto = fake.wait_for(lambda: [e for e in fake.events[mark:] if e["k"] == "session.pause"])
    assert auto[-1]["by"] == "page"
    assert page.get_by_test_id("cobrowse-resume").is_hidden()
    with fake.lock:
        mark2 = len(fake.events)
    page.evaluate("document.getElementById('wrap-text').textContent = 'PAUSEDSECRET2'")
    page.wait_for_timeout(1200)
    page.evaluate("history.pushState({}, '', '/pages/tag_privacy.html')")
    fake.wait_for(lambda: [e for e in fake.events[mark2:] if e["k"] == "snapshot"])
    with fake.lock:
        kinds = [e["k"] for e in fake.events[mark2:]]
    assert kinds[:2] == ["session.resume", "snapshot"], kinds
    assert page.errors == []
