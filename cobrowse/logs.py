"""Structured logs (issue 12, item 7): one JSON object per line, per event worth logging.

Every line carries what the request established so far: its request id (``X-Request-Id``
from the proxy, or a fresh one), the participant id and the session id; a refusal adds its
code. A refusal is one ``info`` line, never a traceback; tracebacks are for real server
errors only. The context lives in a ``ContextVar``: one per greenlet under gevent.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("cobrowse_log", default=None)

#: LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def begin(**fields) -> contextvars.Token:
    """Start a request's context; returns the token ``end`` needs."""
    return _context.set(dict(fields))


def bind(**fields) -> None:
    """Add fields (participant, session) to the current request's context."""
    current = _context.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def end(token: contextvars.Token) -> None:
    _context.reset(token)


class JsonFormatter(logging.Formatter):
    """``{"ts": ..., "level": ..., "logger": ..., "msg": ..., <context>, <extra>}``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(), "logger": record.name,
                "msg": record.getMessage(), **(_context.get() or {})}
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(level: str = "info", stream=None) -> None:
    """JSON lines on stderr for the ``cobrowse`` loggers (once per process)."""
    logger = logging.getLogger("cobrowse")
    if any(getattr(h, "_cobrowse_json", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._cobrowse_json = True
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
