"""The resource proxy (issue 11, item 1): signed links, the sanitizer's rewriting, the
address and type rules, and the proxy's answers against a real brand server on loopback
(in-process Flask app; the browser test is tests/acceptance/test_fidelity.py)."""

from __future__ import annotations

import pytest

from cobrowse.assets import rules
from cobrowse.sanitize import SitePolicy, sanitize_snapshot
from cobrowse.sanitize.assets import AssetLinks, derive_key, link, parse_option, unlink
from tests.support.brand_server import ICON_FONT, TEXT_FONT, BrandServer
from tests.test_sanitize_snapshot import body_of, el, page

KEY = derive_key("unit-test-secret-0123456789")
#: The proxy's size limit in these tests: both fonts fit, four of the larger do not.
LIMIT = 2 * max(TEXT_FONT.stat().st_size, ICON_FONT.stat().st_size)
SECRET = "unit-test-secret-0123456789"

# --- links (pure) ---------------------------------------------------------------------------


def test_links_round_trip_and_are_bound_to_site_kind_and_url():
    url = "https://shop.example/fonts/a.woff2?v=3"
    path = link(KEY, "shop", "font", url + "#frag")
    site, kind, sig, encoded = path.removeprefix("/replica-assets/").split("/")
    assert (site, kind) == ("shop", "font")
    assert unlink(KEY, "shop", "font", sig, encoded) == url
    other = link(KEY, "shop", "font", "https://shop.example/other.woff2").split("/")[-1]
    for args in [("other", "font", sig, encoded), ("shop", "image", sig, encoded),
                 ("shop", "font", sig, other), ("shop", "font", sig[:-1] + "A", encoded)]:
        with pytest.raises(ValueError):
            unlink(KEY, *args)
    with pytest.raises(ValueError):
        unlink(derive_key("another-secret-key-0000"), "shop", "font", sig, encoded)


def test_proxy_option_words():
    assert parse_option("fonts,styles,images") == ("font", "style", "image")
    assert parse_option(["images", "fonts"]) == ("font", "image")
    assert parse_option("none") == ()
    with pytest.raises(ValueError, match="scripts"):
        parse_option("fonts,scripts")


@pytest.mark.parametrize("address,private", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.10", True), ("172.16.5.4", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("::1", True), ("fe80::1", True),
    ("fc00::1", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", True), ("8.8.8.8", False),
    ("2606:4700:4700::1111", False),
])
def test_private_loopback_and_link_local_addresses_are_refused(address, private):
    assert (rules.address_problem(address, allow_private=False) is not None) is private
    if address not in ("0.0.0.0",):
        assert rules.address_problem(address, allow_private=True) is None


def test_types_are_checked_and_fonts_sniffed():
    ttf = TEXT_FONT.read_bytes()[:8]
    assert rules.served_type("font", "application/octet-stream", ttf) == "font/ttf"
    assert rules.served_type("font", "font/woff2", b"wOF2....") == "font/woff2"
    for kind, ctype, head in [("font", "text/html", ttf), ("font", "font/woff2", b"<html>"),
                              ("style", "text/html", b""), ("image", "text/html", b"")]:
        with pytest.raises(rules.AssetError) as err:
            rules.served_type(kind, ctype, head)
        assert err.value.code == "wrong_type" and err.value.status == 502


# --- the sanitizer rewrites what the site proxies ---------------------------------------------

ORIGIN = "https://shop.example"
FACE = ('@font-face{font-family:Brand;src:url("/f/brand.woff2") format("woff2")}'
        'body{background:url("/i/bg.png")}')


def _clean(kinds, *nodes, head=()):
    policy = SitePolicy(origins=(ORIGIN,), asset_site="shop", asset_kinds=kinds, asset_key=KEY)
    clean, _ = sanitize_snapshot(page(*nodes, head=head), policy)
    return clean


def test_font_face_urls_go_through_the_proxy_images_only_when_asked():
    style = el(20, "style", css=FACE)
    sheet = _clean(("font",), head=[style])["doc"]["c"][1]["c"][0]["c"][0]["css"]
    assert link(KEY, "shop", "font", ORIGIN + "/f/brand.woff2") in sheet
    assert 'url("https://shop.example/i/bg.png")' in sheet
    sheet = _clean(("font", "image"), head=[style])["doc"]["c"][1]["c"][0]["c"][0]["css"]
    assert link(KEY, "shop", "image", ORIGIN + "/i/bg.png") in sheet
    (img,) = body_of(_clean(("image",), el(10, "img", {"src": "/i/a.png",
                                                        "srcset": "/i/a2.png 2x"})))
    assert img["a"]["src"] == link(KEY, "shop", "image", ORIGIN + "/i/a.png")
    assert img["a"]["srcset"] == link(KEY, "shop", "image", ORIGIN + "/i/a2.png") + " 2x"
    off = SitePolicy(origins=(ORIGIN,))
    clean, _ = sanitize_snapshot(page(head=[style]), off)
    assert "/replica-assets/" not in str(clean)


