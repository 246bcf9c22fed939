"""What the resource proxy may fetch and pass on: addresses, content types, sizes.

Pure (no I/O), so every rule has a plain unit test. The proxy must not become an open proxy
or a way into the operator's network (issue 11, item 1): it fetches only the site's
configured origins, only public addresses unless the operator allows private ones, and only
bodies of the kind the sanitizer asked for.
"""

from __future__ import annotations

import ipaddress

from cobrowse.errors import CobrowseError


class AssetError(CobrowseError):
    """A proxied asset refused or failed; ``status`` 4xx (our rules) or 502 (the brand's server)."""

    status = 502
    code = "asset_failed"


def refused(message: str, code: str, status: int = 403) -> AssetError:
    """An asset the rules do not allow (the request or a redirect asked for it)."""
    return AssetError(message, code=code, status=status)


def upstream(message: str, code: str) -> AssetError:
    """The brand's server answered something the proxy will not pass on."""
    return AssetError(message, code=code, status=502)


#: Content types accepted per kind (lower case, parameters removed).
FONT_TYPES = frozenset(
    """
font/woff2 font/woff font/ttf font/otf font/sfnt font/collection application/font-woff
application/font-woff2 application/x-font-woff application/x-font-woff2 application/x-font-ttf
application/x-font-truetype application/x-font-otf application/x-font-opentype
application/font-sfnt application/vnd.ms-opentype application/octet-stream
binary/octet-stream
""".split()
)
STYLE_TYPES = frozenset({"text/css"})
IMAGE_TYPES = {
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "image/avif": "image/avif",
    "image/svg+xml": "image/svg+xml",
    "image/x-icon": "image/x-icon",
    "image/vnd.microsoft.icon": "image/x-icon",
    "image/bmp": "image/bmp",
}

#: A font file's first four bytes -> the type we serve it as (the brand's type is not trusted).
FONT_MAGIC = {
    b"wOF2": "font/woff2",
    b"wOFF": "font/woff",
    b"\x00\x01\x00\x00": "font/ttf",
    b"true": "font/ttf",
    b"OTTO": "font/otf",
    b"ttcf": "font/collection",
}

#: What we ask the brand's server for, per kind.
ACCEPT = {
    "font": "font/woff2,font/woff,font/ttf,font/otf,application/font-woff,*/*;q=0.1",
    "style": "text/css,*/*;q=0.1",
    "image": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.1",
}


def address_problem(address: str, allow_private: bool) -> str | None:
    """Why the proxy must not connect to ``address`` (an IP string), or None."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a host address"
    if allow_private:
        return None
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or not ip.is_global:
        return (f"{ip} is a private, loopback or link-local address; set "
                "COBROWSE_ASSETS_ALLOW_PRIVATE=1 to allow it")
    return None


def media_type(header: str | None) -> str:
    """``text/css; charset=utf-8`` -> ``text/css``."""
    return (header or "").split(";")[0].strip().lower()


def served_type(kind: str, header: str | None, head: bytes) -> str:
    """The content type to serve a fetched body as; raises AssetError when it is not ``kind``."""
    declared = media_type(header)
    if kind == "font":
        sniffed = FONT_MAGIC.get(head[:4])
        if declared not in FONT_TYPES or sniffed is None:
            raise upstream(f"the brand's server sent {declared or 'no type'!s}, not a font "
                           "(woff2, woff, ttf, otf)", "wrong_type")
        return sniffed
    if kind == "style":
        if declared not in STYLE_TYPES:
            raise upstream(f"the brand's server sent {declared or 'no type'!s}, not text/css",
                           "wrong_type")
        return "text/css; charset=utf-8"
    if declared not in IMAGE_TYPES:
        raise upstream(f"the brand's server sent {declared or 'no type'!s}, not an image",
                       "wrong_type")
    return IMAGE_TYPES[declared]


def check_size(length: int, limit: int) -> None:
    """Refuse a body over the limit (a declared Content-Length or what was read so far)."""
    if length > limit:
        raise upstream(f"the asset is over the proxy's limit of {limit:,} bytes", "too_large")
