"""Issue 15, item 3: agents sign in with OpenID Connect single sign-on.

Against a REAL OpenID provider started here on loopback (the `oidc-provider` npm package run
with Node, tests/support/oidc_provider.py), real gunicorn, real Chromium: the whole
authorization code flow with PKCE, the agent created on first sign-in, password sign-in
turned off, sign-out ending the agent's invitation; and each refusal with its message: a
user outside the allowed groups, a replayed state, an ID token for another application
(wrong audience) and one with a bad signature (both real tokens from the provider, checked
by the server's verifier against the provider's keys).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.sync_api import expect

from cobrowse.config import Config
from cobrowse.rules.sso import SingleSignOn, SsoError
from tests.support.actors import Visitor, http_transport
from tests.support.oidc_provider import OidcProvider, ProviderError
from tests.support.servers import Gunicorn, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIENT, SECRET = "cobrowse-workspace", "workspace-client-secret-0123456789"
OTHER, OTHER_SECRET = "another-app", "another-app-secret-0123456789"


@pytest.fixture(scope="module")
def sso_stack():
    """The provider and a gunicorn that signs agents in with it (password sign-in off,
    only the "support" group allowed)."""
    port, idp_port = free_port(), free_port()
    callback = f"http://localhost:{port}/workspace/sso/callback"
    # Where tokens for the verifier test are sent: nothing listens there, the test reads the
    # code from the browser's request.
    catch = f"http://127.0.0.1:{free_port()}/caught"
    clients = [{"client_id": CLIENT, "client_secret": SECRET, "redirect_uris": [callback, catch]},
               {"client_id": OTHER, "client_secret": OTHER_SECRET, "redirect_uris": [callback, catch]}]
    try:
        provider = OidcProvider(idp_port, clients).start()
    except ProviderError as err:
        pytest.fail(str(err), pytrace=False)
    server = Gunicorn(None, demo=True, port=port, env={
        "COBROWSE_OIDC_ISSUER": provider.issuer, "COBROWSE_OIDC_CLIENT_ID": CLIENT,
        "COBROWSE_OIDC_CLIENT_SECRET": SECRET, "COBROWSE_OIDC_SCOPES": "openid profile groups",
        "COBROWSE_OIDC_GROUPS": "support, admins", "COBROWSE_PASSWORD_SIGNIN": "0",
        "COBROWSE_PUBLIC_URL": f"http://localhost:{port}"})
    try:
        server.start()
    except RuntimeError:
        provider.stop()
        raise
    yield SimpleNamespace(base=f"http://localhost:{port}", callback=callback, catch=catch, provider=provider,
                          server=server)
    server.stop()
    provider.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(15000)
    yield context
    context.close()


def provider_login(page, user: str) -> None:
    """The provider's own (development) login screen, then its consent screen."""
    page.locator("input[name=login]").fill(user)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    consent = page.locator("button[type=submit]", has_text=re.compile("continue", re.I))
    consent.click()


def sso_sign_in(context, stack, user: str):
    """Open the workspace, choose single sign-on, sign in at the provider as ``user``.
    Returns the page (back on our server) and the callback URLs it went through."""
    page = context.new_page()
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/workspace/sso/callback" in r.url else None)
    page.goto(f"{stack.base}/workspace/")
    sso = page.get_by_test_id("login-sso")
    expect(sso).to_be_visible()
    expect(page.get_by_test_id("login-username")).to_be_hidden()  # password sign-in is off
    sso.click()
    page.wait_for_url(f"{stack.provider.issuer}/**")
    provider_login(page, user)
    page.wait_for_url(f"{stack.base}/workspace/**")
    return page, callbacks


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_sso_signs_in_creates_the_agent_and_sign_out_cancels_its_invitation(context, sso_stack):
    page, callbacks = sso_sign_in(context, sso_stack, "alice")
    expect(page.locator("#agent-name")).to_have_text("Alice Example")
    assert len(callbacks) == 1
    me = page.evaluate("fetch('/workspace/api/me').then((r) => r.json())")
    assert me["agent"] == {"name": "alice", "display": "Alice Example"}

    # Password sign-in is off, for the new agent and the demo one alike.
    status, body = post(f"{sso_stack.base}/workspace/api/login",
                        {"username": "demo", "password": "demo-password-for-tests"},
                        {"Origin": sso_stack.base})
    assert status == 403 and "single sign-on" in body["message"]

    # As today: signing out cancels the agent's open invitation.
    visitor = Visitor(http_transport(sso_stack.server.url.replace("127.0.0.1", "localhost")),
                      site="demo", origin=sso_stack.base)
    visitor.hello()
    visitor.send({"k": "chat", "text": "Hello from SSO"})
    item = page.get_by_test_id("conversation").filter(has_text="Hello from SSO")
    item.get_by_test_id("conversation-take").click()
    expect(item).to_have_attribute("data-status", "open")
    page.get_by_test_id("cobrowse-button").click()
    page.get_by_test_id("cobrowse-mode-view").click()
    expect(page.get_by_test_id("cobrowse-invite-pending")).to_be_visible()
    page.locator("#logout").click()
    expect(page.get_by_test_id("login-sso")).to_be_visible()
    visitor.poll()
    assert [e["state"] for e in visitor.seen if e["k"] == "invite.state"] == ["cancelled"]

    # The second sign-in finds the same agent (no second record, no "name taken").
    again, _ = sso_sign_in(page.context.browser.new_context(), sso_stack, "alice")
    expect(again.locator("#agent-name")).to_have_text("Alice Example")
    again.context.close()


