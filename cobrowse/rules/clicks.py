"""The server's wall against ``control.click`` leaving the site (issue 10, item 4).

Keeps, per session, the click facts of the visitor's page (:mod:`cobrowse.click_targets`)
beside the sanitizer's index, and refuses an agent's click whose effect would be a
navigation off the site's origins, with the same 403 ``off_site`` as ``control.navigate``.
"""

from __future__ import annotations

from cobrowse import click_targets, concurrency
from cobrowse.errors import Refused
from cobrowse.sanitize import urls
from cobrowse.sanitize.index import decode as decode_entry
from cobrowse.storage import keys

#: Fields written per broker call (a page can hold tens of thousands of links).
CHUNK = 5000


class ClickGuard:
    """Stores the click facts of the visitor's page and checks the agent's clicks."""

    def __init__(self, broker, config):
        self.broker = broker
        self.config = config

    # --- what the visitor's page says ---------------------------------------------------

    def page_loaded(self, sid: str, raw_doc: object, kept: dict, page_url: str) -> None:
        """A new snapshot: replace the facts with those of nodes the sanitizer kept."""
        key = keys.session_targets(sid)
        self.broker.delete(key)
        # A big page has tens of thousands of nodes: walk them off the event loop, like the
        # sanitizer, so the worker's other parked polls keep being answered.
        fields = concurrency.run_blocking(click_targets.collect, raw_doc)
        fields["url"] = page_url
        self._store(key, fields, kept)

    def page_changed(self, sid: str, raw_ops: object, changes: dict, lookup) -> None:
        """A mutation (already accepted by the sanitizer): follow added nodes and attributes."""
        if type(raw_ops) is not list:
            return
        key = keys.session_targets(sid)
        kept = {k: v for k, v in changes.items() if v is not None}
        for op in raw_ops:
            if type(op) is not dict:
                continue
            if op.get("o") == "add":
                self._store(key, click_targets.collect(op.get("n")), kept)
            elif op.get("o") == "fill" and type(op.get("c")) is list:
                fields: dict[str, str] = {}
                for child in op["c"]:
                    fields.update(click_targets.collect(child))
                self._store(key, fields, kept)
            elif op.get("o") == "attr":
                self._attr(key, op, lookup)

    def _store(self, key: str, fields: dict[str, str], kept: dict) -> None:
        def known(field: str, value: str) -> bool:
            node = value if field.startswith("#") else field
            return field in ("base", "url") or (node.isdigit() and int(node) in kept)
        items = [(f, v) for f, v in fields.items() if known(f, v)]
        for start in range(0, len(items), CHUNK):
            self.broker.hset(key, dict(items[start:start + CHUNK]), ttl=self.config.session_ttl)

    def _attr(self, key: str, op: dict, lookup) -> None:
        i, name, value = op.get("i"), op.get("a"), op.get("v")
        if type(i) is not int or type(name) is not str or (value is not None and type(value) is not str):
            return
        if name.lower() not in click_targets.FACT_ATTRS:
            return  # most attribute changes: no read, no write
        entry = decode_entry(lookup([i]).get(i))
        if entry is None:
            return
        current = self.broker.hget_many(key, [str(i)])[0]
        updated = click_targets.with_attr(current, entry.kind, name, value)
        if updated is None:
            return
        fields = {str(i): updated}
        if name.lower() == "id" and value and entry.kind in ("form", "button", "input"):
            fields["#" + value] = str(i)
        self.broker.hset(key, fields, ttl=self.config.session_ttl)

    # --- the agent's click --------------------------------------------------------------

    def check(self, sid: str, node_id: int, origins: tuple[str, ...], lookup) -> None:
        """Refuse (403) a click on an unknown node or one whose effect leaves the site.
        ``lookup(ids) -> {id: index entry or None}`` reads the page index (the send has
        prefetched the node and its ancestors, so a click on plain content costs nothing)."""
        if lookup([node_id]).get(node_id) is None:
            raise Refused("that element is no longer on the visitor's page", code="unknown_node")
        chain = self._chain(lookup, node_id)
        if not any(click_targets.may_navigate(e.kind, e.attrs) for e in chain.values()):
            return
        key = keys.session_targets(sid)
        ids = list(chain)
        values = self.broker.hget_many(key, ["url", "base"] + [str(i) for i in ids])
        page_url, stored_base = values[0] or "", values[1]
        facts = {nid: f for nid, f in zip(ids, map(click_targets.decode, values[2:]), strict=True) if f}
        base = urls.absolute_url(page_url, page_url) if page_url else None
        if base and stored_base is not None:
            base = urls.absolute_url(stored_base, base) or base
        page = click_targets.Page(
            chain=lambda nid: ids if nid == node_id else list(self._chain(lookup, nid)),
            facts=lambda wanted: {i: facts[i] for i in wanted if i in facts} if set(wanted) <= set(ids)
            else self._facts(key, wanted),
            by_html_id=lambda hid: self._by_html_id(key, hid),
            base=base or "http://invalid.invalid/", origins=origins)
        if click_targets.leaves_site(node_id, page):
            raise Refused("this click would take the visitor to another site: the agent can "
                          "only navigate to pages of this site", code="off_site")

    @staticmethod
    def _chain(lookup, node_id: int) -> dict:
        """The node and its ancestors (through shadow hosts and frames), innermost first, with
        their index entries (the lookup reads ~24 ancestors ahead per round trip)."""
        chain: dict = {}
        nid = node_id
        while nid and nid not in chain and len(chain) < click_targets.MAX_CHAIN:
            entry = decode_entry(lookup([nid]).get(nid))
            if entry is None:
                break
            chain[nid] = entry
            nid = entry.parent
        return chain

    def _facts(self, key: str, ids: list[int]) -> dict[int, dict]:
        ids = [i for i in ids if type(i) is int]
        values = self.broker.hget_many(key, [str(i) for i in ids]) if ids else []
        out = {}
        for nid, raw in zip(ids, values, strict=True):
            facts = click_targets.decode(raw)
            if facts is not None:
                out[nid] = facts
        return out

    def _by_html_id(self, key: str, html_id: str) -> int | None:
        raw = self.broker.hget_many(key, ["#" + html_id])[0]
        return int(raw) if type(raw) is str and raw.isdigit() else None
