"""Time from the visitor's Accept click to the agent's replica fully shown (issue 5).

    .venv/bin/python bench/bench_replica.py [--runs 3] [--kbit 1500] [--only demo|big]

One gunicorn (demo mode, embedded broker) on loopback; the visitor and the agent are two
real Chromium contexts at 1280x720, the agent in the workspace. Two pages: the demo's travel
page and a ~2 MB DOM page (the Python docs' genindex-all.html, served under the demo origin
with the tag added). Two links for the visitor: loopback, and an upstream limited to
1,500 kbit/s by a token-bucket proxy (bench/throttle_proxy.py) whose origin is added to the
demo site (COBROWSE_PUBLIC_URL). The agent is always on loopback.

"Fully shown" is the replica iframe's data-ready attribute, set when the snapshot is applied
(workspace/js/replica.js). Printed per case: median and worst of the runs, the split (Accept
to first byte of the snapshot at the workspace, then receiving, then building), what the
visitor uploaded, and the element counts of the page and of the replica. Target: under 3 s
for the 2 MB page at 1,500 kbit/s.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.throttle_proxy import ThrottleProxy  # noqa: E402
from tests.support.servers import Gunicorn, cli, free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "bench-replica-password"
SIZE = {"width": 1280, "height": 720}
PYDOC = Path("/usr/share/doc/python3/html").resolve()
BIG = "genindex-all.html"
TAG = '<script src="{src}/tag/cobrowse.js" data-site="demo" async></script>'
DEMO_MASK = ["#card-number", "input[name=card-number]"]
TARGET_S = 3.0

# Marks in the agent's page: when the snapshot starts arriving, when the build starts, when
# the replica is ready (MutationObserver callbacks, so within a task of the change).
WATCH = """() => {
  const marks = window.__bench = {};
  const mark = (k) => { if (!(k in marks)) marks[k] = Date.now(); };
  marks.longest = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) marks.longest = Math.max(marks.longest, e.duration);
  }).observe({ type: 'longtask' });
  new MutationObserver(() => {
    const frame = document.querySelector('[data-testid=cobrowse-replica]');
    if (frame && frame.dataset.ready) mark('ready');
    const bar = document.querySelector('[data-testid=cobrowse-progress]');
    if (bar && !bar.hidden) {
      const text = bar.textContent || '';
      if (text.startsWith('Receiving')) mark('receiving');
      if (text.startsWith('Building')) mark('building');
    }
  }).observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
}"""

# The workspace's own marks (workspace/js/replica.js settle()), as epoch milliseconds.
MARKS = """() => {
  const ready = performance.getEntriesByName('cobrowse-replica-ready').pop();
  const at = (name) => { const m = performance.getEntriesByName(name)
                           .filter((e) => !ready || e.startTime <= ready.startTime).pop();
                         return m ? performance.timeOrigin + m.startTime : 0; };
  return { ...window.__bench, built: at('cobrowse-replica-built'), styled: at('cobrowse-replica-styled') };
}"""

# Elements of a document, its open shadow roots and same-origin frames (scripts are never
# captured, so they are not counted).
COUNT = """(root) => {
  let n = 0;
  const docs = [root];
  while (docs.length) {
    const d = docs.pop();
    for (const el of d.querySelectorAll('*')) {
      if (/^(script|noscript)$/.test(el.localName)) continue;
      n += 1;
      if (el.shadowRoot) docs.push(el.shadowRoot);
      if (el.localName === 'iframe' && el.contentDocument) docs.push(el.contentDocument);
    }
  }
  return n;
}"""
REPLICA = "document.querySelector('[data-testid=cobrowse-replica]').contentDocument"


class PydocSite(ThreadingHTTPServer):
    """The Python docs on their own origin (a site origin of "demo"), the big page with the tag
    added: under /loop/ the tag talks to the server directly, under /slow/ through the
    throttling proxy. Style sheets are real files with Last-Modified, as a CDN would serve."""

    def __init__(self, tags: dict[str, str]):
        tags = {prefix: TAG.format(src=src) for prefix, src in tags.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                prefix, _, name = self.path.split("?", 1)[0].lstrip("/").partition("/")
                file = (PYDOC / name).resolve()
                if prefix not in tags or not file.is_relative_to(PYDOC) or not file.is_file():
                    self.send_error(404)
                    return
                body = file.read_bytes()
                kind = {".css": "text/css", ".js": "text/javascript", ".png": "image/png",
                        ".html": "text/html; charset=utf-8"}.get(file.suffix, "text/plain")
                if file.name == BIG:
                    body = body.replace(b"<head>", b"<head>" + tags[prefix].encode(), 1)
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Last-Modified", self.date_time_string(int(file.stat().st_mtime)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Bench:
    def __init__(self, browser, server_url: str, runs: int):
        self.browser = browser
        self.url = server_url
        self.runs = runs
        self.agent = browser.new_context(viewport=SIZE).new_page()
        self.agent.set_default_timeout(60000)
        self.agent.goto(f"{self.url}/workspace/")
        self.agent.get_by_test_id("login-username").fill("demo")
        self.agent.get_by_test_id("login-password").fill(PASSWORD)
        self.agent.get_by_test_id("login-submit").click()
        self.agent.get_by_test_id("agent-name").filter(has_text="Demo").wait_for()

    def once(self, url: str) -> dict:
        ctx = self.browser.new_context(viewport=SIZE)
        ctx.set_default_timeout(60000)
        visitor = ctx.new_page()
        sent: list[tuple] = []  # (when, bytes, has a snapshot, request) per send of the tag
        done: list[tuple[float, object]] = []

        def on_request(r):
            if "/api/v1/send" in r.url:
                body = r.post_data_buffer or b""
                plain = gzip.decompress(body) if "z=1" in r.url else body
                sent.append((time.time(), len(body), b'"snapshot"' in plain, r))

        visitor.on("request", on_request)
        visitor.on("requestfinished", lambda r: done.append((time.time(), r))
                   if "/api/v1/send" in r.url else None)
        visitor.goto(url, wait_until="load")
        visitor.get_by_test_id("cobrowse-chat-open").click()
        visitor.get_by_test_id("cobrowse-chat-input").fill("Hello, can you help me?")
        visitor.get_by_test_id("cobrowse-chat-send").click()

        agent = self.agent
        agent.get_by_test_id("conversation-take").first.click()
        agent.locator("[data-testid=chat-input]:enabled").wait_for()
        agent.locator("[data-testid=cobrowse-button]:enabled").click()
        agent.get_by_test_id("cobrowse-mode-shared").click()
        accept = visitor.get_by_test_id("cobrowse-accept")
        accept.wait_for()
        agent.evaluate(WATCH)
        visitor_elements = visitor.evaluate(f"() => ({COUNT})(document)")
        sent.clear()
        done.clear()
        t0 = accept.evaluate("b => { const t = Date.now(); b.click(); return t; }")
        agent.wait_for_function("() => window.__bench && window.__bench.ready", polling=50)
        marks = agent.evaluate(MARKS)
        replica_elements = agent.evaluate(f"() => ({COUNT})({REPLICA})")
        upload = sum(n for _, n, _, _ in sent)
        # The tag's first send with a snapshot: when it left, and when its answer came.
        left, _, _, request = next(item for item in sent if item[2])
        capture = left - t0 / 1000
        send = next((t - left for t, r in done if r is request), float("nan"))

        agent.get_by_test_id("cobrowse-end").click()
        agent.locator("[data-testid=cobrowse-status][data-state=ended]").wait_for()
        agent.get_by_test_id("cobrowse-close").click()
        agent.get_by_test_id("conversation-close").click()
        ctx.close()
        first = marks.get("receiving") or marks.get("building") or marks["ready"]
        building = marks.get("building") or marks["ready"]
        built = marks["built"] or marks["ready"]
        styled = marks["styled"] or built
        return {"total": (marks["ready"] - t0) / 1000, "first": (first - t0) / 1000,
                "receive": (building - first) / 1000, "build": (built - building) / 1000,
                "styles": (styled - built) / 1000, "paint": (marks["ready"] - styled) / 1000,
                "longest": marks["longest"] / 1000, "capture": capture, "send": send,
                "upload": upload, "page_el": visitor_elements, "replica_el": replica_elements}

    def case(self, name: str, url: str) -> dict:
        results = [self.once(url) for _ in range(self.runs)]
        median = {k: statistics.median(r[k] for r in results) for k in results[0]}
        worst = max(r["total"] for r in results)
        print(f"{name:<34} {median['total']:5.2f} s (worst {worst:5.2f}) | visitor: "
              f"capture {median['capture']:4.2f} send {median['send']:4.2f} | workspace: first "
              f"byte {median['first']:4.2f} receive {median['receive']:4.2f} build "
              f"{median['build']:4.2f} styles {median['styles']:4.2f} paint {median['paint']:4.2f}"
              f" (longest task {median['longest']:4.2f}) | upload {median['upload'] / 1024:4.0f}"
              f" KB, elements {int(median['page_el'])}/{int(median['replica_el'])}", flush=True)
        return {"name": name, **median, "worst": worst}


def cases(server_url: str, proxy_url: str, pydoc_url: str, kbit: float) -> dict[str, dict]:
    """Page -> {link: visitor URL}."""
    slow = f"{kbit:,.0f} kbit/s up"
    return {
        "demo travel page": {"loopback": f"{server_url}/demo/travel.html",
                             slow: f"{proxy_url}/demo/travel.html"},
        "2 MB DOM page": {"loopback": f"{pydoc_url}/loop/{BIG}", slow: f"{pydoc_url}/slow/{BIG}"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kbit", type=float, default=1500.0)
    parser.add_argument("--only", choices=["demo", "big"])
    args = parser.parse_args()
    if not (PYDOC / BIG).exists():
        raise SystemExit(f"{PYDOC / BIG} is missing: apt-get install python3-doc")
    from playwright.sync_api import sync_playwright

    proxy_url = f"http://127.0.0.1:{free_port()}"
    env = {"COBROWSE_DEMO_PASSWORD": PASSWORD, "COBROWSE_PUBLIC_URL": proxy_url}
    rows = []
    with Gunicorn(env=env) as server:
        proxy = ThrottleProxy(server.port, args.kbit, port=int(proxy_url.rsplit(":", 1)[1])).start()
        pydoc = PydocSite({"loop": server.url, "slow": proxy_url})
        # The docs' origin becomes one of the demo site's origins (as an operator would add it).
        origins = [f"http://localhost:{server.port}", server.url, proxy_url, pydoc.url]
        added = cli(["site", "add", "demo", *[f"--origin={o}" for o in origins],
                     *[f"--mask={m}" for m in DEMO_MASK]], server.env)
        if added.returncode != 0:
            raise SystemExit(added.stderr)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    bench = Bench(browser, server.url, args.runs)
                    print(f"Accept -> replica ready, median of {args.runs} (visitor and agent at "
                          f"{SIZE['width']}x{SIZE['height']}; {os.cpu_count()} CPUs, load average "
                          f"{os.getloadavg()[0]:.1f} at the start):")
                    for page, links in cases(server.url, proxy_url, pydoc.url, args.kbit).items():
                        if args.only and (page.startswith("demo") != (args.only == "demo")):
                            continue
                        for link, url in links.items():
                            rows.append(bench.case(f"{page}, {link}", url))
                finally:
                    browser.close()
        finally:
            pydoc.shutdown()
            proxy.stop()
    slow = [r for r in rows if "2 MB" in r["name"] and "kbit" in r["name"]]
    if slow:
        verdict = "met" if slow[0]["total"] < TARGET_S else "NOT met"
        print(f"target: 2 MB page at {args.kbit:,.0f} kbit/s under {TARGET_S:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
