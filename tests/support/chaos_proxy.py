"""A hostile HTTP proxy on loopback: it delays, drops connections mid-response, duplicates
requests and truncates bodies, at random but reproducibly (seeded).

It understands just enough HTTP/1.1 (Content-Length bodies, one request per connection) to
do damage in the places real proxies and mobile links do: after the server applied a request
but before the client saw the answer.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter


def _read_message(sock: socket.socket) -> bytes | None:
    """One HTTP message (head + Content-Length body) or None if the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


class ChaosProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; each request meets one random fate."""

    FATES = ("pass", "delay", "drop_response", "truncate", "duplicate")

    def __init__(self, upstream: tuple[str, int], *, seed: int = 7,
                 weights=(0.55, 0.15, 0.1, 0.1, 0.1), max_delay: float = 0.3):
        self.upstream = upstream
        self.random = random.Random(seed)
        self.weights = weights
        self.max_delay = max_delay
        self.fates: Counter = Counter()
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _fate(self) -> str:
        with self.lock:
            fate = self.random.choices(self.FATES, self.weights)[0]
            self.fates[fate] += 1
            return fate

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _exchange(self, request: bytes) -> bytes | None:
        with socket.create_connection(self.upstream, timeout=60) as up:
            up.sendall(request)
            return _read_message(up)

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_message(client)
            if request is None:
                return
            # One request per connection keeps the damage easy to reason about.
            request = request.replace(b"Connection: keep-alive", b"Connection: close")
            fate = self._fate()
            try:
                if fate == "duplicate":
                    self._exchange(request)
                if fate == "delay":
                    time.sleep(self.random.uniform(0, self.max_delay))
                response = self._exchange(request)
            except OSError:
                return
            if response is None or fate == "drop_response":
                return  # the server applied it; the client never hears back
            if fate == "truncate":
                client.sendall(response[: max(1, len(response) // 2)])
                return
            client.sendall(response)

    def close(self) -> None:
        self.running = False
        self.server.close()
