// The role × route matrix of spec gcs-manager-api.md §5 on a private endpoint: each actor either succeeds or gets missing_required_role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, grantRole, makeActor, setupMapped, type Actor } from './helpers/gcs.ts';

type ActorName = 'owner' | 'admin' | 'monitor' | 'collAdmin' | 'accessManager' | 'nobody';
const ACTORS: ActorName[] = ['owner', 'admin', 'monitor', 'collAdmin', 'accessManager', 'nobody'];

describe(`GCS authorization matrix (${storeName})`, () => {
  let server: TestServer;
  const actors = {} as Record<ActorName, Actor>;
  let gatewayId: string;
  let mappedId: string;
  let n = 0;

  before(async () => {
    server = await startTestServer();
    for (const name of ACTORS) actors[name] = await makeActor(server, name);
    await grantRole(server, actors.owner.id, 'owner');
    await grantRole(server, actors.admin.id, 'administrator');
    await grantRole(server, actors.monitor.id, 'activity_monitor');
    // Only example.org identities pass this gateway, so no client is a storage-gateway-allowed user.
    ({ gatewayId, mappedId } = await setupMapped(server, actors.admin, {}, { allowed_domains: ['example.org'] }));
    await grantRole(server, actors.collAdmin.id, 'administrator', mappedId);
    await grantRole(server, actors.accessManager.id, 'access_manager', mappedId);
    const priv = await api(server, actors.admin.token, 'PATCH', '/api/endpoint', { public: false });
    assert.equal(priv.status, 200);
  });
  after(async () => {
    await server.stop();
  });

  const unique = () => `x${++n}`;
  const cases: Array<{ name: string; allowed: ActorName[]; call: (a: Actor) => [string, string, unknown?] }> = [
    { name: 'GET endpoint', allowed: ['owner', 'admin', 'monitor', 'collAdmin', 'accessManager'], call: () => ['GET', '/api/endpoint'] },
    { name: 'PATCH endpoint', allowed: ['owner', 'admin'], call: () => ['PATCH', '/api/endpoint', { description: unique() }] },
    { name: 'GET nodes', allowed: ['owner', 'admin', 'monitor', 'collAdmin', 'accessManager'], call: () => ['GET', '/api/nodes'] },
    { name: 'POST node', allowed: ['owner', 'admin'], call: () => ['POST', '/api/nodes', { ip_addresses: ['10.0.0.9'], status: 'inactive' }] },
    {
      name: 'GET storage gateway',
      allowed: ['owner', 'admin', 'monitor', 'collAdmin', 'accessManager'],
      call: () => ['GET', `/api/storage_gateways/${gatewayId}`],
    },
    {
      name: 'POST storage gateway',
      allowed: ['owner', 'admin'],
      call: () => ['POST', '/api/storage_gateways', { display_name: unique(), connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b' }],
    },
    { name: 'PATCH storage gateway', allowed: ['owner', 'admin'], call: () => ['PATCH', `/api/storage_gateways/${gatewayId}`, { display_name: unique() }] },
    {
      name: 'POST endpoint role',
      allowed: ['admin'],
      call: () => ['POST', '/api/roles', { principal: `urn:globus:groups:id:${crypto.randomUUID()}`, role: 'activity_monitor' }],
    },
    {
      name: 'POST mapped collection role',
      allowed: ['admin', 'collAdmin'],
      call: () => ['POST', '/api/roles', { collection: mappedId, principal: `urn:globus:auth:identity:${crypto.randomUUID()}`, role: 'access_manager' }],
    },
    { name: 'GET roles all_roles (endpoint)', allowed: ['admin'], call: () => ['GET', '/api/roles?include=all_roles'] },
    {
      name: 'GET roles all_roles (collection)',
      allowed: ['admin', 'collAdmin'],
      call: () => ['GET', `/api/roles?collection_id=${mappedId}&include=all_roles`],
    },
    {
      name: 'POST mapped collection',
      allowed: ['owner', 'admin'],
      call: () => [
        'POST',
        '/api/collections',
        { collection_type: 'mapped', display_name: unique(), storage_gateway_id: gatewayId, collection_base_path: '/m', public: true },
      ],
    },
    {
      name: 'GET mapped collection',
      allowed: ['owner', 'admin', 'monitor', 'collAdmin', 'accessManager'],
      call: () => ['GET', `/api/collections/${mappedId}`],
    },
    {
      name: 'PATCH mapped collection',
      allowed: ['owner', 'admin', 'collAdmin'],
      call: () => ['PATCH', `/api/collections/${mappedId}`, { description: unique() }],
    },
    { name: 'GET sharing policies', allowed: ['owner', 'admin', 'collAdmin'], call: () => ['GET', `/api/sharing_policies?collection_id=${mappedId}`] },
    {
      name: 'POST sharing policy',
      allowed: ['owner', 'admin', 'collAdmin'],
      call: () => ['POST', '/api/sharing_policies', { collection_id: mappedId, sharing_restrict_paths: { read: ['/'] } }],
    },
    { name: 'GET collections check', allowed: ['owner', 'admin', 'collAdmin'], call: () => ['GET', '/api/collections/check'] },
    { name: 'GET collection check', allowed: ['owner', 'admin', 'collAdmin'], call: () => ['GET', `/api/collections/${mappedId}/check`] },
    {
      name: 'PUT endpoint owner_string',
      allowed: ['admin'],
      call: (a) => ['PUT', '/api/endpoint/owner_string', { DATA_TYPE: 'owner_string#1.0.0', identity_id: a.id }],
    },
    { name: 'DELETE endpoint owner_string', allowed: ['admin'], call: () => ['DELETE', '/api/endpoint/owner_string'] },
    {
      name: 'PUT endpoint domain',
      allowed: ['admin'],
      call: () => ['PUT', '/api/endpoint/domain', { DATA_TYPE: 'domain#1.0.0', domain_name: `${unique()}.example.org`, wildcard: true }],
    },
    {
      name: 'PUT collection domain',
      allowed: ['admin'],
      call: () => ['PUT', `/api/collections/${mappedId}/domain`, { domain_name: `${unique()}.example.org`, wildcard: false }],
    },
    // The mapped collection's creator (admin) holds its administrator role too.
    {
      name: 'PUT collection owner_string',
      allowed: ['admin', 'collAdmin'],
      call: (a) => ['PUT', `/api/collections/${mappedId}/owner_string`, { identity_id: a.id }],
    },
    { name: 'DELETE collection owner_string', allowed: ['owner', 'admin', 'collAdmin'], call: () => ['DELETE', `/api/collections/${mappedId}/owner_string`] },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      for (const name of ACTORS) {
        const [method, path, body] = c.call(actors[name]);
        const res = await api(server, actors[name].token, method, path, body);
        if (c.allowed.includes(name)) {
          assert.ok(res.status >= 200 && res.status < 300, `${name}: expected success, got ${res.status} ${JSON.stringify(res.body)}`);
        } else {
          assert.equal(res.status, 403, `${name}: expected 403, got ${res.status}`);
          assert.equal(res.body.code, 'permission_denied');
          assert.equal(res.body.detail.DATA_TYPE, 'missing_required_role#1.0.0');
          assert.ok(res.body.detail.roles.length > 0);
        }
      }
    });
  }

  test('roles list without all_roles shows only the caller’s own roles', async () => {
    const res = await api(server, actors.monitor.token, 'GET', '/api/roles');
    assert.deepEqual(
      res.body.data.map((r: any) => r.role),
      ['activity_monitor'],
    );
  });

  test('unknown role ids answer 403, not 404', async () => {
    const res = await api(server, actors.admin.token, 'GET', `/api/roles/${crypto.randomUUID()}`);
    assert.equal(res.status, 403);
  });
});
