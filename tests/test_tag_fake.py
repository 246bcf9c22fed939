"""The visitor tag (tag/) in real Chromium against a small scripted fake of the server
(tests/support/tag_fake.py): capture, masking, transport and robustness. The engagement
window, replay and frames are in tests/test_tag_fake_ui.py; tests/test_tag_e2e.py runs the
same tag against the real gunicorn server.
"""

from __future__ import annotations

import json
import re
import time

from tests.support.tag_fake import TAG, FakeServer, by_attr, find, open_page, walk

SECRETS = ["hunter2-pw-secret", "marked-typed-9911", "4111-card-secret", "attr-secret-5150",
           "balance 98765", "textarea-secret-4242", "frame-secret-777", "shadow-pw-3141",
           "script-secret-should-not-leave"]


# --- tests --------------------------------------------------------------------------------

def test_kinds_match_python():
    from cobrowse import protocol

    text = (TAG / "src" / "kinds.js").read_text()

    def js_list(name):
        body = re.search(name + r" = Object\.freeze\(\[(.*?)\]\)", text, re.S).group(1)
        return tuple(re.findall(r'"([^"]+)"', body))

    assert js_list("VISITOR_KINDS") == tuple(protocol.VISITOR_KINDS)
    assert js_list("AGENT_KINDS") == tuple(protocol.AGENT_KINDS)


def test_snapshot_of_a_hard_page(page, fake):
    open_page(page, fake)
    fake.start_session()
    snap = fake.wait_for(lambda: fake.last("snapshot"))
    doc = snap["doc"]
    assert doc["t"] == 9 and doc["c"][0] == {"i": doc["c"][0]["i"], "t": 10, "n": "html"}
    assert snap["url"].endswith("/pages/tag_hard.html") and snap["vw"] > 0 and snap["vh"] > 0
    assert doc["ss"] == [json_css("h1 { letter-spacing: 3px; }")]
    assert "rgb(9, 8, 7)" in by_attr(doc, "id", "cssinjs")["css"]
    assert "css" not in by_attr(doc, "id", "plain")
    link = find(doc, lambda n: n.get("n") == "link")[0]
    assert link["a"]["href"] == f"{fake.url}/pages/tag_hard.css"
    card = by_attr(doc, "id", "card-el")
    assert card["sh"]["t"] == 11 and "rgb(4, 5, 6)" in card["sh"]["ss"][0]
    assert find(card["sh"], lambda n: n.get("x") == "Inside the shadow")
    frame = by_attr(doc, "id", "frame")
    assert frame["d"]["t"] == 9 and find(frame["d"], lambda n: n.get("x") == "Inside the frame")
    assert by_attr(doc, "id", "cv")["img"].startswith("data:image/")
    assert by_attr(doc, "id", "scroller")["sc"] == [0, 40]
    assert by_attr(doc, "id", "name")["p"] == {"value": "initial"}
    assert by_attr(doc, "id", "sel")["p"] == {"selected": [0]}
    scripts = find(doc, lambda n: n.get("n") == "script")
    assert scripts and all(s["c"] == [] for s in scripts)
    ids = [n["i"] for n in walk(doc)]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    raw = json.dumps(snap)
    assert "cobrowse-ui" not in raw and "a comment that must" not in raw
    assert page.errors == []


def json_css(text):
    return text + "\n"


def test_every_mask_kind_keeps_secrets_in_the_browser(page, fake):
    open_page(page, fake)
    fake.start_session()
    fake.wait_for(lambda: fake.last("snapshot"))
    page.fill("#pw", "hunter2-pw-secret")
    page.fill("#marked", "marked-typed-9911")
    page.fill("#card", "4111-card-secret")
    page.fill("#notes", "textarea-secret-4242 more")
    page.locator("x-card input").fill("shadow-pw-3141")
    page.fill("#name", "visible-name")
    page.evaluate("document.querySelector('#maskdiv span').textContent = 'balance 98765 and more'")
    page.evaluate("document.getElementById('marked').setAttribute('value', 'attr-secret-5150')")
    page.evaluate("document.getElementById('pw').type = 'text'")  # a show-password toggle
    page.fill("#pw", "hunter2-pw-secret again")
    fake.wait_for(lambda: "visible-name" in json.dumps(fake.events))
    page.evaluate("CoBrowse.snapshot()")
    time.sleep(0.5)
    fake.wait_for(lambda: fake.kinds().count("snapshot") >= 2)
    wire = b"".join(fake.bodies)
    for secret in SECRETS:
        assert secret.encode() not in wire, secret
    assert "\u2022\u2022\u2022".encode() in wire
    assert page.errors == []


