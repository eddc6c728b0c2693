// Auth token endpoint: client credentials with dependencies, consents, refresh, revoke, introspect, errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, makeClient, basic, postForm, clientCredentials, getJson, type TestServer } from './helpers/server.ts';

const AUTH_SCOPES = 'openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set';
const GROUPS_ALL = 'urn:globus:auth:scope:groups.api.globus.org:all';

describe('token endpoint', () => {
  let server: TestServer;
  let client: { id: string; secret: string };
  before(async () => {
    server = await startTestServer();
    client = await makeClient(server, 'portal');
  });
  after(() => server.stop());

  it('issues one token per resource server, root scopes only, consents with dependency paths', async () => {
    const manage = `urn:globus:auth:scope:${server.endpointId}:manage_collections`;
    const body = await clientCredentials(server, client, `${AUTH_SCOPES} ${manage}[${GROUPS_ALL}] ${GROUPS_ALL}`);
    assert.equal(body.resource_server, 'auth.globus.org');
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 172800);
    assert.equal(body.refresh_token, null);
    assert.deepEqual(body.scope.split(' ').sort(), AUTH_SCOPES.split(' ').sort());
    assert.ok(body.id_token, 'openid requested → id_token');
    const others = Object.fromEntries(body.other_tokens.map((t: any) => [t.resource_server, t]));
    assert.deepEqual(Object.keys(others).sort(), [server.endpointId, 'groups.api.globus.org'].sort());
    assert.equal(others[server.endpointId].scope, manage, 'no bracketed dependencies in scope');
    assert.equal(new Set([body.access_token, ...body.other_tokens.map((t: any) => t.access_token)]).size, 3);

    const consents = await getJson(server, `/v2/api/identities/${client.id}/consents?all=True`, body.access_token);
    assert.equal(consents.status, 200);
    const root = consents.body.consents.find((c: any) => c.scope_name === manage);
    const dep = consents.body.consents.find((c: any) => c.scope_name === GROUPS_ALL && c.dependency_path.length === 2);
    assert.ok(root && dep, JSON.stringify(consents.body));
    assert.deepEqual(root.dependency_path, [root.id]);
    assert.deepEqual(dep.dependency_path, [root.id, dep.id]);
    assert.equal(dep.client, client.id);
    assert.equal(dep.effective_identity, client.id);
    for (const c of consents.body.consents) for (const k of ['created', 'updated', 'last_used']) assert.match(c[k], /^\d{4}-\d\d-\d\dT/);
  });

  it('accepts form credentials as well as Basic', async () => {
    const res = await postForm(server, '/v2/oauth2/token', {
      grant_type: 'client_credentials',
      scope: GROUPS_ALL,
      client_id: client.id,
      client_secret: client.secret,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.resource_server, 'groups.api.globus.org');
    assert.deepEqual(res.body.other_tokens, []);
    assert.equal(res.body.id_token, undefined);
  });

  it('refuses a wrong secret with 401 invalid_client', async () => {
    const res = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'client_credentials', scope: GROUPS_ALL },
      { authorization: basic(client.id, 'not-the-secret') },
    );
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal(res.body.errors[0].id, res.headers.get('x-request-id'));
  });

  it('issues tokens for the other Globus services the real clients ask for at login (Search, Timers, Flows, Compute), each for its resource server', async () => {
    const scope = [
      'urn:globus:auth:scope:search.api.globus.org:all',
      'https://auth.globus.org/scopes/524230d7-ea86-4a52-8312-86065a9e0417/timer[urn:globus:auth:scope:transfer.api.globus.org:all]',
      'https://auth.globus.org/scopes/eec9b274-0c81-4334-bdc2-54e90e689b9a/all',
      'https://auth.globus.org/scopes/facd7ccc-c5f4-42aa-916b-a0e270e2c2a9/all',
    ].join(' ');
    const res = await postForm(server, '/v2/oauth2/token', { grant_type: 'client_credentials', scope }, { authorization: basic(client.id, client.secret) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const servers = [res.body.resource_server, ...(res.body.other_tokens ?? []).map((t: any) => t.resource_server)].sort();
    assert.deepEqual(servers, ['524230d7-ea86-4a52-8312-86065a9e0417', 'flows.globus.org', 'funcx_service', 'search.api.globus.org']);
  });

  it('refuses unknown scopes, unknown grants and missing parameters with 400', async () => {
    const auth = { authorization: basic(client.id, client.secret) };
    const unknown = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'client_credentials', scope: 'urn:globus:auth:scope:nowhere.example.org:all' },
      auth,
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'invalid_scope');
    const unbalanced = await postForm(server, '/v2/oauth2/token', { grant_type: 'client_credentials', scope: `${GROUPS_ALL}[openid` }, auth);
    assert.equal(unbalanced.body.error, 'invalid_scope');
    const grant = await postForm(server, '/v2/oauth2/token', { grant_type: 'password' }, auth);
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, 'unsupported_grant_type');
    const missing = await postForm(server, '/v2/oauth2/token', {}, auth);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
  });

  it('revokes immediately: introspection then says inactive and resource servers refuse the token', async () => {
    const body = await clientCredentials(server, client, AUTH_SCOPES);
    const auth = { authorization: basic(client.id, client.secret) };
    const before = await postForm(server, '/v2/oauth2/token/introspect', { token: body.access_token, include: 'identity_set' }, auth);
    assert.equal(before.body.active, true);
    assert.equal(before.body.sub, client.id);
    assert.equal(before.body.client_id, client.id);
    assert.equal(before.body.username, `${client.id}@clients.auth.globus.org`);
    assert.deepEqual(before.body.identity_set, [client.id]);
    assert.ok(before.body.exp > before.body.iat);
    assert.equal((await getJson(server, '/v2/oauth2/userinfo', body.access_token)).status, 200);

    const revoked = await postForm(server, '/v2/oauth2/token/revoke', { token: body.access_token }, auth);
    assert.deepEqual(revoked.body, { active: false });
    const afterwards = await postForm(server, '/v2/oauth2/token/introspect', { token: body.access_token }, auth);
    assert.deepEqual(afterwards.body, { active: false });
    const refused = await getJson(server, '/v2/oauth2/userinfo', body.access_token);
    assert.equal(refused.status, 401);
  });

  it('does not introspect for a client that neither obtained the token nor serves it', async () => {
    const other = await makeClient(server, 'other');
    const body = await clientCredentials(server, client, GROUPS_ALL);
    const res = await postForm(server, '/v2/oauth2/token/introspect', { token: body.access_token }, { authorization: basic(other.id, other.secret) });
    assert.deepEqual(res.body, { active: false });
  });

  it('refuses an expired token', async () => {
    const body = await clientCredentials(server, client, AUTH_SCOPES);
    await server.store.db
      .updateTable('access_tokens')
      .set({ expires_at: Math.floor(Date.now() / 1000) - 1 })
      .execute();
    const res = await getJson(server, '/v2/api/identities?usernames=admin@localhost', body.access_token);
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].code, 'UNAUTHORIZED');
    const intro = await postForm(server, '/v2/oauth2/token/introspect', { token: body.access_token }, { authorization: basic(client.id, client.secret) });
    assert.deepEqual(intro.body, { active: false });
  });

  it('serves identities by username and id, case-insensitively, unknown ones absent', async () => {
    const { access_token } = await clientCredentials(server, client, AUTH_SCOPES);
    const byName = await getJson(server, `/v2/api/identities?usernames=ADMIN@localhost,nobody@localhost`, access_token);
    assert.equal(byName.status, 200);
    assert.equal(byName.body.identities.length, 1);
    const admin = byName.body.identities[0];
    assert.equal(admin.username, 'admin@localhost');
    assert.equal(admin.status, 'used');
    // A bare name is the local user's, as the login form takes it.
    const bare = await getJson(server, `/v2/api/identities?usernames=admin`, access_token);
    assert.deepEqual(
      bare.body.identities.map((i: any) => [i.id, i.username]),
      [[admin.id, 'admin@localhost']],
    );
    const byId = await getJson(server, `/v2/api/identities?ids=${admin.id},${client.id}`, access_token);
    assert.deepEqual(
      byId.body.identities.map((i: any) => i.id),
      [admin.id, client.id],
    );
    const one = await getJson(server, `/v2/api/identities/${client.id}`, access_token);
    assert.equal(one.body.identity.username, `${client.id}@clients.auth.globus.org`);
    const bad = await getJson(server, `/v2/api/identities?ids=not-a-uuid`, access_token);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'BAD_REQUEST');
  });

  it('publishes OIDC discovery and a JWKS whose key verifies id_tokens', async () => {
    const { createLocalJWKSet, jwtVerify } = await import('jose');
    const discovery = await getJson(server, '/.well-known/openid-configuration', undefined, { headers: { authorization: basic(client.id, client.secret) } });
    assert.equal(discovery.status, 200);
    assert.deepEqual(discovery.body.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = await server.fetch(discovery.body.jwks_uri).then((r) => r.json());
    const body = await clientCredentials(server, client, AUTH_SCOPES);
    const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(jwks as any), { audience: client.id, issuer: server.url });
    assert.equal(payload.sub, client.id);
  });
});

