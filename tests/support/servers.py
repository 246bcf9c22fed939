"""Real servers for integration tests: gunicorn with gevent workers, started on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py app:app`` as operators run it, on 127.0.0.1."""

    def __init__(self, redis_url: str | None = None, *, workers: int = 1, demo: bool = True,
                 env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="cobrowse-gunicorn-")
        self.env = {**os.environ, "PORT": str(self.port), "COBROWSE_BIND": "127.0.0.1",
                    "COBROWSE_WORKERS": str(workers), "COBROWSE_DATA_DIR": self.dir,
                    "COBROWSE_SECRET_KEY": "integration-test-secret-0123456789",
                    "COBROWSE_DEMO": "1" if demo else "0", "COBROWSE_REDIS_URL": redis_url or "",
                    "COBROWSE_DEMO_PASSWORD": "demo-password-for-tests",
                    # The tests' redis-server keeps nothing on disk, on purpose.
                    "COBROWSE_REDIS_EPHEMERAL": "1",
                    **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(self.dir, "gunicorn.log")

    def start(self, timeout: float = 30.0) -> Gunicorn:
        self._log = log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def cli(args: list[str], env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    """Run the ``cobrowse`` console script with the server's environment."""
    exe = Path(sys.executable).with_name("cobrowse")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "cobrowse.cli"]
    return subprocess.run(cmd + args, input=stdin, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=30)