def test_mutations_by_id(page, fake):
    open_page(page, fake)
    fake.start_session()
    doc = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    dyn = by_attr(doc, "id", "dyn")["i"]
    title = by_attr(doc, "id", "title")
    page.evaluate("""() => {
        const d = document.getElementById('dyn');
        d.innerHTML = '<ul><li>one</li><li>two</li></ul>';
        document.getElementById('title').setAttribute('data-x', '1');
        document.getElementById('title').firstChild.data = 'Changed';
    }""")
    ops = fake.wait_for(lambda: [op for e in fake.events if e["k"] == "mutation" for op in e["m"]])
    add = [op for op in ops if op["o"] == "add"][0]
    assert add["p"] == dyn and add["n"]["n"] == "ul" and len(add["n"]["c"]) == 2
    assert {"o": "attr", "i": title["i"], "a": "data-x", "v": "1"} in ops
    assert {"o": "text", "i": title["c"][0]["i"], "x": "Changed"} in ops
    page.evaluate("document.querySelector('#dyn ul').remove()")
    fake.wait_for(lambda: any(op == {"o": "rm", "i": add["n"]["i"]}
                              for e in fake.events if e["k"] == "mutation" for op in e["m"]))
    page.evaluate("document.getElementById('cssinjs').sheet.insertRule('.later { color: red; }', 0)")
    fake.wait_for(lambda: any(op["o"] == "css" for e in fake.events if e["k"] == "mutation" for op in e["m"]))


def test_page_overriding_natives(page, fake):
    page.goto(f"{fake.url}/pages/tag_hostile.html")
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.polls >= 1)
    fake.start_session()
    snap = fake.wait_for(lambda: fake.last("snapshot"))
    assert snap["doc"]["t"] == 9
    page.fill("#name", "typed on a hostile page")
    fake.wait_for(lambda: "typed on a hostile page" in json.dumps(fake.events))
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("still works")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"))


