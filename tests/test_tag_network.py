"""The tag on hostile networks, against the fake server (issue 16): big sends in parts with
the live events between them, requests that fail unreadably split further (down to a floor,
then given up and said so), and an idle tag that holds no poll."""

import json
import random
import time
from pathlib import Path

import pytest

from cobrowse.node_ids import expand_event
from tests.support import tag_fake
from tests.support.tag_fake import find

WORDS = random.Random(16)


def big_page(name: str, paragraphs: int, max_body: int | None = None) -> str:
    """A page of hard-to-compress text, served by the fake at /pages/NAME."""
    text = "".join(
        "<p>" + " ".join("".join(WORDS.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                         for _ in range(60)) + "</p>\n" for _ in range(paragraphs))
    cap = f' data-max-body="{max_body}"' if max_body else ""
    html = (f'<!doctype html><html><head><title>big</title></head><body><div id="top">top</div>'
            f'{text}<p id="last">the very end</p>'
            f'<script src="/tag/cobrowse.js" data-site="demo"{cap} async></script></body></html>')
    tag_fake.EXTRA_FILES[f"/pages/{name}"] = (html, "text/html; charset=utf-8")
    return f"/pages/{name}"


def has_text(doc, text):
    return bool(find(doc, lambda n: n.get("t") == 3 and text in n.get("x", "")))


def routed_wait(page, predicate, timeout):
    """Wait inside Playwright calls: the sync API runs route handlers only then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


@pytest.fixture
def fast(page):
    page.set_default_timeout(20000)
    return page


def test_an_idle_tag_holds_no_poll_until_the_chat_opens(fast, fake):
    fake.state = {"conversation": None, "invitation": None, "session": None}
    fast.goto(f"{fake.url}/pages/tag_hard.html")
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.hellos)
    time.sleep(1.5)  # long enough for a poll to start, if the tag wanted one
    assert fake.polls == 0
    fast.get_by_test_id("cobrowse-chat-open").click()
    fake.wait_for(lambda: fake.polls >= 1)


def test_a_big_snapshot_goes_in_parts_with_live_events_between(fast, fake):
    path = big_page("big_parts.html", 300, max_body=16384)
    fake.part_delay = 0.08
    fast.goto(fake.url + path)
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    fake.wait_for(lambda: "part" in fake.requests)
    fast.evaluate("document.getElementById('top').textContent = 'changed during the upload'")
    for step in range(400):  # bounded: moves until the snapshot is in
        if fake.last("snapshot"):
            break
        fast.mouse.move(100 + step % 7 * 30, 200 + step % 5 * 20)
        time.sleep(0.03)
    def changed(e):
        return e["k"] == "mutation" and "changed during the upload" in json.dumps(e)
    fake.wait_for(lambda: any(changed(e) for e in fake.events), timeout=20)
    with fake.lock:
        requests = list(fake.requests)
        kinds = fake.kinds()
        snapshot = fake.last("snapshot")
    first, last = requests.index("part"), len(requests) - 1 - requests[::-1].index("part")
    assert requests.count("part") >= 5
    assert "send" in requests[first:last], "live events went between the parts"
    assert kinds.index("pointer") < kinds.index("snapshot"), "a pointer overtook the snapshot"
    assert has_text(snapshot["doc"], "the very end") and has_text(snapshot["doc"], "top")
    # The mutation made during the upload comes after the snapshot, in order.
    mutation_at = next(i for i, e in enumerate(fake.events) if changed(e))
    assert mutation_at > kinds.index("snapshot")


def test_an_unreadable_failure_splits_the_send_further(fast, fake):
    path = big_page("big_split.html", 120)
    blocked = []

    def proxy_limit(route):
        body = route.request.post_data_buffer or b""
        if len(body) > 20000:  # a proxy's 413 without CORS: the tag cannot read it
            blocked.append(len(body))
            return route.abort()
        return route.continue_()
    fast.route("**/api/v1/send**", proxy_limit)
    fast.goto(fake.url + path)
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    snapshot = routed_wait(fast, lambda: fake.last("snapshot"), 30)
    assert blocked and "part" in fake.requests
    assert has_text(snapshot["doc"], "the very end")
    assert fake.kinds().count("snapshot") == 1


def test_a_send_no_split_gets_through_is_given_up_and_said(fast, fake):
    path = big_page("big_blocked.html", 60)
    fast.route("**/api/v1/send**", lambda route: route.abort()
               if len(route.request.post_data_buffer or b"") > 4000 else route.continue_())
    fast.goto(fake.url + path)
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    snapshot = routed_wait(fast, lambda: fake.last("snapshot"), 60)
    assert has_text(snapshot["doc"], "too large to share")
    fast.get_by_test_id("cobrowse-chat-open").click()
    assert "too large" in fast.get_by_test_id("cobrowse-notice").inner_text()  # the visitor is told
    sent = len(fake.requests)
    fast.mouse.move(50, 50)
    routed_wait(fast, lambda: fake.last("pointer"), 20)  # later events still get through
    assert fast.evaluate("window.CoBrowse.info().uploading") is None
    assert len(fake.requests) - sent < 10


def assemble(snapshot, events):
    """The snapshot's document with the fills of a visible-first send applied (implicit ids
    filled in as the server does); checks every fill names a pending shell."""
    snapshot = json.loads(json.dumps(snapshot))
    events = json.loads(json.dumps(events))  # the fake's copies stay as the tag sent them
    for event in [snapshot, *events]:
        expand_event(event)  # implicit ids, as the server fills them in
    doc = snapshot["doc"]
    nodes, todo = {}, [doc]
    while todo:
        node = todo.pop()
        nodes[node["i"]] = node
        todo.extend(node.get("c") or [])
    for event in events:
        for op in event.get("m", []) if event["k"] == "mutation" else []:
            if op["o"] != "fill":
                continue
            shell = nodes[op["i"]]
            assert shell.get("f") == 1, f"fill of {op['i']}, not a pending shell"
            shell["c"].extend(op["c"])
            if not op.get("more"):
                del shell["f"]
                shell.pop("fh", None)
            todo = list(op["c"])
            while todo:
                node = todo.pop()
                nodes[node["i"]] = node
                todo.extend(node.get("c") or [])
    return doc


def first_difference(a, b, path="doc"):
    """Where two JSON trees first differ (a readable path), or None."""
    if type(a) is not type(b):
        return f"{path}: {a!r:.80} != {b!r:.80}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in one"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{n}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r:.80} != {b!r:.80}"


def count_nodes(doc, test):
    n, todo = 0, [doc]
    while todo:
        node = todo.pop()
        n += bool(test(node))
        todo.extend(node.get("c") or [])
    return n


@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_a_big_page_goes_visible_first_then_fills_in_order(fast, fake, implicit):
    """Issue 16, item 3: the first piece holds the viewport's content and not the far end; the
    fills follow, each in a send of its own, and complete the page; a change made afterwards
    comes after them."""
    fake.config["implicit_ids"] = implicit
    path = big_page("visible.html", 900)
    fast.set_viewport_size({"width": 1000, "height": 700})
    fast.goto(fake.url + path)
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    # Masked content far down the page, so in a fill: masked there as well.
    fast.evaluate("""document.getElementById('last').insertAdjacentHTML('beforebegin',
      '<div><input id="card" value="4111111111111111"><span data-cobrowse-mask>far secret</span></div>')""")
    fake.start_session()
    fake.wait_for(lambda: fake.last("snapshot"), timeout=20)
    paragraphs = fast.evaluate("document.querySelectorAll('p').length")
    fast.evaluate("document.getElementById('last').textContent = 'changed after the snapshot'")

    def changed(e):
        return e["k"] == "mutation" and "changed after the snapshot" in json.dumps(e)
    fake.wait_for(lambda: any(changed(e) for e in fake.events), timeout=20)
    with fake.lock:
        events = list(fake.events)
        bodies = list(fake.bodies)
    at = next(i for i, e in enumerate(events) if e["k"] == "snapshot")
    first = events[at]["doc"]
    assert has_text(first, "top") and not has_text(first, "the very end")
    assert count_nodes(first, lambda n: n.get("n") == "p") < paragraphs / 4
    fills = [i for i, e in enumerate(events) if e["k"] == "mutation" and e["m"][0]["o"] == "fill"]
    assert len(fills) >= 3 and min(fills) > at
    assert next(i for i, e in enumerate(events) if changed(e)) > max(fills)
    whole = assemble(events[at], events)
    assert has_text(whole, "the very end")
    assert not [b for b in bodies if b"4111111111111111" in b or b"far secret" in b]
    def card(doc):
        return find(doc, lambda n: (n.get("a") or {}).get("id") == "card")
    assert not card(first) and card(whole)[0]["m"] == 1  # came in a fill, masked
    assert count_nodes(whole, lambda n: n.get("n") == "p") == paragraphs
    assert count_nodes(whole, lambda n: n.get("f")) == 0
    # The same page captured again with the viewport at its end: cut elsewhere, assembled
    # the same (same DOM, same node ids) as the first.
    fast.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    count = len(events)
    fast.evaluate("window.CoBrowse.snapshot()")
    fake.wait_for(lambda: len(fake.events) > count and not count_nodes(
        assemble(fake.events[count], fake.events[count:]), lambda n: n.get("f")), timeout=20)
    with fake.lock:
        later = list(fake.events[count:])
    assert has_text(later[0]["doc"], "changed after the snapshot")
    # Above the viewport now: the paragraphs there are shells, their text in fills, each with
    # its height on the page (the replica keeps it, so the visible part stays in place).
    assert count_nodes(later[0]["doc"], lambda n: n.get("t") == 3 and n["x"].strip()) < paragraphs / 4
    assert count_nodes(later[0]["doc"], lambda n: n.get("f") and n.get("fh", 0) > 10) > paragraphs / 2
    again = assemble(later[0], later)
    # Setting textContent made a new text node (a new id): the one change between the two.
    def last_p(doc):
        return find(doc, lambda n: (n.get("a") or {}).get("id") == "last")[0]
    assert [n["x"] for n in last_p(again)["c"]] == ["changed after the snapshot"]
    last_p(whole)["c"] = last_p(again)["c"]
    for doc in (whole, again):
        doc["c"][1].pop("sc", None)  # where the page was scrolled to
    assert first_difference(again, whole) is None
    # Each piece in a send of its own: no send body holds the snapshot and a fill.
    sends = [json.loads(b) for b in bodies if b.startswith(b"{") and b'"events"' in b]
    for body in sends:
        kinds = [e["k"] for e in body["events"]]
        if "snapshot" in kinds or any(e.get("m", [{}])[0].get("o") == "fill" for e in body["events"]
                                      if e["k"] == "mutation" and e.get("m")):
            assert len(kinds) == 1, kinds


def test_a_refused_piece_sends_the_page_again_whole(fast, fake):
    """If the server refuses a fill (it disagrees with the tag about a shell), the replica could
    never be completed: the tag drops the rest of that page and sends it again in one piece."""
    path = big_page("refused.html", 900)
    fake.refuse_fills = 1
    fast.goto(fake.url + path)
    fast.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    fake.wait_for(lambda: fake.kinds().count("snapshot") >= 2, timeout=20)
    with fake.lock:
        events, requests = list(fake.events), list(fake.requests)
    assert requests.count("refused") == 1
    again = [i for i, e in enumerate(events) if e["k"] == "snapshot"][1]
    whole = events[again]["doc"]
    assert has_text(whole, "the very end") and not count_nodes(whole, lambda n: n.get("f"))
    assert not [e for e in events[again:] if e["k"] == "mutation" and e["m"][0]["o"] == "fill"]


def walk_links(doc):
    found, todo = [], [doc]
    while todo:
        node = todo.pop()
        if node.get("t") == 1 and node.get("n") == "a":
            found.append(node)
        todo.extend(node.get("c") or [])
    return found


GENINDEX = Path("/usr/share/doc/python3/html/genindex-all.html")


@pytest.mark.slow
@pytest.mark.skipif(not GENINDEX.exists(), reason="python3-doc is not installed")
def test_genindex_at_256_kbit_pointer_between_parts(fast, fake):
    """The real tag on the Python docs' 1.7 MB index through the throttling proxy at 256 kbit/s
    up: visible first (issue 16, item 3), the snapshot once and its fills complete the page;
    pointer moves made meanwhile went between the fills; a change made during the upload
    comes after them."""
    from bench.throttle_proxy import ThrottleProxy

    html = GENINDEX.read_text(errors="replace").replace(
        "</body>", '<script src="/tag/cobrowse.js" data-site="demo" async></script></body>', 1)
    tag_fake.EXTRA_FILES["/pages/genindex.html"] = (html, "text/html; charset=utf-8")
    proxy = ThrottleProxy(int(fake.url.rsplit(":", 1)[1]), 256).start()

    def complete():
        with fake.lock:
            events = list(fake.events)
        at = next((i for i, e in enumerate(events) if e["k"] == "snapshot"), None)
        return at is not None and not count_nodes(assemble(events[at], events), lambda n: n.get("f"))
    try:
        fast.goto(f"http://127.0.0.1:{proxy.port}/pages/genindex.html", timeout=60000)
        fast.wait_for_function("window.CoBrowse && window.CoBrowse.version", timeout=30000)
        fake.wait_for(lambda: fake.polls >= 1, timeout=20)
        links = fast.evaluate("document.querySelectorAll('a').length")
        fake.start_session()
        fake.wait_for(lambda: fake.last("snapshot"), timeout=30)
        fast.evaluate("document.querySelector('h1').textContent = 'changed during the upload'")
        for step in range(1500):  # bounded: moves until the page is complete
            if complete():
                break
            fast.mouse.move(100 + step % 9 * 40, 150 + step % 4 * 30)
            fast.wait_for_timeout(50)

        def changed(e):
            return e["k"] == "mutation" and "changed during the upload" in json.dumps(e)
        fake.wait_for(lambda: any(changed(e) for e in fake.events), timeout=60)
    finally:
        proxy.stop()
    with fake.lock:
        kinds, events = fake.kinds(), list(fake.events)
    assert kinds.count("snapshot") == 1
    at = kinds.index("snapshot")
    fills = [i for i, e in enumerate(events) if e["k"] == "mutation" and e["m"][0]["o"] == "fill"]
    assert len(fills) >= 5
    assert "pointer" in kinds[min(fills):max(fills)], "live sends went between the fills"
    doc = assemble(events[at], events)
    assert has_text(doc, "Zero Clause BSD License")  # the footer: the whole page
    assert not has_text(events[at]["doc"], "Zero Clause BSD License")  # not in the first piece
    assert len(walk_links(doc)) == links
    assert next(i for i, e in enumerate(events) if changed(e)) > max(fills)
