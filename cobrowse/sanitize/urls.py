"""URLs from visitor pages: made absolute, canonical, and checked against allowed origins.

Every URL that leaves the sanitizer is either an absolute ``http(s)`` URL in a canonical
form (lower-case host, no user info, percent-encoded path, no backslash or control
character) so that the agent's browser reads the same origin we checked, a ``data:``
raster image, or a local ``#fragment``.
"""

import html
import re
from urllib.parse import quote, urljoin, urlsplit

from .errors import MAX_DATA_IMAGE, SanitizeError

#: Schemes a URL may keep after it is made absolute.
ALLOWED_SCHEMES = frozenset({"http", "https"})

#: ``data:`` image types allowed: raster formats that cannot carry script.
DATA_IMAGE_TYPES = frozenset({"png", "jpeg", "gif", "webp", "avif"})

#: Shown instead of a ``blob:`` image (it only means something in the visitor's browser).
BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

_DEFAULT_PORT = {"http": 80, "https": 443}
# Characters browsers ignore or that hide a scheme: C0/C1 controls, space, zero-width and
# bidi controls. Removed only to *probe* the scheme, never to build the URL.
_INVISIBLE = re.compile("[\x00-\x20\x7f-\xa0\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_TAB_NEWLINE = re.compile("[\t\n\r]")
_EDGE = "".join(chr(c) for c in range(0x21))
_HOST = re.compile(r"[a-z0-9\-.]+\Z|\[[0-9a-f:.]+\]\Z")
_SAFE = "/%!$&'()*+,;=:@-._~"
# A relative or absolute URL that needs no quoting (the common case: resolved via a cache).
_PLAIN = re.compile(r"[A-Za-z0-9/._~\-:?=&+,;%@!]*\Z")
_FRAGMENT = re.compile(r"[A-Za-z0-9/._~\-:?=&+,;%@!$()*']*\Z")
_DATA_IMAGE = re.compile(
    r"data:image/([a-z]+)((?:;[a-z0-9\-]+(?:=[a-z0-9\-.]+)?)*);base64,", re.IGNORECASE
)
_BASE64 = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*\Z")
_SRCSET_DESCRIPTOR = re.compile(r"(?:\d+(?:\.\d+)?x|\d+w|\d+h)?\Z")

BLOB = "blob"
_MISS = object()


def probe_scheme(value: str) -> str | None:
    """The scheme a browser (or a sloppier reader) could see in ``value``, lower-cased."""
    probe = html.unescape(value) if "&" in value else value
    probe = _INVISIBLE.sub("", probe).lower()
    match = _SCHEME.match(probe)
    return match.group(1) if match else None


def _canonical(url: str) -> str | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return None
    try:
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:
        host = f"[{host}]"
    if not _HOST.match(host):
        return None
    netloc = host if port in (None, _DEFAULT_PORT[scheme]) else f"{host}:{port}"
    path = quote(parts.path, safe=_SAFE) or "/"
    out = f"{scheme}://{netloc}{path}"
    if parts.query:
        out += "?" + quote(parts.query, safe=_SAFE + "?")
    if parts.fragment:
        out += "#" + quote(parts.fragment, safe=_SAFE + "?#")
    return out


def absolute_url(value: str, base: str, cache: dict | None = None) -> str | None:
    """``value`` made absolute against ``base`` in canonical form, or None if not http(s).

    ``base`` must itself be canonical. ``cache`` maps (base, value) to the answer; most
    links of a page share a few paths, so the cache makes the common case a dict hit.
    """
    head, hash_, fragment = value.partition("#")
    if cache is not None:
        hit = cache.get((base, head), _MISS)
        if hit is not _MISS and (not hash_ or ("&" not in fragment and _FRAGMENT.match(fragment))):
            if hit is None:
                return None
            return f"{hit}#{fragment}" if fragment else hit
    value = _TAB_NEWLINE.sub("", value.strip(_EDGE))
    scheme = probe_scheme(value)
    if scheme is not None and scheme not in ALLOWED_SCHEMES:
        return None
    head, hash_, fragment = value.partition("#")
    if hash_ and _FRAGMENT.match(fragment):
        value, tail = head, "#" + fragment if fragment else ""
    else:
        tail = ""
    answer = _resolve(value, base)
    if cache is not None and _PLAIN.match(value):
        cache[(base, value)] = answer
    return answer + tail if answer is not None else None


def _resolve(value: str, base: str) -> str | None:
    # WHATWG URL parsing reads "\" as "/" in http(s) URLs before the query: so do we.
    cut = len(value)
    for mark in "?#":
        at = value.find(mark)
        if at != -1 and at < cut:
            cut = at
    value = value[:cut].replace("\\", "/") + value[cut:]
    try:
        joined = urljoin(base, value)
    except ValueError:
        return None
    return _canonical(joined)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a canonical URL made by :func:`absolute_url`."""
    scheme, _, rest = url.partition("://")
    cut = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1 and at < cut:
            cut = at
    return f"{scheme}://{rest[:cut]}"


def canonical_origin(origin: str) -> str | None:
    """A configured origin (``https://shop.example``) in the form :func:`origin_of` gives."""
    url = _canonical(origin.strip())
    return origin_of(url) if url else None


def data_image(value: str) -> str | None:
    """A ``data:`` URL of an allowed raster image in canonical form, else None.

    Raises SanitizeError when it is larger than the data-image limit.
    """
    value = value.strip(_EDGE)
    if len(value) > MAX_DATA_IMAGE:
        raise SanitizeError(
            f"A data: image is {len(value):,} characters long; the limit is "
            f"{MAX_DATA_IMAGE:,}. Leave such images out of the capture."
        )
    match = _DATA_IMAGE.match(value)
    if not match or match.group(1).lower() not in DATA_IMAGE_TYPES:
        return None
    payload = value[match.end() :]
    if not _BASE64.match(payload):
        return None
    payload = "".join(payload.split())
    return f"data:image/{match.group(1).lower()};base64,{payload}"


def image_url(value: str, base: str, allowed: frozenset, cache: dict | None) -> str | None:
    """An image URL: allowed-origin http(s), a raster ``data:`` image, or a blank for blob:.

    Returns None when the image cannot be shown.
    """
    scheme = probe_scheme(value)
    if scheme == "data":
        return data_image(value)
    if scheme == BLOB:
        return BLANK_IMAGE
    return resource_url(value, base, allowed, cache)


def resource_url(value: str, base: str, allowed: frozenset, cache: dict | None) -> str | None:
    """An http(s) URL the agent's browser will fetch: only on the allowed origins."""
    url = absolute_url(value, base, cache)
    if url is None or origin_of(url) not in allowed:
        return None
    return url


def local_fragment(value: str) -> str | None:
    """``#id`` references (SVG ``use``, ``usemap``): nothing else is allowed."""
    value = value.strip(_EDGE)
    if value.startswith("#") and len(value) > 1 and _FRAGMENT.match(value[1:]):
        return value
    return None


def srcset(value: str, base: str, allowed: frozenset, cache: dict | None) -> tuple[str, int]:
    """A cleaned ``srcset`` and the number of candidates dropped."""
    out, dropped, pos, end = [], 0, 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        if pos >= end:
            break
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url, descriptor = value[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", pos)
            comma = end if comma == -1 else comma
            descriptor, pos = value[pos:comma].strip(), comma + 1
        clean = image_url(url, base, allowed, cache) if url else None
        if clean is None or not _SRCSET_DESCRIPTOR.match(descriptor):
            dropped += 1
            continue
        out.append(f"{clean} {descriptor}" if descriptor else clean)
    return ", ".join(out), dropped


def map_srcset(value: str, change) -> str:
    """A clean ``srcset`` (from :func:`srcset`) with each candidate's URL passed to ``change``."""
    out = []
    for candidate in value.split(", "):
        url, _, descriptor = candidate.partition(" ")
        url = change(url) if not url.startswith("data:") else url
        out.append(f"{url} {descriptor}" if descriptor else url)
    return ", ".join(out)
