"""Co-browse session events between the two sides, through the sanitizer.

Visitor data (snapshots, mutations) is sanitized BEFORE it is queued, so nothing unsafe is
ever stored (DESIGN.md, "Data flow of one event"). Agent actions are checked against the
visitor's page: input into a masked field and navigation off the site are refused.
"""

from __future__ import annotations

from cobrowse import concurrency, logs, metrics
from cobrowse.answer_parts import as_parts
from cobrowse.assets.links import asset_policy
from cobrowse.errors import BadRequest, CobrowseError, Refused
from cobrowse.node_ids import expand_event
from cobrowse.protocol import CONTROL_KINDS, MODE_ANSWER_KINDS, PAGE_KINDS, origin_of
from cobrowse.rules.audit import page_path
from cobrowse.rules.clicks import ClickGuard
from cobrowse.rules.page_index import PageIndex
from cobrowse.rules.refusals import RefusalLog
from cobrowse.sanitize import (
    SanitizeError,
    SitePolicy,
    is_masked,
    is_no_control,
    sanitize_mutation,
    sanitize_snapshot,
)
from cobrowse.sanitize.scope import pauses_on
from cobrowse.storage import keys
from cobrowse.storage.outbox import Outbox


class Relay:
    """Moves one side's session events to the other side's session stream."""

    def __init__(self, broker, config, directory, lifecycle):
        self.broker = broker
        self.config = config
        self.directory = directory
        self.lifecycle = lifecycle
        self.clicks = ClickGuard(broker, config)
        self.refusals = RefusalLog()

    def policy(self, site_id: str) -> SitePolicy:
        site = self.directory.site(site_id)
        if not site:
            raise Refused("this site is no longer configured", code="unknown_site")
        return SitePolicy(origins=tuple(site.origins), resource_origins=tuple(site.resource_origins),
                          mask_selectors=tuple(site.mask), private=site.private,
                          unmask_selectors=tuple(site.unmask),
                          no_control_selectors=tuple(site.no_control),
                          **asset_policy(self.config, site))

    def from_visitor(self, sess: dict, event: dict, out: Outbox, index: PageIndex | None = None,
                     presence: bool = True) -> dict:
        """Sanitize one visitor event and queue it for the agent. ``index``: the page index as
        this send sees it (the caller writes its pending changes); ``presence=False``: the
        caller deals with the visitor's presence itself (the hot path learns it from the
        session record only when it appends)."""
        kind = event["k"]
        if kind in MODE_ANSWER_KINDS:
            # Not relayed: the visitor's answer about control changes the session's mode
            # (a lifecycle send, its answer stored; sess may be None).
            return self.lifecycle.answer_mode(sess, event, out)
        sid = sess["id"]
        logs.bind(session=sid)
        if kind in ("session.pause", "session.resume"):
            self.lifecycle.set_paused(sess, event["by"] if kind == "session.pause" else None, out)
        elif sess.get("paused") and kind in PAGE_KINDS:
            # The tag sends nothing of the page while paused; a tag that does is refused.
            raise Refused("sharing is paused: nothing of the page may be sent", code="paused")
        expand_event(event)
        if kind == "snapshot":
            event = self._snapshot(sess, event)
            self.lifecycle.audit.step(sess.get("invitation"), "page", path=page_path(event["url"]))
            if index is not None:
                index.reset(event.get("url") or "")
        elif kind == "mutation":
            event = self._mutation(sess, event, index)
        if presence:
            self.track_presence(sess, kind, out)
        # Capped answers (docs/protocol.md): a big sanitized page goes to the agent in parts.
        for piece in as_parts(event, self.config.max_answer):
            out.push(keys.session_stream(sid, "agent"), piece, self.config.session_ttl)
        metrics.RELAYED.labels("to_agent").inc()
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
        site = self.directory.site(sess["site"])
        if site and site.pause and pauses_on(site.pause, str(event.get("url") or "")):
            # The tag pauses on such pages by itself: one that sends them anyway is refused.
            raise Refused("this page pauses sharing by the site's rules", code="paused_page")
        try:
            # Off the event loop: a big page takes a few hundred milliseconds of CPU, and the
            # other sessions' parked polls in this worker must not wait for it (issue 4).
            with metrics.SANITIZE_SECONDS.labels("snapshot").time():
                clean, index = concurrency.run_blocking(sanitize_snapshot, event,
                                                        self.policy(sess["site"]))
        except SanitizeError as err:
            raise self._refused(sess["visitor"], BadRequest(f"snapshot refused: {err}",
                                                            code="bad_snapshot")) from err
        idx = keys.session_index(sess["id"])
        self.broker.delete(idx)
        items = list(index.items())
        for start in range(0, len(items), 5000):
            chunk = {str(k): v for k, v in items[start:start + 5000]}
            self.broker.hset(idx, chunk, ttl=self.config.session_ttl)
        self.broker.set(keys.session_page_url(sess["id"]), clean.get("url") or "",
                        ttl=self.config.session_ttl)
        self.clicks.page_loaded(sess["id"], event.get("doc"), index, clean.get("url") or "")
        return clean

    def _mutation(self, sess: dict, event: dict, index: PageIndex | None) -> dict:
        own = index is None
        index = index or PageIndex(self.broker, sess["id"])
        try:
            with metrics.SANITIZE_SECONDS.labels("mutation").time():
                clean, changes = sanitize_mutation(event, self.policy(sess["site"]),
                                                   index.lookup, index.page_url())
        except SanitizeError as err:
            raise self._refused(sess["visitor"], BadRequest(f"mutation refused: {err}",
                                                            code="bad_mutation")) from err
        index.record(changes)
        self.clicks.page_changed(sess["id"], event.get("m"), changes, index.lookup)
        if own:
            index.flush(self.config.session_ttl)
        return clean

    def _no_control(self, sess: dict, event: dict, index: PageIndex) -> bool:
        """Is the event's node one the site's ``--no-control`` rules keep from the agent?
        (The sanitizer flagged it in the page index, issue 14.)"""
        site = self.directory.site(sess["site"])
        if not site or not site.no_control:
            return False
        return is_no_control(index.lookup([event["i"]]).get(event["i"]))

    def _refused(self, participant: str, err: CobrowseError) -> CobrowseError:
        """One log line for a refusal (rate-limited), then the error to raise."""
        self.refusals.note(participant, err.code, err.message)
        return err

    def from_agent(self, sess: dict, event: dict, out: Outbox, index: PageIndex | None = None) -> dict:
        """An agent's session event, checked; refusals are audited (control actions are
        counted at the session's end, from its stream: no extra write on the hot path) and
        logged once (rate-limited)."""
        try:
            return self._from_agent(sess, event, out, index)
        except Refused as err:
            if event["k"] in CONTROL_KINDS:
                self.lifecycle.audit.step(sess.get("invitation"), "refused", kind=event["k"],
                                          reason=err.code)
            raise self._refused(f"agent {sess['agent']}", err) from None

    def _from_agent(self, sess: dict, event: dict, out: Outbox, index: PageIndex | None) -> dict:
        kind = event["k"]
        logs.bind(session=sess["id"])
        if kind in CONTROL_KINDS and sess.get("paused"):
            raise Refused("the visitor paused sharing: nothing can be operated until they "
                          "resume", code="paused")
        index = index or PageIndex(self.broker, sess["id"])
        if kind in ("control.click", "control.input") and self._no_control(sess, event, index):
            raise Refused("this site does not let agents operate that element: only the "
                          "visitor can", code="no_control")
        if kind == "control.input":
            entry = index.lookup([event["i"]]).get(event["i"])
            if entry is None:
                raise Refused("that field is no longer on the visitor's page", code="unknown_node")
            if is_masked(entry):
                raise Refused("this field is masked: only the visitor can fill it in",
                              code="masked_field")
        elif kind == "control.click":
            entry = index.lookup([event["i"]]).get(event["i"])
            if is_masked(entry):
                # A click on a masked checkbox, radio or option would change what only the
                # visitor may fill in (issue 10, malicious agent).
                raise Refused("this field is masked: only the visitor can change it",
                              code="masked_field")
            self.clicks.check(sess["id"], event["i"], self.policy(sess["site"]).origins,
                              index.lookup)
        elif kind == "control.navigate":
            site = self.policy(sess["site"])
            if origin_of(event["url"]) not in site.origins:
                raise Refused("the agent can only navigate to pages of this site",
                              code="off_site")
        out.push(keys.session_stream(sess["id"], "visitor"), event, self.config.session_ttl)
        metrics.RELAYED.labels("to_visitor").inc()
        return {}
