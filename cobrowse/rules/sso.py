"""Single sign-on for agents with OpenID Connect (issue 15, item 3).

The authorization code flow with PKCE: ``start`` keeps a random ``state`` with its ``nonce``
and PKCE verifier in the broker (ten minutes, used once) and sends the browser to the
provider; ``finish`` takes that state back (a replayed or unknown state is refused), trades
the code for tokens at the provider's token endpoint with the client secret and the
verifier, and verifies the ID token with joserfc (the JOSE library of the Authlib project)
against the provider's published keys: signature, issuer, audience, expiry, nonce. Then the
allowed groups, and the agent record: created on first sign-in, linked to the provider's
subject so a colleague's password account of the same name is never taken over.

The provider's discovery document and keys are fetched when needed and kept for a while; a
token signed with a key not yet known fetches the keys again once (the provider rotated).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import replace

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from cobrowse.errors import CobrowseError
from cobrowse.storage import keys
from cobrowse.storage.directory import Agent

log = logging.getLogger("cobrowse.sso")

STATE_TTL = 600
DISCOVERY_TTL = 3600
HTTP_TIMEOUT = 10
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA"]
NAME_OK = re.compile(r"[^A-Za-z0-9_.-]+")  # what an agent name may hold (directory.NAME_RE)


class SsoError(CobrowseError):
    """A sign-in with the provider that did not work, in words for the agent."""

    status = 403
    code = "sso"


class Provider:
    """The OpenID provider's endpoints and keys (discovery), fetched lazily, kept a while."""

    def __init__(self, issuer: str):
        self.issuer = issuer.rstrip("/")
        self._meta: dict | None = None
        self._meta_at = 0.0
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def meta(self) -> dict:
        with self._lock:
            if self._meta is None or time.monotonic() - self._meta_at > DISCOVERY_TTL:
                meta = _get_json(f"{self.issuer}/.well-known/openid-configuration")
                if meta.get("issuer", "").rstrip("/") != self.issuer:
                    raise SsoError("the identity provider's discovery document names another "
                                   "issuer", status=502, code="sso_provider")
                self._meta, self._meta_at = meta, time.monotonic()
            return self._meta

    def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(_get_json(self.meta()["jwks_uri"]))
        return self._keys


def _get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:
            return json.loads(response.read())
    except (OSError, ValueError) as err:
        log.warning("sso provider unreachable url=%s err=%s", url, err)
        raise SsoError("the identity provider cannot be reached: try again later",
                       status=502, code="sso_provider") from err


