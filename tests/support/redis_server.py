"""A throwaway redis-server for tests: free port, temporary directory, no persistence.

Tests never touch a Redis that happens to run on the machine (CI machines have none, and a
developer's must not be flushed): each session starts its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Environment variable naming the redis-server executable (default: found on PATH).
EXECUTABLE_ENV = "COBROWSE_TEST_REDIS_SERVER"


class RedisServerError(RuntimeError):
    """redis-server is missing or did not come up."""


class RedisServer:
    """``with RedisServer() as server: server.url`` -> ``redis://127.0.0.1:<port>/0``."""

    def __init__(self, executable: str | None = None, *, appendonly: bool = False,
                 extra_args: tuple[str, ...] = ()):
        found = executable or os.environ.get(EXECUTABLE_ENV) or shutil.which("redis-server")
        if not found or not Path(found).exists() and not shutil.which(found):
            raise RedisServerError(
                "redis-server not found: the Redis tests start their own server. Install it "
                "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or "
                f"set {EXECUTABLE_ENV} to its path."
            )
        self.executable = found
        self.appendonly = appendonly
        self.extra_args = tuple(extra_args)
        self.port: int | None = None
        self._dir: str | None = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self._dir = tempfile.mkdtemp(prefix="cobrowse-redis-")
        # A free port can be taken between our probe and redis binding it: try a few.
        for _ in range(3):
            self.port = _free_port()
            self._spawn()
            if self._wait_ready(timeout):
                return self
            self._terminate()
        log = Path(self._dir, "redis.log")
        detail = log.read_text()[-2000:] if log.exists() else ""
        self.stop()
        raise RedisServerError(f"redis-server did not answer PING:\n{detail}")

    def _spawn(self) -> None:
        self._process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes" if self.appendonly else "no",
             "--appendfsync", "always", "--dir", self._dir,
             "--logfile", os.path.join(self._dir, "redis.log"), *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pause(self) -> None:
        """Stop the server process (an outage), keeping its port and directory."""
        self._terminate()

    def resume(self, timeout: float = 10.0) -> None:
        """Start it again on the same port and directory (with AOF: with the same data)."""
        self._spawn()
        if not self._wait_ready(timeout):
            raise RedisServerError("redis-server did not come back on its port")

    def stop(self) -> None:
        self._terminate()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if _ping(self.port):
                return True
            time.sleep(0.02)
        return False

    def _terminate(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ping(port: int) -> bool:
    """Speak just enough RESP to see a ready server (no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
