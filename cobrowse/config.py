"""Configuration in one place: defaults in code, then ``COBROWSE_*`` environment variables,
then the TOML file named by ``COBROWSE_CONFIG`` (later sources win).

Keys are the lower-case names below; the variable for ``poll_hold`` is ``COBROWSE_POLL_HOLD``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace

from cobrowse.errors import ConfigError

#: Values that may not be used as a secret key outside demo mode.
WEAK_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "default"})


@dataclass(frozen=True)
class Config:
    """Every setting of the server, with its default."""

    secret_key: str = ""
    demo: bool = False
    redis_url: str = ""
    data_dir: str = "var"
    public_url: str = ""
    poll_hold: float = 25.0
    invite_ttl: int = 120
    away_after: float = 45.0
    gone_after: float = 120.0
    session_ttl: int = 3600
    transcript_ttl: int = 30 * 24 * 3600
    participant_ttl: int = 24 * 3600
    agent_signin_ttl: int = 12 * 3600
    max_body: int = 8 * 1024 * 1024
    max_inflated: int = 16 * 1024 * 1024
    max_events: int = 500
    max_chat: int = 4000
    poll_batch: int = 500
    #: Seconds a woken poll waits for more events before it answers (bursts in one answer).
    poll_coalesce: float = 0.002
    login_max_failures: int = 5
    login_lockout: int = 300
    reaper_interval: float = 5.0
    demo_agent: str = "demo"
    demo_password: str = ""

    def validate(self) -> Config:
        """Refuse settings the server must not run with; return self."""
        if not self.demo and (self.secret_key in WEAK_SECRETS or len(self.secret_key) < 16):
            raise ConfigError(
                "COBROWSE_SECRET_KEY is missing or weak: set it to a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), "
                "or run in demo mode with COBROWSE_DEMO=1."
            )
        if self.poll_hold <= 0 or self.poll_hold > 120:
            raise ConfigError("poll_hold must be between 0 and 120 seconds")
        if not 0 <= self.poll_coalesce <= 0.1:
            raise ConfigError("poll_coalesce must be between 0 and 0.1 seconds")
        if self.away_after <= self.poll_hold:
            # A parked poll marks its participant seen only when it arrives (issue 9).
            raise ConfigError("away_after must be longer than poll_hold: a visitor whose poll "
                              "is parked is present")
        return self


def _coerce(kind: type, raw, name: str):
    if kind is bool or kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in {"1", "true", "yes", "on"}
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as err:
        raise ConfigError(f"setting {name} must be a number, got {raw!r}") from err
    return str(raw)


def load(overrides: dict | None = None, environ: dict | None = None) -> Config:
    """Build the configuration: defaults, environment, file, then ``overrides`` (tests)."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    known = {f.name: f.type for f in fields(Config)}
    for name, kind in known.items():
        raw = environ.get(f"COBROWSE_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(kind, raw, name)
    path = environ.get("COBROWSE_CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read config file {path}: {err}") from err
        for name, raw in data.items():
            if name not in known:
                raise ConfigError(f"unknown setting {name!r} in {path}")
            values[name] = _coerce(known[name], raw, name)
    for name, raw in (overrides or {}).items():
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = raw
    return replace(Config(), **values)
