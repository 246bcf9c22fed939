"""Links of the resource proxy: a site's font, style sheet or image URL made into a path on
our own origin, signed so the proxy fetches only what the sanitizer wrote (issue 11, item 1).

The replica document comes from our origin, so the agent's browser fetches ``@font-face``
URLs in CORS mode and a brand server without ``Access-Control-Allow-Origin`` gets its fonts
blocked. The sanitizer rewrites such URLs to::

    /replica-assets/<site>/<kind>/<signature>/<base64url of the URL>

``kind`` is ``font``, ``style`` or ``image``. Proxying fonts proxies the site's style sheets
too: a sheet the replica loaded straight from the brand would resolve its ``@font-face``
URLs against the brand's origin, and those fonts would stay blocked; through the proxy the
sheet is sanitized and its fonts rewritten like any other CSS. The signature is an HMAC of
site, kind and URL (with a key derived from the server's secret key), so the path cannot be used to fetch anything else: not another URL,
not another kind, not the same URL for another site. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

#: The proxy's public path on our origin (the replica resolves it against its own origin).
PREFIX = "/replica-assets/"

#: What the proxy can fetch for a site; ``fonts`` is the default (fonts need CORS).
KINDS = ("font", "style", "image")
#: Operator words (``--proxy fonts,styles,images``) -> kinds.
OPTION_WORDS = {"fonts": "font", "styles": "style", "images": "image"}
DEFAULT_OPTION = ("fonts",)

_SIGNATURE_BYTES = 16
_MAX_URL = 4096


def derive_key(secret: str) -> bytes:
    """The proxy's signing key, derived from the server's secret key (never the key itself)."""
    return hashlib.sha256(b"cobrowse replica-assets\n" + secret.encode()).digest()


def parse_option(words) -> tuple[str, ...]:
    """``["fonts", "styles"]`` or ``"fonts,styles"`` -> ``("font", "style")``; ``none`` -> ().

    Raises ValueError naming the unknown word.
    """
    if isinstance(words, str):
        words = [words]
    kinds: list[str] = []
    for item in words:
        for word in str(item).replace(" ", ",").split(","):
            word = word.strip().lower()
            if not word or word == "none":
                continue
            if word not in OPTION_WORDS:
                raise ValueError(f"unknown proxy kind {word!r}: use fonts, styles, images or none")
            if OPTION_WORDS[word] not in kinds:
                kinds.append(OPTION_WORDS[word])
    return tuple(k for k in KINDS if k in kinds)


def serves(kinds, kind: str) -> bool:
    """Whether a site proxying ``kinds`` serves ``kind`` (fonts bring their style sheets)."""
    return kind in kinds or (kind == "style" and "font" in kinds)


def _signature(key: bytes, site: str, kind: str, url: str) -> str:
    mac = hmac.new(key, f"{site}\n{kind}\n{url}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).rstrip(b"=").decode()


def link(key: bytes, site: str, kind: str, url: str) -> str:
    """The proxy path for ``url`` (canonical, absolute http(s), fragment dropped)."""
    url = url.partition("#")[0]
    encoded = base64.urlsafe_b64encode(url.encode()).rstrip(b"=").decode()
    return f"{PREFIX}{site}/{kind}/{_signature(key, site, kind, url)}/{encoded}"


def unlink(key: bytes, site: str, kind: str, signature: str, encoded: str) -> str:
    """The URL a proxy path stands for; raises ValueError with the reason when it is not ours."""
    if kind not in KINDS:
        raise ValueError(f"unknown asset kind {kind[:20]!r}")
    if len(encoded) > _MAX_URL * 2:
        raise ValueError("the asset URL is too long")
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("the asset URL is not valid base64url") from None
    expected = _signature(key, site, kind, url)
    if not hmac.compare_digest(expected, signature):
        raise ValueError("the signature does not match this site, kind and URL")
    return url


class AssetLinks:
    """What the sanitizer needs to rewrite a site's URLs: the site, its kinds and the key."""

    __slots__ = ("site", "kinds", "key")

    def __init__(self, site: str, kinds: tuple[str, ...], key: bytes):
        self.site, self.kinds, self.key = site, frozenset(kinds), key

    def rewrite(self, url: str, kind: str) -> str:
        """``url`` through the proxy when the site proxies ``kind`` (http(s) URLs only)."""
        if serves(self.kinds, kind) and url.startswith(("http://", "https://")):
            return link(self.key, self.site, kind, url)
        return url
