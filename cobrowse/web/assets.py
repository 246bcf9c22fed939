"""``GET /replica-assets/<site>/<kind>/<signature>/<url>``: the resource proxy (issue 11).

Serves the replica the site's fonts (and, when the site says so, its style sheets and
images) from our own origin, so fonts load without the brand sending CORS headers. Only
links the sanitizer signed are served (:mod:`cobrowse.sanitize.assets`); the fetch itself
is guarded by :mod:`cobrowse.assets.fetch`. Every refusal is a JSON 4xx/502 with a code and a
sentence, the code also in ``X-Cobrowse-Asset-Error`` (the workspace's fidelity note reads
it), and one log line.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app

from cobrowse.assets.cache import AssetCache, digest
from cobrowse.assets.fetch import Fetched, Limits, fetch
from cobrowse.assets.links import site_kinds
from cobrowse.assets.rules import AssetError, refused
from cobrowse.config import DEMO_SITE
from cobrowse.sanitize import urls
from cobrowse.sanitize.assets import derive_key, serves, unlink
from cobrowse.sanitize.run import Run
from cobrowse.sanitize.site import compile_site
from cobrowse.web.http import json_response

log = logging.getLogger(__name__)

assets = Blueprint("assets", __name__)

#: Served with every proxied body: nothing in it may run, even opened in a tab of its own.
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _core():
    return current_app.extensions["cobrowse"]


def _cache(core) -> AssetCache:
    cache = getattr(core, "asset_cache", None)
    if cache is None:
        shared = core.broker if core.config.redis_url else None
        cache = core.asset_cache = AssetCache(core.config.assets_cache_ttl, shared)
    return cache


def _target(core, site_id: str, kind: str, signature: str, encoded: str):
    """The checked (site policy, URL) of a proxy path; raises AssetError with the reason."""
    if not core.config.assets_proxy:
        raise refused("the resource proxy is turned off (COBROWSE_ASSETS_PROXY=0)",
                      "proxy_off", 404)
    site = core.directory.site(site_id)
    if site is None:
        raise refused(f"no site {site_id[:64]!r} is configured", "unknown_site", 404)
    try:
        url = unlink(derive_key(core.config.secret_key), site_id, kind, signature, encoded)
    except ValueError as err:
        raise refused(f"not a link the sanitizer made: {err}", "bad_signature") from None
    if not serves(site_kinds(core.config, site), kind):
        raise refused(f"site {site_id} does not proxy {kind}s (cobrowse site add --proxy)",
                      "kind_not_proxied")
    if urls.absolute_url(url, url) != url:
        raise refused("the asset URL is not a canonical http(s) URL", "bad_url", 400)
    return core.relay.policy(site_id), url


def _load(core, site_id: str, policy, kind: str, url: str) -> Fetched:
    cfg = core.config
    site = compile_site(policy)
    # The demo site is this server itself, on loopback (make run): its pages' style sheets
    # come through the proxy like any site's, from its own origins only.
    private = cfg.assets_allow_private or (cfg.demo and site_id == DEMO_SITE)
    limits = Limits(cfg.assets_max_bytes, cfg.assets_timeout, private)
    fetched = fetch(url, kind, site.resource_origins, limits)
    if kind == "style":
        # A sheet is visitor-controlled CSS like any other: sanitized, its fonts (and images,
        # if proxied) rewritten to proxy links resolved against the sheet's own URL.
        text = Run(site).stylesheet(fetched.body.decode("utf-8", "replace"), url)
        fetched = Fetched(fetched.content_type, text.encode())
    return fetched


@assets.get("/replica-assets/<site_id>/<kind>/<signature>/<encoded>")
def replica_asset(site_id, kind, signature, encoded):
    core = _core()
    url = "?"
    try:
        policy, url = _target(core, site_id, kind, signature, encoded)
        cache = _cache(core)
        key = digest(kind, url)
        entry = cache.get(key)
        if entry is None:
            try:
                entry = _load(core, site_id, policy, kind, url)
            except AssetError as err:
                entry = err
            cache.put(key, entry)
        if isinstance(entry, AssetError):
            raise entry
    except AssetError as err:
        log.warning("replica asset refused: site=%s kind=%s origin=%s code=%s: %s",
                    site_id[:64], kind[:16], urls.origin_of(url) if url != "?" else "?",
                    err.code, err.message)
        response = json_response(err.to_json(), err.status)
        response.headers["X-Cobrowse-Asset-Error"] = err.code
        return response
    response = Response(entry.body, 200, content_type=entry.content_type)
    response.headers.update({
        "Cache-Control": f"private, max-age={max(0, core.config.assets_cache_ttl)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": ASSET_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
    })
    return response
