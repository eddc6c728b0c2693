// Transfer endpoint lookup: records for the GCS endpoint, mapped and guest collections, and EndpointNotFound.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, dataAccess, grantRole, localName, makeActor, setupMapped, type Actor } from './helpers/gcs.ts';

describe(`Transfer endpoint lookup (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let mappedId: string;
  let gatewayId: string;
  let guestId: string;
  let transferToken: string;

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'admin');
    await grantRole(server, admin.id, 'administrator');
    ({ gatewayId, mappedId } = await setupMapped(server, admin));
    const maker = await makeActor(server, 'guest maker', dataAccess(mappedId));
    await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId, username: localName(maker) });
    const guest = await api(server, maker.token, 'POST', '/api/collections', {
      collection_type: 'guest',
      public: false,
      collection_base_path: '/',
      display_name: 'G',
      mapped_collection_id: mappedId,
    });
    guestId = guest.body.data[0].id;
    transferToken = (await clientCredentials(server, admin, 'urn:globus:auth:scope:transfer.api.globus.org:all')).access_token;
  });
  after(async () => {
    await server.stop();
  });

  test('the endpoint record', async () => {
    const res = await getJson(server, `/v0.10/endpoint/${server.endpointId}`, transferToken);
    assert.equal(res.status, 200);
    assert.equal(res.body.entity_type, 'GCSv5_endpoint');
    assert.equal(res.body.owner_id, server.endpointId);
    assert.match(res.body.gcs_manager_url, /^https:\/\//);
    assert.equal(res.body.non_functional, true);
  });

  test('mapped and guest collection records', async () => {
    const mapped = await getJson(server, `/v0.10/endpoint/${mappedId}`, transferToken);
    assert.equal(mapped.body.entity_type, 'GCSv5_mapped_collection');
    assert.equal(mapped.body.owner_id, server.endpointId);
    assert.equal(mapped.body.high_assurance, false);
    assert.equal(mapped.body.shareable, true);
    const guest = await getJson(server, `/v0.10/endpoint/${guestId.toUpperCase()}`, transferToken);
    assert.equal(guest.status, 200);
    assert.equal(guest.body.entity_type, 'GCSv5_guest_collection');
    assert.equal(guest.body.host_endpoint_id, mappedId);
    assert.equal(guest.body.canonical_name, `${server.endpointId}#${guestId}`);
  });

  test('unknown ids and invisible records are EndpointNotFound in the Transfer layout', async () => {
    const res = await getJson(server, '/v0.10/endpoint/00000000-0000-4000-8000-000000000000', transferToken);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'EndpointNotFound');
    assert.equal(res.body.resource, '/endpoint/00000000-0000-4000-8000-000000000000');
    assert.ok(res.body.request_id);
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: false })).status, 200);
    const stranger = await makeActor(server, 'stranger');
    const strangerToken = (await clientCredentials(server, stranger, 'urn:globus:auth:scope:transfer.api.globus.org:all')).access_token;
    assert.equal((await getJson(server, `/v0.10/endpoint/${guestId}`, strangerToken)).status, 404);
    assert.equal((await getJson(server, `/v0.10/endpoint/${guestId}`, transferToken)).status, 200);
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: true })).status, 200);
  });
});
