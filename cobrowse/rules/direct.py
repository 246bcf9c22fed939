"""Invitations and sessions without a conversation of ours (issue 13).

A support code or a messaging platform's server invites a visitor who never chatted in our
window: ``Lifecycle.invite_visitor`` then keeps the visitor's pointers to its invitation and
session on the visitor's participant record instead of on a conversation. The poll reads
them from here.
"""

from __future__ import annotations


def direct_pointers(core, who: dict) -> tuple[str | None, str | None]:
    """(session id, invitation id) kept on a visitor's own record, read fresh: a poll parked
    before the invitation was made holds an older copy of the record."""
    if who.get("role") != "visitor":
        return None, None
    fresh = core.participants.get(who["id"]) or who
    return fresh.get("session"), fresh.get("invitation")
