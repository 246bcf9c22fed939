"""Pages and files: the workspace (with its sign-in API), the tag's scripts, the demo site,
and the health check.

The workspace runs under a strict Content-Security-Policy with no inline script; the replica
document it builds the visitor's page in gets an even stricter one: no script at all, and
images, styles and fonts only from the site's resource origins and our own resource proxy
(issue 4, item 9; issue 11).
"""

from __future__ import annotations

import hmac
import html
import logging
import os

from flask import Blueprint, Response, abort, current_app, redirect, request, send_from_directory

from cobrowse import metrics
from cobrowse.errors import Refused
from cobrowse.rules.auth import COOKIE
from cobrowse.rules.sso import SingleSignOn, SsoError
from cobrowse.web.http import json_response, own_origin, read_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pages = Blueprint("pages", __name__)

WORKSPACE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'")


def core():
    return current_app.extensions["cobrowse"]


def _static(folder: str, filename: str, **headers):
    response = send_from_directory(os.path.join(ROOT, folder), filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


@pages.get("/healthz")
def healthz():
    ok = core().broker.ping()
    return json_response({"ok": ok, "broker": core().broker.stats().get("backend")}, 200 if ok else 503)


@pages.get("/metrics")
def metrics_page():
    """Prometheus text format, for the operator's scraper only (issue 12, item 6)."""
    if not _may_scrape(core().config):
        abort(404)  # a scraper that is not allowed learns nothing, not even that it exists
    body, ctype = metrics.exposition(core().broker)
    return Response(body, mimetype=ctype.split(";")[0], headers={"Cache-Control": "no-store"})


def _may_scrape(cfg) -> bool:
    """With the token (``Authorization: Bearer``), or from an allowed address directly: a
    request that came through a proxy (``X-Forwarded-For``) is never "from localhost"."""
    if cfg.metrics_token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if given and hmac.compare_digest(given.encode(), cfg.metrics_token.encode()):
            return True
    if request.headers.get("X-Forwarded-For") and not request.environ.get("werkzeug.proxy_fix.orig"):
        return False
    allowed = {a.strip() for a in cfg.metrics_allow.split(",") if a.strip()}
    return (request.remote_addr or "") in allowed


@pages.get("/")
def index():
    return redirect("/demo/" if core().config.demo else "/workspace/")


# --- the tag ------------------------------------------------------------------------------

@pages.get("/tag/<path:filename>")
def tag(filename):
    # Module scripts imported cross-origin by brand pages need CORS; they carry no secrets.
    return _static("tag", filename, Access_Control_Allow_Origin="*",
                   Cross_Origin_Resource_Policy="cross-origin")


# --- the demo site ------------------------------------------------------------------------

@pages.get("/demo/")
@pages.get("/demo/<path:filename>")
def demo(filename="index.html"):
    if not core().config.demo:
        abort(404)
    return _static("demo", filename)


# --- the workspace ------------------------------------------------------------------------

@pages.get("/workspace")
def workspace_slash():
    return redirect("/workspace/")


@pages.get("/workspace/")
def workspace():
    return _static("workspace", "index.html", Content_Security_Policy=WORKSPACE_CSP,
                   X_Frame_Options="DENY", Referrer_Policy="no-referrer")


def replica_csp(site_id: str | None) -> str:
    """No script, no forms, no frames, no connections; resources only from the site."""
    sites = core().directory.sites()
    if site_id:
        sites = [s for s in sites if s.id == site_id]
    origins = sorted({o for s in sites for o in (*s.origins, *s.resource_origins)})
    src = " ".join(origins) or "'none'"
    # 'self': what the resource proxy serves (/replica-assets/, issue 11). The replica's
    # own origin is ours; nothing there runs in it (script-src 'none').
    own = "'self' " if core().config.assets_proxy else ""
    return (f"default-src 'none'; script-src 'none'; img-src {own}{src} data:; "
            f"style-src {own}{src} 'unsafe-inline'; font-src {own}{src} data:; media-src {src}; "
            "frame-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; "
            "object-src 'none'; frame-ancestors 'self'")


@pages.get("/workspace/replica.html")
def replica():
    site = request.args.get("site")
    return _static("workspace", "replica.html", Content_Security_Policy=replica_csp(site),
                   Referrer_Policy="no-referrer")


@pages.get("/workspace/<path:filename>")
def workspace_file(filename):
    return _static("workspace", filename)


def _same_origin_json():
    """CSRF protection for cookie-authenticated calls: same origin, JSON, no cross-site fetch."""
    origin = request.headers.get("Origin")
    if origin and origin.lower() != own_origin(core().config):
        raise Refused("sign-in is only possible from the workspace itself", code="csrf")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Refused("sign-in is only possible from the workspace itself", code="csrf")
    if request.method == "POST" and request.mimetype != "application/json":
        raise Refused("send application/json", code="csrf")
    cfg = core().config
    return read_json(cfg.max_body, cfg.max_inflated) if request.method == "POST" else None


@pages.post("/workspace/api/login")
def login():
    body = _same_origin_json() or {}
    if not isinstance(body, dict):
        body = {}
    address = request.remote_addr or "?"
    cookie, answer = core().auth.login(body.get("username"), body.get("password"), address)
    return _set_signin_cookie(json_response(answer), cookie)


def _set_signin_cookie(response, cookie: str):
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="Strict", path="/",
                        secure=request.is_secure, max_age=core().config.agent_signin_ttl)
    return response


