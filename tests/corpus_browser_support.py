"""Helpers for tests/test_corpus_browser.py: the XSS corpora in real Chromium, end to end.

Visitor side (way a): pages of ~100 payloads under the demo site's origin, each payload
parsed by the page itself into its own container, more added later as mutations. Agent side:
a watch on the agent's whole browser context (requests, dialogs, console, a canary on
alert/confirm/prompt/print) and a walk over the replica's documents. Way b: crafted
snapshot and mutation events built from the same payloads (html5lib, like
sanitize_corpus_support), batched per chunk.
"""

from __future__ import annotations

import json

import html5lib

from tests.sanitize_corpus_support import Ids, node_of

CHUNK = 100
SNAP, LATE, ATTR = "CBX-SNAP-", "CBX-LATE-", "CBX-ATTR-"


def chunks(payloads, size=CHUNK):
    """[(k, name, html)] lists of about ``size``; k is the payload's index in the corpora."""
    numbered = [(k, name, html) for k, (name, html) in enumerate(payloads)]
    return [numbered[i:i + size] for i in range(0, len(numbered), size)]


# --- way a: the visitor's pages ----------------------------------------------------------

VISITOR_CSP = "script-src 'self'; object-src 'none'"

# The payloads clobber the page's DOM on purpose (<img name=createElement>, <form> with an
# <input name=attributes>...), so every script here calls the prototypes' own functions.
PRISTINE_JS = r"""
  const D = Document.prototype, E = Element.prototype, N = Node.prototype;
  const get = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const P = {
    create: (name) => D.createElement.call(document, name),
    createNS: (ns, name) => D.createElementNS.call(document, ns, name),
    byId: (id) => D.getElementById.call(document, id),
    append: (parent, child) => N.appendChild.call(parent, child),
    attr: (el, name, value) => E.setAttribute.call(el, name, value),
    html: (el, text) => Object.getOwnPropertyDescriptor(E, 'innerHTML').set.call(el, text),
    text: (el, text) => Object.getOwnPropertyDescriptor(N, 'textContent').set.call(el, text),
    all: (root) => Array.from(DocumentFragment.prototype.querySelectorAll.call(root, '*')),
    attrs: (el) => Array.from(get(E, 'attributes').call(el), (a) => [a.namespaceURI, a.name, a.value]),
    ns: (el) => get(E, 'namespaceURI').call(el),
    local: (el) => get(E, 'localName').call(el),
    setNS: (el, ns, name, value) => E.setAttributeNS.call(el, ns, name, value),
    content: (t) => get(HTMLTemplateElement.prototype, 'content').call(t),
    // A <meta http-equiv=refresh> payload would navigate the visitor's own page away (to
    // about:blank#blocked for a javascript: URL) before the tag captured it: renamed in the
    // detached container, so the element and its content still reach the tag and server.
    defuse: (box) => {
      for (const el of Array.from(Element.prototype.querySelectorAll.call(box, 'meta'))) {
        const how = E.getAttribute.call(el, 'http-equiv');
        if (how && /refresh/i.test(how)) E.setAttribute.call(el, 'http-equiv', 'x-cbx-' + how);
      }
    },
  };
"""

# Runs on the visitor's page once the tag has started (a page that clobbers document before
# the tag starts breaks the tag: reported, a tag issue), then fills the page.
LOADER_JS = """(() => {""" + PRISTINE_JS + """
  const items = JSON.parse(P.byId('cbx-payloads').textContent);
  const refs = { snap: P.byId('cbx-snap'), late: P.byId('cbx-late'), shells: P.byId('cbx-shells'),
                 done: P.byId('cbx-done'), end: P.byId('cbx-end') };
  window.cbx = { P, items, refs };
  const fill = () => {
    for (const [k, html] of items) {
      const box = P.create('div');
      box.className = 'cbx-payload';
      P.attr(box, 'data-cbx', String(k));
      try { P.html(box, html); } catch (e) { /* the payload's own problem */ }
      P.defuse(box);
      P.append(refs.snap, box);
    }
    P.text(refs.end, refs.end.dataset.marker);
  };
  const started = () => { try { return !!(window.CoBrowse && window.CoBrowse.info && window.CoBrowse.info()); } catch (e) { return false; } };
  const wait = () => (started() ? fill() : setTimeout(wait, 10));
  wait();
})();
"""


