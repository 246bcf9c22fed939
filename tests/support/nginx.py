"""Debian's nginx in the foreground on a free loopback port, as a reverse proxy in front of a
test server, with nginx's defaults where they matter (client_max_body_size 1 MB). Its files
live in a temp dir; the access log records each request's status and body size."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.processes import stop as stop_process
from tests.support.processes import wait_listening
from tests.support.servers import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 512; }}
http {{
    log_format bodies '$status $request_length $request_method $uri';
    access_log {dir}/access.log bodies;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # client_max_body_size is left at nginx's default: 1 MB.
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class Nginx:
    """``nginx -c CONF`` (daemon off) proxying 127.0.0.1:<port> to ``upstream``."""

    def __init__(self, upstream: int):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cobrowse-nginx-")
        os.chmod(self.dir, 0o777)  # as root, nginx's workers run as nobody
        self.conf = Path(self.dir, "nginx.conf")
        self.conf.write_text(CONF.format(dir=self.dir, port=self.port, upstream=upstream))
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> Nginx:
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(self.proc, self.port, "nginx", self.errors, timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def access(self) -> list[tuple[int, int, str]]:
        """(status, request length, path) of every request so far."""
        try:
            lines = Path(self.dir, "access.log").read_text(errors="replace").splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            status, length, _method, path = (line.split() + ["", "", "", ""])[:4]
            if status.isdigit() and length.isdigit():
                out.append((int(status), int(length), path))
        return out

    def errors(self) -> str:
        try:
            return Path(self.dir, "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