class SingleSignOn:
    """The two halves of the flow, and the checks of what the provider says."""

    def __init__(self, core):
        self.core = core
        self.config = core.config
        self.broker = core.broker
        self.provider = Provider(self.config.oidc_issuer)

    @property
    def groups(self) -> set[str]:
        return {g for g in re.split(r"[,\s]+", self.config.oidc_groups or "") if g}

    def start(self, redirect_uri: str) -> str:
        """Where to send the browser: the provider's authorization endpoint, with a fresh
        state, nonce and PKCE challenge (kept here for the callback)."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        self.broker.set(keys.sso_state(state), json.dumps(
            {"nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri}), ttl=STATE_TTL)
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.config.oidc_client_id,
            "redirect_uri": redirect_uri, "scope": self.config.oidc_scopes, "state": state,
            "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256"})
        endpoint = self.provider.meta()["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def finish(self, args: dict) -> Agent:
        """The provider sent the browser back: check everything, return the agent."""
        if args.get("error"):
            raise SsoError(f"the identity provider refused the sign-in: "
                           f"{str(args.get('error_description') or args['error'])[:200]}",
                           code="sso_refused")
        state, code = args.get("state"), args.get("code")
        if not state or not code:
            raise SsoError("the sign-in answer has no code or state", status=400, code="sso_bad")
        raw = self.broker.get(keys.sso_state(state))
        self.broker.delete(keys.sso_state(state))
        if not raw:
            raise SsoError("this sign-in was already used or has expired (state not known): "
                           "sign in again", code="sso_state")
        kept = json.loads(raw)
        tokens = self._redeem(code, kept)
        claims = self.verify(tokens.get("id_token"), kept["nonce"])
        return self._agent(claims)

    def _redeem(self, code: str, kept: dict) -> dict:
        body = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": kept["redirect_uri"], "code_verifier": kept["verifier"]}).encode()
        basic = b64encode(
            f"{urllib.parse.quote(self.config.oidc_client_id, safe='')}:"
            f"{urllib.parse.quote(self.config.oidc_client_secret, safe='')}".encode()).decode()
        request = urllib.request.Request(self.provider.meta()["token_endpoint"], data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "Authorization": f"Basic {basic}"})
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode(errors="replace")
            log.warning("sso token exchange refused status=%s body=%s", err.code, detail)
            raise SsoError("the identity provider did not accept the sign-in code "
                           "(expired, used twice, or the client secret is wrong)",
                           code="sso_code") from err
        except (OSError, ValueError) as err:
            log.warning("sso token endpoint unreachable err=%s", err)
            raise SsoError("the identity provider cannot be reached: try again later",
                           status=502, code="sso_provider") from err

    def verify(self, id_token: object, nonce: str) -> dict:
        """The ID token's claims once its signature (the provider's keys), issuer, audience,
        expiry and nonce hold; otherwise a refusal that says which did not."""
        if not isinstance(id_token, str) or not id_token:
            raise SsoError("the identity provider sent no ID token", code="sso_token")
        try:
            try:
                token = jwt.decode(id_token, self.provider.keys(), algorithms=ALGORITHMS)
            except JoseError as err:
                if err.error != "bad_signature" and "key" not in str(err).lower():
                    raise
                # A key the provider has just rotated in: fetch the keys once more.
                token = jwt.decode(id_token, self.provider.keys(refresh=True), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as err:
            log.warning("sso id token refused: %s", err)
            raise SsoError("the ID token's signature does not verify against the identity "
                           "provider's keys", code="sso_signature") from err
        claims = token.claims
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        checks = [
            (claims.get("iss", "").rstrip("/") == self.provider.issuer,
             "the ID token comes from another issuer", "sso_issuer"),
            (self.config.oidc_client_id in auds and (len(auds) == 1 or claims.get("azp") == self.config.oidc_client_id),
             "the ID token was issued for another application (wrong audience)", "sso_audience"),
            (isinstance(claims.get("exp"), (int, float)) and claims["exp"] > time.time() - 60,
             "the ID token has expired", "sso_expired"),
            (claims.get("nonce") == nonce, "the ID token does not answer this sign-in (nonce)",
             "sso_nonce"),
            (isinstance(claims.get("sub"), str) and claims["sub"], "the ID token names no user",
             "sso_subject"),
        ]
        for ok, message, code in checks:
            if not ok:
                log.warning("sso id token refused code=%s iss=%s aud=%s", code, claims.get("iss"), aud)
                raise SsoError(message, code=code)
        return claims

    def _agent(self, claims: dict) -> Agent:
        """The agent of these claims: checked against the allowed groups, created on first
        sign-in, kept up to date (display name) afterwards."""
        allowed = self.groups
        if allowed:
            have = claims.get(self.config.oidc_groups_claim) or []
            have = {have} if isinstance(have, str) else {str(g) for g in have if isinstance(g, (str, int))}
            if not have & allowed:
                log.warning("sso user outside the allowed groups sub=%s", claims.get("sub"))
                raise SsoError("your account is not in a group allowed to use the agent "
                               "workspace: ask your administrator", code="sso_group")
        name = NAME_OK.sub("-", str(claims.get(self.config.oidc_name_claim) or "")).strip("-._")[:64]
        if not name:
            raise SsoError(f"the identity provider gave no {self.config.oidc_name_claim!r} "
                           "for your account", code="sso_name")
        display = str(claims.get(self.config.oidc_display_claim) or name)[:80]
        subject = f"{self.provider.issuer}|{claims['sub']}"
        directory = self.core.directory
        agent = directory.agent(name)
        if agent and agent.sso_subject != subject:
            log.warning("sso name taken by another account name=%s", name)
            raise SsoError(f"an agent named {name!r} already exists and is not linked to this "
                           "account: ask your administrator", code="sso_taken")
        if not agent or agent.display != display:
            agent = (replace(agent, display=display) if agent
                     else Agent(name=name, password_hash="", display=display, sso_subject=subject))
            directory.put_agent(agent)
        return agent
