"""Visitor references (issue 13): an opaque, unguessable name for one tab's visitor that the
brand's page may hand to its own server, which passes it to our REST API to invite that
visitor. It names the visitor and nothing else; it is not the visitor's token (it cannot
act as the visitor)."""

from __future__ import annotations

import secrets

from cobrowse.storage import keys


class VisitorRefs:
    def __init__(self, core):
        self.core = core
        self.broker = core.broker
        self.ttl = core.config.participant_ttl

    def of(self, visitor: dict) -> str:
        """This visitor's reference (made once, then the same every time)."""
        ref = visitor.get("ref")
        if not ref:
            ref = "vr_" + secrets.token_urlsafe(18)
            stored = self.core.participants.update(
                visitor["id"], lambda r: None if r.get("ref") else {**r, "ref": ref})
            ref = (stored or {}).get("ref") or ref
        self.broker.set(keys.visitor_ref(ref), visitor["id"], ttl=self.ttl)
        return ref

    def visitor(self, ref: object) -> dict | None:
        """The visitor named by ``ref``, or None."""
        if not isinstance(ref, str) or not 3 < len(ref) < 100:
            return None
        pid = self.broker.get(keys.visitor_ref(ref))
        return self.core.participants.get(pid) if pid else None
