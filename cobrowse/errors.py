"""The one exception root of the project and its few HTTP-facing subclasses.

Every refusal the server makes is one of these: it carries the HTTP status, a short machine
code and a sentence a person can act on. Nothing is dropped silently (DESIGN.md, principle 5).
"""


class CobrowseError(Exception):
    """Root of every error the project raises on purpose."""

    status = 500
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra

    def to_json(self) -> dict:
        """The body of the error response."""
        return {"ok": False, "error": self.code, "message": self.message, **self.extra}


class BadRequest(CobrowseError):
    """Malformed or oversized input: the client must change the request."""

    status = 400
    code = "bad_request"


class Refused(CobrowseError):
    """Well-formed, but not allowed now (token, role, mode, state)."""

    status = 403
    code = "forbidden"


class Throttled(CobrowseError):
    """Too many attempts (sign-ins, support codes, API calls): wait, then try again."""

    status = 429
    code = "throttled"


class ConfigError(CobrowseError):
    """The server cannot start with this configuration."""

    code = "config"
