"""The resource proxy's HTTP fetch: one GET to a configured origin, guarded at every step.

Standard library only (http.client; gevent's monkey-patching makes its sockets and DNS
cooperative). The host name is resolved once, every address is checked
(:func:`rules.address_problem`), and the connection goes to the checked address, so a DNS
answer that changes between the check and the connect cannot reach an internal host. No
cookie and no header of the agent's request is sent; redirects are followed only to the
same configured origins, re-checked like the first URL.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cobrowse.assets import rules
from cobrowse.sanitize import urls

#: Redirects followed per asset (each re-checked).
MAX_REDIRECTS = 3
USER_AGENT = "CoBrowse-replica-assets/1 (+resource proxy of a co-browsing server)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """A body the proxy may serve, with the type it is served as."""

    content_type: str
    body: bytes


@dataclass(frozen=True)
class Limits:
    """The operator's limits (``COBROWSE_ASSETS_*``)."""

    max_bytes: int = 5 * 1024 * 1024
    timeout: float = 10.0
    allow_private: bool = False


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address already checked (the Host header keeps the name)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _address(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise rules.upstream(f"cannot resolve {host}: {err}", "dns_failed") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise rules.upstream(f"{host} has no address", "dns_failed")
    for address in addresses:  # every answer: a name with one public and one internal is refused
        problem = rules.address_problem(address, allow_private)
        if problem:
            raise rules.refused(f"{host} resolves to {problem}", "private_address")
    return addresses[0]


def _check_origin(url: str, allowed: frozenset, redirected: bool) -> None:
    if urls.origin_of(url) not in allowed:
        how = "redirected to" if redirected else "asked for"
        raise rules.refused(f"the proxy was {how} {urls.origin_of(url)}, which is not one of "
                            "this site's origins or resource origins", "origin_not_configured")


def _get(url: str, kind: str, limits: Limits, deadline: float):
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    address = _address(host, port, limits.allow_private)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(host, port, address, max(0.1, min(limits.timeout, deadline - time.monotonic())))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn.putrequest("GET", path, skip_accept_encoding=True)
    for name, value in (("User-Agent", USER_AGENT), ("Accept", rules.ACCEPT[kind]),
                        ("Accept-Encoding", "identity"), ("Connection", "close")):
        conn.putheader(name, value)
    conn.endheaders()
    return conn, conn.getresponse()


def _read(response, limit: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit():
        rules.check_size(int(declared), limit)
    chunks, total = [], 0
    while True:
        if time.monotonic() > deadline:
            raise rules.upstream("the brand's server was too slow to send the asset", "timeout")
        chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        rules.check_size(total, limit)
        chunks.append(chunk)


def fetch(url: str, kind: str, allowed: frozenset, limits: Limits) -> Fetched:
    """GET ``url`` (canonical http(s)) as ``kind``; raises rules.AssetError with the reason."""
    deadline = time.monotonic() + limits.timeout
    for hop in range(MAX_REDIRECTS + 1):
        _check_origin(url, allowed, redirected=hop > 0)
        conn = None
        try:
            conn, response = _get(url, kind, limits, deadline)
            if response.status in _REDIRECTS:
                target = response.getheader("Location") or ""
                url = urls.absolute_url(target, url) or ""
                if not url:
                    raise rules.upstream("the brand's server redirected to a URL that is not "
                                         "http(s)", "bad_redirect")
                continue
            if response.status != 200:
                raise rules.upstream(f"the brand's server answered {response.status}",
                                     "upstream_status")
            body = _read(response, limits.max_bytes, deadline)
            return Fetched(rules.served_type(kind, response.getheader("Content-Type"), body),
                           body)
        except TimeoutError:
            raise rules.upstream("the brand's server did not answer in time", "timeout") from None
        except (OSError, http.client.HTTPException) as err:
            raise rules.upstream(f"cannot fetch from the brand's server: {err}",
                                 "fetch_failed") from None
        finally:
            if conn is not None:
                conn.close()
    raise rules.upstream(f"more than {MAX_REDIRECTS} redirects", "too_many_redirects")
