"""The two hot endpoints, ``POST /api/v1/send`` and ``POST /api/v1/poll``, as plain WSGI.

Every relayed event is one send and one poll answer, so their per-request cost is the
server's cost per event (issue 9). Flask's request and app contexts, URL map, hooks and
Response objects were about a fifth of a worker's CPU under the relay benchmark; this lane
answers the two endpoints in front of Flask with exactly the same contract (docs/protocol.md:
the body rules, caps, CORS, headers, gzip, errors) and hands every other request to Flask.
The work itself is the same code: ``Sender.send`` and ``Poller.poll``.
"""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import zlib
from urllib.parse import parse_qs

from werkzeug.http import HTTP_STATUS_CODES

from cobrowse import concurrency, logs, metrics
from cobrowse.config import public_origin
from cobrowse.errors import BadRequest, CobrowseError
from cobrowse.storage.base import BrokerUnavailable
from cobrowse.transport.parts import is_part
from cobrowse.web.api import origin_for
from cobrowse.web.http import GZIP_ABOVE, LARGE_BODY, NO_STORE
from cobrowse.web.outcomes import outage, refused, unreachable

log = logging.getLogger("cobrowse.web")

PATHS = ("/api/v1/send", "/api/v1/poll")
_BASE_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", NO_STORE),
                 ("Pragma", "no-cache"), ("X-Accel-Buffering", "no"),
                 ("Vary", "Accept-Encoding, Origin"), ("X-Content-Type-Options", "nosniff")]
_STATUS = {code: f"{code} {text}" for code, text in HTTP_STATUS_CODES.items()}


class TooLarge(CobrowseError):
    status = 413
    code = "too_large"


class FastLane:
    """WSGI middleware: send and poll here, everything else to ``app`` (Flask)."""

    def __init__(self, app, core):
        self.app = app
        self.core = core

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in PATHS or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        token = logs.begin(request_id=request_id(environ))
        try:
            return self._answer(path, environ, start_response)
        finally:
            logs.end(token)

    def _answer(self, path, environ, start_response):
        self.core.reaper.start()
        origin = environ.get("HTTP_ORIGIN")
        check = OriginCheck(self.core, origin,
                            public_origin(self.core.config) or own_origin(environ))
        try:
            body = read_body(environ, self.core.config.max_body, self.core.config.max_inflated)
            if not isinstance(body, dict):
                raise BadRequest("the body must be a JSON object")
            if path == PATHS[0] and is_part(body):  # docs/protocol.md "Parts and lanes"
                status, answer = self.core.parts.receive(body, check)
                text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
                retry = answer.get("retry_after") if isinstance(answer, dict) else None
            elif path == PATHS[0]:
                status, answer = self.core.sender.send(body, check)
                text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
                retry = answer.get("retry_after") if isinstance(answer, dict) else None
                observe_send(status, answer, body, environ, path)
            else:
                with metrics.POLLS_OPEN.track_inprogress():
                    status, text, retry = 200, self.core.poller.poll(body, check).text, None
                metrics.POLLS_ANSWERED.inc()
            allow = check.origin
        except CobrowseError as err:
            answer = outage(err, path) if isinstance(err, BrokerUnavailable) else err.to_json()
            status, retry = err.status, answer.get("retry_after")
            refused(status, answer, "POST", path)
            text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
            # No Redis read for this (issue 12, item 3): the origin the request established,
            # else its own Origin: an error answer carries only a code and a sentence.
            allow = check.origin or (origin.lower() if origin else None)
        except Exception as exc:
            if not unreachable(exc):
                log_crash(path)
                status, retry, allow = 500, None, None
                text = ('{"ok":false,"error":"internal","message":"the server failed on this '
                        'request; retry later"}')
            else:  # a redis-py error that escaped translation is still an outage
                answer = outage(exc, path)
                status, retry, allow = 503, answer["retry_after"], origin.lower() if origin else None
                refused(status, answer, "POST", path)
                text = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
        return respond(start_response, environ, status, text.encode(), allow, retry,
                       close=self.core.poller.draining.is_set())


