"""Child processes the tests start (nginx, haproxy, squid, an OpenID provider): wait until
one listens, stop one for sure."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def wait_listening(proc: subprocess.Popen, port: int, what: str, logs: Callable[[], str],
                   timeout: float = 15.0) -> None:
    """Return once ``proc`` accepts connections on 127.0.0.1:``port``; raise with its logs if
    it exits first or does not listen within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{logs()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s:\n{logs()}")


def stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; always reaped."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