def test_style_sheet_links_go_through_the_proxy_when_the_site_says_so():
    node = el(20, "link", {"rel": "stylesheet", "href": "/css/site.css"})
    head = _clean(("font", "style"), head=[node])["doc"]["c"][1]["c"][0]["c"]
    assert head[0]["a"]["href"] == link(KEY, "shop", "style", ORIGIN + "/css/site.css")
    # Fonts bring their sheets: a sheet loaded from the brand would fetch its fonts there.
    head = _clean(("font",), head=[node])["doc"]["c"][1]["c"][0]["c"]
    assert head[0]["a"]["href"] == link(KEY, "shop", "style", ORIGIN + "/css/site.css")
    head = _clean(("image",), head=[node])["doc"]["c"][1]["c"][0]["c"]
    assert head[0]["a"]["href"] == ORIGIN + "/css/site.css"


# --- the proxy against a real brand server on loopback ---------------------------------------


@pytest.fixture(scope="module")
def brand():
    server = BrandServer()
    other = BrandServer()
    server.add("/fonts/text.ttf", TEXT_FONT.read_bytes(), "font/ttf")
    server.add("/fonts/icons.ttf", ICON_FONT.read_bytes(), "application/octet-stream")
    server.add("/fonts/page.html", "<html>not a font</html>", "text/html")
    server.add("/fonts/big.ttf", ICON_FONT.read_bytes() * 4, "font/ttf")
    server.add("/fonts/moved.ttf", b"", "text/plain", 302, Location="/fonts/text.ttf")
    server.add("/fonts/away.ttf", b"", "text/plain", 302, Location=other.origin + "/x.ttf")
    server.add("/css/site.css", '@font-face{font-family:B;src:url("../fonts/text.ttf")}'
               'p{color:red;behavior:url(x.htc)}', "text/css")
    other.add("/x.ttf", TEXT_FONT.read_bytes(), "font/ttf")
    server.other = other
    yield server
    server.close()
    other.close()


def _app(tmp_path, brand, **settings):
    from cobrowse import create_app
    from cobrowse.storage.directory import Site

    app = create_app({"demo": True, "data_dir": str(tmp_path), "reaper_interval": 3600,
                      "secret_key": SECRET, "assets_allow_private": True,
                      "assets_max_bytes": LIMIT, **settings})
    app.extensions["cobrowse"].directory.put_site(
        Site(id="brand", origins=[brand.origin], proxy=["fonts", "styles"]))
    return app


def _get(app, url, kind="font", site="brand"):
    response = app.test_client().get(link(KEY, site, kind, url))
    return response


def test_fonts_are_served_with_their_own_type_and_no_client_headers(tmp_path, brand):
    app = _app(tmp_path, brand)
    before = len(brand.requests)
    client = app.test_client()
    response = client.get(link(KEY, "brand", "font", brand.origin + "/fonts/icons.ttf"),
                          headers={"Cookie": "cobrowse_agent=secret", "Authorization": "x",
                                   "X-Forwarded-For": "10.0.0.1", "Referer": "http://x/"})
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == "font/ttf"
    assert response.data == ICON_FONT.read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    path, headers = brand.requests[before]
    assert path == "/fonts/icons.ttf"
    lower = {k.lower() for k in headers}
    assert not lower & {"cookie", "authorization", "x-forwarded-for", "referer", "origin"}
    again = client.get(link(KEY, "brand", "font", brand.origin + "/fonts/icons.ttf"))
    assert again.status_code == 200 and len(brand.requests) == before + 1  # cached


def test_a_redirect_on_the_same_origin_is_followed(tmp_path, brand):
    response = _get(_app(tmp_path, brand), brand.origin + "/fonts/moved.ttf")
    assert response.status_code == 200
    assert response.data == TEXT_FONT.read_bytes()


