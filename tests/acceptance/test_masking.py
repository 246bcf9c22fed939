"""Masking: a secret typed by the visitor into a masked field during a live session never
leaves the visitor's browser.

One test per kind of mask (a password field; the ``data-cobrowse-mask`` attribute; the site's
server-side CSS selector, delivered to the tag). In each, the visitor types a fresh secret into
the masked field, then a fresh control text into an ordinary field of the same page. Once the
agent's replica shows the control text, everything typed before it has been captured, sent,
stored and delivered. Then:

- the secret is in no request the visitor's page sent to the server's /api/ (URL or body,
  gunzipped when the tag compressed it), while the control text is (so the capture works);
- the secret is in no Redis key, name or value of any type (streams included), while the
  control text is (the session's stream holds it);
- the secret is nowhere in the agent's browser (workspace text, the replica's DOM, attribute
  values and form values), while the control text is.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.acceptance import flows
from tests.acceptance.support_privacy import (
    RequestLog,
    agent_strings,
    marker,
    redis_hits,
    replica_value,
)

CASES = {
    # kind: (page, masked field, ordinary field, secret's prefix)
    "password": ("signup.html", "#password", "#username", "Pw"),
    "attribute": ("insurance.html", "#national-id", "#full-name", "NID"),
    "server-selector": ("insurance.html", "#card-number", "#full-name", ""),
}


def secret_for(kind: str) -> tuple[str, list[str]]:
    """A fresh secret and the forms it may take on the page (the card number field groups
    its digits in fours as the visitor types)."""
    if kind == "server-selector":
        digits = "4" + "".join(secrets.choice("0123456789") for _ in range(15))
        grouped = " ".join(digits[i:i + 4] for i in range(0, 16, 4))
        return digits, [digits, grouped, digits[:12], grouped[:14]]
    secret = marker(CASES[kind][3])
    return secret, [secret]


@pytest.mark.parametrize("kind", list(CASES))
def test_masked_secret_never_leaves_the_visitor(kind, stack, visitor_context, visitor, agent,
                                                redis_client):
    page, masked, ordinary, _ = CASES[kind]
    log = RequestLog(visitor_context, stack.base)
    visitor.goto(f"{stack.base}/demo/{page}")
    visitor.wait_for_function("!!(window.CoBrowse && CoBrowse.info)")
    rep = flows.start_cobrowse(visitor, agent, "shared")
    expect(rep.locator(masked)).to_have_count(1)

    secret, forms = secret_for(kind)
    control = marker("Ctl")
    visitor.locator(masked).press_sequentially(secret)
    shown = visitor.locator(masked).input_value()
    assert shown.replace(" ", "") == secret, "the visitor's own field keeps what they typed"
    visitor.locator(ordinary).press_sequentially(control)

    # The control text went after the secret through the same ordered pipe: once the
    # replica shows it, every event about the secret has been sent, stored and delivered.
    replica_value(agent, ordinary, control)
    flows.eventually(lambda: visitor.evaluate("CoBrowse.info().pending") == 0,
                     what="the tag's send queue to drain")

    assert not log.failures, log.failures
    assert log.hits(control), "the capture of the visitor's requests saw nothing"
    for form in forms:
        assert log.hits(form) == [], f"{kind}: secret {form!r} sent to the server"

    assert redis_hits(redis_client, control), "the Redis scan found no session content"
    for form in forms:
        assert redis_hits(redis_client, form) == [], f"{kind}: secret {form!r} stored in Redis"

    everything = agent_strings(agent)
    assert control in everything
    for form in forms:
        assert form not in everything, f"{kind}: secret {form!r} shown to the agent"
    # The agent sees that the field is there and masked, not its value.
    assert rep.locator(masked).input_value() not in forms
