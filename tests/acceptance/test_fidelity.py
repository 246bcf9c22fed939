"""Fidelity on a real brand site (issue 11): a brand server on loopback, on another origin
than ours and WITHOUT CORS headers, serves Python's own documentation (python3-doc) with a
web font, an icon font, a custom element, same-origin frames with and without a doctype,
smooth scrolling, and a page full of clobbering ids and names. The agent's replica in real
Chromium must look and behave like the visitor's page:

- fonts load through the resource proxy: rendered widths match the visitor's, not the
  fallback's (item 1);
- a custom element's ``:host([active])`` style shows its content (item 2);
- ``compatMode`` is the visitor's in every document, both ways (item 3);
- a scroll lands within one animation frame, both ways, despite ``scroll-behavior: smooth``
  (item 4);
- ids and names stay, CSS and ``label for=`` match them, the workspace still works on a page
  of clobbering names (item 5);
- the fidelity note lists the font and image that failed, with the reason (item 6).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cobrowse.storage.directory import Site
from tests.acceptance.flows import TIMEOUT, eventually, replica, replica_eval, start_cobrowse
from tests.support.brand_server import ICON_FONT, TEXT_FONT, BrandServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path("/usr/share/doc/python3/html")
CLOBBER = Path(__file__).resolve().parent.parent / "pages" / "tag_clobber.html"

FONTS_CSS = """
@font-face { font-family: BrandText; src: url("/fonts/text.ttf") format("truetype"); }
@font-face { font-family: BrandIcons; src: url("/fonts/icons.ttf") format("truetype"); }
@font-face { font-family: BrandBroken; src: url("/fonts/page.html") format("truetype"); }
.brand-text { font: 32px BrandText, serif; }
.brand-fallback { font: 32px serif; }
.icon { font: 24px BrandIcons, monospace; }
html { scroll-behavior: smooth; }
"""

DOCS_EXTRA = """<div id="cbx-fidelity">
<h2 class="brand-text" id="brand-text">iiiiiiiiii</h2>
<span class="brand-fallback" id="brand-fallback">iiiiiiiiii</span>
<span class="icon" id="icon">&#x2714;&#x2716;&#x2709;</span>
<span style="font-family: BrandBroken, serif">broken font</span>
<img src="/missing.png" alt="" width="10" height="10">
<x-panel active id="panel-on">shown panel</x-panel>
<x-panel id="panel-off">hidden panel</x-panel>
<iframe id="frame-std" src="/frame-std.html" width="300" height="60"></iframe>
<iframe id="frame-quirks" src="/frame-quirks.html" width="300" height="60"></iframe>
</div>
<script>
customElements.define('x-panel', class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' }).innerHTML =
      '<style>:host { display: none } :host([active]) { display: block }</style><slot></slot>';
  }
});
</script>"""

CLOBBER_EXTRA = """<style>#name { outline: 3px solid rgb(1, 2, 3) }
label[for="title"] { color: rgb(4, 5, 6) }</style>
<label for="title">Title</label> <input id="title" name="title">
<input id="name" name="name" value="">"""


def _tag(stack, site: str) -> str:
    return f'<script src="{stack.base}/tag/cobrowse.js" data-site="{site}" async></script>'


@pytest.fixture(scope="module")
def brand(stack, directory):
    """The brand's server and its site (fonts proxied, the default)."""
    site = "brand-" + uuid.uuid4().hex[:8]
    server = BrandServer(root=DOCS)
    tag = _tag(stack, site)
    docs = (DOCS / "library" / "abc.html").read_text()
    docs = docs.replace("</head>", '<link rel="stylesheet" href="/brand/fonts.css"></head>', 1)
    docs = docs.replace("<body>", f'<body data-page="docs">{DOCS_EXTRA}', 1)
    docs = docs.replace("</body>", f"{tag}</body>", 1)
    server.add("/library/docs.html", docs, "text/html; charset=utf-8")
    server.add("/brand/fonts.css", FONTS_CSS, "text/css")
    server.add("/fonts/text.ttf", TEXT_FONT.read_bytes(), "font/ttf")
    server.add("/fonts/icons.ttf", ICON_FONT.read_bytes(), "application/octet-stream")
    server.add("/fonts/page.html", "<html>not a font</html>", "text/html")
    server.add("/frame-std.html", "<!DOCTYPE html><html><body><p>standard frame</p></body></html>",
               "text/html")
    server.add("/frame-quirks.html", "<html><body><p>quirks frame</p></body></html>", "text/html")
    server.add("/quirks.html", '<html><head><title>Quirks</title></head><body data-page="quirks">'
               '<p>quirks top</p><iframe id="frame-std" src="/frame-std.html"></iframe>'
               f"{tag}</body></html>", "text/html")
    clobber = CLOBBER.read_text().replace('<body>', f'<body data-page="clobber">{CLOBBER_EXTRA}', 1)
    clobber = clobber.replace('<script src="/tag/cobrowse.js" data-site="demo" async></script>', tag)
    server.add("/clobber.html", clobber, "text/html")
    directory.put_site(Site(id=site, origins=[server.origin]))
    yield server
    directory.remove_site(site)
    server.close()


