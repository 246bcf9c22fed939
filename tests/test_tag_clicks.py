"""The tag's own wall against an agent's ``control.click`` leaving the site (issue 10,
item 4): the scripted fake server relays every click unchecked, the page has no CSP, and
the tag alone must refuse each click whose effect is a navigation off the site's origins, and
each click on the label of a masked control."""

from __future__ import annotations

from tests.support.tag_fake import by_attr, open_page

REFUSED = [
    "l-off", "l-off-span", "l-off-input", "l-off-box", "terms-link", "f-off-btn",
    "f-off-btn-span", "f-off-submit", "f-off-image", "f-off-label", "f-off-label-span",
    "f-off-label-submit", "f-on-formaction", "far-btn", "far-label", "area-off", "svg-off",
    "svg-rect", "mail", "js", "in-shadow", "masked-label", "masked-wrap",
]
ALLOWED = ["terms-box", "f-off-text", "f-off-plain", "f-on-btn"]


def test_the_tag_refuses_every_click_that_leaves_the_site(page, fake):
    open_page(page, fake, "tag_clicks.html")
    start = page.url
    fake.start_session(mode="shared")
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    ids = {name: by_attr(doc, "id", name)["i"] for name in REFUSED + ALLOWED}
    for name in REFUSED:
        fake.push("s_abc", k="control.click", i=ids[name])
    for name in ALLOWED:  # replayed in order: once the last one is seen, all were handled
        fake.push("s_abc", k="control.click", i=ids[name])
    page.wait_for_function("window.counter === 1", timeout=10_000)
    hits = page.evaluate("hits")
    assert [h for h in hits if h.split(":")[1] in REFUSED] == []
    assert [h.split(":")[1] for h in hits if h.startswith("pointerdown:")] == ALLOWED
    assert page.url == start and page.title() == "Clicks that would leave the site"
    assert page.is_checked("#terms-box")  # the checkbox in the label still works
    assert not page.is_checked("#secret-box") and not page.is_checked("#secret-box-2")
    assert page.errors == []
