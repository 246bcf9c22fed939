"""Behind reverse proxies: which hops may say who the client is (issue 12, item 2).

``COBROWSE_TRUSTED_PROXIES`` is either a number of hops (``1``: one nginx in front) or a
comma-separated list of proxy addresses or networks (``10.0.0.5, 10.1.0.0/16``). Only then
are ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port`` believed, through werkzeug's
``ProxyFix``: the client address (used to throttle sign-ins) is the one the outermost trusted
hop saw, never what the client wrote itself. Empty (the default): no header is believed, the
client address is the TCP peer.
"""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

from cobrowse.errors import ConfigError

#: More hops than this is a misconfiguration, not a deployment.
MAX_HOPS = 8


def parse(setting: str) -> int | list:
    """``"2"`` -> 2 hops; ``"10.0.0.5,10.1.0.0/16"`` -> networks; ``""`` -> 0."""
    setting = (setting or "").strip()
    if not setting:
        return 0
    if setting.isdigit():
        hops = int(setting)
        if hops > MAX_HOPS:
            raise ConfigError(f"COBROWSE_TRUSTED_PROXIES: at most {MAX_HOPS} hops")
        return hops
    try:
        return [ipaddress.ip_network(part.strip(), strict=False)
                for part in setting.split(",") if part.strip()]
    except ValueError as err:
        raise ConfigError(f"COBROWSE_TRUSTED_PROXIES: {err} (give a hop count or addresses)") from err


def _fix(app, hops: int) -> ProxyFix:
    # For: the address the outermost trusted hop saw. Proto/Host/Port: set (overwritten) by
    # the proxy nearest to us, as nginx's proxy_set_header does.
    return ProxyFix(app, x_for=hops, x_proto=1, x_host=1, x_port=1, x_prefix=0)


class TrustedProxies:
    """WSGI middleware: ProxyFix for as many hops as the setting trusts for this request."""

    def __init__(self, app, setting: int | list):
        self.app = app
        self.setting = setting
        top = setting if isinstance(setting, int) else MAX_HOPS
        self._fixes = {hops: _fix(app, hops) for hops in range(1, top + 1)}

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.setting)

    def hops(self, environ) -> int:
        """How many proxies in front of us this request passed through that we trust."""
        if isinstance(self.setting, int):
            return self.setting
        if not self._trusted(environ.get("REMOTE_ADDR", "")):
            return 0
        chain = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        hops = 1
        # Walk the chain from our side while each hop is itself a trusted proxy.
        while hops < min(len(chain), MAX_HOPS) and self._trusted(chain[-hops]):
            hops += 1
        return hops

    def __call__(self, environ, start_response):
        hops = self.hops(environ)
        app = self._fixes[hops] if hops else self.app
        return app(environ, start_response)


def install(flask_app, setting: str) -> None:
    """Wrap ``flask_app.wsgi_app`` when ``setting`` trusts any proxy."""
    parsed = parse(setting)
    if parsed:
        flask_app.wsgi_app = TrustedProxies(flask_app.wsgi_app, parsed)