def _visit(visitor_context, url: str):
    page = visitor_context.new_page()
    page.goto(url)
    page.wait_for_function("window.CoBrowse !== undefined")
    return page


def _modes(doc_expr: str) -> str:
    """compatMode of a document and of its frames (by id), as a JavaScript expression."""
    return (f"(() => {{ const d = {doc_expr}; const out = {{ top: d.compatMode }};"
            " for (const f of Document.prototype.querySelectorAll.call(d, 'iframe[id]'))"
            " out[f.id] = f.contentDocument && f.contentDocument.body"
            " && f.contentDocument.body.textContent.trim() ? f.contentDocument.compatMode : null;"
            " return out; })()")


def _replica_modes(agent):
    return replica_eval(agent, _modes("doc"))


def test_fonts_components_frames_scrolling_and_the_note(visitor_context, agent, stack, brand):
    visitor = _visit(visitor_context, brand.origin + "/library/docs.html")
    start_cobrowse(visitor, agent)

    # 1. Both fonts loaded through the proxy; the text renders as on the visitor's side.
    def fonts_loaded():
        faces = dict(replica_eval(agent, "[...doc.fonts].map(f => [f.family, f.status])"))
        assert faces.get("BrandText") == faces.get("BrandIcons") == "loaded", faces
        return faces

    eventually(fonts_loaded, what="web and icon fonts loaded in the replica")
    width = "document.getElementById('{}').getBoundingClientRect().width"
    for element in ("brand-text", "icon"):
        seen = visitor.evaluate(width.format(element))
        shown = replica_eval(agent, width.format(element).replace("document", "doc"))
        assert abs(seen - shown) < 1, (element, seen, shown)
    fallback = replica_eval(agent, width.format("brand-fallback").replace("document", "doc"))
    assert abs(replica_eval(agent, width.format("brand-text").replace("document", "doc"))
               - fallback) > 20, "the web font must not render like the fallback"
    hrefs = replica_eval(agent, "[...doc.querySelectorAll('link')].map(l => l.getAttribute('href'))")
    assert sum(h.startswith("/replica-assets/brand-") and "/style/" in h for h in hrefs) == 3, hrefs

    # 2. The custom element keeps `active`; its :host([active]) rule shows it.
    display = "win.getComputedStyle(doc.getElementById('{}')).display"
    assert replica_eval(agent, display.format("panel-on")) == "block"
    assert replica_eval(agent, display.format("panel-off")) == "none"

    # 3. Frames in the visitor's mode.
    want = visitor.evaluate(_modes("document"))
    assert want == {"top": "CSS1Compat", "frame-std": "CSS1Compat", "frame-quirks": "BackCompat"}
    eventually(lambda: _replica_modes(agent) == want, what=f"replica modes {want}")

    # 4. Smooth-scrolling page: the replica is there right after the next frame, and back.
    agent.evaluate("""() => {
      const win = document.querySelector('[data-testid="cobrowse-replica"]').contentWindow;
      window.cbxScrolled = new Promise((resolve) => {
        win.addEventListener('scroll', () => win.requestAnimationFrame(() => resolve(win.scrollY)),
          { once: true });
        setTimeout(() => resolve('no scroll event in 10 s'), 10000);
      });
    }""")
    visitor.evaluate("window.scrollTo({ top: 1200, behavior: 'instant' })")
    target = visitor.evaluate("window.scrollY")
    assert target > 600
    assert agent.evaluate("window.cbxScrolled") == target
    # A gesture in the replica (the agent is scrolling), then the agent's scroll. The
    # visitor's tab is in the background here (no frames, no smooth animation would
    # progress): its first position off `target` must already be the agent's.
    replica_eval(agent, "doc.body.dispatchEvent(new win.MouseEvent('mousedown', { bubbles: true }))"
                        " && win.scrollTo({ top: 300, behavior: 'instant' })")
    moved = eventually(lambda: (y := visitor.evaluate("scrollY")) != target and [y],
                       what="the visitor's page moved")
    assert moved == [300]

    # 6. The note lists the font and the image that did not load, with the reasons.
    note = agent.get_by_test_id("cobrowse-fidelity").locator('li[data-source="replica"]')
    expect(note.filter(has_text="BrandBroken")).to_contain_text("not a font", timeout=TIMEOUT)
    expect(note.filter(has_text="image")).to_contain_text(brand.origin.split("//")[1])
    assert note.count() == 2, note.all_text_contents()


