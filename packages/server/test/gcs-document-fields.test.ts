// Stored GCS documents keep only their own fields, bounded in size: unknown input fields are accepted, never stored, never shown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeName, type TestServer } from './helpers/server.ts';
import { api, dataAccess, makeActor, startGcsWorld, type Actor } from './helpers/gcs.ts';
import { MAX_DOCUMENT_BYTES, MAX_OPEN_OBJECT_BYTES } from '../src/gcs/documents/request.ts';

/** Fields no GCS document has: a large one (the probe's was 3.9 MB) and an object. */
const JUNK = { junk_field: 'x'.repeat(1024 * 1024), another_junk: { nested: ['a'] } };
const JUNK_NAMES = Object.keys(JUNK);

function assertNoJunk(doc: Record<string, unknown>, label: string) {
  for (const f of JUNK_NAMES) assert.equal(doc[f], undefined, `${label} carries ${f}`);
}

describe(`GCS documents keep only their own fields (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;

  before(async () => {
    ({ server, admin, gatewayId, mappedId } = await startGcsWorld());
  });
  after(async () => server?.stop());

  const storedDocument = async (table: 'collections' | 'storage_gateways' | 'gcs_nodes' | 'user_credentials' | 'endpoints', id: string) =>
    JSON.parse((await server.store.db.selectFrom(table).select('document').where('id', '=', id).executeTakeFirstOrThrow()).document) as Record<string, unknown>;

  test('collections: unknown fields are dropped on create and update, and shown to no one', async () => {
    const created = await api(server, admin.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.16.0',
      collection_type: 'mapped',
      display_name: 'junk',
      storage_gateway_id: gatewayId,
      collection_base_path: '/junk',
      public: true,
      ...JUNK,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 500));
    const id = created.body.data[0].id;
    assertNoJunk(created.body.data[0], 'create answer');
    const patched = await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { description: 'known', ...JUNK });
    assert.equal(patched.status, 200);
    assertNoJunk(patched.body.data[0], 'patch answer');
    assert.equal(patched.body.data[0].description, 'known');
    assertNoJunk(await storedDocument('collections', id), 'stored collection');
    const anonymous = await api(server, undefined, 'GET', '/api/collections');
    assert.equal(anonymous.status, 200);
    for (const doc of anonymous.body.data) assertNoJunk(doc, 'anonymous list');
  });

  test('collections: what an earlier version stored beside the document is not shown', async () => {
    const row = await server.store.db.selectFrom('collections').select('document').where('id', '=', mappedId).executeTakeFirstOrThrow();
    await server.store.db
      .updateTable('collections')
      .set({ document: JSON.stringify({ ...JSON.parse(row.document), junk_field: 'stored long ago' }) })
      .where('id', '=', mappedId)
      .execute();
    for (const token of [undefined, admin.token]) {
      assertNoJunk((await api(server, token, 'GET', `/api/collections/${mappedId}`)).body.data[0], 'one collection');
      for (const doc of (await api(server, token, 'GET', '/api/collections')).body.data) assertNoJunk(doc, 'list');
    }
  });

  test('collections: open objects and the whole document are bounded in size', async () => {
    const bigPolicy = await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, {
      associated_flow_policy: { transfer: { note: 'x'.repeat(MAX_OPEN_OBJECT_BYTES) } },
    });
    assert.equal(bigPolicy.status, 422, JSON.stringify(bigPolicy.body).slice(0, 300));
    assert.match(JSON.stringify(bigPolicy.body.detail), /associated_flow_policy/);
    // Each list is within its schema (1000 names of ≤1024 characters); together they pass the document's bound.
    const long = Array.from({ length: 1000 }, (_, i) => `${i}-${'u'.repeat(1000)}`);
    assert.ok(2 * JSON.stringify(long).length > MAX_DOCUMENT_BYTES);
    const bigDocument = await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { sharing_users_allow: long, sharing_users_deny: long });
    assert.equal(bigDocument.status, 422, JSON.stringify(bigDocument.body).slice(0, 300));
    assert.match(JSON.stringify(bigDocument.body.detail), /larger than/);
    const doc = (await api(server, admin.token, 'GET', `/api/collections/${mappedId}?include=private_policies`)).body.data[0];
    assert.notDeepEqual(doc.sharing_users_allow, long);
    assert.equal(doc.associated_flow_policy, null);
  });

  test('storage gateways, nodes and user credentials: unknown fields are dropped', async () => {
    const gateway = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { display_name: 'renamed', ...JUNK });
    assert.equal(gateway.status, 200);
    assertNoJunk(gateway.body.data[0], 'gateway answer');
    assertNoJunk(await storedDocument('storage_gateways', gatewayId), 'stored gateway');
    const created = await api(server, admin.token, 'POST', '/api/storage_gateways', {
      display_name: 'second',
      connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b',
      ...JUNK,
    });
    assert.equal(created.status, 201);
    assertNoJunk(await storedDocument('storage_gateways', created.body.data[0].id), 'stored new gateway');

    const node = await api(server, admin.token, 'POST', '/api/nodes', { ip_addresses: ['10.0.0.1'], status: 'active', ...JUNK });
    assert.equal(node.status, 200);
    assertNoJunk(node.body.data[0], 'node answer');
    assertNoJunk(await storedDocument('gcs_nodes', node.body.data[0].id), 'stored node');

    const user = await makeActor(server, 'credential owner', dataAccess(mappedId));
    const credential = await api(server, user.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId, ...JUNK });
    assert.equal(credential.status, 201, JSON.stringify(credential.body).slice(0, 300));
    const credentialId = credential.body.data[0].id;
    const updated = await api(server, user.token, 'PATCH', `/api/user_credentials/${credentialId}`, { display_name: 'mine', ...JUNK });
    assert.equal(updated.status, 200, JSON.stringify(updated.body).slice(0, 300));
    assertNoJunk(updated.body.data[0], 'credential answer');
    assertNoJunk(await storedDocument('user_credentials', credentialId), 'stored credential');
  });

  test('the endpoint and roles: unknown fields are dropped', async () => {
    const endpoint = await api(server, admin.token, 'PATCH', '/api/endpoint?include=endpoint', { description: 'e', ...JUNK });
    assert.equal(endpoint.status, 200);
    assertNoJunk(endpoint.body.data[0], 'endpoint answer');
    assertNoJunk(await storedDocument('endpoints', server.endpointId), 'stored endpoint');
    const role = await api(server, admin.token, 'POST', '/api/roles', { principal: `urn:globus:auth:identity:${admin.id}`, role: 'activity_monitor', ...JUNK });
    assert.equal(role.status, 200, JSON.stringify(role.body).slice(0, 300));
    assertNoJunk(role.body.data[0], 'role answer');
  });
});