@pages.get("/workspace/api/signin-options")
def signin_options():
    """Which ways of signing in the workspace offers (the sign-in screen asks first)."""
    cfg = core().config
    return json_response({"ok": True, "password": cfg.password_signin, "sso": cfg.sso})


def _sso() -> SingleSignOn:
    c = core()
    if not c.config.sso:
        abort(404)
    if "sso" not in current_app.extensions:
        current_app.extensions["sso"] = SingleSignOn(c)
    return current_app.extensions["sso"]


def _callback_url() -> str:
    base = (core().config.public_url or request.host_url).rstrip("/")
    return f"{base}/workspace/sso/callback"


@pages.get("/workspace/sso/start")
def sso_start():
    """Off to the identity provider (authorization code flow with PKCE)."""
    try:
        return redirect(_sso().start(_callback_url()), code=302)
    except SsoError as err:
        return _sso_refused(err)


@pages.get("/workspace/sso/callback")
def sso_callback():
    """Back from the identity provider: verify, sign the agent in, open the workspace."""
    sso = _sso()
    try:
        agent = sso.finish(request.args.to_dict())
    except SsoError as err:
        return _sso_refused(err)
    cookie, _ = core().auth.sign_in(agent)
    logging.getLogger("cobrowse.sso").info("sso sign-in agent=%s", agent.name)
    return _set_signin_cookie(redirect("/workspace/", code=303), cookie)


def _sso_refused(err: SsoError) -> Response:
    """A plain page that says why, with the way back (the browser came here by redirect, so
    a JSON error would mean nothing to the agent)."""
    logging.getLogger("cobrowse.sso").warning("sso refused code=%s: %s", err.code, err.message)
    text = html.escape(err.message)
    body = ("<!doctype html><meta charset=utf-8><title>Sign-in refused</title>"
            "<link rel=stylesheet href=/workspace/css/workspace.css>"
            f"<main class=login-card data-testid=sso-error data-code={html.escape(err.code)}>"
            f"<h1>Sign-in refused</h1><p>{text}</p>"
            "<p><a href=/workspace/ data-testid=sso-back>Back to sign-in</a></p></main>")
    return Response(body, status=err.status, mimetype="text/html", headers={
        "Content-Security-Policy": WORKSPACE_CSP, "Cache-Control": "no-store"})


@pages.get("/workspace/api/me")
def me():
    _same_origin_json()
    return json_response(core().auth.me(request.cookies.get(COOKIE)))


@pages.post("/workspace/api/logout")
def logout():
    _same_origin_json()
    core().auth.logout(request.cookies.get(COOKIE))
    response = json_response({"ok": True})
    response.delete_cookie(COOKIE, path="/", samesite="Strict", httponly=True)
    return response
