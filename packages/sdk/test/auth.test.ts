// Auth clients and authorizers against a real local HTTP server standing in for Globus Auth; PKCE; config.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  AuthAPIError,
  AuthClient,
  ClientCredentialsAuthorizer,
  ConfidentialAppAuthClient,
  EnvironmentConfigurationError,
  GCSEndpointScopes,
  GCSCollectionScopes,
  NativeAppAuthClient,
  OAuthTokenResponse,
  RefreshTokenAuthorizer,
  TransferScopes,
  codeChallengeS256,
  createCodeVerifier,
  gcsBaseUrl,
  getServiceUrl,
} from '../src/index.ts';
import type { TokenData } from '../src/index.ts';
import { startServer } from './helpers/server.ts';
import type { Handler, TestServer } from './helpers/server.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function serve(handler: Handler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
const b64url = (s: string) => Buffer.from(s).toString('base64url');

test('PKCE: challenge = BASE64URL(SHA256(verifier)) and verifiers are long, urlsafe and random', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const verifier = createCodeVerifier(43 + (i % 86));
    assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
    assert.equal(verifier.length, 43 + (i % 86));
    const expected = createHash('sha256').update(verifier).digest('base64url');
    assert.equal(await codeChallengeS256(verifier), expected);
    seen.add(verifier);
  }
  assert.equal(seen.size, 50);
  // RFC 7636 appendix B test vector.
  assert.equal(await codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  assert.throws(() => createCodeVerifier(42), RangeError);
});

test('native app: authorize URL carries PKCE, scopes and session parameters; code exchange and refresh send client_id', async () => {
  const server = await serve(() => ({
    body: {
      access_token: 'AT',
      scope: 'openid',
      resource_server: 'auth.globus.org',
      expires_in: 100,
      token_type: 'Bearer',
      refresh_token: 'RT',
      other_tokens: [],
    },
  }));
  const client = new NativeAppAuthClient('native-id', { baseUrl: server.origin, retry: false });
  const ep = GCSEndpointScopes('ep1');
  const flow = await client.oauth2StartFlow({
    requestedScopes: [ep.manage_collections.withDependency(GCSCollectionScopes('c1').data_access.withOptional()), 'openid'],
    refreshTokens: true,
  });
  const url = new URL(
    client.oauth2GetAuthorizeUrl({
      sessionRequiredIdentities: ['id1', 'id2'],
      sessionRequiredSingleDomain: 'example.org',
      sessionRequiredPolicies: ['p1'],
      sessionRequiredMfa: true,
      sessionMessage: 'please',
      prompt: 'login',
    }),
  );
  assert.equal(url.origin + url.pathname, `${server.origin}/v2/oauth2/authorize`);
  const q = Object.fromEntries(url.searchParams);
  assert.deepEqual(q, {
    client_id: 'native-id',
    redirect_uri: `${server.origin}/v2/web/auth-code`,
    scope: 'urn:globus:auth:scope:ep1:manage_collections[*https://auth.globus.org/scopes/c1/data_access] openid',
    state: '_default',
    response_type: 'code',
    code_challenge: createHash('sha256').update(flow.verifier!).digest('base64url'),
    code_challenge_method: 'S256',
    access_type: 'offline',
    session_required_identities: 'id1,id2',
    session_required_single_domain: 'example.org',
    session_required_policies: 'p1',
    session_required_mfa: 'True',
    session_message: 'please',
    prompt: 'login',
  });

  const tokens = await client.oauth2ExchangeCodeForTokens('the-code');
  const ex = server.requests[0];
  assert.equal(ex.url.pathname, '/v2/oauth2/token');
  assert.equal(ex.headers.authorization, undefined, 'public clients send no Authorization');
  assert.deepEqual(form(ex.body), {
    client_id: 'native-id',
    grant_type: 'authorization_code',
    code: 'the-code',
    code_verifier: flow.verifier,
    redirect_uri: `${server.origin}/v2/web/auth-code`,
  });
  assert.equal(tokens.byResourceServer['auth.globus.org'].refresh_token, 'RT');

  await client.oauth2RefreshToken('RT');
  assert.deepEqual(form(server.requests[1].body), { refresh_token: 'RT', grant_type: 'refresh_token', client_id: 'native-id' });
  await client.oauth2RevokeToken('AT');
  assert.equal(server.requests[2].url.pathname, '/v2/oauth2/token/revoke');
  assert.deepEqual(form(server.requests[2].body), { token: 'AT', client_id: 'native-id' });
});

