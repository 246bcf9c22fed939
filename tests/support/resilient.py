"""Clients that behave like the tag and the workspace on a bad network: a send is retried
with the same seq until the server answers, a poll is retried with the same cursors, and
events at or below a stream's cursor are dropped (docs/protocol.md)."""

from __future__ import annotations

import time


def retrying(transport, attempts: int = 60):
    """Wrap a transport so transport-level failures and 503s are retried."""
    def post(path, body, headers=None, **kw):
        last = None
        for _ in range(attempts):
            try:
                status, payload = transport(path, body, headers, **kw)
            except Exception as err:  # reset, truncated body, bad JSON from a cut response
                last = err
                time.sleep(0.02)
                continue
            if status in (502, 503, 504) or payload is None:
                last = (status, payload)
                time.sleep(0.05)
                continue
            return status, payload
        raise AssertionError(f"gave up after {attempts} attempts: {last!r}")
    return post