describe('token endpoint rate limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ tokenRateLimit: 5 });
  });
  after(() => server.stop());

  it('answers 429 with Retry-After in the OAuth error layout past the limit', async () => {
    const client = await makeClient(server, 'eager');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof postForm>> | undefined;
    for (let i = 0; i < 7; i++) {
      last = await postForm(
        server,
        '/v2/oauth2/token',
        { grant_type: 'client_credentials', scope: GROUPS_ALL },
        { authorization: basic(client.id, client.secret) },
      );
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.ok(Number(last!.headers.get('retry-after')) > 0);
    assert.equal(last!.body.error, 'too_many_requests');
  });
});

describe('dependent-token grant', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('a resource server exchanges a token it received for tokens of the consented dependencies', async () => {
    const rs = await makeClient(server, 'flows-like service');
    const portal = await makeClient(server, 'portal');
    const upstream = await clientCredentials(server, portal, `urn:globus:auth:scope:${rs.id}:all[${GROUPS_ALL}]`);
    assert.equal(upstream.resource_server, rs.id);
    const auth = { authorization: basic(rs.id, rs.secret) };
    const res = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'urn:globus:auth:grant_type:dependent_token', token: upstream.access_token, access_type: 'offline' },
      auth,
    );
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body), 'a bare array of token objects');
    assert.equal(res.body.length, 1);
    assert.equal(res.body[0].resource_server, 'groups.api.globus.org');
    assert.equal(res.body[0].scope, GROUPS_ALL);
    assert.ok(res.body[0].refresh_token, 'offline access gets a refresh token');
    const intro = await postForm(server, '/v2/oauth2/token/introspect', { token: res.body[0].access_token }, auth);
    assert.equal(intro.body.sub, portal.id, 'the dependent token acts for the original identity');

    const missing = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'urn:globus:auth:grant_type:dependent_token', token: upstream.access_token, scope: 'urn:globus:auth:scope:transfer.api.globus.org:all' },
      auth,
    );
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'dependent_consent_required');
    assert.equal(missing.body.errors[0].status, '400');
    assert.deepEqual(missing.body.errors[0].unapproved_scopes, ['urn:globus:auth:scope:transfer.api.globus.org:all']);

    const other = await postForm(
      server,
      '/v2/oauth2/token',
      { grant_type: 'urn:globus:auth:grant_type:dependent_token', token: upstream.access_token },
      { authorization: basic(portal.id, portal.secret) },
    );
    assert.equal(other.status, 400, 'only the token’s resource server may exchange it');
    assert.equal(other.body.error, 'invalid_grant');
  });
});