test('confidential app: Basic auth, client credentials, dependent tokens (bare array), introspect', async () => {
  const server = await serve((req) => {
    const f = form(req.body);
    if (req.url.pathname === '/v2/oauth2/token/introspect') return { body: { active: true, sub: 'u1', identity_set: ['u1', 'u2'] } };
    if (f.grant_type === 'urn:globus:auth:grant_type:dependent_token') {
      return {
        body: [
          { access_token: 'D1', scope: 's1', resource_server: 'rs1', expires_in: 120, token_type: 'bearer' },
          { access_token: 'D2', scope: 's2', resource_server: 'rs2', expires_in: 60, refresh_token: 'DR2' },
        ],
      };
    }
    return {
      body: {
        access_token: 'T-transfer',
        scope: 'urn:globus:auth:scope:transfer.api.globus.org:all',
        resource_server: 'transfer.api.globus.org',
        expires_in: 172800,
        token_type: 'Bearer',
        refresh_token: null,
        other_tokens: [
          {
            access_token: 'T-ep',
            scope: 'urn:globus:auth:scope:ep1:manage_collections',
            resource_server: 'ep1',
            expires_in: 172800,
            token_type: 'Bearer',
            refresh_token: null,
          },
        ],
      },
    };
  });
  const client = new ConfidentialAppAuthClient('cid', 'sec:ret', { baseUrl: server.origin, retry: false });
  const tokens = await client.oauth2ClientCredentialsTokens([TransferScopes.all, GCSEndpointScopes('ep1').manage_collections]);
  const r0 = server.requests[0];
  assert.equal(r0.headers.authorization, `Basic ${Buffer.from('cid:sec:ret').toString('base64')}`);
  assert.deepEqual(form(r0.body), {
    grant_type: 'client_credentials',
    scope: 'urn:globus:auth:scope:transfer.api.globus.org:all urn:globus:auth:scope:ep1:manage_collections',
  });
  assert.deepEqual(Object.keys(tokens.byResourceServer), ['transfer.api.globus.org', 'ep1']);
  const now = Math.floor(Date.now() / 1000);
  const ep: TokenData = tokens.byResourceServer.ep1;
  assert.equal(ep.access_token, 'T-ep');
  assert.ok(Math.abs(ep.expires_at_seconds - (now + 172800)) <= 2);
  assert.equal(tokens.byScopes['urn:globus:auth:scope:ep1:manage_collections'].access_token, 'T-ep');

  const dep = await client.oauth2GetDependentTokens('user-token', { scope: 'a b', refreshTokens: true });
  assert.deepEqual(form(server.requests[1].body), {
    grant_type: 'urn:globus:auth:grant_type:dependent_token',
    token: 'user-token',
    scope: 'a b',
    access_type: 'offline',
  });
  assert.deepEqual(Object.keys(dep.byResourceServer), ['rs1', 'rs2']);
  assert.equal(dep.byResourceServer.rs2.refresh_token, 'DR2');
  assert.equal(dep.byResourceServer.rs1.token_type, 'bearer');

  const intro = await client.oauth2TokenIntrospect('tok', { include: ['identity_set'] });
  assert.deepEqual(intro.identity_set, ['u1', 'u2']);
  assert.deepEqual(form(server.requests[2].body), { token: 'tok', include: 'identity_set' });
});

test('OAuth errors from the token endpoint throw AuthAPIError', async () => {
  const server = await serve(() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'bad code' } }));
  const client = new ConfidentialAppAuthClient('cid', 'sec', { baseUrl: server.origin, retry: false });
  client.oauth2StartFlow('https://app/cb', 'openid');
  await assert.rejects(
    client.oauth2ExchangeCodeForTokens('nope'),
    (e: unknown) => e instanceof AuthAPIError && e.code === 'invalid_grant' && e.httpStatus === 400,
  );
  assert.deepEqual(form(server.requests[0].body), { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://app/cb' });
});

