"""A site's sanitizing policy (from the site's configuration) and its compiled form."""

from dataclasses import dataclass, replace
from functools import lru_cache

from . import urls
from .mask import MaskRules, compile_rules
from .scope import page_path, rules_for


@dataclass(frozen=True)
class SitePolicy:
    """What the sanitizer needs to know of a site.

    ``origins``: the site's own origins (``"https://shop.example"``); its pages, same-origin
    frames and ``<base>`` must be on them. ``resource_origins``: further origins the agent's
    browser may fetch images, style sheets and fonts from (CDNs); the own origins always may.
    ``mask_selectors``: CSS selectors of elements whose values and text are masked.
    ``private``: mask all text and values except in ``unmask_selectors`` matches (issue 14).
    ``no_control_selectors``: elements the agent may not operate (issue 14).
    """

    origins: tuple[str, ...]
    resource_origins: tuple[str, ...] = ()
    mask_selectors: tuple[str, ...] = ()
    private: bool = False
    unmask_selectors: tuple[str, ...] = ()
    no_control_selectors: tuple[str, ...] = ()

    def for_page(self, url: str) -> "SitePolicy":
        """The policy with the rules that apply on the page at ``url`` (rules may carry a
        path pattern, :mod:`cobrowse.sanitize.scope`), patterns stripped."""
        path = page_path(url)
        return replace(self, mask_selectors=rules_for(self.mask_selectors, path),
                       unmask_selectors=rules_for(self.unmask_selectors, path),
                       no_control_selectors=rules_for(self.no_control_selectors, path))


class Site:
    """A :class:`SitePolicy` compiled: canonical origin sets and mask rules."""

    __slots__ = ("origins", "resource_origins", "rules", "private", "unmask", "no_control")

    def __init__(self, policy: SitePolicy):
        self.origins = _origins(policy.origins)
        self.resource_origins = self.origins | _origins(policy.resource_origins)
        self.private = bool(policy.private)
        unmask = tuple(policy.unmask_selectors) if self.private else ()
        no_control = tuple(policy.no_control_selectors)
        # The index keeps the attributes every rule list reads (and a label's ``for``).
        also = (*unmask, *no_control, *(("label[for]",) if no_control else ()))
        self.rules: MaskRules = compile_rules(tuple(policy.mask_selectors), also)
        self.unmask: MaskRules = compile_rules(unmask)
        self.no_control: MaskRules = compile_rules(no_control)


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
