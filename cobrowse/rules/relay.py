"""Co-browse session events between the two sides, through the sanitizer.

Visitor data (snapshots, mutations) is sanitized BEFORE it is queued, so nothing unsafe is
ever stored (DESIGN.md, "Data flow of one event"). Agent actions are checked against the
visitor's page: input into a masked field and navigation off the site are refused.
"""

from __future__ import annotations

from cobrowse import concurrency
from cobrowse.errors import BadRequest, Refused
from cobrowse.node_ids import expand_event
from cobrowse.protocol import origin_of
from cobrowse.rules.page_index import PageIndex
from cobrowse.sanitize import (
    SanitizeError,
    SitePolicy,
    is_masked,
    sanitize_mutation,
    sanitize_snapshot,
)
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox


class Relay:
    """Moves one side's session events to the other side's session stream."""

    def __init__(self, broker, config, directory, lifecycle):
        self.broker = broker
        self.config = config
        self.directory = directory
        self.lifecycle = lifecycle

    def policy(self, site_id: str) -> SitePolicy:
        site = self.directory.site(site_id)
        if not site:
            raise Refused("this site is no longer configured", code="unknown_site")
        return SitePolicy(origins=tuple(site.origins), resource_origins=tuple(site.resource_origins),
                          mask_selectors=tuple(site.mask))

    def from_visitor(self, sess: dict, event: dict, out: Outbox, index: PageIndex | None = None,
                     presence: bool = True) -> dict:
        """Sanitize one visitor event and queue it for the agent. ``index``: the page index as
        this send sees it (the caller writes its pending changes); ``presence=False``: the
        caller deals with the visitor's presence itself (the hot path learns it from the
        session record only when it appends)."""
        kind = event["k"]
        sid = sess["id"]
        expand_event(event)
        if kind == "snapshot":
            event = self._snapshot(sess, event)
            if index is not None:
                index.reset(event.get("url") or "")
        elif kind == "mutation":
            event = self._mutation(sess, event, index)
        if presence:
            self.track_presence(sess, kind, out)
        out.push(keys.session_stream(sid, "agent"), event, self.config.session_ttl)
        return {}

    def track_presence(self, sess: dict, kind: str, out: Outbox) -> None:
        """The visitor's presence after an event of ``kind``: a ``page`` leave means it left;
        back after silence with any event; back after leaving only with the next page's
        snapshot (events the old page sent before it left may still arrive after its leave)."""
        presence = sess.get("presence")
        if kind == "page":
            self.lifecycle.set_presence(sess, "left", out)
        elif (presence == "away") or (presence == "left" and kind == "snapshot"):
            self.lifecycle.set_presence(sess, "here", out)

    def _snapshot(self, sess: dict, event: dict) -> dict:
        try:
            # Off the event loop: a big page takes a few hundred milliseconds of CPU, and the
            # other sessions' parked polls in this worker must not wait for it (issue 4).
            clean, index = concurrency.run_blocking(sanitize_snapshot, event,
                                                    self.policy(sess["site"]))
        except SanitizeError as err:
            raise BadRequest(f"snapshot refused: {err}", code="bad_snapshot") from err
        idx = keys.session_index(sess["id"])
        self.broker.delete(idx)
        items = list(index.items())
        for start in range(0, len(items), 5000):
            chunk = {str(k): v for k, v in items[start:start + 5000]}
            self.broker.hset(idx, chunk, ttl=self.config.session_ttl)
        self.broker.set(keys.session_page_url(sess["id"]), clean.get("url") or "",
                        ttl=self.config.session_ttl)
        return clean

    def _lookup(self, sid: str):
        idx = keys.session_index(sid)

        def lookup(ids: list[int]) -> dict[int, str | None]:
            ids = list(dict.fromkeys(ids))
            values = self.broker.hget_many(idx, [str(i) for i in ids]) if ids else []
            return dict(zip(ids, values, strict=True))
        return lookup

    def _mutation(self, sess: dict, event: dict, index: PageIndex | None) -> dict:
        own = index is None
        index = index or PageIndex(self.broker, sess["id"])
        try:
            clean, changes = sanitize_mutation(event, self.policy(sess["site"]),
                                               index.lookup, index.page_url())
        except SanitizeError as err:
            raise BadRequest(f"mutation refused: {err}", code="bad_mutation") from err
        index.record(changes)
        if own:
            index.flush(self.config.session_ttl)
        return clean

    def from_agent(self, sess: dict, event: dict, out: Outbox, index: PageIndex | None = None) -> dict:
        kind = event["k"]
        index = index or PageIndex(self.broker, sess["id"])
        if kind == "control.input":
            entry = index.lookup([event["i"]]).get(event["i"])
            if entry is None:
                raise Refused("that field is no longer on the visitor's page", code="unknown_node")
            if is_masked(entry):
                raise Refused("this field is masked: only the visitor can fill it in",
                              code="masked_field")
        elif kind == "control.navigate":
            site = self.policy(sess["site"])
            if origin_of(event["url"]) not in site.origins:
                raise Refused("the agent can only navigate to pages of this site",
                              code="off_site")
        out.push(keys.session_stream(sess["id"], "visitor"), event, self.config.session_ttl)
        return {}
