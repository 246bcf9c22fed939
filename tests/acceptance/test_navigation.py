"""The session lives in the visitor's tab: it follows the visitor across the site's tagged
pages, another tab of the same visitor stays out of it, and leaving for an untagged page
pauses it (the agent is told) until the visitor comes back."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.support_privacy import marker, replica_has_text


def session_id(page) -> str | None:
    """The co-browse session the tag of ``page`` believes it is in."""
    return page.evaluate("(CoBrowse.info().session || {}).id || null")


def wait_tag(page) -> None:
    """The tag of ``page`` is loaded and has heard from the server (hello answered)."""
    page.wait_for_function("!!(window.CoBrowse && CoBrowse.info && CoBrowse.info().state)")


def footer_link(page, href: str):
    """A link of the page's footer. (The nav bar's links can sit under the session frame's
    label, which takes the clicks there: see the report.)"""
    return page.locator(f'#site-footer a[href="{href}"]')


def test_session_follows_the_visitor_across_tagged_pages(visitor, agent):
    flows.start_cobrowse(visitor, agent, "shared")
    sid = session_id(visitor)
    assert sid

    visitor.locator("#cta-travel").click()
    visitor.wait_for_url("**/demo/travel.html")
    flows.wait_replica_page(agent, "travel")
    flows.wait_status(agent, "active")
    expect(flows.visitor_frame(visitor)).to_be_visible()
    assert session_id(visitor) == sid, "the same session resumed on the next page"
    expect(agent.get_by_test_id("cobrowse-page")).to_contain_text("Travel", ignore_case=True)

    # Still live on the new page: what the visitor changes there reaches the replica.
    visitor.locator("#destination").select_option("kyoto")
    flows.eventually(lambda: flows.replica(agent).locator("#destination").input_value() == "kyoto",
                     what="the replica's destination to follow the visitor's choice")

    footer_link(visitor, "shop.html").click()
    visitor.wait_for_url("**/demo/shop.html")
    flows.wait_replica_page(agent, "shop")
    flows.wait_status(agent, "active")
    assert session_id(visitor) == sid


def test_a_second_tab_stays_out_of_the_session(visitor_context, visitor, agent, stack):
    flows.start_cobrowse(visitor, agent, "shared")
    sid = session_id(visitor)

    # The visitor opens the site in another tab, as from a bookmark or a link opened in a new
    # tab: the session belongs to the first tab only.
    with visitor_context.expect_page() as opened:
        footer_link(visitor, "help.html").click(modifiers=["Control"])
    second = opened.value
    second.wait_for_load_state()
    if not second.url.endswith("/demo/help.html"):
        second.goto(f"{stack.base}/demo/help.html")
    sent_snapshot = []
    second.on("request", lambda r: sent_snapshot.append(r.url)
              if "/api/v1/send" in r.url and b'"snapshot"' in (r.post_data_buffer or b"") else None)
    wait_tag(second)
    third = visitor_context.new_page()
    third.goto(f"{stack.base}/demo/travel.html")
    wait_tag(third)

    for tab in (second, third):
        assert session_id(tab) is None, f"{tab.url} joined the session"
        expect(flows.visitor_frame(tab)).to_be_hidden()

    # The first tab is still the one the agent sees, live: a change there shows up, and the
    # replica never switched to the other tabs' pages.
    text = marker("FirstTab")
    visitor.evaluate("t => { document.querySelector('h1').textContent = t; }", text)
    replica_has_text(agent, text)
    flows.wait_replica_page(agent, "home")
    flows.wait_status(agent, "active")
    assert session_id(visitor) == sid
    assert not sent_snapshot, "the second tab sent its page to the session"


def test_untagged_page_pauses_the_session_until_the_visitor_comes_back(visitor, agent):
    flows.start_cobrowse(visitor, agent, "shared")
    sid = session_id(visitor)
    visitor.locator("#cta-travel").click()
    flows.wait_replica_page(agent, "travel")

    # The partner page carries no tag: the agent is told the visitor left the site's pages.
    visitor.locator("#link-outside").click()
    visitor.wait_for_url("**/demo/outside.html")
    assert visitor.evaluate("window.CoBrowse === undefined")
    flows.wait_status(agent, "away")
    expect(flows.status(agent)).to_contain_text("away", ignore_case=True)

    # Back on a tagged page of the site, in the same tab: the session resumes by itself and
    # the agent sees the page the visitor is on now.
    visitor.locator("#back-to-northwind").click()
    visitor.wait_for_url("**/demo/index.html")
    flows.wait_status(agent, "active")
    flows.wait_replica_page(agent, "home")
    expect(flows.visitor_frame(visitor)).to_be_visible()
    assert session_id(visitor) == sid
