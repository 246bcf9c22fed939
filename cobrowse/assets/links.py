"""A site's resource-proxy settings as the sanitizer needs them (issue 11, item 1)."""

from __future__ import annotations

from cobrowse.sanitize.assets import derive_key, parse_option


def site_kinds(config, site) -> tuple[str, ...]:
    """What the proxy serves for ``site``: nothing when the operator turned it off."""
    if not config.assets_proxy:
        return ()
    try:
        return parse_option(site.proxy)
    except ValueError:
        return ()  # a record written by hand with a bad word: proxy nothing, as documented


def asset_policy(config, site) -> dict:
    """Keyword arguments of :class:`cobrowse.sanitize.SitePolicy` for the proxy."""
    kinds = site_kinds(config, site)
    if not kinds:
        return {}
    return {"asset_site": site.id, "asset_kinds": kinds, "asset_key": derive_key(config.secret_key)}