def test_style_sheets_are_sanitized_and_their_fonts_proxied(tmp_path, brand):
    response = _get(_app(tmp_path, brand), brand.origin + "/css/site.css", kind="style")
    assert response.status_code == 200
    text = response.data.decode()
    assert link(KEY, "brand", "font", brand.origin + "/fonts/text.ttf") in text
    assert "behavior" not in text and "color:red" in text


@pytest.mark.parametrize("case,status,code", [
    ("origin not configured", 403, "origin_not_configured"),
    ("redirect off the site", 403, "origin_not_configured"),
    ("private address", 403, "private_address"),
    ("oversized body", 502, "too_large"),
    ("wrong content type", 502, "wrong_type"),
    ("bad signature", 403, "bad_signature"),
    ("kind not proxied", 403, "kind_not_proxied"),
    ("unknown site", 404, "unknown_site"),
    ("proxy turned off", 404, "proxy_off"),
    ("brand answers 404", 502, "upstream_status"),
])
def test_refusals_are_clear(tmp_path, brand, case, status, code):
    settings = {"assets_allow_private": False} if case == "private address" else {}
    if case == "proxy turned off":
        settings["assets_proxy"] = False
    app = _app(tmp_path, brand, **settings)
    font = brand.origin + "/fonts/text.ttf"
    client = app.test_client()
    if case == "origin not configured":
        response = _get(app, brand.other.origin + "/x.ttf")
    elif case == "redirect off the site":
        response = _get(app, brand.origin + "/fonts/away.ttf")
    elif case == "oversized body":
        response = _get(app, brand.origin + "/fonts/big.ttf")
    elif case == "wrong content type":
        response = _get(app, brand.origin + "/fonts/page.html")
    elif case == "bad signature":
        good = link(KEY, "brand", "font", font).split("/")
        good[4] = "A" * len(good[4])
        response = client.get("/".join(good))
    elif case == "kind not proxied":
        response = _get(app, brand.origin + "/i.png", kind="image")
    elif case == "unknown site":
        response = _get(app, font, site="nosuch")
    elif case == "brand answers 404":
        response = _get(app, brand.origin + "/fonts/missing.ttf")
    else:
        response = _get(app, font)
    body = response.get_json()
    assert (response.status_code, body["error"]) == (status, code), body
    assert response.headers["X-Cobrowse-Asset-Error"] == code
    assert body["message"] and not body["ok"]


def test_the_rewriter_leaves_other_kinds_and_schemes_alone():
    links = AssetLinks("shop", ("font",), KEY)
    assert links.rewrite("https://shop.example/a.png", "image") == "https://shop.example/a.png"
    assert links.rewrite("data:image/png;base64,AA", "font") == "data:image/png;base64,AA"


def test_the_cache_is_shared_through_the_broker(broker):
    from cobrowse.assets.cache import AssetCache, digest
    from cobrowse.assets.fetch import Fetched

    key, bad = digest("font", "https://a.example/x.woff2"), digest("font", "https://a.example/y")
    writer, reader = AssetCache(60, broker), AssetCache(60, broker)  # two workers
    writer.put(key, Fetched("font/woff2", b"wOF2\x00\xff"))
    writer.put(bad, rules.upstream("the brand's server answered 404", "upstream_status"))
    assert reader.get(key) == Fetched("font/woff2", b"wOF2\x00\xff")
    failure = reader.get(bad)
    assert (failure.code, failure.status) == ("upstream_status", 502)
    assert AssetCache(60, None).get(key) is None


def test_the_demo_sites_style_sheets_reach_the_replica_with_no_extra_setting():
    """``make run``: the demo pages are this server's own, on loopback. Their style sheets
    go through the proxy (fonts bring their sheets) and must not be refused as a private
    address, or the demo's replica shows unstyled. Other sites still need the setting."""
    import urllib.error
    import urllib.request

    from tests.support.servers import Gunicorn

    def get(server, site, url):
        path = link(derive_key("integration-test-secret-0123456789"), site, "style", url)
        try:
            with urllib.request.urlopen(server.url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    with Gunicorn() as server:
        for origin in (server.url, f"http://localhost:{server.port}"):
            status, body = get(server, "demo", origin + "/demo/assets/site.css")
            assert status == 200 and "{" in body, body
    with Gunicorn(demo=False) as server:
        from tests.support.servers import cli

        assert cli(["site", "add", "demo", "--origin", server.url], server.env).returncode == 0
        status, body = get(server, "demo", server.url + "/demo/assets/site.css")
        assert status == 403 and "private_address" in body
