"""The agent-side wall (issue 4, item 9; issue 5, item 5): the workspace's replica builder.

Runs workspace/js/replica.js in real Chromium, under the same Content-Security-Policy
headers the server sends, against hostile snapshot trees and mutations that did NOT go
through the server's sanitizer: the replica must hold on its own. Passes when no script
runs (not even one the sandbox has to block), no dialog opens, and no request leaves for a
host outside the site's allow-list. Files are served with Playwright routes: no server.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "workspace"
CORPUS = Path("/work/shared/corpora/xss/dompurify/expect.mjs")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ORIGIN = "http://workspace.test"
SITE = "http://brand.test"
WORKSPACE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'")
REPLICA_CSP = (f"default-src 'none'; script-src 'none'; img-src {SITE} data:; "
               f"style-src {SITE} 'unsafe-inline'; font-src {SITE} data:; media-src {SITE}; "
               "frame-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; "
               "object-src 'none'; frame-ancestors 'self'")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e221bc330000000049454e44ae426082")

HARNESS = """<!DOCTYPE html><html><head><meta charset=utf-8></head><body>
<div id=stage></div><script type=module src=/test/boot.js></script></body></html>"""

# The harness: a Replica in the page, and a raw serializer (DOMParser -> snapshot JSON, no
# sanitizing at all) to feed corpus payloads straight to the replica.
BOOT = """import { Replica, createReplicaFrame } from '/workspace/js/replica.js';
const frame = createReplicaFrame();
frame.style.width = '800px'; frame.style.height = '600px';
document.getElementById('stage').append(frame);
window.replica = new Replica(frame);
const get = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const P = { nodeType: get(Node.prototype, 'nodeType'), childNodes: get(Node.prototype, 'childNodes'),
  localName: get(Element.prototype, 'localName'), namespaceURI: get(Element.prototype, 'namespaceURI'),
  data: get(CharacterData.prototype, 'data') };
