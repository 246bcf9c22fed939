"""A visitor's arrival on a tagged page: ``hello`` creates or resumes the participant."""

from __future__ import annotations

from cobrowse.errors import BadRequest, CobrowseError, Refused
from cobrowse.protocol import origin_of
from cobrowse.rules.participants import UnknownToken


class Visitors:
    def __init__(self, core):
        self.core = core

    def site_for_origin(self, site_id: object, origin: str | None):
        """The site, if ``origin`` may use it; else a refusal."""
        if not isinstance(site_id, str) or not site_id or len(site_id) > 64:
            raise BadRequest("missing 'site'")
        site = self.core.directory.site(site_id)
        if not site:
            raise CobrowseError(f"unknown site {site_id!r}: add it with `cobrowse site add`",
                                code="unknown_site", status=404)
        if not origin or origin.lower() not in site.origins:
            raise Refused(f"this page's origin is not configured for site {site_id!r}",
                          code="origin")
        return site

    def hello(self, body: object, origin: str | None) -> dict:
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        site = self.site_for_origin(body.get("site"), origin)
        url = body.get("url") if isinstance(body.get("url"), str) else None
        if url and origin_of(url) not in site.origins:
            url = None
        title = body.get("title")[:300] if isinstance(body.get("title"), str) else ""
        token, who = body.get("token"), None
        if token:
            try:
                who = self.core.participants.by_token(token)
            except UnknownToken:
                who = None
            if who and (who["role"] != "visitor" or who["site"] != site.id):
                who = None
        if who is None:
            token, who = self.core.participants.create("visitor", site=site.id, url=url, title=title)
        else:
            who = self.core.participants.update(who["id"], lambda r: {**r, "url": url, "title": title}) or who
        self.core.participants.touch(who, force=True)
        state, _ = self.core.state(who)
        return {"ok": True, "token": token, "participant": who["id"],
                "seq": self.core.participants.last_seq(who["id"]),
                "config": {"mask": site.mask, "hold": self.core.config.poll_hold,
                           "origins": site.origins, "implicit_ids": True},
                "state": state}