def log_crash(path: str) -> None:
    """A real server error: its traceback, once."""
    log.exception("unhandled error on %s", path)


def request_id(environ) -> str:
    """The proxy's ``X-Request-Id`` (nginx's ``$request_id``), or a fresh one."""
    return (environ.get("HTTP_X_REQUEST_ID") or "")[:64] or secrets.token_hex(8)


def observe_send(status: int, answer: dict, body: dict, environ, path: str) -> None:
    """Metrics and the refusal line of one answered send."""
    if status >= 400:
        refused(status, answer, "POST", path)  # applied as a refusal: stored, answered as-is
        return
    events = body.get("events")
    metrics.count_send(events)
    if isinstance(events, list) and any(isinstance(e, dict) and e.get("k") == "snapshot"
                                        for e in events):
        metrics.SNAPSHOT_BYTES.observe(int(environ.get("CONTENT_LENGTH") or 0))


class OriginCheck:
    """Checks the participant's origin once the first round trip has read its record."""

    def __init__(self, core, origin: str | None, own: str):
        self.core, self.request_origin, self.own = core, origin, own
        self.origin: str | None = None

    def __call__(self, who: dict) -> None:
        logs.bind(participant=who.get("id"))
        self.origin = origin_for(self.core, who, self.request_origin, self.own)


def own_origin(environ) -> str:
    """This server's origin as the request names it (as Flask's ``request.host_url``)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if not environ.get("HTTP_HOST"):
        port = environ.get("SERVER_PORT", "")
        if port and (scheme, port) not in (("http", "80"), ("https", "443")):
            host = f"{host}:{port}"
    return f"{scheme}://{host}".lower()


def read_body(environ, max_body: int, max_inflated: int) -> object:
    """The JSON body, with the rules of ``cobrowse.web.http.read_json``."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as err:
        raise BadRequest("bad Content-Length") from err
    if length > max_body:
        raise TooLarge(f"the body is larger than {max_body} bytes")
    ctype = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if ctype not in ("text/plain", "application/json", ""):
        raise CobrowseError("send JSON as text/plain or application/json",
                            code="bad_content_type", status=415)
    stream = environ["wsgi.input"]
    raw = stream.read(length) if length else stream.read(max_body + 1)
    if len(raw) > max_body:
        raise TooLarge(f"the body is larger than {max_body} bytes")
    query = environ.get("QUERY_STRING") or ""
    if "z=1" in query and parse_qs(query).get("z") == ["1"]:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(raw, max_inflated + 1)
        except zlib.error as err:
            raise CobrowseError("the body is not valid gzip", code="bad_encoding",
                                status=415) from err
        if len(data) > max_inflated or inflater.unconsumed_tail:
            raise TooLarge(f"the body is larger than {max_inflated} bytes once inflated")
        raw = data
    try:
        return json.loads(raw)
    except RecursionError as err:
        raise BadRequest("the JSON is nested too deeply") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"the body is not valid JSON: {err}", code="bad_json") from err


def respond(start_response, environ, status: int, body: bytes, origin: str | None, retry,
            close: bool = False):
    """A complete answer with the headers of ``cobrowse.web.http.json_response``. ``close``:
    the worker is stopping, so the client's next request goes to another one (issue 10)."""
    headers = list(_BASE_HEADERS)
    if close:
        headers.append(("Connection", "close"))
    if len(body) > GZIP_ABOVE and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        if len(body) > LARGE_BODY:
            body = concurrency.run_blocking(gzip.compress, body, 1)
        else:
            body = gzip.compress(body, compresslevel=5)
        headers.append(("Content-Encoding", "gzip"))
    if retry:
        headers.append(("Retry-After", str(int(retry))))
    if origin:
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Max-Age", "600"))
    headers.append(("Content-Length", str(len(body))))
    start_response(_STATUS.get(status, f"{status} Error"), headers)
    return [body]