def test_dead_server_does_not_hurt_the_page(browser):
    server = FakeServer()
    url = server.url
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/api/v1/**", lambda route: route.abort())
    page.goto(f"{url}/pages/tag_hard.html")
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-status").wait_for()
    page.fill("#name", "still typing")
    assert page.input_value("#name") == "still typing"
    time.sleep(1)
    assert errors == []
    context.close()
    server.close()


def test_send_retries_with_the_same_seq(page, fake):
    open_page(page, fake)
    fake.fail_sends = 2
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("retry me")
    page.get_by_test_id("cobrowse-chat-send").click()
    fake.wait_for(lambda: fake.last("chat"), timeout=15)
    assert fake.kinds().count("chat") == 1 and fake.sends == 3


def expand_ids(node, last=-1):
    """Reference decoder for implicit ids (hello config.implicit_ids): a node without "i"
    has the id written before it + 1, in pre-order node, c..., d, sh."""
    if "i" not in node:
        node["i"] = last + 1
    last = node["i"]
    for child in node.get("c") or []:
        last = expand_ids(child, last)
    for key in ("d", "sh"):
        if node.get(key):
            last = expand_ids(node[key], last)
    return last


def test_implicit_ids_round_trip(page, fake):
    open_page(page, fake)
    fake.start_session()
    explicit = fake.wait_for(lambda: fake.last("snapshot"))["doc"]
    fake.config["implicit_ids"] = True
    page.reload()
    page.wait_for_function("window.CoBrowse && window.CoBrowse.version")
    fake.wait_for(lambda: fake.kinds().count("snapshot") >= 2)
    implicit = fake.last("snapshot")["doc"]
    assert sum(1 for n in walk(implicit) if "i" in n) < 5
    expand_ids(implicit)
    shape = lambda doc: [(n.get("t"), n.get("n"), n.get("x")) for n in walk(doc)]  # noqa: E731
    assert shape(implicit) == shape(explicit)
    ids = [n["i"] for n in walk(implicit)]
    assert len(ids) == len(set(ids))


URL_CASES = ["x.html", "x/y.html#f", "a/b.html?q=1&r=2#frag", "/root?x=1", "//other.example/x",
             "../up.html", "./here", "a/%2e%2e/b", "a/.%2E/b", "a b", "\u00e9.html", "?q", "a?b'c",
             "a#b'c", "a\\b", ".hidden", "..a", "a/..", "a/.", "a:b", "_a:b", "1a:b",
             "a/b?c=/./d", "%41%zz", "a/b;c=d", "~user/x", "a@b", "(x)", "#only", "mailto:x@y",
             "javascript:alert(1)", " x", "x\n", "\\\\evil", "a/b/"]
URL_BASES = ["http://h.example:8080/dir/page.html?q=1#f", "https://h.example/",
             "http://u:p@h.example/a/b/", "https://h.example/dir/", "http://h.example/x?y/z"]


def test_url_fast_path_agrees_with_the_url_parser(page, fake):
    open_page(page, fake)
    wrong = page.evaluate("""async ([cases, bases]) => {
        const { attributeValue } = await import('/tag/src/serialize.js');
        const wrong = [];
        for (const base of bases) {
            const doc = document.implementation.createHTMLDocument('');
            const b = doc.createElement('base');
            b.setAttribute('href', base);
            doc.head.appendChild(b);
            const a = doc.body.appendChild(doc.createElement('a'));
            for (const v of cases) {
                let want = v;
                if (!/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(v)) try { want = new URL(v, base).href; } catch (e) {}
                const got = attributeValue(a, 'href', v);
                if (got !== want) wrong.push([base, v, got, want]);
            }
        }
        return wrong;
    }""", [URL_CASES, URL_BASES])
    assert wrong == []


def test_a_page_that_clobbers_dom_properties(page, fake):
    """Markup such as <img name=createElement> (document-level) or <form><input
    name=firstChild> (form-level) shadows DOM properties: the tag reads everything through
    the prototypes, so it starts, chats, and captures the form and its changes intact."""
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if "[cobrowse]" in m.text else None)
    open_page(page, fake, "tag_clobber.html")
    assert page.evaluate("""() => [typeof document.createElement, document.body.localName,
        Document.prototype.getElementById.call(document, 'clobbered-form').firstChild.value]""") == [
        "object", "img", "a-firstChild"]  # the page really is clobbered
    page.get_by_test_id("cobrowse-chat-open").click()
    page.get_by_test_id("cobrowse-chat-input").fill("clobbered hello")
    page.get_by_test_id("cobrowse-chat-send").click()
    page.get_by_test_id("cobrowse-chat-message").filter(has_text="clobbered hello").wait_for()
    assert fake.last("chat")["text"] == "clobbered hello"

    fake.start_session(mode="shared")
    page.get_by_test_id("cobrowse-frame").wait_for()
    snap = fake.wait_for(lambda: fake.last("snapshot"))
    assert snap["title"] == "Clobbered page"
    doc = snap["doc"]
    imgs = find(doc, lambda n: n.get("n") == "img")
    assert {"createElement", "title", "body", "cookie"} <= {n["a"].get("name") for n in imgs}
    form = by_attr(doc, "id", "clobbered-form")
    assert form["n"] == "form" and form["a"] == {"id": "clobbered-form", "action": "/submit", "method": "post"}
    inputs = [n for n in form["c"] if n.get("n") == "input"]
    names = ["attributes", "childNodes", "firstChild", "nextSibling", "nodeName", "nodeType", "tagName",
             "parentNode", "elements", "action", "method", "id", "name"]
    assert [n["a"]["name"] for n in inputs][:len(names)] == names
    assert all(n["p"] == {"value": "a-" + n["a"]["name"]} for n in inputs if n["a"]["name"] != "password")
    assert by_attr(doc, "name", "password")["p"]["value"] != "clobber-pw-2718"  # masking still works
    assert by_attr(doc, "id", "form-button")["c"][0]["x"] == "Add a line"
    assert by_attr(doc, "id", "after-form")  # the walk went on past the form
    text_id = by_attr(doc, "id", "form-text")["c"][0]["i"]

    page.evaluate("mutateForm()")
    ops = fake.wait_for(lambda: (lambda o: o if any(x["o"] == "add" for x in o) else None)(fake.ops()))
    fake.wait_for(lambda: any(x["o"] == "text" for x in fake.ops()))
    ops = fake.ops()
    add = next(x for x in ops if x["o"] == "add")
    assert add["p"] == form["i"] and add["n"]["a"]["id"] == "added-in-form"
    assert {"o": "attr", "i": form["i"], "a": "data-state", "v": "changed"} in ops
    assert {"o": "text", "i": text_id, "x": "form text changed"} in ops
    assert not page.errors and not warnings
