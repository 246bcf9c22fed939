"""How the web layer records an answer that is not a success: one log line, one count."""

from __future__ import annotations

import logging

from flask import request

from cobrowse import metrics

log = logging.getLogger("cobrowse.web")

#: Seconds a client waits before retrying when Redis is unreachable.
OUTAGE_RETRY_AFTER = 2


#: Refusals the relay logs itself (cobrowse/rules/refusals.py): one line each, not two.
RELAY_LOGGED = frozenset({"bad_snapshot", "bad_mutation"})


def refused(status: int, answer: dict, method: str | None = None, path: str | None = None) -> None:
    """One log line and one count for a refusal the server answered with. ``method`` and
    ``path`` default to Flask's request (the fast lane passes its own)."""
    code = str(answer.get("error") or "error")[:40]
    metrics.REFUSALS.labels(code).inc()
    if code in RELAY_LOGGED:
        return  # the relay wrote its one (rate-limited) line with the participant already
    log.info("refused %s %s: %s", method or request.method, path or request.path,
             answer.get("message", ""), extra={"status": status, "code": code})


def outage(err: Exception, path: str | None = None) -> dict:
    """The answer to a request Redis failed (one warning line with Redis's own words)."""
    reason = metrics.redis_error_reason(str(err))
    metrics.REDIS_ERRORS.labels(reason).inc()
    log.warning("redis %s on %s: %s", reason, path or request.path, err,
                extra={"code": "unavailable"})
    return {"ok": False, "error": "unavailable", "retry_after": OUTAGE_RETRY_AFTER,
            "message": "the server's storage is unreachable for a moment; retry shortly"}


def unreachable(err: Exception) -> bool:
    """A redis-py connection or timeout error (redis is imported only if it was loaded)."""
    import sys

    module = sys.modules.get("redis")
    return module is not None and isinstance(err, (module.ConnectionError, module.TimeoutError))
