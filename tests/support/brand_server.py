"""A brand's web server on 127.0.0.1 for resource-proxy tests: fixed routes, and no CORS
header on anything (like most brand sites), so fonts only reach a replica on another origin
through the server's resource proxy (issue 11)."""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
#: A text web font and an icon font: real font files from Debian's fonts-dejavu packages.
TEXT_FONT = DEJAVU / "DejaVuSansMono-Bold.ttf"
ICON_FONT = DEJAVU / "DejaVuSans.ttf"


class BrandServer:
    """``routes``: path -> (status, {header: value}, body bytes). Records every request."""

    def __init__(self, routes: dict | None = None, root: Path | None = None):
        self.routes: dict[str, tuple[int, dict, bytes]] = dict(routes or {})
        self.root = root
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append((self.path, dict(self.headers)))
                status, headers, body = server.route(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path: str) -> tuple[int, dict, bytes]:
        """A fixed route, else a file under ``root`` (static files of a real site), else 404."""
        path = path.split("?")[0] if path not in self.routes else path
        if path in self.routes:
            return self.routes[path]
        if self.root is not None and ".." not in path:
            file = self.root / path.lstrip("/")
            if file.is_file():
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return 200, {"Content-Type": kind}, file.read_bytes()
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def add(self, path: str, body: bytes | str, content_type: str, status: int = 200,
            **headers) -> str:
        """Serve ``body`` at ``path``; returns the absolute URL."""
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **headers}, data)
        return self.origin + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
