"""Visitor tag benchmark (issue 3): one command, printed figures.

    .venv/bin/python bench/bench_tag.py [--runs 5]

In headless Chromium, on the Python documentation's genindex-all.html (Debian python3-doc,
about 1.7 MB of HTML) served from loopback with the tag embedded, it measures:

* our full snapshot as the tag sends it: serialize (tag/src/capture.js record().snapshot()),
  JSON.stringify of the send body, gzip through CompressionStream (tag/src/transport.js);
  main-thread milliseconds and gzipped bytes;
* rrweb-snapshot's snapshot() (default options) + JSON.stringify + the same gzip, beside it;
* the longest main-thread task (PerformanceObserver "longtask") while the real tag takes a
  snapshot and sends it to a scripted server, from the agent's request to the bytes received.

Medians of --runs runs. Target: at most half of rrweb's time and half of its size.
rrweb-snapshot is installed at run time with npm into ~/.cache/cobrowse-bench (or
$COBROWSE_BENCH_CACHE), never into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TAG = ROOT / "tag"
DOCS = Path("/usr/share/doc/python3/html")
PAGE = "genindex-all.html"
RRWEB = "rrweb-snapshot@2.0.0-alpha.4"
CACHE = Path(os.environ.get("COBROWSE_BENCH_CACHE", "~/.cache/cobrowse-bench")).expanduser()
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TAG_SCRIPT = b'<script src="/tag/cobrowse.js" data-site="bench" async></script>'
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8",
         ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json"}
LONGTASKS = """
// the tag's gzip (tag/src/transport.js gzipText), for --tag versions that do not export it
window.__gzip = async (text) => new Uint8Array(await new Response(
  new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
window.__lt = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__lt.push(e.duration);
}).observe({ type: "longtask", buffered: true });
"""


def rrweb_bundle() -> Path:
    bundle = CACHE / "node_modules" / "rrweb-snapshot" / "dist" / "rrweb-snapshot.js"
    if not bundle.is_file():
        print(f"installing {RRWEB} into {CACHE} ...", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                        "--no-save", RRWEB], check=True, stdout=subprocess.DEVNULL)
    return bundle


class BenchServer:
    """Static files (docs, tag, rrweb) and a scripted hello/send/poll for one visitor."""

    def __init__(self, rrweb: Path, tag: Path = TAG):
        self.rrweb, self.tag = rrweb, tag
        self.lock = threading.Condition()
        self.outbox: list[dict] = []
        self.state = {"conversation": {"id": "c1", "status": "open"}, "invitation": None,
                      "session": None}
        self.seq = 0
        self.snapshots: list[dict] = []  # {"at", "wire", "chars", "event"}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, stream: str, **event):
        with self.lock:
            self.outbox.append({"s": stream, "id": len(self.outbox) + 1, **event})
            self.lock.notify_all()

    def start_session(self):
        with self.lock:
            self.state = {**self.state, "session": {"id": "bench", "mode": "view",
                                                    "agent": "Bench", "visitor": "here"}}
        self.push("inbox", k="session.started", session="bench", conversation="c1", mode="view",
                  agent="Bench")

    def wait_snapshots(self, count: int, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.snapshots) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("the tag sent no snapshot")
                self.lock.wait(left)
            return self.snapshots[count - 1]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, data: bytes, ctype: str):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == "/rrweb-snapshot.js":
                    return self._reply(200, server.rrweb.read_bytes(), TYPES[".js"])
                for prefix, base in (("/tag/", server.tag), ("/doc/", DOCS)):
                    rel = path[len(prefix):]
                    if path.startswith(prefix) and ".." not in rel and (base / rel).is_file():
                        data = (base / rel).read_bytes()
                        if rel == PAGE:
                            data = data.replace(b"</body>", TAG_SCRIPT + b"</body>", 1)
                        return self._reply(200, data, TYPES.get(Path(rel).suffix, "text/plain"))
                self._reply(404, b"not found", "text/plain")

            def do_POST(self):
                url = urlsplit(self.path)
                wire = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                raw = gzip.decompress(wire) if parse_qs(url.query).get("z") == ["1"] else wire
                body = json.loads(raw)
                answer = getattr(server, "_" + url.path.rsplit("/", 1)[-1])(body, wire, raw)
                self._reply(200, json.dumps(answer).encode(), "application/json")

        return Handler

    def _hello(self, body, wire, raw):
        with self.lock:
            return {"ok": True, "token": "bench", "participant": "v_bench", "seq": self.seq,
                    "state": self.state, "config": {"mask": [], "hold": 1, "origins": [self.url],
                                                    "implicit_ids": True}}

    def _send(self, body, wire, raw):
        with self.lock:
            self.seq = body["seq"]
            for ev in body["events"]:
                if ev["k"] == "snapshot":
                    self.snapshots.append({"at": time.monotonic(), "wire": len(wire),
                                           "chars": len(raw), "event": ev})
            self.lock.notify_all()
            return {"ok": True, "seq": self.seq, "results": [{} for _ in body["events"]]}

    def _poll(self, body, wire, raw):
        cursors = body.get("cursors") or {}
        deadline = time.monotonic() + 1
        with self.lock:
            while True:
                fresh = [e for e in self.outbox if e["id"] > cursors.get(e["s"], 0)]
                if fresh or time.monotonic() >= deadline:
                    break
                self.lock.wait(deadline - time.monotonic())
            out = dict(cursors)
            for e in fresh:
                out[e["s"]] = max(out.get(e["s"], 0), e["id"])
            return {"ok": True, "events": fresh, "cursors": out, "state": self.state}


# One run of ours, in the page: the tag's own modules, the tag's own path.
OURS = """async () => {
  const [{ record }, { createMasker }, { createNatives }, transport] = await Promise.all(
    ["capture.js", "mask.js", "natives.js", "transport.js"].map((m) => import("/tag/src/" + m)));
  const gzipText = transport.gzipText || window.__gzip;
  const host = document.querySelector("cobrowse-ui");
  const natives = createNatives(host.shadowRoot);
  let ev = null;
  const rec = record({ natives, masker: createMasker([]), exclude: host, emit: (e) => (ev = e),
                       implicitIds: true });
  const t0 = performance.now();
  rec.snapshot();
  const t1 = performance.now();
  const text = natives.stringify({ token: "bench", seq: 1, events: [ev] });
  const t2 = performance.now();
  const bytes = await gzipText(text);
  const t3 = performance.now();
  rec.stop();
  return { serialize: t1 - t0, stringify: t2 - t1, gzip: t3 - t2, total: t3 - t0,
           chars: text.length, bytes: bytes.length };
}"""

# One run of rrweb-snapshot's snapshot(), with the same stringify and gzip.
RRWEB_RUN = """async () => {
  const gzipText = (await import("/tag/src/transport.js")).gzipText || window.__gzip;
  const t0 = performance.now();
  const node = rrwebSnapshot.snapshot(document);
  const t1 = performance.now();
  const text = JSON.stringify({ type: 2, data: { node, initialOffset: { left: scrollX, top: scrollY } },
                                timestamp: Date.now() });
  const t2 = performance.now();
  const bytes = await gzipText(text);
  const t3 = performance.now();
  return { serialize: t1 - t0, stringify: t2 - t1, gzip: t3 - t2, total: t3 - t0,
           chars: text.length, bytes: bytes.length };
}"""


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def count_nodes(node: dict) -> int:
    n = 1
    for child in node.get("c") or []:
        n += count_nodes(child)
    for key in ("d", "sh"):
        if node.get(key):
            n += count_nodes(node[key])
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tag", type=Path, default=TAG,
                        help="the tag directory to measure (e.g. an older version: git worktree)")
    args = parser.parse_args()
    if not (DOCS / PAGE).is_file():
        print(f"missing {DOCS / PAGE}: apt-get install python3-doc", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    server = BenchServer(rrweb_bundle(), args.tag.resolve())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.add_init_script(LONGTASKS)
            page.goto(f"{server.url}/doc/{PAGE}", wait_until="load", timeout=60000)
            page.wait_for_function("window.CoBrowse && CoBrowse.info && CoBrowse.info().state")
            page.add_script_tag(url=f"{server.url}/rrweb-snapshot.js")
            elements = page.evaluate("document.getElementsByTagName('*').length")

            ours, theirs = [], []
            for _ in range(args.runs):  # interleaved, so both see the same machine load
                ours.append(page.evaluate(OURS))
                theirs.append(page.evaluate(RRWEB_RUN))

            # The real tag: the agent's session starts, then asks for fresh snapshots.
            sent = []
            for run in range(args.runs):
                page.evaluate("window.__lt = []")
                started = time.monotonic()
                if run == 0:
                    server.start_session()
                else:
                    server.push("s_bench", k="snapshot.request")
                snap = server.wait_snapshots(run + 1)
                time.sleep(0.3)  # let the observer deliver the last entries
                tasks = page.evaluate("window.__lt")
                sent.append({"longest": max(tasks, default=0.0), "long_tasks": len(tasks),
                             "latency": (snap["at"] - started) * 1000, "wire": snap["wire"]})
            nodes = count_nodes(server.snapshots[-1]["event"]["doc"])
            browser.close()
    finally:
        server.close()

    def row(label, rows):
        return (f"  {label:<16} serialize {median(rows, 'serialize'):7.1f} ms   stringify "
                f"{median(rows, 'stringify'):6.1f} ms   gzip {median(rows, 'gzip'):6.1f} ms   "
                f"total {median(rows, 'total'):7.1f} ms   JSON {median(rows, 'chars') / 1e6:5.2f} MB"
                f"   gzipped {median(rows, 'bytes') / 1e3:7.1f} KB")

    print(f"page: {PAGE} ({(DOCS / PAGE).stat().st_size / 1e6:.2f} MB HTML, {elements} elements; "
          f"our snapshot has {nodes} nodes), Chromium headless, median of {args.runs}")
    print(row("cobrowse tag", ours))
    print(row(RRWEB, theirs))
    time_ratio = median(ours, "total") / median(theirs, "total")
    size_ratio = median(ours, "bytes") / median(theirs, "bytes")
    print(f"  ratio to rrweb: time {time_ratio:.2f}, size {size_ratio:.2f} "
          f"(target <= 0.50 each: {'met' if time_ratio <= 0.5 and size_ratio <= 0.5 else 'NOT met'})")
    print(f"  the real tag, agent request -> snapshot received: "
          f"{median(sent, 'latency'):.0f} ms (median), {median(sent, 'wire') / 1e3:.1f} KB on the wire")
    print(f"  longest main-thread task meanwhile: {median(sent, 'longest'):.0f} ms median, "
          f"{max(r['longest'] for r in sent):.0f} ms max "
          f"({median(sent, 'long_tasks'):.0f} tasks over 50 ms per snapshot, median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
