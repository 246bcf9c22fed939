"""HTTP details shared by every endpoint: reading bodies, writing complete responses.

Bodies: JSON as ``text/plain`` or ``application/json``, optionally gzip with ``?z=1``,
capped before and after inflating. Responses: complete (Content-Length), never cached,
never buffered by proxies, gzip above 1 KB (DESIGN.md principles 1-3, 8).
"""

from __future__ import annotations

import gzip
import json
import zlib

from flask import Response, request

from cobrowse import concurrency
from cobrowse.errors import BadRequest, CobrowseError

NO_STORE = "no-store, no-cache, no-transform, must-revalidate, max-age=0"
GZIP_ABOVE = 1024
LARGE_BODY = 256 * 1024


class TooLarge(CobrowseError):
    status = 413
    code = "too_large"


def _inflate(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as err:
        raise CobrowseError("the body is not valid gzip", code="bad_encoding", status=415) from err
    if len(data) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the body is larger than {limit} bytes once inflated")
    return data


def read_json(max_body: int, max_inflated: int) -> object:
    """The request's JSON body, or a 4xx that says what is wrong with it."""
    length = request.content_length
    if length is not None and length > max_body:
        raise TooLarge(f"the body is larger than {max_body} bytes")
    ctype = (request.mimetype or "").lower()
    if ctype not in ("text/plain", "application/json", ""):
        raise CobrowseError("send JSON as text/plain or application/json",
                            code="bad_content_type", status=415)
    raw = request.stream.read(max_body + 1)
    if len(raw) > max_body:
        raise TooLarge(f"the body is larger than {max_body} bytes")
    if request.args.get("z") == "1":
        raw = _inflate(raw, max_inflated)
    try:
        return json.loads(raw)
    except RecursionError as err:
        raise BadRequest("the JSON is nested too deeply") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest(f"the body is not valid JSON: {err}", code="bad_json") from err


def json_response(payload: dict, status: int = 200) -> Response:
    """A complete JSON response with the no-cache, no-buffer headers; gzip when it pays."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    retry = payload.get("retry_after") if isinstance(payload, dict) else None
    return _complete(body, status, retry)


def json_text_response(text: str, status: int = 200) -> Response:
    """The same for a body that is JSON text already (a poll answer spliced from events)."""
    return _complete(text.encode(), status, None)


def _complete(body: bytes, status: int, retry) -> Response:
    headers = {"Cache-Control": NO_STORE, "Pragma": "no-cache", "X-Accel-Buffering": "no",
               "Vary": "Accept-Encoding, Origin", "X-Content-Type-Options": "nosniff"}
    if len(body) > GZIP_ABOVE and "gzip" in request.headers.get("Accept-Encoding", ""):
        if len(body) > LARGE_BODY:
            # A full snapshot: zlib releases the GIL, so a pool thread compresses it while the
            # worker keeps answering other polls; level 1 is 4x faster for 10% more bytes.
            body = concurrency.run_blocking(gzip.compress, body, 1)
        else:
            body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    if retry:
        headers["Retry-After"] = str(int(retry))
    response = Response(body, status=status, mimetype="application/json", headers=headers)
    response.headers["Content-Length"] = str(len(body))
    return response


def allow_origin(response: Response, origin: str | None) -> Response:
    """Echo an allowed origin (never ``*`` for the API; no credentials)."""
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Max-Age"] = "600"
    return response