const NS = { 'http://www.w3.org/2000/svg': 'svg', 'http://www.w3.org/1998/Math/MathML': 'math' };
window.rawSnapshot = (html) => {
  const doc = new DOMParser().parseFromString('<!DOCTYPE html>' + html, 'text/html');
  let next = 1;
  const root = { i: next++, t: 9, c: [] };
  const stack = [[doc.documentElement, root]];
  while (stack.length) {
    const [node, parent] = stack.pop();
    let out = null;
    const type = P.nodeType.call(node);
    if (type === 3) out = { i: next++, t: 3, x: P.data.call(node) };
    else if (type === 1) {
      const name = P.localName.call(node);
      out = { i: next++, t: 1, n: name, a: {}, c: [] };
      const ns = NS[P.namespaceURI.call(node)];
      if (ns) out.ns = ns;
      for (const a of Element.prototype.getAttributeNames.call(node)) out.a[a] = Element.prototype.getAttribute.call(node, a);
      const kids = [...P.childNodes.call(name === 'template' ? node.content : node)];
      for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], out]);
    }
    if (out) parent.c.push(out);
  }
  return { doc: root, vw: 800, vh: 600, sx: 0, sy: 0 };
};
window.harnessReady = true;
"""

CANARY = "parent.canary=1;top.canary=1"
SITE_CSS = "li { color: rgb(9, 8, 7) }"


def el(i, n, a=None, c=None, **kw):
    node = {"i": i, "t": 1, "n": n, "a": a or {}, "c": c or []}
    node.update(kw)
    return node


def tx(i, x):
    return {"i": i, "t": 3, "x": x}


def document(*body, head=()):
    return {"doc": {"i": 1, "t": 9, "c": [{"i": 2, "t": 10, "n": "html"}, el(3, "html", {}, [
        el(4, "head", {}, list(head)), el(5, "body", {}, list(body))])]}, "vw": 800, "vh": 600}


class Watch:
    """What happened in the page: requests, dialogs, console lines."""

    def __init__(self):
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []

    def scripts_tried(self):
        return [m for m in self.console if "Blocked script execution" in m or "script-src" in m]

    def outside(self):
        return [u for u in self.requests if not u.startswith((ORIGIN + "/", SITE + "/", "data:"))]


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    watch = Watch()

    def serve(route):
        url = route.request.url
        watch.requests.append(url)
        path = url.split("?", 1)[0]
        if path.startswith(SITE + "/") and path.endswith(".css"):
            return route.fulfill(status=200, content_type="text/css", body=SITE_CSS)
        if path.startswith(SITE + "/"):
            return route.fulfill(status=200, content_type="image/png", body=PNG)
        if not path.startswith(ORIGIN + "/"):
            return route.fulfill(status=404, body="")
        path = path[len(ORIGIN):]
        if path == "/test/harness.html":
            return route.fulfill(status=200, content_type="text/html", body=HARNESS,
                                 headers={"Content-Security-Policy": WORKSPACE_CSP})
        if path == "/test/boot.js":
            return route.fulfill(status=200, content_type="text/javascript", body=BOOT)
        if path == "/test/corpus.mjs" and CORPUS.exists():
            return route.fulfill(status=200, content_type="text/javascript", body=CORPUS.read_bytes())
        file = WORKSPACE / path.removeprefix("/workspace/")
        if not path.startswith("/workspace/") or not file.is_file():
            return route.fulfill(status=404, body="")
        csp = REPLICA_CSP if file.name == "replica.html" else WORKSPACE_CSP
        kind = {".js": "text/javascript", ".html": "text/html", ".css": "text/css"}[file.suffix]
        route.fulfill(status=200, content_type=kind, body=file.read_bytes(),
                      headers={"Content-Security-Policy": csp})

    context.route("**/*", serve)
    pg.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: watch.console.append(m.text))
    pg.on("pageerror", lambda e: watch.console.append(f"pageerror {e}"))
    pg.goto(ORIGIN + "/test/harness.html")
    pg.wait_for_selector("iframe")
    pg.wait_for_timeout(50)
    pg.evaluate("() => replica.ready")
    pg.watch = watch
    yield pg
    context.close()


def assert_walls_held(pg):
    pg.wait_for_timeout(300)
    watch = pg.watch
    assert pg.evaluate("() => window.canary") is None
    assert watch.dialogs == []
    assert watch.scripts_tried() == []
    assert watch.outside() == []
    found = pg.evaluate("""() => {
      const bad = [];
      const docs = [replica.doc];
      while (docs.length) {
        const d = docs.pop();
        for (const n of d.querySelectorAll('*')) {
          if (/^(script|object|embed|applet|base|meta|frame|frameset)$/i.test(n.localName)) bad.push(n.localName);
          for (const a of n.attributes) {
            if (/^on/i.test(a.name) || a.name === 'srcdoc' || /^\\s*(javascript|vbscript|data:text)/i.test(a.value)) bad.push(a.name + '=' + a.value);
          }
          if (n.localName === 'iframe') { if (n.getAttribute('src')) bad.push('iframe src'); if (n.contentDocument) docs.push(n.contentDocument); }
        }
      }
      return bad;
    }""")
    assert found == []


def test_hostile_snapshot_runs_nothing(page):
    snap = document(
        el(10, "script", {}, [tx(11, CANARY)]),
        el(12, "img", {"src": "x", "onerror": CANARY}),
        el(13, "a", {"href": f"javascript:{CANARY}"}, [tx(14, "link")]),
        el(15, "iframe", {"srcdoc": f"<script>{CANARY}</script>", "src": "data:text/html,<script>alert(1)</script>"}),
        el(16, "object", {"data": "http://evil.test/x.swf"}),
        el(17, "embed", {"src": "http://evil.test/x.swf"}),
        el(18, "svg", {"onload": CANARY}, [
            el(19, "script", {}, [tx(20, CANARY)], ns="svg"),
            el(21, "animate", {"attributeName": "href", "to": "javascript:alert(1)"}, ns="svg"),
            el(22, "use", {"href": "http://evil.test/sprite.svg#x"}, ns="svg"),
            el(23, "a", {"xlink:href": "javascript:alert(1)"}, [el(24, "text", {}, [tx(25, "t")], ns="svg")], ns="svg"),
        ], ns="svg"),
        el(26, "form", {"action": "http://evil.test/steal"}, [
            el(27, "button", {"formaction": f"javascript:{CANARY}", "autofocus": ""}, [tx(28, "go")])]),
        el(29, "img", {"src": "http://evil.test/track.png", "srcset": "http://evil.test/a.png 1x"}),
        el(30, "div", {"style": "background:url(http://evil.test/bg.png)"}),
        el(31, "img", {"src": "/relative-to-workspace.png"}),
        el(32, "iframe", {}, d={"i": 33, "t": 9, "c": [el(34, "html", {}, [el(35, "body", {"onload": CANARY}, [
            el(36, "script", {}, [tx(37, CANARY)]), el(38, "img", {"src": "x", "onerror": CANARY})])])]}),
        el(39, "math", {}, [el(40, "maction", {"actiontype": "statusline", "xlink:href": "javascript:alert(1)"}, ns="math")], ns="math"),
        el(41, "details", {"open": "", "ontoggle": CANARY}),
        el(42, "input", {"onfocus": CANARY, "autofocus": ""}),
        el(43, "img", {"src": SITE + "/ok.png"}),
        head=[
            el(50, "meta", {"http-equiv": "refresh", "content": "0;url=javascript:alert(1)"}),
            el(51, "base", {"href": "http://evil.test/"}),
            el(52, "link", {"rel": "prefetch", "href": "http://evil.test/p"}),
            el(53, "link", {"rel": "stylesheet", "href": "http://evil.test/s.css"}),
            el(54, "style", {}, [tx(55, "@import url(http://evil.test/i.css); body{background:url(http://evil.test/b.png)}")]),
        ])
    assert page.evaluate("s => replica.load(s)", snap) is True
    assert_walls_held(page)
    assert SITE + "/ok.png" in page.watch.requests  # the allowed image still loads


def test_hostile_mutations_run_nothing(page):
    page.evaluate("s => replica.load(s)", document(el(10, "div", {"id": "d"}, [tx(11, "x")]),
                                                   el(12, "iframe", {}), el(13, "a", {"href": SITE + "/"})))
    ops = [
        {"o": "add", "p": 10, "b": None, "n": el(20, "script", {}, [tx(21, CANARY)])},
        {"o": "add", "p": 10, "b": 11, "n": el(22, "img", {"src": "x", "onerror": CANARY})},
        {"o": "attr", "i": 10, "a": "onclick", "v": CANARY},
        {"o": "attr", "i": 10, "a": "ONMOUSEOVER", "v": CANARY},
        {"o": "attr", "i": 12, "a": "srcdoc", "v": f"<script>{CANARY}</script>"},
        {"o": "attr", "i": 12, "a": "src", "v": "javascript:alert(1)"},
        {"o": "attr", "i": 13, "a": "href", "v": " java\tscript:alert(1)"},
        {"o": "attr", "i": 10, "a": "bad name<>", "v": "x"},
        {"o": "text", "i": 11, "x": f"<img src=x onerror={CANARY}>"},
        {"o": "img", "i": 10, "img": "data:text/html,<script>alert(1)</script>"},
        {"o": "css", "i": 10, "css": "*{}"},
        {"o": "add", "p": 4, "b": None, "n": el(23, "meta", {"http-equiv": "refresh", "content": "0"})},
        {"o": "rm", "i": 999},
    ]
    assert page.evaluate("ops => replica.apply(ops)", ops) is False  # id 999 is unknown
    assert_walls_held(page)
    assert page.evaluate("() => replica.doc.getElementById('d').textContent").startswith("<img")


def test_replica_shows_the_page(page):
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    snap = document(
        el(10, "input", {"type": "text", "value": "markup"}, p={"value": "typed"}),
        el(11, "input", {"type": "checkbox"}, p={"checked": True}),
        el(12, "select", {}, [el(13, "option", {}, [tx(14, "a")]), el(15, "option", {}, [tx(16, "b")])], p={"selected": [1]}),
        el(17, "div", {"id": "host"}, [], sh={"i": 18, "t": 11, "c": [el(19, "p", {}, [tx(20, "shadow")])], "ss": ["p{color:red}"]}),
        el(21, "iframe", {}, d={"i": 22, "t": 9, "c": [el(23, "html", {}, [el(24, "body", {}, [tx(25, "inner")])])]}),
        el(26, "canvas", {"width": "10"}, img=png),
        el(27, "div", {"data-cobrowse-placeholder": "1 video from another site"}),
        el(28, "input", {"type": "password"}, m=1, p={"value": "\u2022\u2022\u2022"}),
        head=[el(30, "style", {}, [tx(31, "body{color:rgb(1, 2, 3)}")])])
    page.evaluate("s => replica.load(s)", snap)
    got = page.evaluate("""() => { const d = replica.doc; return {
      value: d.querySelector('input').value, checked: d.querySelectorAll('input')[1].checked,
      selected: d.querySelector('select').selectedIndex,
      shadow: d.getElementById('host').shadowRoot.textContent,
      shadowColor: getComputedStyle(d.getElementById('host').shadowRoot.querySelector('p')).color,
      inner: d.querySelector('iframe').contentDocument.body.textContent,
      innerSandbox: d.querySelector('iframe').getAttribute('sandbox'),
      canvas: d.querySelector('img').getAttribute('src').slice(0, 15),
      placeholder: getComputedStyle(d.querySelector('[data-cobrowse-placeholder]')).display,
      color: getComputedStyle(d.body).color, masked: replica.isMasked(replica.node(28)),
      sandbox: replica.frame.getAttribute('sandbox') }; }""")
    assert got == {"value": "typed", "checked": True, "selected": 1, "shadow": "shadow",
                   "shadowColor": "rgb(255, 0, 0)", "inner": "inner", "innerSandbox": "allow-same-origin",
                   "canvas": "data:image/png;", "placeholder": "flex", "color": "rgb(1, 2, 3)",
                   "masked": True, "sandbox": "allow-same-origin"}
    assert_walls_held(page)


def test_big_snapshot_is_built_in_slices_and_shown_styled(page):
    """A 30,000-element page: built in slices (progress reported, the page keeps answering),
    kept hidden until its style sheet is in, then shown styled and marked data-ready; a
    second small page replaces it without hiding the frame."""
    big = document(el(10, "ul", {}, []),
                   head=[el(11, "link", {"rel": "stylesheet", "href": SITE + "/site.css"})])
    got = page.evaluate("""async (snap) => {
      const list = snap.doc.c[1].c[1].c[0];  // html > body > ul (made here: big to pass in)
      for (let k = 0; k < 30000; k++) {
        list.c.push({ i: 100 + 2 * k, t: 1, n: 'li', a: {}, c: [{ i: 101 + 2 * k, t: 3, x: `item ${k}` }] });
      }
      const seen = { progress: 0, ticks: 0 };
      const ticker = setInterval(() => { seen.ticks += 1; }, 0);
      const started = performance.now();
      const done = await replica.load(snap, () => { seen.progress += 1; });
      seen.ms = performance.now() - started;
      clearInterval(ticker);
      await new Promise((r) => { const w = () => replica.frame.dataset.ready ? r() : setTimeout(w, 10); w(); });
      const d = replica.doc;
      return { ...seen, done, count: d.querySelectorAll('li').length, shown: replica.frame.style.display,
               color: getComputedStyle(d.querySelector('li')).color,
               last: d.querySelector('li:last-child').textContent };
    }""", big)
    print(f"30,000 elements built and shown in {got['ms']:.0f} ms")
    assert got["done"] is True and got["count"] == 30000 and got["last"] == "item 29999"
    assert got["progress"] > 1 and got["ticks"] >= 1, got  # slices: timers ran in between
    assert got["shown"] == "" and got["color"] == "rgb(9, 8, 7)", got
    small = document(el(10, "p", {}, [tx(12, "next page")]))
    hidden = page.evaluate("""async (snap) => {
      let hidden = false;
      const watch = new MutationObserver(() => { if (replica.frame.style.display === 'none') hidden = true; });
      watch.observe(replica.frame, { attributes: true });
      await replica.load(snap);
      watch.disconnect();
      return hidden;
    }""", small)
    assert hidden is False
    assert page.evaluate("() => replica.doc.body.textContent") == "next page"
    assert_walls_held(page)


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared XSS corpus is not available")
def test_dompurify_corpus_straight_into_the_replica(page):
    """Every DOMPurify payload, parsed by Chromium and NOT sanitized, built in the replica."""
    # Parse first (the harness's own DOMParser may log blocked handlers of its inert
    # documents under the harness's CSP), then watch only what building the replica does.
    count = page.evaluate("""async () => {
      const cases = (await import('/test/corpus.mjs')).default;
      window.corpus = cases.map((c) => rawSnapshot(String(c.payload)));
      return cases.length;
    }""")
    page.wait_for_timeout(300)
    page.watch.console.clear()
    page.evaluate("async () => { for (const snap of window.corpus) await replica.load(snap); }")
    assert count > 200
    assert_walls_held(page)


def test_workspace_code_never_writes_markup():
    """No HTML sinks or eval in the workspace's code; no inline script or handler in its page."""
    sinks = re.compile(r"\.(innerHTML|outerHTML|srcdoc)\s*=|insertAdjacentHTML|document\.write|"
                       r"\beval\(|new Function\(|setAttribute\(\s*['\"]srcdoc")
    for file in sorted((WORKSPACE / "js").glob("*.js")):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", file.read_text(), flags=re.S)  # comments may name them
        assert not sinks.search(code), file.name
        assert "allow-scripts" not in code, file.name
    html = (WORKSPACE / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)
    replica = (WORKSPACE / "replica.html").read_text()
    assert "<script" not in replica