test('ClientCredentialsAuthorizer fetches once, reuses the token, renews near expiry and after a 401', async () => {
  let issued = 0;

  const server = await serve((req) => {
    if (req.url.pathname === '/v2/oauth2/token') {
      issued++;
      return {
        body: {
          access_token: `AT${issued}`,
          scope: 'urn:globus:auth:scope:groups.api.globus.org:all',
          resource_server: 'groups.api.globus.org',
          expires_in: 3600,
          token_type: 'Bearer',
          other_tokens: [],
        },
      };
    }
    // The resource: only the newest token is valid.
    return req.headers.authorization === `Bearer AT${issued}` ? { body: { ok: true } } : { status: 401, body: { code: 'AuthenticationFailed', message: 'x' } };
  });
  const auth = new ConfidentialAppAuthClient('cid', 'sec', { baseUrl: server.origin, retry: false });
  const refreshed: string[] = [];
  const authorizer = new ClientCredentialsAuthorizer(auth, 'urn:globus:auth:scope:groups.api.globus.org:all', {
    onRefresh: (t) => void refreshed.push(t.access_token),
  });
  const groups = new AuthClient({ baseUrl: server.origin, authorizer, retry: false });
  await Promise.all([groups.get('v2/groups/my_groups'), groups.get('v2/groups/my_groups')]);
  assert.equal(issued, 1, 'concurrent first requests share one token request');
  await groups.get('v2/groups/my_groups');
  assert.equal(issued, 1);
  // Within the 60 s margin → renew before the request.
  authorizer.expiresAt = Math.floor(Date.now() / 1000) + 30;
  await groups.get('v2/groups/my_groups');
  assert.equal(issued, 2);
  // Server-side invalidation → 401 → renew and retry once.
  issued++;
  await groups.get('v2/groups/my_groups');
  assert.equal(issued, 4);
  assert.deepEqual(refreshed, ['AT1', 'AT2', 'AT4']);
});

test('RefreshTokenAuthorizer adopts rotated refresh tokens and keeps the old one when none is returned', async () => {
  let n = 0;
  const server = await serve((req) => {
    n++;
    const f = form(req.body);
    const rotated = n === 1 ? 'RT-2' : undefined;
    return {
      body: {
        access_token: `AT-${n}`,
        scope: 's',
        resource_server: 'rs',
        expires_in: 0,
        token_type: 'Bearer',
        ...(rotated ? { refresh_token: rotated } : {}),
        other_tokens: [],
        used: f.refresh_token,
      },
    };
  });
  const native = new NativeAppAuthClient('nid', { baseUrl: server.origin, retry: false });
  const calls: Array<[string, string | null]> = [];
  const authorizer = new RefreshTokenAuthorizer('RT-1', native, {
    accessToken: 'stale',
    expiresAt: 0,
    onRefresh: (token) => void calls.push([token.access_token, token.refresh_token]),
  });
  assert.equal(await authorizer.getAuthorizationHeader(), 'Bearer AT-1');
  assert.equal(authorizer.refreshToken, 'RT-2');
  // expires_in 0 means "already expired", so the next use refreshes again — with the rotated token.
  assert.equal(await authorizer.getAuthorizationHeader(), 'Bearer AT-2');
  assert.deepEqual(
    server.requests.map((r) => form(r.body).refresh_token),
    ['RT-1', 'RT-2'],
  );
  assert.equal(authorizer.refreshToken, 'RT-2', 'kept when the response carries none');
  assert.deepEqual(calls, [
    ['AT-1', 'RT-2'],
    ['AT-2', null],
  ]);
});

test('a renewal response naming several resource servers is rejected unless one is chosen', async () => {
  const body = {
    access_token: 'A',
    scope: 'a',
    resource_server: 'ra',
    expires_in: 100,
    other_tokens: [{ access_token: 'B', scope: 'b', resource_server: 'rb', expires_in: 100 }],
  };
  const fake = { oauth2ClientCredentialsTokens: async () => new OAuthTokenResponse(body) };
  await assert.rejects(new ClientCredentialsAuthorizer(fake, 'a b').getAuthorizationHeader(), /exactly one resource server/);
  assert.equal(await new ClientCredentialsAuthorizer(fake, 'a b', { resourceServer: 'rb' }).getAuthorizationHeader(), 'Bearer B');
});