def chunk_page(n: int, chunk) -> str:
    """The attacker's page of chunk ``n``: the tag, the payloads as data, and the loader (an
    external script, so the page's CSP can forbid inline script on the visitor's side)."""
    data = json.dumps([[k, html] for k, _, html in chunk]).replace("<", "\\u003c")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Corpus {n}</title>
<script src="/tag/cobrowse.js" data-site="demo" async></script>
<script type="application/json" id="cbx-payloads">{data}</script></head>
<body><h1>Corpus chunk {n}</h1><div id="cbx-snap"></div><div id="cbx-late"></div>
<div id="cbx-shells"></div><p id="cbx-done">waiting</p>
<p id="cbx-end" data-marker="{SNAP}{n}">loading</p>
<script src="/demo/cbx-loader.js"></script></body></html>"""


# After the replica shows the chunk: every payload again (add ops), and for every element
# of every payload an empty element of the same name (add ops) whose attributes are set
# afterwards (attr ops, see SET_ATTRIBUTES_JS).
ADD_LATE_JS = """(marker) => {
  const { P, items, refs } = window.cbx;
  const shells = [];
  for (const [k, html] of items) {
    const box = P.create('div');
    box.className = 'cbx-late';
    P.attr(box, 'data-cbx', String(k));
    try { P.html(box, html); } catch (e) { /* ignored */ }
    P.defuse(box);
    P.append(refs.late, box);
    const t = P.create('template');
    try { P.html(t, html); } catch (e) { continue; }
    const shellBox = P.create('div');  // the payload's shells, in one add op
    P.attr(shellBox, 'data-cbx', String(k));
    for (const el of P.all(P.content(t))) {
      let shell;
      try { shell = P.createNS(P.ns(el), P.local(el)); } catch (e) { continue; }
      shells.push([shell, P.attrs(el)]);
      P.append(shellBox, shell);
    }
    P.append(refs.shells, shellBox);
  }
  window.cbx.shells = shells;
  const m = P.create('p');
  P.text(m, marker);
  P.append(refs.late, m);
  return shells.length;
}"""

SET_ATTRIBUTES_JS = """(marker) => {
  const { P, refs, shells } = window.cbx;
  let count = 0;
  for (const [shell, attrs] of shells) {
    for (const [ns, name, value] of attrs) {
      // The same defusing as P.defuse: a connected meta acts on an attribute change too.
      const v = (name.toLowerCase() === 'http-equiv' && /refresh/i.test(value)) ? 'x-cbx-' + value : value;
      try { P.setNS(shell, ns, name, v); count++; } catch (e) { /* bad name */ }
    }
  }
  P.text(refs.done, marker);
  return count;
}"""


# --- the agent's browser -----------------------------------------------------------------

# In every frame of the agent's context (where scripts may run at all): the functions the
# payloads call leave a trace on the frame and on the top window, then do their usual thing
# (so a dialog still opens and the dialog listener sees it too).
CANARY_JS = """(() => {
  for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
    const original = window[name];
    window[name] = function (...args) {
      (window.cbxCanary = window.cbxCanary || []).push(name);
      try { (top.cbxCanary = top.cbxCanary || []).push(name + '@' + location.href); } catch (e) { /* cross-origin */ }
      return original.apply(this, args);
    };
  }
})();"""

# The replica's documents, walked from the workspace's top page (same origin): text for the
# markers, counts of the payload containers, and what must never be there.
INSPECT_JS = """() => {
  const frame = document.querySelector('[data-testid="cobrowse-replica"]');
  const out = { ready: false, text: '', payloads: 0, late: 0, bad: [], canary: [], docs: 0 };
  if (window.cbxCanary) out.canary.push('top: ' + window.cbxCanary.join(','));
  // The replica may hold clobbering markup too: read everything through prototype getters.
  const get = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const G = { body: get(Document.prototype, 'body'), text: get(Node.prototype, 'textContent'),
    local: get(Element.prototype, 'localName'), ns: get(Element.prototype, 'namespaceURI'), attrs: get(Element.prototype, 'attributes'),
    cls: get(Element.prototype, 'className'), shadow: get(Element.prototype, 'shadowRoot'),
    doc: get(HTMLIFrameElement.prototype, 'contentDocument'),
    win: get(HTMLIFrameElement.prototype, 'contentWindow'),
    fdoc: get(HTMLFrameElement.prototype, 'contentDocument'),
    fwin: get(HTMLFrameElement.prototype, 'contentWindow') };
  const all = (root) => (root.nodeType === 9 ? Document.prototype : DocumentFragment.prototype)
    .querySelectorAll.call(root, '*');
  const top = frame && G.doc.call(frame);
  if (!top || !G.body.call(top)) return out;
  out.ready = true;
  out.text = G.text.call(G.body.call(top));
  const root = get(Document.prototype, 'documentElement').call(top);
  out.old = !!(root && root.cbxOld);
  const strip = (v) => v.replace(/[\\u0000-\\u0020\\u007f-\\u00a0\\u200b-\\u200f\\ufeff]/g, '').toLowerCase();
  // CSS: comments dropped (glued: the worst reading) and invisible characters, but not
  // spaces, which end a CSS identifier ("expr ession(" is no expression). A URL already
  // made absolute (http/https) may hold any word in its path.
  const cssStrip = (v) => v.replace(/\\/\\*[\\s\\S]*?(\\*\\/|$)/g, '')
    .replace(/[\\u0000-\\u0008\\u007f-\\u009f\\u200b-\\u200f\\ufeff]/g, '').toLowerCase();
  const css = (v) => cssStrip(v).replace(/url\\(\\s*("https?:\\/\\/[^"]*"|'https?:\\/\\/[^']*'|https?:\\/\\/[^'"()\\s]*)\\s*\\)/g, 'url()');
  const roots = [[top, G.win.call(frame), 'replica']];
  while (roots.length) {
    const [root, win, where] = roots.pop();
    out.docs++;
    if (win && win.cbxCanary) out.canary.push(where + ': ' + win.cbxCanary.join(','));
    for (const el of all(root)) {
      const name = G.local.call(el).toLowerCase();
      const cls = typeof G.cls.call(el) === 'string' ? G.cls.call(el) : '';
      if (name === 'script') out.bad.push(where + ' <script>');
      if (cls === 'cbx-payload') out.payloads++;
      if (cls === 'cbx-late') out.late++;
      for (const a of G.attrs.call(el)) {
        const v = strip(a.value);
        if (/^on/i.test(a.name)) out.bad.push(`${where} <${name} ${a.name}>`);
        const prose = /^(title|alt|class|id|name|value|placeholder|label|aria-.*|data-.*)$/i.test(a.name);
        if ((!prose && (/^(javascript|vbscript|livescript):/.test(v) || /^data:(text|application|image\\/svg)/.test(v)))
            || ((a.name === 'style') && /javascript:|expression\\(/.test(css(a.value))) || a.name === 'srcdoc') {
          out.bad.push(`${where} <${name} ${a.name}=${a.value.slice(0, 80)}>`);
        }
      }
      if (name === 'style') {
        const text = css(G.text.call(el));
        const hit = text.search(/javascript:|expression\\(/);
        if (hit >= 0) out.bad.push(`${where} <style> with script: ${text.slice(Math.max(0, hit - 60), hit + 60)}`);
      }
      if (G.shadow.call(el)) roots.push([G.shadow.call(el), null, where + ' shadow']);
      if ((name === 'iframe' || name === 'frame') && G.ns.call(el) === 'http://www.w3.org/1999/xhtml') {
        const [d, w] = name === 'iframe' ? [G.doc, G.win] : [G.fdoc, G.fwin];
        try { const inner = d.call(el); if (inner) roots.push([inner, w.call(el), where + ' frame']); }
        catch (e) { out.bad.push(`${where} unreadable <${name}>: ${e}`); }
      }
    }
  }
  return out;
}"""


class AgentWatch:
    """Everything the agent's browser context did: requests (every page and frame), dialogs,
    console lines about blocked scripts or resources. Requests outside the allow-list are
    recorded and aborted (no DNS wait)."""

    def __init__(self, context, allowed: tuple[str, ...]):
        self.allowed = tuple(o.rstrip("/") + "/" for o in allowed) + ("data:",)
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.polls: list[bytes] = []  # poll response bodies not read yet (see read_polls)
        context.add_init_script(CANARY_JS)
        context.on("request", self._request)
        context.route("**/api/v1/poll*", self._poll)
        context.on("page", self.watch_page)
        context.route(lambda url: not url.startswith(self.allowed), self._abort)

    def _request(self, request):
        self.requests.append(request.url)
        if not request.url.startswith(self.allowed):
            self.outside.append(request.url)

    def _poll(self, route):
        """The agent's polls go through here: their bodies are kept as the server sent them
        (a browser's own buffer of response bodies does not keep long polls around)."""
        try:
            response = route.fetch(timeout=60_000)
            body = response.body()
        except Exception:  # the workspace gave the poll up (a newer one replaced it)
            return route.abort()
        self.polls.append(body)
        try:
            route.fulfill(response=response, body=body)
        except Exception:  # noqa: S110 (the page is gone or no longer waits for it)
            pass

    def read_polls(self, walls) -> int:
        """Give every poll response answered so far to ``walls`` (what the server delivered,
        before the replica saw it); returns how many were read."""
        polls, self.polls = self.polls, []
        for body in polls:
            walls.look_at_poll(body)
        return len(polls)

    def _abort(self, route):
        if route.request.url not in self.outside:
            self.outside.append(route.request.url)
        route.abort()

    def watch_page(self, page):
        page.on("dialog", self._dialog)
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"pageerror {e}"))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def scripts_tried(self) -> list[str]:
        return [m for m in self.console if "script" in m.lower() and (
            "blocked" in m.lower() or "refused" in m.lower())]

    def blocked_loads(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]