def test_quirks_top_document_and_a_page_of_clobbering_names(visitor_context, agent, stack, brand):
    errors: list[str] = []
    agent.on("pageerror", lambda exc: errors.append(str(exc)))
    visitor = _visit(visitor_context, brand.origin + "/quirks.html")
    start_cobrowse(visitor, agent)
    want = visitor.evaluate(_modes("document"))
    assert want == {"top": "BackCompat", "frame-std": "CSS1Compat"}
    eventually(lambda: _replica_modes(agent) == want, what=f"replica modes {want}")
    # The re-opened replica document keeps its Content-Security-Policy (the third wall).
    blocked = agent.evaluate("""() => new Promise((resolve) => {
      const doc = document.querySelector('[data-testid="cobrowse-replica"]').contentDocument;
      doc.addEventListener('securitypolicyviolation', (e) => resolve(e.blockedURI), { once: true });
      const img = doc.createElement('img');
      img.src = 'http://off-site.invalid/csp.png';
      doc.body.appendChild(img);
      setTimeout(() => resolve('no violation in 10 s'), 10000);
    })""")
    assert blocked == "http://off-site.invalid/csp.png"

    # Back to standards mode on the next page, which clobbers everything it can.
    visitor.goto(brand.origin + "/clobber.html")
    visitor.wait_for_function("window.CoBrowse !== undefined")
    rep = replica(agent)
    expect(rep.locator('body[data-page="clobber"]')).to_have_count(1, timeout=TIMEOUT)
    eventually(lambda: _replica_modes(agent) == {"top": "CSS1Compat"}, what="standards mode")

    # 5. Ids and names as the page has them; CSS and label for= match.
    for selector in ('img[name="createElement"]', 'img[name="querySelectorAll"]',
                     'input[name="action"]', 'input[name="elements"]', "input#name", "input#title"):
        expect(rep.locator(selector)).to_have_count(1)
    style = "win.getComputedStyle(Document.prototype.querySelector.call(doc, '{}')).{}"
    assert replica_eval(agent, style.format("#name", "outlineColor")) == "rgb(1, 2, 3)"
    assert replica_eval(agent, style.format('label[for="title"]', "color")) == "rgb(4, 5, 6)"
    assert replica_eval(agent, "Document.prototype.querySelector.call(doc, 'label').control"
                               " === Document.prototype.getElementById.call(doc, 'title')")

    # ...and the workspace still works there: typing goes out, changes come in.
    rep.locator("input#name").press_sequentially("Ada")
    eventually(lambda: visitor.evaluate(
        "Document.prototype.getElementById.call(document, 'name').value") == "Ada",
        what="the agent's typing on the visitor's page")
    visitor.evaluate("window.mutateForm()")
    expect(rep.locator("#added-in-form")).to_have_text("added inside the form")
    expect(rep.locator("#form-text")).to_have_text("form text changed")
    # The agent's click reaches the visitor's button inside the clobbered form (Playwright's
    # own click() trips over the form's clobbered getAttribute, so the mouse does it).
    visitor.evaluate("""window.cbxClicks = 0; EventTarget.prototype.addEventListener.call(
      Document.prototype.getElementById.call(document, 'form-button'), 'click',
      () => { window.cbxClicks += 1; })""")
    button = rep.locator("#form-button").bounding_box()
    assert button is not None
    agent.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    eventually(lambda: visitor.evaluate("window.cbxClicks") == 1, what="the click on the visitor's side")
    assert errors == []
