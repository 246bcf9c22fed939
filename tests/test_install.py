"""A plain install runs (issue 12, item 1): ``pip install .`` with no extras into a new
virtualenv, then ``gunicorn -c gunicorn.conf.py app:app`` from that virtualenv, two gevent
workers on Redis, until ``/healthz`` answers.

Our own venv has the test extra, which happens to bring what a plain install may miss (it
once missed ``packaging``, so gunicorn could not load its gevent worker): only a fresh venv
shows what ``install_requires`` really declares. pip's cache keeps this quick after the first
run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.slow


def _run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_plain_install_boots_two_gevent_workers(tmp_path, redis_url):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    # Build in a copy-free temp dir: an in-tree build would leave build/ in the checkout.
    _run([*pip, str(ROOT)], cwd=tmp_path)
    frozen = _run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"]).stdout
    names = {p["name"].lower().replace("_", "-") for p in json.loads(frozen)}
    assert {"cobrowse", "gunicorn", "gevent", "packaging", "prometheus-client"} <= names
    assert not {"pytest", "playwright"} & names  # no extras came along

    port = free_port()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "PORT": str(port),
           "COBROWSE_BIND": "127.0.0.1", "COBROWSE_WORKERS": "2",
           "COBROWSE_REDIS_URL": redis_url, "COBROWSE_REDIS_EPHEMERAL": "1",
           "COBROWSE_SECRET_KEY": "install-test-secret-0123456789",
           "COBROWSE_DATA_DIR": str(tmp_path)}
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([str(venv / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        answer = _wait_healthz(port, proc)
        assert answer == {"ok": True, "broker": "redis"}, (tmp_path / "gunicorn.log").read_text()
        workers = _children(proc.pid)
        assert len(workers) == 2, (tmp_path / "gunicorn.log").read_text()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _wait_healthz(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.2)
    return None


def _children(pid: int, timeout: float = 30.0) -> list[int]:
    """gunicorn's worker processes (both must have booted, not just the first)."""
    deadline = time.monotonic() + timeout
    found: list[int] = []
    while time.monotonic() < deadline:
        found = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]
        if len(found) >= 2:
            break
        time.sleep(0.2)
    return found


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
