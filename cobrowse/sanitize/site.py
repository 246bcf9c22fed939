"""A site's sanitizing policy (from the site's configuration) and its compiled form."""

from dataclasses import dataclass
from functools import lru_cache

from . import urls
from .assets import AssetLinks
from .mask import MaskRules, compile_rules


@dataclass(frozen=True)
class SitePolicy:
    """What the sanitizer needs to know of a site.

    ``origins``: the site's own origins (``"https://shop.example"``); its pages, same-origin
    frames and ``<base>`` must be on them. ``resource_origins``: further origins the agent's
    browser may fetch images, style sheets and fonts from (CDNs); the own origins always may.
    ``mask_selectors``: CSS selectors of elements whose values and text are masked.
    ``asset_site``, ``asset_kinds``, ``asset_key``: the site's id, what goes through the
    resource proxy (``font``, ``style``, ``image``) and the proxy's signing key (issue 11);
    without a key nothing is rewritten.
    """

    origins: tuple[str, ...]
    resource_origins: tuple[str, ...] = ()
    mask_selectors: tuple[str, ...] = ()
    asset_site: str = ""
    asset_kinds: tuple[str, ...] = ()
    asset_key: bytes = b""


class Site:
    """A :class:`SitePolicy` compiled: canonical origin sets and mask rules."""

    __slots__ = ("origins", "resource_origins", "rules", "assets")

    def __init__(self, policy: SitePolicy):
        self.origins = _origins(policy.origins)
        self.resource_origins = self.origins | _origins(policy.resource_origins)
        self.rules: MaskRules = compile_rules(tuple(policy.mask_selectors))
        self.assets: AssetLinks | None = None
        if policy.asset_key and policy.asset_kinds and policy.asset_site:
            self.assets = AssetLinks(policy.asset_site, policy.asset_kinds, policy.asset_key)


def _origins(values) -> frozenset:
    found = set()
    for value in values:
        if isinstance(value, str):
            origin = urls.canonical_origin(value)
            if origin:
                found.add(origin)
    return frozenset(found)


@lru_cache(maxsize=256)
def compile_site(policy: SitePolicy) -> Site:
    """The compiled form of a policy, cached (policies are few and immutable)."""
    return Site(policy)
