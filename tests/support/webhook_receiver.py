"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that checks each delivery's
signature with the recipe of docs/integration.md and records what it got. It can be made to
fail (``down``) to test retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: str, body: bytes, header: str) -> bool:
    """The documented check (docs/integration.md, "Verifying a webhook")."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


class Receiver:
    def __init__(self, secret: str = "", port: int = 0):
        self.secret = secret
        self.events: list[dict] = []
        self.bad: list[bytes] = []
        self.failed = 0
        self.down = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.down:
                    receiver.failed += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                ok = verify(receiver.secret, body, self.headers.get("X-Cobrowse-Signature"))
                with receiver.lock:
                    if ok:
                        event = json.loads(body)
                        event["_id_header"] = self.headers.get("X-Cobrowse-Event-Id")
                        receiver.events.append(event)
                    else:
                        receiver.bad.append(body)
                self.send_response(204 if ok else 400)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self, **match) -> list[str]:
        with self.lock:
            return [e["type"] for e in self.events
                    if all(e["data"].get(k) == v for k, v in match.items())]

    def wait_for(self, predicate, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"webhooks not received in {timeout}s: {self.events}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
