"""The replica fetches nothing as the agent (issue 10, items 6 and 10), in real Chromium: the
agent's browser holds a cookie for the brand's origin, and a loopback HTTP server standing
in for the brand records the headers of every request the replica makes for its images,
style sheets, fonts, posters and media. None carries the cookie; element fetches carry no
referrer. The same image fetched by the workspace page itself does carry the cookie: the
test can fail."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.test_workspace_replica import BOOT, HARNESS, PNG, document, el

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "workspace"
# The workspace and the brand are the same site (localhost; ports do not count), so a
# SameSite=Lax cookie of the brand would be sent with the replica's requests, if any were
# made with credentials. Both are real loopback servers: Chromium refuses requests from a
# page it cannot place (a Playwright route) to the loopback address space.
COOKIE = "brand_session=agent-secret"


class WorkspaceServer:
    """The workspace's origin on loopback: the harness page and workspace/ files, with the
    Content-Security-Policy headers the server sends."""

    def __init__(self, files: dict[str, tuple[bytes, str, dict]]):
        self.files = files

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                found = files.get(self.path.split("?", 1)[0])
                body, kind, headers = found or (b"", "text/plain", {})
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class BrandServer:
    """The brand's origin on loopback: answers every GET and records its headers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with server.lock:
                    server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.path.endswith(".css"):
                    body, kind = (f"body {{ background: url({server.url}/from-css.png) }}"
                                  f"@font-face {{ font-family: B; src: url({server.url}/font.woff2) }}"
                                  "p { font-family: B }").encode(), "text/css"
                else:
                    body, kind = PNG, "image/png"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def paths(self) -> set[str]:
        with self.lock:
            return {p for p, _ in self.seen}

    def wait_for(self, paths: set[str], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not paths <= self.paths():
            time.sleep(0.05)
        assert paths <= self.paths(), (paths, self.paths())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def brand():
    server = BrandServer()
    yield server
    server.close()


@pytest.fixture
def harness(browser, brand):
    src = brand.url
    replica_csp = (f"default-src 'none'; script-src 'none'; img-src {src} data:; "
                   f"style-src {src} 'unsafe-inline'; font-src {src} data:; media-src {src}; "
                   "frame-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; "
                   "object-src 'none'; frame-ancestors 'self'")
    workspace_csp = f"default-src 'self'; script-src 'self'; img-src 'self' {src}; frame-src 'self'"
    files = {"/test/harness.html": (HARNESS.encode(), "text/html", {"Content-Security-Policy": workspace_csp}),
             "/test/boot.js": (BOOT.encode(), "text/javascript", {})}
    for file in WORKSPACE.rglob("*"):
        if file.suffix in (".js", ".html", ".css"):
            kind = {".js": "text/javascript", ".html": "text/html", ".css": "text/css"}[file.suffix]
            headers = {"Content-Security-Policy": workspace_csp}
            if file.name == "replica.html":
                headers = {"Content-Security-Policy": replica_csp, "Referrer-Policy": "no-referrer"}
            files["/workspace/" + file.relative_to(WORKSPACE).as_posix()] = (file.read_bytes(), kind, headers)
    workspace = WorkspaceServer(files)
    context = browser.new_context()
    context.add_cookies([{"name": "brand_session", "value": "agent-secret", "domain": "localhost",
                          "path": "/", "sameSite": "Lax"}])
    page = context.new_page()
    page.goto(workspace.url + "/test/harness.html")
    page.wait_for_function("window.harnessReady === true")
    page.evaluate("() => replica.ready")
    yield page
    context.close()
    workspace.close()


def test_replica_requests_carry_no_cookie_and_no_referrer(harness, brand):
    b = brand.url
    snap = document(
        el(10, "img", {"src": f"{b}/img.png", "referrerpolicy": "unsafe-url",
                       "crossorigin": "use-credentials"}),
        el(11, "picture", {}, [el(12, "source", {"srcset": f"{b}/source.png"}),
                               el(13, "img", {"src": f"{b}/fallback.png"})]),
        el(14, "div", {"style": f"background:url({b}/inline.png)"}),
        el(15, "video", {"src": f"{b}/clip.mp4", "poster": f"{b}/poster.png", "autoplay": "",
                         "controls": "", "loop": "", "preload": "auto"}),
        el(16, "audio", {"src": f"{b}/sound.mp3", "controls": "", "autoplay": ""}),
        el(17, "p", {}, [{"i": 18, "t": 3, "x": "font"}]),
        el(19, "iframe", {}, d={"i": 20, "t": 9, "c": [el(21, "html", {}, [el(22, "body", {}, [
            el(23, "img", {"src": f"{b}/nested.png"})])])]}),
        head=[el(30, "link", {"rel": "stylesheet", "href": f"{b}/site.css", "crossorigin": "use-credentials"})])
    assert harness.evaluate("s => replica.load(s)", snap) is True
    wanted = {"/img.png", "/source.png", "/inline.png", "/poster.png", "/site.css",
              "/from-css.png", "/font.woff2", "/nested.png"}
    brand.wait_for(wanted)
    # The control: the workspace page itself (not the replica) gets the cookie sent.
    harness.evaluate(f"() => {{ new Image().src = '{b}/control.png'; }}")
    brand.wait_for({"/control.png"})
    with brand.lock:
        seen = list(brand.seen)
    control = [h for p, h in seen if p == "/control.png"]
    assert control and COOKIE in control[0].get("cookie", "")
    replica_requests = [(p, h) for p, h in seen if p != "/control.png"]
    assert {p for p, _ in replica_requests} >= wanted
    assert [p for p, h in replica_requests if h.get("cookie")] == []
    # Element fetches carry no referrer at all. Chromium (156) sends what CSS fetches (url()
    # in style sheets and style attributes) with the style sheet's URL or, for inline CSS,
    # the replica's bare origin, whatever the replica's policy says: never a path, never
    # the cookie (docs/architecture.md).
    elements = ("/img.png", "/source.png", "/poster.png", "/site.css", "/nested.png")
    assert [(p, h["referer"]) for p, h in replica_requests if p in elements and h.get("referer")] == []
    workspace_origin = harness.url.split("/test/")[0] + "/"
    assert {h.get("referer") for p, h in replica_requests if p not in elements} <= {
        None, workspace_origin, f"{b}/site.css"}
    built = harness.evaluate("""() => {
      const d = replica.doc, v = d.querySelector('video'), a = d.querySelector('audio'),
            img = d.querySelector('img'), link = d.querySelector('link');
      return { frame: replica.frame.hasAttribute('credentialless'),
               nested: d.querySelector('iframe').hasAttribute('credentialless'),
               imgPolicy: img.getAttribute('referrerpolicy'), imgCors: img.getAttribute('crossorigin'),
               linkCors: link.getAttribute('crossorigin'),
               video: [v.getAttribute('preload'), v.autoplay, v.controls, v.loop, v.paused, v.muted],
               audio: [a.getAttribute('preload'), a.autoplay, a.controls, a.paused] }; }""")
    assert built == {"frame": True, "nested": True, "imgPolicy": "no-referrer", "imgCors": "anonymous",
                     "linkCors": "anonymous", "video": ["metadata", False, False, False, True, True],
                     "audio": ["metadata", False, False, True]}


def test_a_mutation_cannot_take_the_protections_away(harness, brand):
    b = brand.url
    harness.evaluate("s => replica.load(s)", document(el(10, "img", {"src": f"{b}/first.png"}),
                                                       el(11, "video", {"poster": f"{b}/p.png"})))
    brand.wait_for({"/first.png"})
    harness.evaluate("""ops => replica.apply(ops)""", [
        {"o": "attr", "i": 10, "a": "referrerpolicy", "v": None},
        {"o": "attr", "i": 10, "a": "referrerpolicy", "v": "unsafe-url"},
        {"o": "attr", "i": 10, "a": "crossorigin", "v": "use-credentials"},
        {"o": "attr", "i": 11, "a": "autoplay", "v": ""},
        {"o": "attr", "i": 11, "a": "controls", "v": ""},
        {"o": "attr", "i": 11, "a": "preload", "v": None},
        {"o": "attr", "i": 10, "a": "src", "v": f"{b}/second.png"},
    ])
    brand.wait_for({"/second.png"})
    with brand.lock:
        second = [h for p, h in brand.seen if p == "/second.png"]
    assert not second[0].get("cookie") and not second[0].get("referer")
    got = harness.evaluate("""() => { const d = replica.doc, img = d.querySelector('img'),
        v = d.querySelector('video'); return [img.getAttribute('referrerpolicy'),
        img.getAttribute('crossorigin'), v.getAttribute('preload'), v.autoplay, v.controls]; }""")
    assert got == ["no-referrer", "anonymous", "metadata", False, False]


def test_the_replica_csp_lets_the_sites_own_media_load(app):
    """Issue 10, item 10: the site's own video and audio show (their first frame); the CSP
    allows media from the site's origins only."""
    response = app.test_client().get("/workspace/replica.html?site=shop")
    csp = response.headers["Content-Security-Policy"]
    assert "media-src http://shop.example;" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    response.close()
