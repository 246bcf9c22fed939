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