def test_kinds_match_the_protocol_tables():
    """workspace/js/kinds.js lists exactly the kinds of docs/protocol.md's two tables."""
    text = (WORKSPACE / "js" / "kinds.js").read_text()

    def js_list(name):
        body = re.search(rf"export const {name} = Object\.freeze\(\[(.*?)\]\)", text, re.S).group(1)
        return re.findall(r"'([^']+)'", body)

    from cobrowse import protocol

    assert js_list("AGENT_KINDS") == list(protocol.AGENT_KINDS)
    assert js_list("VISITOR_KINDS") == list(protocol.VISITOR_KINDS)
    assert set(js_list("CONTROL_KINDS")) == set(protocol.CONTROL_KINDS)
    assert json.dumps(js_list("AGENT_KINDS"))  # serializable: no stray quoting


def test_fills_complete_a_visible_first_snapshot(page):
    """Issue 16: a pending shell (``f: 1``) gets its children from fill ops, a nested shell
    in the same event too; the replica says it is loading the rest until the last one."""
    page.evaluate("s => replica.load(s)", document(
        el(10, "div", {"id": "top"}, [tx(11, "seen first")]), el(12, "ul", {"id": "list"}, [], f=1, fh=900)))
    height = "() => replica.doc.getElementById('list').getBoundingClientRect().height"
    assert page.evaluate(height) == 900  # its height on the visitor's page, kept meanwhile

    def state():
        return page.evaluate("""() => [replica.loadingRest, replica.frame.dataset.rest || null,
                                       replica.doc.getElementById('list').textContent]""")
    assert state() == [True, "loading", ""]
    assert page.evaluate("m => replica.apply(m)", [
        {"o": "fill", "i": 12, "more": True, "c": [el(13, "li", {}, [tx(14, "one")])]}])
    assert state() == [True, "loading", "one"]
    assert page.evaluate("m => replica.apply(m)", [
        {"o": "fill", "i": 12, "c": [el(15, "li", {}, [], f=1)]},
        {"o": "fill", "i": 15, "c": [tx(16, "two")]}])
    assert state() == [False, None, "onetwo"]
    assert page.evaluate(height) < 900
    assert page.evaluate("() => replica.doc.getElementById('list').hasAttribute('style')") is False
    assert page.evaluate("() => replica.node(16).data") == "two"
    assert page.evaluate("m => replica.apply(m)", [{"o": "fill", "i": 12, "c": []}]) is False


