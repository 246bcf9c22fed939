"""Big sends in parts: reassembly in the broker, then one ordinary send.

A client whose send is over its body cap (the tag's default is 256 KB on the wire, under
nginx's 1 MB and most WAFs' limits) cuts the JSON text of the send's ``events`` list into
slices and posts each as a part (docs/protocol.md "Parts and lanes")::

    {"token", "upload": "<id>", "part": [index, count], "data": "<slice>"}

and the last one (``index == count - 1``) also carries the send's ``seq``. Parts before the
last are only stored (under the participant's hash tag, so any worker of any host may take
the next one); they consume no seq, so the client's ordinary sends (its live lane: pointer,
scroll, clicks) go on between them. The last part joins the slices and hands the whole
send to ``Sender.send``: sequence check, exactly-once and the stored answer stay there. A
part lost or retried changes nothing (a part is stored by index; storing it twice stores
the same text), and a send with a part missing is never applied (409 ``parts``).
"""

from __future__ import annotations

import json
import logging
import re

from cobrowse.errors import BadRequest
from cobrowse.rules.conversations import Conflict
from cobrowse.storage import keys

log = logging.getLogger(__name__)

MAX_PARTS = 4096
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
#: Seconds the parts of an upload are kept after the last one was stored.
UPLOAD_TTL = 600
#: Seconds they are kept once the send was handed over: a retried last part whose answer
#: was lost then gets the stored answer without uploading everything again.
DONE_TTL = 120


def is_part(body: object) -> bool:
    """A send body that is one part of a big send (older clients never send ``part``)."""
    return isinstance(body, dict) and "part" in body


def parse_part(body: dict, *, max_total: int) -> tuple[str, int, int, str, int | None]:
    """Validate a part's envelope: returns (upload id, index, count, data, seq or None)."""
    upload = body.get("upload")
    part = body.get("part")
    data = body.get("data")
    if not isinstance(upload, str) or not UPLOAD_ID.match(upload):
        raise BadRequest("'upload' must be 1-40 letters, digits, '-' or '_'")
    if (not isinstance(part, list) or len(part) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in part)):
        raise BadRequest("'part' must be [index, count]")
    index, count = part
    if not 0 < count <= MAX_PARTS or not 0 <= index < count:
        raise BadRequest(f"'part' must be [index, count] with 0 <= index < count <= {MAX_PARTS}")
    if not isinstance(data, str):
        raise BadRequest("'data' must be a string (a slice of the JSON text of 'events')")
    if len(data) > max_total:
        raise BadRequest("the part is larger than a whole send may be", status=413, code="too_large")
    seq = body.get("seq")
    if index == count - 1:
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= 0:
            raise BadRequest("the last part must carry the send's 'seq'")
    elif seq is not None:
        raise BadRequest("only the last part carries 'seq'")
    return upload, index, count, data, seq


def join_parts(stored: dict[str, str], count: int) -> tuple[str | None, list[int]]:
    """The joined text of parts 0..count-1, or None and the indexes still missing."""
    missing = [i for i in range(count) if str(i) not in stored]
    if missing:
        return None, missing
    return "".join(stored[str(i)] for i in range(count)), []


class Parts:
    """Receives parts; hands a complete upload to the sender as one send."""

    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.config = core.config

    def receive(self, body: dict, check_origin=None) -> tuple[int, dict]:
        """Store one part; on the last, apply the whole send. Returns (status, answer).
        ``check_origin(who)`` refuses a participant whose page may not use this origin."""
        upload, index, count, data, seq = parse_part(body, max_total=self.config.max_inflated)
        who = self.core.participants.by_token(body.get("token"))
        if check_origin is not None:
            check_origin(who)
        key = keys.upload(who["id"], upload)
        self.broker.hset(key, {str(index): data}, ttl=UPLOAD_TTL)
        if seq is None:
            return 200, {"ok": True, "upload": upload, "part": [index, count]}
        text, missing = join_parts(self.broker.hgetall(key), count)
        if text is None:
            # Not applied and the seq is not consumed: the client sends the missing parts,
            # then this last part again.
            raise Conflict(f"{len(missing)} of {count} parts are missing", code="parts",
                           missing=missing[:100])
        if len(text) > self.config.max_inflated:
            raise BadRequest("the parts together are larger than a send may be", status=413,
                             code="too_large")
        try:
            events = json.loads(text)
        except ValueError:
            raise BadRequest("the joined parts are not the JSON text of an events list",
                             code="bad_parts") from None
        log.info("upload %s of %s: %d parts, %d characters, seq %d",
                 upload, who["id"], count, len(text), seq)
        status, answer = self.core.sender.send(
            {"token": body.get("token"), "seq": seq, "events": events}, check_origin)
        self.broker.expire(key, DONE_TTL)
        return status, answer
