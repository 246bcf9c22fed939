// A real OpenID Connect provider (the `oidc-provider` package) for tests/test_sso.py, on
// loopback only. Its development login screen accepts any user name; the accounts' claims
// are made up here: everyone is in "support" except "mallory" (in "sales").
//   PORT=... OIDC_CLIENTS='[{"client_id": ..., "client_secret": ..., "redirect_uris": [...]}]'
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]').map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));
const GROUPS = { mallory: ['sales'] };

const provider = new Provider(issuer, {
  clients,
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups'],
  // The claims of the requested scopes go into the ID token itself (the server reads them
  // there, not from the userinfo endpoint).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['cobrowse-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: `${id.charAt(0).toUpperCase()}${id.slice(1)} Example`,
          groups: GROUPS[id] || ['support'] };
      },
    };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