def test_parts_of_a_big_event_are_joined_in_order(page):
    """Capped answers (docs/protocol.md): an event too big for one answer comes as
    consecutive ``part`` events; the poller hands on the whole event once, with the last
    part's id; a run of parts read from its middle is dropped, never half applied."""
    import json as _json

    text = _json.dumps({"k": "snapshot", "title": "big " + "é\"x" * 500, "doc": None})
    cut = [text[:400], text[400:900], text[900:]]
    events = [{"s": "s_x", "id": 1, "k": "part", "part": [1, 3], "data": "orphan"},
              *[{"s": "s_x", "id": 2 + n, "k": "part", "part": [n, 3], "data": piece}
                for n, piece in enumerate(cut)],
              {"s": "s_x", "id": 5, "k": "pointer", "i": 3, "x": 0, "y": 0}]
    got = page.evaluate("""async (events) => {
      const { Poller } = await import('/workspace/js/api.js');
      const got = [];
      const poller = new Poller('t', { onEvents: (e) => got.push(...e), onState() {} });
      poller.follow('x');
      poller.deliver({ events });
      return got; }""", events)
    assert [(e["k"], e["id"]) for e in got] == [("snapshot", 4), ("pointer", 5)]
    assert got[0]["title"] == "big " + "é\"x" * 500 and got[0]["s"] == "s_x"
