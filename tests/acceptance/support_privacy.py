"""Helpers of the privacy-side acceptance tests (masking, navigation, privacy, proxy, network
drop): what the server received from the visitor, what Redis holds, what the agent's browser
shows, and a real forward proxy (Debian's squid) on loopback.

Everything here waits on conditions, never on fixed sleeps, except where a test needs time
itself to pass (a network drop of 20 s).
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.processes import stop as stop_process
from tests.support.processes import wait_listening
from tests.support.servers import free_port

SQUID = "/usr/sbin/squid"


def marker(prefix: str) -> str:
    """A distinctive string that no page, id or key contains by chance (letters and digits
    only, so it is the same bytes in JSON, URLs and HTML)."""
    return prefix + uuid.uuid4().hex[:12].upper()


# --- what the server received -----------------------------------------------------------------


class RequestLog:
    """Every request a browser context sends to the server's /api/: URL and body, the body
    gunzipped when the URL says ``z=1`` (the tag's CompressionStream bodies)."""

    def __init__(self, context, base: str):
        self.base = base
        self.entries: list[tuple[str, bytes]] = []
        self.failures: list[str] = []
        context.on("request", self._on_request)

    def _on_request(self, request) -> None:
        url = request.url
        if not url.startswith(self.base + "/api/"):
            return
        try:
            body = request.post_data_buffer or b""
        except Exception as exc:  # noqa: BLE001 - recorded, and the test fails on it
            self.failures.append(f"{url}: body not readable ({exc})")
            body = b""
        if "1" in parse_qs(urlsplit(url).query).get("z", []):
            try:
                body = gzip.decompress(body)
            except OSError as exc:
                self.failures.append(f"{url}: z=1 but not gzip ({exc})")
        self.entries.append((url, body))

    def hits(self, needle: str) -> list[str]:
        """URLs of the requests whose URL or body contains ``needle``."""
        raw = needle.encode()
        return [url for url, body in self.entries if raw in body or raw in url.encode()]


# --- what Redis holds -------------------------------------------------------------------------


def redis_dump(client) -> dict[str, list[bytes]]:
    """Every key of the database with every byte it holds (strings, hashes, lists, sets,
    sorted sets, streams), the key's own name included."""
    out: dict[str, list[bytes]] = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        values: list[bytes] = [key]
        if kind == "string":
            values.append(client.get(key) or b"")
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                values += [field, value]
        elif kind == "list":
            values += client.lrange(key, 0, -1)
        elif kind == "set":
            values += list(client.smembers(key))
        elif kind == "zset":
            values += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for entry_id, fields in client.xrange(key, "-", "+"):
                values.append(entry_id)
                for field, value in fields.items():
                    values += [field, value]
        elif kind != "none":  # expired between SCAN and TYPE is fine; anything else is not
            raise AssertionError(f"unexpected Redis type {kind!r} for key {key!r}")
        out[key.decode(errors="replace")] = [v if isinstance(v, bytes) else str(v).encode()
                                             for v in values]
    return out


def redis_hits(client, needle: str) -> list[str]:
    """Names of the Redis keys holding ``needle`` anywhere (name or value)."""
    raw = needle.encode()
    return sorted(key for key, values in redis_dump(client).items()
                  if any(raw in value for value in values))


# --- what the agent's browser shows ----------------------------------------------------------

#: Every string of a document: texts, attribute names and values, form values of inputs,
#: textareas and selects, in the document and in nested frames and shadow roots.
_ALL_STRINGS = """() => {
  const out = [];
  const walk = (root) => {
    if (!root) return;
    const all = root.querySelectorAll ? root.querySelectorAll('*') : [];
    for (const el of [root.documentElement || root, ...all]) {
      if (!el || !el.attributes) continue;
      for (const a of el.attributes) out.push(a.name + '=' + a.value);
      if ('value' in el && typeof el.value === 'string') out.push(el.value);
      if ('defaultValue' in el && typeof el.defaultValue === 'string') out.push(el.defaultValue);
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.tagName === 'IFRAME') { try { walk(el.contentDocument); } catch (e) {} }
    }
    out.push(root.documentElement ? root.documentElement.outerHTML : (root.innerHTML || ''));
    out.push(root.body ? root.body.textContent : (root.textContent || ''));
  };
  walk(document);
  return out.join('\\n');
}"""


def page_strings(page_or_frame) -> str:
    """Everything readable in a page or frame (see ``_ALL_STRINGS``)."""
    return page_or_frame.evaluate(_ALL_STRINGS)


def agent_strings(agent) -> str:
    """The workspace page and every frame in it (the replica included)."""
    return "\n".join(page_strings(frame) for frame in agent.frames)


def replica_frame(agent):
    """The replica iframe's Frame (the one the workspace currently shows)."""
    handle = agent.get_by_test_id("cobrowse-replica").element_handle()
    frame = handle.content_frame()
    assert frame is not None, "the replica iframe has no document"
    return frame


def wait_replica(agent, js: str, arg=None, timeout: float = 15000):
    """Wait until ``js`` (a function of the replica's document and ``arg``) is truthy in the
    current replica (re-found on every try: a new snapshot may rebuild the iframe)."""
    deadline = time.monotonic() + timeout / 1000
    last = None
    while time.monotonic() < deadline:
        try:
            frame = replica_frame(agent)
            last = frame.evaluate(f"(arg) => ({js})(document, arg)", arg)
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - the iframe being rebuilt: try again
            last = exc
        agent.wait_for_timeout(100)
    raise AssertionError(f"replica condition not met in {timeout} ms: {js} (last: {last!r})")


def replica_value(agent, selector: str, value: str) -> None:
    """Wait until the replica's element at ``selector`` has the form value ``value``."""
    wait_replica(agent, "(d, a) => { const e = d.querySelector(a[0]); return !!e && e.value === a[1]; }",
                 [selector, value])


def replica_has_text(agent, text: str) -> None:
    wait_replica(agent, "(d, t) => !!d.body && d.body.textContent.includes(t)", text)


# --- a real forward proxy --------------------------------------------------------------------


SQUID_CONF = """\
# A restrictive corporate-style forward proxy for the acceptance tests.
http_port 127.0.0.1:{port}
visible_hostname cobrowse-test-proxy
cache_effective_user {user}
pid_filename {dir}/squid.pid
cache_log {dir}/cache.log
access_log stdio:{dir}/access.log squid
logfile_rotate 0
netdb_filename none
pinger_enable off
coredump_dir {dir}
# no disk cache, a small memory cache, caching on
cache_mem 8 MB
maximum_object_size_in_memory 1 MB
memory_cache_mode always
# cache as aggressively as squid lets a proxy: a freshness of days, reloads ignored
refresh_pattern . 1440 100% 10080 override-expire override-lastmod ignore-reload ignore-no-store ignore-private
# short timeouts: a long poll must come back before these
read_timeout 30 seconds
request_timeout 30 seconds
client_lifetime 10 minutes
connect_timeout 10 seconds
shutdown_lifetime 0 seconds
# no tunnels; plain HTTP from loopback only
acl CONNECT method CONNECT
acl loopback src 127.0.0.1/32 ::1
http_access deny CONNECT
http_access allow loopback
http_access deny all
"""


class Squid:
    """``squid -N`` in the foreground on a free loopback port, its files in a temp dir."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cobrowse-squid-")
        os.chmod(self.dir, 0o777)  # squid drops to cache_effective_user for its logs
        self.conf = Path(self.dir, "squid.conf")
        user = "proxy" if _has_user("proxy") else "nobody"
        self.conf.write_text(SQUID_CONF.format(port=self.port, dir=self.dir, user=user))
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Squid:
        self._stderr = open(Path(self.dir, "stderr"), "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([SQUID, "-N", "-f", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        try:
            wait_listening(self.proc, self.port, "squid", self.logs, timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def access_log(self) -> list[str]:
        try:
            return Path(self.dir, "access.log").read_text(errors="replace").splitlines()
        except OSError:
            return []

    def logs(self) -> str:
        parts = []
        for name in ("stderr", "cache.log"):
            try:
                parts.append(Path(self.dir, name).read_text(errors="replace")[-4000:])
            except OSError:
                pass
        return "\n".join(parts)

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "_stderr", None):
            self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        import pwd

        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
