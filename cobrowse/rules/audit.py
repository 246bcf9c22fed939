"""The audit trail (issue 14): who co-browsed what and when, without any page content.

One trail per co-browse attempt, from the invitation on: who (agent, visitor participant),
when, which site and which page paths (never a query string, never page text, values or
attributes), the invitation's outcome, the session's mode changes and who asked, pauses,
each control action's kind, each refusal's reason code, and how it ended. Steps are JSON lines
in a Redis list per attempt (``audit:{invitation id}``), kept as long as transcripts
(``transcript_ttl``); ``audit:index`` lists them for ``cobrowse audit list``.

Every field comes from a closed vocabulary (ids, names, modes, kinds, codes) or is a URL
path: :data:`FIELDS` is checked on every write, so a later change cannot slip page content in.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from urllib.parse import urlsplit

from cobrowse.storage import keys

#: The only fields a step may carry (besides "t", the time, and "e", the step's name).
FIELDS = frozenset({"agent", "visitor", "site", "conversation", "mode", "outcome", "session",
                    "reason", "by", "kind", "path", "count"})
#: Kinds counted as control actions (the agent's events the visitor's tag replays).
CONTROL = ("control.click", "control.input", "control.navigate")
#: Bound on the events read to count them at the end (pages of 1000).
_MAX_PAGES = 1000


def page_path(url: object) -> str:
    """The path of a page URL: no scheme, host, query or fragment."""
    if not isinstance(url, str):
        return ""
    try:
        return urlsplit(url).path[:300] or "/"
    except ValueError:
        return ""


class Audit:
    """Writes and reads audit trails."""

    def __init__(self, broker, config):
        self.broker = broker
        self.config = config

    def step(self, ref: str | None, event: str, **fields: str) -> None:
        """Append one step to the trail of ``ref`` (an invitation id)."""
        if not ref:
            return
        unknown = set(fields) - FIELDS
        if unknown:
            raise ValueError(f"audit fields {sorted(unknown)} are not in the vocabulary")
        line = {"t": round(time.time(), 3), "e": event,
                **{k: str(v) for k, v in fields.items() if v is not None}}
        self.broker.rpush(keys.audit(ref), json.dumps(line), ttl=self.config.transcript_ttl)

    def opened(self, inv: dict) -> None:
        """An invitation: the trail starts."""
        summary = {"ref": inv["id"], "t": round(inv["created"], 3), "agent": inv["agent"],
                   "site": inv["site"], "visitor": inv["visitor"]}
        self.broker.hset(keys.AUDIT_INDEX, {inv["id"]: json.dumps(summary)})
        self.step(inv["id"], "invited", agent=inv["agent"], visitor=inv["visitor"],
                  site=inv["site"], conversation=inv["conversation"], mode=inv["mode"])

    def ended(self, ref: str | None, to_visitor: str, reason: str) -> None:
        """The session ends: count the control actions its stream to the visitor carried
        (the stream goes with the session; counting there costs the hot path nothing)."""
        if not ref:
            return
        counts: Counter = Counter()
        after = 0
        for _ in range(_MAX_PAGES):
            page = self.broker.read(to_visitor, after, 1000)
            if not page:
                break
            counts.update(e.get("k") for _, e in page if e.get("k") in CONTROL)
            after = page[-1][0]
        for kind in CONTROL:
            if counts[kind]:
                self.step(ref, "control", kind=kind, count=counts[kind])
        self.step(ref, "session.ended", reason=reason)

    def linked(self, ref: str, sid: str) -> None:
        """The invitation became session ``sid``: ``audit show`` finds it by either id."""
        self.broker.hset(keys.AUDIT_INDEX, {sid: json.dumps({"ref": ref, "alias": True})})

    # --- reading (the CLI) -------------------------------------------------------------------

    def steps(self, ref: str) -> list[dict]:
        return [json.loads(line) for line in self.broker.lrange(keys.audit(ref), 0, -1)]

    def summaries(self, since: float | None = None, agent: str | None = None) -> list[dict]:
        """Trails still kept, oldest first; expired ones leave the index."""
        out, gone = [], []
        for ref, raw in self.broker.hgetall(keys.AUDIT_INDEX).items():
            item = json.loads(raw)
            if item.get("alias"):
                continue
            if not self.broker.lrange(keys.audit(ref), 0, 0):
                gone.append(ref)
                continue
            if (since is None or item["t"] >= since) and (agent is None or item["agent"] == agent):
                out.append(item)
        if gone:
            self.broker.hdel(keys.AUDIT_INDEX, gone)
        return sorted(out, key=lambda i: i["t"])

    def show(self, ref: str) -> dict | None:
        """One trail with its counts, by invitation or session id."""
        raw = self.broker.hgetall(keys.AUDIT_INDEX).get(ref)
        if raw and json.loads(raw).get("alias"):
            ref = json.loads(raw)["ref"]
        steps = self.steps(ref)
        if not steps:
            return None
        ended = next((s for s in steps if s["e"] == "session.ended"), None)
        outcome = next((s.get("outcome") for s in steps if s["e"] == "invitation"), "open")
        return {
            "ref": ref,
            "session": next((s.get("session") for s in steps if s["e"] == "session.started"), None),
            **{k: steps[0].get(k) for k in ("agent", "visitor", "site", "conversation")},
            "invited": steps[0]["t"], "invitation": outcome,
            "ended": ended["t"] if ended else None, "end_reason": ended.get("reason") if ended else None,
            "pages": [s["path"] for s in steps if s["e"] == "page"],
            "controls": _control_counts(steps),
            "refusals": dict(Counter(s["reason"] for s in steps if s["e"] == "refused")),
            "pauses": sum(1 for s in steps if s["e"] == "paused"),
            "steps": steps,
        }


def _control_counts(steps: list[dict]) -> dict:
    counts: Counter = Counter()
    for s in steps:
        if s["e"] == "control":
            counts[s["kind"]] += int(s.get("count", 1))
    return dict(counts)
