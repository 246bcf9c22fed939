"""The tag on a slow uplink and after a black hole (issue 16): one command, printed figures.

    .venv/bin/python bench/bench_network.py [--kbit 256] [--hole 20]

One gunicorn (demo mode) on loopback; the agent's real workspace in Chromium on loopback; the
visitor in Chromium on the Python docs' genindex-all.html (1.7 MB of HTML, tag added), its
uplink limited to --kbit by bench/throttle_proxy.py. Printed:

* accept -> first visible paint (visible first, issue 16 item 3: the part of the page in the
  visitor's viewport; target under 2 s) and accept -> full replica, beside the line-rate time
  of the bytes the tag uploaded meanwhile (target: within 1.3x);
* the latency of the visitor's pointer moves made during that upload, from the move to the
  poll answer that brings it to the workspace: p50 / p99 (target: p99 under 1 s);
* after the replica is up, the proxy becomes a black hole for --hole seconds (no byte moves,
  no `offline` event): time from the network's return to the first pointer delivered to the
  workspace, and to the first one moved after the return (target: under 3 s).

Pointer moves run along a fixed strip added to the page, so each move's x names it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_replica import (  # noqa: E402
    ARGS,
    BIG,
    CHROMIUM,
    DEMO_MASK,
    PASSWORD,
    PYDOC,
    SIZE,
    WATCH,
    PydocSite,
)
from bench.throttle_proxy import ThrottleProxy  # noqa: E402
from tests.support.servers import Gunicorn, cli, free_port  # noqa: E402

#: Visible first (issue 16, item 3) in the workspace: when the first piece of the page is on
#: screen (the frame's data-rest appears, then a frame paints; a page sent whole: data-ready)
#: and when the whole replica is (data-ready set and no data-rest left).
PHASES = """() => {
  const marks = window.__phases = {};
  new MutationObserver(() => {
    const frame = document.querySelector('[data-testid=cobrowse-replica]');
    if (!frame) return;
    if (!marks.visible && (frame.dataset.rest === 'loading' || frame.dataset.ready)) {
      marks.visible = -1;
      requestAnimationFrame(() => { marks.visible = Date.now(); });
    }
    if (marks.visible && !marks.full && frame.dataset.ready && !frame.dataset.rest) marks.full = Date.now();
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-rest', 'data-ready'] });
}"""

STRIP = """() => { const d = document.createElement('div'); d.id = 'bench-strip';
  d.style.cssText = 'position:fixed;left:0;top:0;width:1000px;height:40px;z-index:99;background:#eee';
  document.body.appendChild(d); }"""


class ProxyProcess:
    """The throttling proxy in its own process: in the bench's process it would share the GIL
    with Playwright and the JSON of the poll answers, and slow the uplink down further."""

    def __init__(self, target: int, kbit: float, port: int):
        ctx = multiprocessing.get_context("spawn")
        self._hole = ctx.Value("b", 0)
        self._up = ctx.Value("q", 0)
        self._stop = ctx.Event()
        self.proc = ctx.Process(target=_proxy_main, daemon=True,
                                args=(target, kbit, port, self._hole, self._up, self._stop))

    def start(self) -> ProxyProcess:
        self.proc.start()
        time.sleep(1.0)
        return self

    @property
    def up_bytes(self) -> int:
        return self._up.value

    @property
    def hole(self) -> bool:
        return bool(self._hole.value)

    @hole.setter
    def hole(self, value: bool) -> None:
        self._hole.value = 1 if value else 0

    def stop(self) -> None:
        self._stop.set()
        self.proc.join(10)


def _proxy_main(target, kbit, port, hole, up, stop) -> None:
    proxy = ThrottleProxy(target, kbit, port=port).start()
    while not stop.wait(0.02):
        proxy.hole = bool(hole.value)
        up.value = proxy.up_bytes
    proxy.stop()


def _plain(request) -> bytes:
    body = request.post_data_buffer or b""
    try:
        return gzip.decompress(body) if "z=1" in request.url else body
    except OSError:
        return b""


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Mover:
    """Moves the visitor's mouse along the strip every 50 ms: x -> when it was moved."""

    def __init__(self, page):
        self.page = page
        self.moved: dict[int, float] = {}
        self.x = 0

    def step(self) -> None:
        self.x = self.x % 990 + 1
        self.page.mouse.move(self.x + 0.5, 20)
        self.moved[self.x] = time.time()
        self.page.wait_for_timeout(50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kbit", type=float, default=256.0)
    parser.add_argument("--hole", type=float, default=20.0)
    args = parser.parse_args()
    if not (PYDOC / BIG).exists():
        raise SystemExit(f"{PYDOC / BIG} is missing: apt-get install python3-doc")
    from playwright.sync_api import sync_playwright

    proxy_url = f"http://127.0.0.1:{free_port()}"
    # No COBROWSE_PUBLIC_URL: the agent signs in at the server's own URL (sign-in's CSRF
    # check compares the browser's Origin with it); the tag's origin is a site origin.
    env = {"COBROWSE_DEMO_PASSWORD": PASSWORD}
    with Gunicorn(env=env) as server:
        proxy = ProxyProcess(server.port, args.kbit, int(proxy_url.rsplit(":", 1)[1])).start()
        pydoc = PydocSite({"slow": proxy_url})
        origins = [f"http://localhost:{server.port}", server.url, proxy_url, pydoc.url]
        added = cli(["site", "add", "demo", *[f"--origin={o}" for o in origins],
                     *[f"--mask={m}" for m in DEMO_MASK]], server.env)
        if added.returncode != 0:
            raise SystemExit(added.stderr)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    run(browser, server.url, f"{pydoc.url}/slow/{BIG}", proxy, args)
                finally:
                    browser.close()
        finally:
            pydoc.shutdown()
            proxy.stop()
    return 0


def run(browser, server_url: str, page_url: str, proxy: ProxyProcess, args) -> None:
    agent = browser.new_context(viewport=SIZE).new_page()
    agent.set_default_timeout(120000)
    pointers: list[tuple[float, int]] = []  # (delivered at, strip x) at the workspace
    lock = threading.Lock()

    def on_poll(request):
        if "/api/v1/poll" not in request.url:
            return
        try:
            body = json.loads(request.response().body())
        except Exception:
            return
        now = time.time()
        with lock:
            pointers.extend((now, round(e["x"] * 1000 - 0.5)) for e in body.get("events", [])
                            if e.get("k") == "pointer" and isinstance(e.get("x"), (int, float)))
    agent.on("requestfinished", on_poll)
    agent.goto(f"{server_url}/workspace/")
    agent.get_by_test_id("login-username").fill("demo")
    agent.get_by_test_id("login-password").fill(PASSWORD)
    agent.get_by_test_id("login-submit").click()
    agent.get_by_test_id("agent-name").filter(has_text="Demo").wait_for()

    ctx = browser.new_context(viewport=SIZE)
    ctx.set_default_timeout(120000)
    visitor = ctx.new_page()
    parts: list[float] = []  # when each part of an upload left the visitor's page
    left: dict[int, float] = {}  # strip x -> when its pointer event left the visitor's page

    def on_send(r):
        if "/api/v1/send" not in r.url:
            return
        body = _plain(r)
        if b'"upload"' in body:
            parts.append(time.time())
        elif b'"pointer"' in body:
            for e in json.loads(body).get("events", []):
                if e.get("k") == "pointer" and isinstance(e.get("x"), (int, float)):
                    left.setdefault(round(e["x"] * 1000 - 0.5), time.time())
    visitor.on("request", on_send)
    visitor.goto(page_url, wait_until="load")
    visitor.evaluate(STRIP)
    visitor.get_by_test_id("cobrowse-chat-open").click()
    visitor.get_by_test_id("cobrowse-chat-input").fill("Hello, can you help me?")
    visitor.get_by_test_id("cobrowse-chat-send").click()
    agent.get_by_test_id("conversation-take").first.click()
    agent.locator("[data-testid=chat-input]:enabled").wait_for()
    agent.locator("[data-testid=cobrowse-button]:enabled").click()
    agent.get_by_test_id("cobrowse-mode-view").click()
    accept = visitor.get_by_test_id("cobrowse-accept")
    accept.wait_for()
    agent.evaluate(WATCH)
    agent.evaluate(PHASES)
    up0 = proxy.up_bytes
    t0 = accept.evaluate("b => { const t = Date.now(); b.click(); return t; }") / 1000
    mover = Mover(visitor)
    for _ in range(4000):  # moves during the upload, until the whole replica is up (bounded)
        mover.step()
        if agent.evaluate("() => !!(window.__phases.full > 0)"):
            break
    phases = agent.evaluate("() => window.__phases")
    ready = phases["full"] / 1000
    uploaded = proxy.up_bytes - up0
    line = uploaded / (args.kbit * 1000 / 8)
    during = {x: t for x, t in mover.moved.items() if t <= ready}
    streaming = {x: t for x, t in during.items() if parts and t >= parts[0]}
    for _ in range(40):  # the moves of the upload reach the workspace
        mover.step()
    with lock:
        lat = [at - during[x] for at, x in pointers if x in during and at >= during[x]]
        lat_up = [at - streaming[x] for at, x in pointers if x in streaming and at >= streaming[x]]
        waited = [left[x] - streaming[x] for x in streaming if x in left and left[x] >= streaming[x]]
    total = ready - t0
    print(f"uplink {args.kbit:,.0f} kbit/s, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"accept -> first visible paint: {phases['visible'] / 1000 - t0:5.2f} s (target < 2 s)")
    print(f"accept -> full replica: {total:5.2f} s; uploaded meanwhile {uploaded / 1024:6.0f} KB"
          f" = {line:5.2f} s at line rate; ratio {total / line:4.2f} (target <= 1.3)")
    print(f"pointer during the upload: {len(lat)} of {len(during)} moves delivered individually, "
          f"p50 {statistics.median(lat) if lat else float('nan'):5.3f} s, p99 {pct(lat, 99):5.3f} s "
          f"(target p99 < 1 s)")
    if parts:
        print(f"  of which the capture (accept -> first part leaves) {parts[0] - t0:5.2f} s; moves made"
              f" while the {len(parts)} parts streamed: p50 "
              f"{statistics.median(lat_up) if lat_up else float('nan'):5.3f} s, p99 {pct(lat_up, 99):5.3f} s;"
              f" of that, move -> its send leaves the page: p50 "
              f"{statistics.median(waited) if waited else float('nan'):5.3f} s, p99 {pct(waited, 99):5.3f} s")

    # The black hole.
    proxy.hole = True
    hole_end = time.time() + args.hole
    while time.time() < hole_end:
        mover.step()
    proxy.hole = False
    back = time.time()
    with lock:
        seen = len(pointers)
    first = fresh = None
    for _ in range(1200):  # bounded: about 60 s
        mover.step()
        with lock:
            new = pointers[seen:]
        if new and first is None:
            first = new[0][0] - back
        fresh_hits = [at for at, x in new if mover.moved.get(x, 0) >= back and at >= back]
        if fresh_hits:
            fresh = min(fresh_hits) - back
            break
    print(f"after a {args.hole:.0f} s black hole: first pointer delivered {first if first is not None else float('nan'):5.2f} s"
          f" after the network's return, first one moved after it {fresh if fresh is not None else float('nan'):5.2f} s"
          f" (target < 3 s)")
    ctx.close()


if __name__ == "__main__":
    sys.exit(main())
