// Fuzz: garbage to every Auth route (and to methods none has) gets a 4xx in Auth's error layout, never a 5xx, and writes nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, makeClient, basic, storeName, type TestServer } from './helpers/server.ts';

const TABLES = ['identities', 'clients', 'grants', 'access_tokens', 'refresh_tokens', 'authorization_codes', 'consents', 'login_sessions'] as const;

describe(`Auth fuzz (${storeName})`, () => {
  let server: TestServer;
  let client: { id: string; secret: string };
  before(async () => {
    server = await startTestServer();
    client = await makeClient(server, 'fuzz');
  });
  after(() => server.stop());

  async function counts() {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const row = await server.store.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(row.n);
    }
    return out;
  }

  const fieldName = fc.oneof(
    fc.constantFrom(
      'grant_type',
      'scope',
      'code',
      'redirect_uri',
      'code_verifier',
      'refresh_token',
      'token',
      'client_id',
      'client_secret',
      'include',
      'access_type',
    ),
    fc.string({ maxLength: 20 }),
  );
  const fieldValue = fc.oneof(
    fc.constantFrom(
      'client_credentials',
      'authorization_code',
      'refresh_token',
      'urn:globus:auth:grant_type:dependent_token',
      'openid',
      'a[b',
      ']',
      '*',
      '',
      'True',
      '00000000-0000-4000-8000-000000000000',
    ),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
  );
  const form = fc.dictionary(fieldName, fieldValue, { maxKeys: 6 });
  const route = fc.constantFrom(
    '/v2/oauth2/token',
    '/v2/oauth2/token/introspect',
    '/v2/oauth2/token/revoke',
    '/v2/oauth2/token/validate',
    '/v2/oauth2/authorize',
    '/v2/api/clients',
  );
  const contentType = fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=UTF-8',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  );
  const authHeader = fc.oneof(
    fc.constant(undefined),
    fc.constant('bad'),
    fc.constant('Basic !!!'),
    fc.string({ maxLength: 40 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
    fc.constant('__valid__'),
    fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
  );
  // Also JSON nested far past the parser's bound, and forms repeating a field.
  const deepJson = fc.integer({ min: 65, max: 20_000 }).map((d) => `{"grant_type":${'['.repeat(d)}${']'.repeat(d)}}`);
  const repeated = fc
    .tuple(fieldName, fc.array(fieldValue, { minLength: 2, maxLength: 3 }))
    .map(([k, vs]) => vs.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
  const rawBody = fc.oneof(
    form.map((f) => new URLSearchParams(f).toString()),
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    deepJson,
    repeated,
  );

  it('POST routes: 4xx with an Auth error body or a 2xx, never 5xx; failures change no row', async () => {
    const before = await counts();
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(route, contentType, authHeader, rawBody, async (path, type, auth, body) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (auth === '__valid__') headers.authorization = basic(client.id, client.secret);
        else if (auth) headers.authorization = auth.replace(/[^\x20-\x7e]/g, '');
        const res = await server.fetch(`${server.url}${path}`, { method: 'POST', headers, body });
        const text = await res.text();
        assert.ok(res.status < 500, `${path} answered ${res.status}: ${text}`);
        if (res.status >= 400) {
          failures++;
          if (path !== '/v2/oauth2/authorize' || !res.headers.get('content-type')?.startsWith('text/html')) {
            const parsed = JSON.parse(text);
            assert.equal(typeof parsed.error, 'string', text);
            assert.equal(parsed.errors[0].status, String(res.status));
          }
        }
      }),
      { numRuns: 400 },
    );
    assert.ok(failures > 300, 'the generator mostly produces bad requests');
    // Successful garbage may only have issued tokens; nothing else may have been written.
    const afterwards = await counts();
    for (const t of ['identities', 'clients', 'authorization_codes', 'login_sessions'] as const) assert.equal(afterwards[t], before[t], t);
  });

  it('/v2/api/policies: garbage bodies, ids and tokens get 4xx in the Auth layout or a 2xx; rows change only by successes', async () => {
    const scope = 'urn:globus:auth:scope:auth.globus.org:manage_projects';
    const token = async (s: string) =>
      (
        (await (
          await server.fetch(`${server.url}/v2/oauth2/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.id, client.secret) },
            body: new URLSearchParams({ grant_type: 'client_credentials', scope: s }).toString(),
          })
        ).json()) as { access_token: string }
      ).access_token;
    const manage = await token(scope);
    const plain = await token('openid');
    const existing = await server.fetch(`${server.url}/v2/api/policies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' },
      body: JSON.stringify({ policy: { display_name: 'fuzz', description: '' } }),
    });
    const existingId = ((await existing.json()) as { policy: { id: string } }).policy.id;
    const policyCount = async () =>
      Number(
        (
          await server.store.db
            .selectFrom('auth_policies')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await policyCount();
    let created = 0;
    let deleted = 0;
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(null), fc.string({ maxLength: 20 }), fc.integer());
    const policy = fc.record(
      {
        display_name: maybe(fc.string({ maxLength: 300 })),
        description: maybe(fc.string({ maxLength: 50 })),
        project_id: maybe(fc.uuid()),
        high_assurance: maybe(fc.boolean()),
        required_mfa: maybe(fc.boolean()),
        authentication_assurance_timeout: maybe(fc.integer({ min: -5, max: 1e6 })),
        domain_constraints_include: maybe(
          fc.array(fc.oneof(fc.constantFrom('uni.edu', '*.edu', '*', 'a..b', '-x.org', ''), fc.string({ maxLength: 30 })), { maxLength: 4 }),
        ),
        domain_constraints_exclude: maybe(fc.array(fc.constantFrom('uni.edu', '*.org', 'x_y.org'), { maxLength: 3 })),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record({ policy }).map((b) => JSON.stringify(b)),
      fc.json({ maxDepth: 3 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    const ids = fc.constantFrom(existingId, 'not-a-uuid', '00000000-0000-4000-8000-000000000000', '%00', existingId.toUpperCase());
    const route = fc.oneof(
      fc.constantFrom(['GET', '/v2/api/policies'], ['POST', '/v2/api/policies']),
      fc.tuple(
        fc.constantFrom('GET', 'PUT', 'DELETE'),
        ids.map((id) => `/v2/api/policies/${id}`),
      ),
    );
    const bearer = fc.constantFrom(manage, manage, plain, 'garbage', undefined);
    await fc.assert(
      fc.asyncProperty(route, bearer, body, contentType, async ([m, p], t, b, type) => {
        const headers: Record<string, string> = {};
        if (t) headers.authorization = `Bearer ${t}`;
        if (type) headers['content-type'] = type;
        const res = await server.fetch(`${server.url}${p}`, { method: m, headers, body: m === 'GET' ? undefined : b });
        const text = await res.text();
        assert.ok(res.status < 500, `${m} ${p} answered ${res.status}: ${text}`);
        if (res.status === 201) created++;
        if (m === 'DELETE' && res.status === 200) deleted++;
        if (res.status >= 400) {
          const parsed = JSON.parse(text);
          assert.equal(typeof parsed.error, 'string', text);
          assert.equal(parsed.errors[0].status, String(res.status));
        }
      }),
      { numRuns: 400 },
    );
    assert.equal(await policyCount(), before + created - deleted);
  });

  it('methods no route has, with any body: the 404 in the Auth layout, whatever the body or its media type', async () => {
    const unrouted = fc.constantFrom(
      ['PATCH', '/v2/api/identities'],
      ['POST', '/v2/api/identities'],
      ['DELETE', '/v2/api/clients'],
      ['PATCH', `/v2/api/policies/00000000-0000-4000-8000-000000000000`],
      ['PUT', '/v2/api/nothing-here'],
      ['DELETE', '/v2/oauth2/token'],
      ['PUT', '/v2/oauth2/token/introspect'],
      ['PATCH', '/v2/oauth2/authorize'],
      ['DELETE', '/v2/web/auth-code'],
    );
    // Media types the JSON and form parsers take, none, no parser at all, and one that does not parse as a media type.
    const anyType = fc.oneof(contentType, fc.constantFrom('application/json; charset=utf-8', 'application/json;;', '/', 'application/json\t x'));
    const anyBody = fc.oneof(rawBody, fc.constantFrom('{', '{"a":', '[1,]', '\u0000', 'null'));
    await fc.assert(
      fc.asyncProperty(unrouted, anyType, authHeader, anyBody, async ([method, path], type, auth, body) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (auth === '__valid__') headers.authorization = basic(client.id, client.secret);
        else if (auth) headers.authorization = auth.replace(/[^\x20-\x7e]/g, '');
        const res = await server.fetch(`${server.url}${path}`, { method, headers, body });
        const text = await res.text();
        assert.equal(res.status, 404, `${method} ${path} (${type}) answered ${res.status}: ${text}`);
        const parsed = JSON.parse(text);
        assert.equal(parsed.error, 'not_found', text);
        assert.equal(parsed.errors[0].status, '404', text);
        assert.equal(parsed.errors[0].code.toLowerCase(), 'not_found', text);
        assert.equal(parsed.errors[0].id, res.headers.get('x-request-id'));
      }),
      { numRuns: 300 },
    );
  });

  it('GET routes with garbage query strings: 4xx, never 5xx', async () => {
    const getRoute = fc.constantFrom(
      '/v2/oauth2/authorize',
      '/v2/api/identities',
      '/v2/api/identities/x',
      `/v2/api/identities/${client.id}/consents`,
      '/v2/oauth2/userinfo',
      '/v2/web/auth-code',
    );
    const query = fc.dictionary(
      fc.constantFrom('client_id', 'redirect_uri', 'scope', 'ids', 'usernames', 'all', 'code_challenge', 'code_challenge_method', 'response_type', 'state'),
      fieldValue,
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(getRoute, query, authHeader, async (path, q, auth) => {
        const headers: Record<string, string> = {};
        if (auth && auth !== '__valid__') headers.authorization = auth.replace(/[^\x20-\x7e]/g, '');
        const res = await server.fetch(`${server.url}${path}?${new URLSearchParams(q)}`, { headers });
        const text = await res.text();
        assert.ok(res.status < 500, `${path} answered ${res.status}: ${text}`);
      }),
      { numRuns: 300 },
    );
  });
});
