"""Real reverse proxies for tests: Debian's nginx and haproxy, run with the very configuration
files docs/deploy.md tells operators to install (docs/deploy/), only the ports changed.
Both listen on 127.0.0.1 and run in the foreground as children of the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.processes import stop as stop_process
from tests.support.processes import wait_listening
from tests.support.servers import ROOT, free_port

DEPLOY = ROOT / "docs" / "deploy"


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout=15.0) -> None:
    wait_listening(proc, port, what, lambda: log.read_text(errors="replace")[-2000:], timeout)


class _Proxy:
    proc: subprocess.Popen | None = None

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"cobrowse-{type(self).__name__.lower()}-"))
        # nginx's workers drop root for "nobody": they must reach the temp paths too.
        os.chmod(self.dir, 0o755)

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def nginx_site(upstream_port: int, listen_port: int) -> str:
    """docs/deploy/nginx-site.conf with the test's ports (nothing else changed)."""
    text = (DEPLOY / "nginx-site.conf").read_text()
    text, n = re.subn(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream_port};", text)
    text, m = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen_port};", text)
    assert n == 1 and m == 1, "docs/deploy/nginx-site.conf changed shape: update the test"
    return text


class Nginx(_Proxy):
    """nginx in front of one gunicorn, with the documented site."""

    def __init__(self, upstream_port: int):
        super().__init__()
        self.upstream_port = upstream_port

    def start(self) -> Nginx:
        (self.dir / "site.conf").write_text(nginx_site(self.upstream_port, self.port))
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(mode=0o777)
            os.chmod(self.dir / sub, 0o777)
        d = self.dir
        # The main file Debian ships (/etc/nginx/nginx.conf) minus what needs /var: the site
        # is included as is.
        (d / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/site.conf;
}}
""")
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        log = d / "error.log"
        with open(d / "stderr", "wb") as err:  # the child keeps its own copy
            self.proc = subprocess.Popen([exe, "-c", str(d / "nginx.conf"), "-p", str(d)],
                                         stdout=subprocess.DEVNULL, stderr=err)
        _wait_port(self.port, self.proc, "nginx", log if log.exists() else d / "stderr")
        return self


def haproxy_config(listen_port: int, upstream_ports: list[int]) -> str:
    """docs/deploy/haproxy.cfg with the test's ports (nothing else changed)."""
    text = (DEPLOY / "haproxy.cfg").read_text()
    text, n = re.subn(r"bind 127\.0\.0\.1:8080", f"bind 127.0.0.1:{listen_port}", text)
    assert n == 1, "docs/deploy/haproxy.cfg changed shape: update the test"
    for index, port in enumerate(upstream_ports, start=1):
        text, n = re.subn(rf"server app{index} 127\.0\.0\.1:\d+", f"server app{index} 127.0.0.1:{port}",
                          text)
        assert n == 1, f"docs/deploy/haproxy.cfg has no server app{index}"
    return text


class Haproxy(_Proxy):
    """haproxy round-robin over several gunicorns, with the documented configuration."""

    def __init__(self, upstream_ports: list[int]):
        super().__init__()
        self.upstream_ports = upstream_ports

    def start(self) -> Haproxy:
        cfg = self.dir / "haproxy.cfg"
        cfg.write_text(haproxy_config(self.port, self.upstream_ports))
        exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
        log = self.dir / "stderr"
        with open(log, "wb") as out:  # the child keeps its own copy
            self.proc = subprocess.Popen([exe, "-db", "-f", str(cfg)], stdout=out,
                                         stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc, "haproxy", log)
        return self