def inspect(agent_page) -> dict:
    return agent_page.evaluate(INSPECT_JS)


MARK_JS = """() => {
  const frame = document.querySelector('[data-testid="cobrowse-replica"]');
  frame.contentDocument.documentElement.cbxOld = 1;
}"""


def wait_marker(agent_page, marker: str, timeout: float = 20.0, fresh: bool = False,
                log=()) -> dict:
    """Poll the replica until its text holds ``marker`` (in a document built after MARK_JS
    when ``fresh``); returns the last inspection."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        seen = inspect(agent_page)
        if marker in seen["text"] and not (fresh and seen.get("old")) and not agent_page.evaluate(
                "() => !!document.querySelector('[data-testid=cobrowse-progress]:not([hidden])')"):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica never showed {marker!r} "
                                 f"(ready={seen['ready']}, text ends {seen['text'][-200:]!r}); tag: {list(log)}")
        agent_page.wait_for_timeout(100)


# --- way b: crafted events ---------------------------------------------------------------

def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def crafted_snapshot(chunk, n: int, url: str, ids: Ids) -> tuple[dict, dict, dict]:
    """One snapshot holding every payload of ``chunk``: each parsed as a whole document by
    html5lib, its head's children put in the snapshot's head, the rest (body renamed to a
    div, its attributes kept) in a container of its own. Returns the event, the ids of the
    places mutations go to, and the payload of every head node's id (for the wall count)."""
    doc_id, doctype_id, html_id, head_id, body_id = (ids() for _ in range(5))
    head, boxes, owners = [], [], {}
    for k, _name, payload in chunk:
        tree = html5lib.parse(payload, treebuilder="etree", namespaceHTMLElements=True)
        box = {"i": ids(), "t": 1, "n": "div", "a": {"class": "cbx-payload", "data-cbx": str(k)},
               "c": []}
        for part in tree:
            local = _local(part.tag)
            if local == "head":
                first = ids.next
                head += [node for node in (node_of(child, ids) for child in part) if node]
                owners.update(dict.fromkeys(range(first, ids.next), k))
                continue
            node = node_of(part, ids)
            if node is None:
                continue
            if local == "body":
                node["n"] = "div"
            box["c"].append(node)
        boxes.append(box)
    places = {k: ids() for k in ("late", "shells", "done", "done_text", "end", "end_text")}
    body = [*boxes,
            {"i": places["late"], "t": 1, "n": "div", "a": {"id": "cbx-late"}, "c": []},
            {"i": places["shells"], "t": 1, "n": "div", "a": {"id": "cbx-shells"}, "c": []},
            {"i": places["done"], "t": 1, "n": "p", "a": {}, "c": [
                {"i": places["done_text"], "t": 3, "x": "waiting"}]},
            {"i": places["end"], "t": 1, "n": "p", "a": {}, "c": [
                {"i": places["end_text"], "t": 3, "x": f"{SNAP}{n}"}]}]
    doc = {"i": doc_id, "t": 9, "c": [
        {"i": doctype_id, "t": 10, "n": "html"},
        {"i": html_id, "t": 1, "n": "html", "a": {}, "c": [
            {"i": head_id, "t": 1, "n": "head", "a": {}, "c": head},
            {"i": body_id, "t": 1, "n": "body", "a": {}, "c": body}]}]}
    places["doc"] = doc_id
    event = {"k": "snapshot", "doc": doc, "url": url, "title": f"Crafted {n}",
             "vw": 1000, "vh": 700, "sx": 0, "sy": 0}
    return event, places, owners