test('getIdentities batches 100 per call, comma-joins, and merges', async () => {
  const server = await serve((req) => {
    const ids = (req.url.searchParams.get('ids') ?? '').split(',');
    return {
      body: {
        identities: ids
          .filter((id) => !id.endsWith('-x'))
          .map((id) => ({ id, username: `${id}@example.org`, status: 'used', identity_provider: 'idp', name: null, email: null, organization: null })),
      },
    };
  });
  const client = new AuthClient({ baseUrl: server.origin, retry: false });
  const ids = Array.from({ length: 250 }, (_, i) => (i === 7 ? 'u7-x' : `u${i}`));
  const res = await client.getIdentities({ ids, provision: true });
  assert.equal(server.requests.length, 3);
  assert.deepEqual(
    server.requests.map((r) => r.url.searchParams.get('ids')!.split(',').length),
    [100, 100, 50],
  );
  assert.equal(server.requests[0].url.searchParams.get('provision'), 'true');
  assert.equal(res.identities.length, 249, 'unknown ids are simply absent');
  assert.equal(res.identities[0].id, 'u0');
  await client.getConsents('u1', { all: false });
  assert.equal(server.requests[3].url.pathname, '/v2/api/identities/u1/consents');
  assert.equal(server.requests[3].url.search, '?all=False');
  await assert.rejects(client.getIdentities({ ids: 'a', usernames: 'b' }), TypeError);
});

test('decodeIdToken decodes the JWT payload', () => {
  const claims = { sub: 'u1', aud: 'cid', name: 'Zoë', exp: 1 };
  const jwt = `${b64url('{"alg":"RS256"}')}.${b64url(JSON.stringify(claims))}.sig`;
  const tokens = new OAuthTokenResponse({ access_token: 'a', scope: 'openid', resource_server: 'auth.globus.org', id_token: jwt, other_tokens: [] });
  assert.deepEqual(tokens.decodeIdToken(), claims);
  assert.throws(() => new OAuthTokenResponse({ access_token: 'a', scope: 's', resource_server: 'r' }).decodeIdToken(), /no id_token/);
  assert.throws(() => new OAuthTokenResponse({ access_token: 'a', scope: 's', resource_server: 'r', id_token: 'x.y' }).decodeIdToken(), /malformed/);
});

test('service URLs: explicit > GLOBUS_SDK_SERVICE_URL_* > environment; GCS addressing', () => {
  const saved = { ...process.env };
  try {
    delete process.env.GLOBUS_SDK_SERVICE_URL_GROUPS;
    delete process.env.GLOBUS_SDK_ENVIRONMENT;
    assert.equal(getServiceUrl('transfer'), 'https://transfer.api.globus.org/');
    process.env.GLOBUS_SDK_SERVICE_URL_GROUPS = 'https://127.0.0.1:8443';
    assert.equal(getServiceUrl('groups'), 'https://127.0.0.1:8443/');
    assert.equal(getServiceUrl('groups', { baseUrl: 'https://x/y' }), 'https://x/y/');
    process.env.GLOBUS_SDK_ENVIRONMENT = 'sandbox';
    assert.equal(getServiceUrl('auth'), 'https://auth.sandbox.globuscs.info/');
    process.env.GLOBUS_SDK_ENVIRONMENT = 'nonesuch';
    assert.throws(() => getServiceUrl('auth'), EnvironmentConfigurationError);
    assert.equal(getServiceUrl('groups'), 'https://127.0.0.1:8443/', 'an override wins over an unknown environment');
    process.env.GLOBUS_SDK_SERVICE_URL_AUTH = 'https://gh.example:8443/';
    assert.equal(new AuthClient().baseUrl, 'https://gh.example:8443/');
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  assert.equal(gcsBaseUrl('gcs.example.org:8443'), 'https://gcs.example.org:8443/api/');
  assert.equal(gcsBaseUrl('https://gcs.example.org'), 'https://gcs.example.org/api/');
  assert.equal(gcsBaseUrl('https://gcs.example.org/api/'), 'https://gcs.example.org/api/');
  assert.equal(gcsBaseUrl('http://127.0.0.1:9000'), 'http://127.0.0.1:9000/api/');
});
