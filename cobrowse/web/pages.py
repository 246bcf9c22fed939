"""Pages and files: the workspace (with its sign-in API), the tag's scripts, the demo site,
and the health check.

The workspace runs under a strict Content-Security-Policy with no inline script; the replica
document it builds the visitor's page in gets an even stricter one: no script at all, and
images, styles and fonts only from the site's resource origins (issue 4, item 9).
"""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, redirect, request, send_from_directory

from cobrowse.errors import Refused
from cobrowse.rules.auth import COOKIE
from cobrowse.web.http import json_response, read_json

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
    return (f"default-src 'none'; script-src 'none'; img-src {src} data:; "
            f"style-src {src} 'unsafe-inline'; font-src {src} data:; media-src {src}; "
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
    if origin and origin.lower() != request.host_url.rstrip("/").lower():
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
    response = json_response(answer)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="Strict", path="/",
                        secure=request.is_secure, max_age=core().config.agent_signin_ttl)
    return response


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
