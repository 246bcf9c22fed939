"""Configuration in one place: defaults in code, then ``COBROWSE_*`` environment variables,
then the TOML file named by ``COBROWSE_CONFIG`` (later sources win).

Keys are the lower-case names below; the variable for ``poll_hold`` is ``COBROWSE_POLL_HOLD``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from urllib.parse import urlsplit

from cobrowse.errors import ConfigError

#: The demo site's id (demo mode: the demo pages this server serves itself).
DEMO_SITE = "demo"
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
    trusted_proxies: str = ""
    redis_ephemeral: str = ""
    worker_connections: int = 10000
    metrics_allow: str = "127.0.0.1,::1"
    metrics_token: str = ""
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
    #: Cap of a poll answer's JSON text in bytes (before gzip, so on the wire too), the same
    #: as the tag's send cap (docs/protocol.md "Answers are capped the same way"). A bigger
    #: event for the agent is stored as parts the workspace joins.
    max_answer: int = 256 * 1024
    #: Seconds a woken poll waits for more events before it answers (bursts in one answer).
    poll_coalesce: float = 0.002
    login_max_failures: int = 5
    login_lockout: int = 300
    login_slowdown_max: float = 5.0
    reaper_interval: float = 5.0
    code_ttl: int = 600
    code_max_failures: int = 5
    code_lockout: int = 600
    agent_link_ttl: int = 300
    api_rate: int = 120
    webhook_retry_for: int = 24 * 3600
    webhook_timeout: float = 10.0
    webhook_interval: float = 1.0
    webhook_max_delay: int = 300
    demo_agent: str = "demo"
    #: The resource proxy (issue 11): on/off, loopback and private addresses, limits.
    assets_proxy: bool = True
    assets_allow_private: bool = False
    assets_max_bytes: int = 5 * 1024 * 1024
    assets_timeout: float = 10.0
    assets_cache_ttl: int = 300
    demo_password: str = ""
    #: Password sign-in to the workspace (turn off when agents sign in with single sign-on).
    password_signin: bool = True
    #: OpenID Connect single sign-on: the provider's issuer URL, this server's client there.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile"
    #: Only members of one of these groups (comma separated) may sign in; "" lets everyone in.
    oidc_groups: str = ""
    oidc_groups_claim: str = "groups"
    #: The claims that give the agent's name (its user name here) and display name.
    oidc_name_claim: str = "preferred_username"
    oidc_display_claim: str = "name"

    @property
    def sso(self) -> bool:
        """Whether single sign-on is configured."""
        return bool(self.oidc_issuer)

    def validate(self) -> Config:
        """Refuse settings the server must not run with; return self."""
        if not self.demo and (self.secret_key in WEAK_SECRETS or len(self.secret_key) < 16):
            raise ConfigError(
                "COBROWSE_SECRET_KEY is missing or weak: set it to a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), "
                "or run in demo mode with COBROWSE_DEMO=1."
            )
        if self.public_url and not _is_origin(self.public_url):
            raise ConfigError("COBROWSE_PUBLIC_URL must be an origin such as "
                              "https://cobrowse.example.com (scheme and host, no path)")
        from cobrowse.web.proxies import parse as parse_proxies  # checks the setting's form

        parse_proxies(self.trusted_proxies)
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ConfigError("COBROWSE_OIDC_ISSUER is set: set COBROWSE_OIDC_CLIENT_ID and "
                              "COBROWSE_OIDC_CLIENT_SECRET too")
        if self.oidc_issuer and not self.oidc_issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError("COBROWSE_OIDC_ISSUER must be an https:// URL")
        if not self.password_signin and not self.oidc_issuer:
            raise ConfigError("COBROWSE_PASSWORD_SIGNIN=0 needs single sign-on: set COBROWSE_OIDC_ISSUER")
        if self.poll_hold <= 0 or self.poll_hold > 120:
            raise ConfigError("poll_hold must be between 0 and 120 seconds")
        if not 16 * 1024 <= self.max_answer <= self.max_body:
            raise ConfigError("max_answer must be between 16 KiB and max_body")
        if not 0 <= self.poll_coalesce <= 0.1:
            raise ConfigError("poll_coalesce must be between 0 and 0.1 seconds")
        if self.away_after <= self.poll_hold:
            # A parked poll marks its participant seen only when it arrives (issue 9).
            raise ConfigError("away_after must be longer than poll_hold: a visitor whose poll "
                              "is parked is present")
        return self


def _is_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path in ("", "/") \
        and not parts.query and not parts.fragment


def redis_ephemeral(config: Config) -> bool | None:
    """``COBROWSE_REDIS_EPHEMERAL``: True (1: losing data is accepted), False (0: refuse any
    Redis without persistence, even on this machine), None (unset: the default rule of
    cobrowse/storage/durability.py)."""
    raw = str(config.redis_ephemeral).strip().lower()
    if not raw:
        return None
    return raw in {"1", "true", "yes", "on"}


def public_origin(config: Config) -> str | None:
    """The origin browsers use for this server (``COBROWSE_PUBLIC_URL``), lower case."""
    return config.public_url.rstrip("/").lower() if config.public_url else None


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
