// Fuzz: schema-shaped garbage at the Manager API answers 4xx in the GCS envelope, never 500, and changes no row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getJson, storeName, type TestServer } from './helpers/server.ts';
import { api, type Actor, startGcsWorld } from './helpers/gcs.ts';
import { MAX_JSON_DEPTH } from '../src/http/json-body.ts';

const TABLES = ['endpoints', 'gcs_roles', 'storage_gateways', 'collections', 'user_credentials', 'sharing_policies', 'gcs_nodes'] as const;

/** Values no schema field accepts once coerced: objects, and arrays of several mixed items. */
const wrong = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }),
  fc.tuple(fc.object({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })).map(([a, b]) => [a, b]),
);

describe(`GCS fuzz (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;

  before(async () => {
    ({ server, admin, gatewayId, mappedId } = await startGcsWorld('admin'));
  });
  after(async () => {
    await server.stop();
  });

  async function snapshot(): Promise<string> {
    const parts: unknown[] = [];
    for (const t of TABLES) parts.push(await server.store.db.selectFrom(t).selectAll().orderBy('id').execute());
    return JSON.stringify(parts);
  }

  function assertEnvelope4xx(res: { status: number; body: any }, label: string) {
    assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.http_response_code, res.status);
    assert.match(res.body.DATA_TYPE, /^result#1\.[01]\.0$/);
    assert.equal(typeof res.body.code, 'string');
    assert.deepEqual(res.body.data, []);
  }

  const routes = (): Array<{ method: string; path: () => string; base: Record<string, unknown>; fields: string[] }> => [
    {
      method: 'POST',
      path: () => '/api/collections',
      base: { collection_type: 'mapped', display_name: 'f', storage_gateway_id: gatewayId, collection_base_path: '/f', public: true },
      fields: [
        'collection_type',
        'display_name',
        'storage_gateway_id',
        'collection_base_path',
        'public',
        'sharing_restrict_paths',
        'https_methods',
        'keywords',
        'enable_https',
      ],
    },
    {
      method: 'PATCH',
      path: () => `/api/collections/${mappedId}`,
      base: { description: 'd' },
      fields: ['display_name', 'public', 'sharing_users_allow', 'sharing_restrict_paths', 'delete_protected', 'acl_expiration_mins'],
    },
    {
      method: 'POST',
      path: () => '/api/storage_gateways',
      base: { display_name: 'g', connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b' },
      fields: ['display_name', 'connector_id', 'allowed_domains', 'identity_mappings', 'restrict_paths', 'users_allow', 'high_assurance'],
    },
    {
      method: 'PATCH',
      path: () => '/api/endpoint',
      base: { description: 'e' },
      fields: ['display_name', 'public', 'network_use', 'keywords', 'max_concurrency', 'subscription_id'],
    },
    {
      method: 'POST',
      path: () => '/api/roles',
      base: { principal: `urn:globus:auth:identity:${admin.id}`, role: 'activity_manager' },
      fields: ['principal', 'role', 'collection'],
    },
    {
      method: 'POST',
      path: () => '/api/user_credentials',
      base: { storage_gateway_id: gatewayId },
      fields: ['storage_gateway_id', 'identity_id', 'username', 'policies'],
    },
    {
      method: 'POST',
      path: () => '/api/sharing_policies',
      base: { collection_id: mappedId, sharing_restrict_paths: { read: ['/'] } },
      fields: ['collection_id', 'sharing_restrict_paths', 'users'],
    },
    {
      method: 'POST',
      path: () => '/api/nodes',
      base: { ip_addresses: ['10.0.0.1'], status: 'active' },
      fields: ['ip_addresses', 'status', 'incoming_port_range'],
    },
  ];

  test('one corrupted field in an otherwise valid body', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...route.fields), wrong, async (field, value) => {
          const res = await api(server, admin.token, route.method, route.path(), { ...route.base, [field]: value });
          assertEnvelope4xx(res, `${route.method} ${route.path()} ${field}=${JSON.stringify(value)}`);
        }),
        { numRuns: 25 },
      );
    }
    assert.equal(await snapshot(), before);
  });

  test('arbitrary JSON bodies, ids and query strings', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'POST /api/collections',
          'PUT /api/collections/ID',
          'POST /api/roles',
          'PUT /api/storage_gateways/ID',
          'POST /api/sharing_policies',
          'PUT /api/endpoint',
          'PUT /api/endpoint/owner',
        ),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null)),
        fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })),
        async (route, body, id) => {
          const [method, path] = route.split(' ');
          const target = path.replace('ID', encodeURIComponent(id));
          // Bodies that happen to be valid documents may legitimately succeed; only garbage must fail.
          const res = await api(server, admin.token, method, target, body);
          if (res.status < 400) assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), JSON.stringify(body));
          else assertEnvelope4xx(res, `${route} ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 60 }),
        fc.constantFrom('/api/collections', '/api/roles', '/api/storage_gateways', '/api/user_credentials', '/api/sharing_policies', '/api/nodes'),
        async (query, path) => {
          const res = await api(server, admin.token, 'GET', `${path}?${query}`);
          assert.ok(res.status < 500, `${path}?${query}: ${res.status}`);
          assert.equal(res.body.http_response_code, res.status);
        },
      ),
      { numRuns: 60 },
    );
    assert.equal(await snapshot(), before);
  });

  test('bodies nested past the JSON bound and repeated query parameters: 4xx in the envelope, no row changed', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes()),
        fc.integer({ min: MAX_JSON_DEPTH + 1, max: 20_000 }),
        fc.constantFrom('[', '{"a":'),
        async (route, depth, open) => {
          const close = open === '[' ? ']' : '}';
          const field = route.fields[depth % route.fields.length];
          const body = `{"${field}":${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}}`;
          const res = await getJson(server, route.path(), admin.token, { method: route.method, body, headers: { 'content-type': 'application/json' } });
          assertEnvelope4xx(res, `${route.method} ${route.path()} ${field} nested ${depth}`);
          assert.equal(res.status, 400);
        },
      ),
      { numRuns: 20 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('mapped_collection_id', 'storage_gateway_id', 'page_size', 'marker', 'collection_id', 'storage_gateway'),
        fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 4 }),
        fc.constantFrom('/api/collections', '/api/roles', '/api/storage_gateways', '/api/user_credentials', '/api/nodes', '/api/endpoint', '/api/info'),
        async (name, values, path) => {
          const query = values.map((v) => `${name}=${encodeURIComponent(v)}`).join('&');
          const res = await api(server, admin.token, 'GET', `${path}?${query}`);
          assert.ok(res.status < 500, `${path}?${query}: ${res.status}`);
          assert.equal(res.body.http_response_code, res.status);
        },
      ),
      { numRuns: 40 },
    );
    assert.equal(await snapshot(), before);
  });

  test('malformed JSON is 400 and other media types 415, in the envelope', async () => {
    const broken = await getJson(server, '/api/collections', admin.token, { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } });
    assertEnvelope4xx(broken, 'broken json');
    assert.equal(broken.status, 400);
    const form = await getJson(server, '/api/collections', admin.token, { method: 'POST', body: 'a=b', headers: { 'content-type': 'text/plain' } });
    assertEnvelope4xx(form, 'text/plain');
    assert.equal(form.status, 415);
    const unknown = await getJson(server, '/api/nope', admin.token);
    assertEnvelope4xx(unknown, 'unknown route');
  });
});