def crafted_mutations(chunk, n: int, places: dict, ids: Ids) -> list[dict]:
    """Three mutation events for ``chunk``: (1) each payload's fragment added in a container
    of its own, (2) an empty element of the same name for every element of every payload
    (one add op per payload: a container of its shells),
    (3) the attributes of those elements set on them by attr ops, the text of their <style>s
    set by css ops, and a text op on a known node. Each ends with its marker."""
    adds, shells, later = [], [], []
    for k, _name, payload in chunk:
        fragment = html5lib.parseFragment(payload, treebuilder="etree",
                                          namespaceHTMLElements=True)
        wrapper = node_of(fragment, ids) or {"c": []}
        mark = {"data-cbx": str(k)}
        adds.append({"o": "add", "p": places["late"], "b": None, "n": {
            "i": ids(), "t": 1, "n": "div", "a": {"class": "cbx-late", **mark}, "c": wrapper["c"]}})
        box = {"i": ids(), "t": 1, "n": "div", "a": mark, "c": []}
        shells.append({"o": "add", "p": places["shells"], "b": None, "n": box})
        stack = list(reversed(wrapper["c"]))
        while stack:
            node = stack.pop()
            if node.get("t") != 1:
                continue
            shell = {"i": ids(), "t": 1, "n": node["n"], "a": {}, "c": []}
            if "ns" in node:
                shell["ns"] = node["ns"]
            box["c"].append(shell)
            for key, value in node.get("a", {}).items():
                later.append({"o": "attr", "i": shell["i"], "a": key, "v": value})
            if node["n"] == "style":
                text = "".join(c.get("x", "") for c in node.get("c", []) if c.get("t") == 3)
                later.append({"o": "css", "i": shell["i"], "css": text})
            stack.extend(reversed(node.get("c", [])))
    adds.append({"o": "add", "p": places["late"], "b": None, "n": {
        "i": ids(), "t": 1, "n": "p", "a": {}, "c": [{"i": ids(), "t": 3, "x": f"{LATE}{n}"}]}})
    later.append({"o": "text", "i": places["done_text"], "x": f"{ATTR}{n}"})
    return [{"k": "mutation", "m": adds}, {"k": "mutation", "m": shells},
            {"k": "mutation", "m": later}]
