"""Pages and sites of the issue-14 acceptance tests (private by default, no-control): a
page written per test with fresh secrets in every shape a page holds them, served by the
visitor's browser context itself on the server's own origin, and a site configured for it.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

from cobrowse.storage.directory import SITE_CACHE_SECONDS, Site
from tests.acceptance.support_privacy import marker

#: Every shape a secret takes in the page (issue 14): the key names the shape.
SHAPES = ("text", "value", "attribute", "title", "placeholder", "alt", "css", "doctitle",
          "typed")


def secrets_for_shapes() -> dict[str, str]:
    """A fresh secret per shape."""
    return {shape: marker("S" + shape[:3].upper()) for shape in SHAPES}


def private_page(s: dict[str, str], public: str, public_masked: str) -> str:
    """A page with a secret in every shape outside the unmasked part, ``public`` text inside
    it, and ``public_masked`` inside it under a ``--mask`` rule (the mask wins)."""
    return f"""<!doctype html>
<html><head><title>{s['doctitle']}</title>
<style>.badge::before {{ content: "{s['css']}"; }} .icon::after {{ content: "\\2713"; }}
.box {{ width: 300px; height: 40px; border: 1px solid #333; }}</style>
<script src="/tag/cobrowse.js" data-site="SITE_ID" async></script></head>
<body>
<h1 class="box" id="heading">{s['text']}</h1>
<p class="badge" data-account="{s['attribute']}" title="{s['title']}">Account</p>
<form><input id="account" value="{s['value']}" placeholder="{s['placeholder']}">
<input id="typed" placeholder="type here"></form>
<img id="logo" src="/demo/assets/img/hero.svg" alt="{s['alt']}" width="40" height="40">
<span class="icon"></span>
<section class="public"><h2 id="public-text">{public}</h2>
<input id="public-input"><span class="house-secret">{public_masked}</span>
<input id="public-password" type="password" value="{s['value']}x"></section>
</body></html>"""


def serve(context, url: str, html: str) -> None:
    """The visitor's context answers ``url`` with ``html`` (the server never sees it)."""
    context.route(url, lambda route: route.fulfill(status=200, body=html,
                                                   content_type="text/html; charset=utf-8"))


def add_site(directory, stack, **rules) -> str:
    """A fresh site on the test server's origin with ``rules`` (Site fields); returns its id
    once the server's workers see it (their site cache is short-lived)."""
    site_id = "p" + uuid.uuid4().hex[:10]
    directory.put_site(Site(id=site_id, origins=[stack.base], **rules))
    visible_after = time.monotonic() + SITE_CACHE_SECONDS  # every worker has re-read its cache
    body = json.dumps({"site": site_id, "url": stack.base + "/"}).encode()
    deadline = time.monotonic() + 20
    while True:
        req = urllib.request.Request(stack.base + "/api/v1/visitor/hello", data=body,
                                     headers={"Content-Type": "text/plain", "Origin": stack.base})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                if resp.status == 200 and time.monotonic() > visible_after:
                    return site_id
        except urllib.error.HTTPError as err:
            if err.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def pay_page(site_id: str) -> str:
    """A checkout with a Pay button the agent may not operate (``#pay``): a child element,
    a label pointing at it, and another button the agent may press. Clicks are counted."""
    return f"""<!doctype html>
<html><head><title>Checkout</title>
<script src="/tag/cobrowse.js" data-site="{site_id}" async></script></head>
<body>
<script>window.clicks = {{pay: 0, other: 0}};</script>
<button id="pay" onclick="clicks.pay++"><span id="pay-inner">Pay 120 EUR</span></button>
<label id="pay-label" for="pay">Pay now</label>
<button id="other" onclick="clicks.other++">Apply coupon</button>
</body></html>"""


def index_id(redis_client, sid: str, tag: str, element_id: str) -> int:
    """The node id the server's page index gives the ``tag`` element with ``element_id``."""
    from cobrowse.storage import keys

    # "<parent>|<flags>|<tag>|<child ids>|{attrs}" (cobrowse/sanitize/index.py)
    needle = re.compile(rf'\|{re.escape(tag)}\|[0-9,]*\|?\{{"id":"{re.escape(element_id)}"')
    index = redis_client.hgetall("cobrowse:" + keys.session_index(sid))  # the broker's prefix
    for field, value in index.items():
        if needle.search(value.decode()):
            return int(field)
    raise AssertionError(f"no {tag}#{element_id} in the page index {index}")


def plain_page(site_id: str, name: str, body: str = "") -> str:
    """A small tagged page whose body says ``name`` (id ``where``), with a form field."""
    return f"""<!doctype html>
<html><head><title>{name}</title>
<script src="/tag/cobrowse.js" data-site="{site_id}" async></script></head>
<body><h1 id="where">{name}</h1><input id="field"><p id="note">{body}</p>
<a id="next" href="#">next</a></body></html>"""


def stream_length(redis_client, sid: str, role: str = "agent") -> int:
    """Events the server queued in the session's stream to ``role`` (counted in Redis)."""
    from cobrowse.storage import keys

    return redis_client.xlen("cobrowse:" + keys.session_stream(sid, role))