def test_sso_refuses_a_user_outside_the_allowed_groups(context, sso_stack):
    page, _ = sso_sign_in(context, sso_stack, "mallory")
    error = page.get_by_test_id("sso-error")
    expect(error).to_contain_text("not in a group allowed")
    assert error.get_attribute("data-code") == "sso_group"
    expect(page.locator("#agent-name")).to_have_count(0)


def test_sso_refuses_a_replayed_state(context, sso_stack):
    page, callbacks = sso_sign_in(context, sso_stack, "bob")
    expect(page.locator("#agent-name")).to_have_text("Bob Example")
    response = page.goto(callbacks[0])
    assert response.status == 403
    expect(page.get_by_test_id("sso-error")).to_contain_text("already used or has expired")


def real_id_token(context, stack, client: str, secret: str, nonce: str) -> str:
    """An ID token the provider issues to ``client`` through the real code flow with PKCE
    (the browser signs in; the code is read from its redirect to ``stack.catch``)."""
    verifier = generate_token(64)
    page = context.new_page()
    codes = []
    page.on("request", lambda r: codes.append(urllib.parse.parse_qs(urllib.parse.urlsplit(r.url).query))
            if r.url.startswith(stack.catch) else None)
    page.goto(stack.provider.meta["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client, "redirect_uri": stack.catch,
        "scope": "openid profile groups", "state": generate_token(16), "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}))
    provider_login(page, "carol")
    for _ in range(300):
        if codes:
            break
        page.wait_for_timeout(50)
    assert codes, "the provider never sent the browser back with a code"
    basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
    request = urllib.request.Request(stack.provider.meta["token_endpoint"], data=urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": codes[0]["code"][0],
        "redirect_uri": stack.catch, "code_verifier": verifier}).encode(), headers={
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["id_token"]


def verifier_for(stack) -> SingleSignOn:
    """The server's own verifier, configured as the server under test is."""
    config = Config(oidc_issuer=stack.provider.issuer, oidc_client_id=CLIENT,
                    oidc_client_secret=SECRET, oidc_groups="support")
    return SingleSignOn(SimpleNamespace(config=config, broker=None, directory=None))


def test_sso_verifier_refuses_a_wrong_audience_and_a_bad_signature(browser, sso_stack):
    sso = verifier_for(sso_stack)
    ctx = browser.new_context()
    try:
        good = real_id_token(ctx, sso_stack, CLIENT, SECRET, "nonce-for-us")
        ctx.close()
        ctx = browser.new_context()
        foreign = real_id_token(ctx, sso_stack, OTHER, OTHER_SECRET, "nonce-for-us")
    finally:
        ctx.close()
    # The control: the provider's token for this server verifies.
    assert sso.verify(good, "nonce-for-us")["sub"] == "carol"
    with pytest.raises(SsoError, match="nonce") as err:
        sso.verify(good, "another-sign-in")
    assert err.value.code == "sso_nonce"

    with pytest.raises(SsoError, match="another application") as err:
        sso.verify(foreign, "nonce-for-us")
    assert err.value.code == "sso_audience" and err.value.status == 403

    head, body, sig = good.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    forged = ".".join([head, body, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")])
    with pytest.raises(SsoError, match="signature does not verify") as err:
        sso.verify(forged, "nonce-for-us")
    assert err.value.code == "sso_signature"
    # A token whose claims were changed after signing (another user) fails the same way.
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "admin"
    tampered = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), sig])
    with pytest.raises(SsoError, match="signature does not verify"):
        sso.verify(tampered, "nonce-for-us")
