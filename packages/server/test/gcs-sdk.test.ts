// The seed-000 flow and sharing policies driven by @globus/sdk's GCS functions against a real server.
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gcs, request } from '@globus/sdk';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { POSIX, clientMappingGateway, dataAccess, grantRole, localName, makeActor, subscribeEndpoint, tokenWith, type Actor } from './helpers/gcs.ts';

describe(`GCS Manager API through @globus/sdk (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let config: { host: string; endpoint_id: string };
  let sdkOptions: any;
  const body = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
  const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'sdk admin');
    await grantRole(server, admin.id, 'administrator');
    await subscribeEndpoint(server, admin);
    config = { host: server.url, endpoint_id: server.endpointId };
    sdkOptions = { fetch: { options: { agent: new https.Agent({ ca: server.ca }) } } };
  });
  after(async () => {
    await server.stop();
  });

  test('info, gateway, mapped collection, credential, guest collection, sharing policy', async () => {
    const info = await body(gcs.versioning.info({ host: server.url }, {}, sdkOptions));
    assert.equal(info.data[0].client_id, server.endpointId);

    const sg = await gcs.storageGateways.create(config, { payload: clientMappingGateway() as any, ...auth(admin.token) }, sdkOptions);
    assert.equal(sg.status, 201);
    const gatewayId = (await body(sg)).data[0].id;
    const mapped = await gcs.collections.create(
      config,
      {
        payload: {
          DATA_TYPE: 'collection#1.13.0',
          collection_type: 'mapped',
          display_name: 'SDK mapped',
          storage_gateway_id: gatewayId,
          collection_base_path: '/data',
          public: true,
          allow_guest_collections: true,
          connector_id: POSIX,
        } as any,
        ...auth(admin.token),
      },
      sdkOptions,
    );
    assert.equal(mapped.status, 201);
    const mappedId = (await body(mapped)).data[0].id;

    const client = await makeActor(server, 'sdk guest maker');
    const token = await tokenWith(server, client, dataAccess(mappedId));
    const cred = await gcs.userCredentials.create(
      config,
      {
        payload: { DATA_TYPE: 'user_credential#1.0.0', storage_gateway_id: gatewayId, identity_id: client.id, username: localName(client) } as any,
        ...auth(token),
      },
      sdkOptions,
    );
    assert.equal(cred.status, 201);
    const guest = await gcs.collections.create(
      config,
      {
        payload: {
          DATA_TYPE: 'collection#1.0.0',
          collection_type: 'guest',
          public: true,
          collection_base_path: '/',
          display_name: 'sdk guest',
          mapped_collection_id: mappedId,
        } as any,
        ...auth(token),
      },
      sdkOptions,
    );
    assert.equal(guest.status, 201);
    const guestId = (await body(guest)).data[0].id;
    const got = await body(gcs.collections.get(config, guestId, auth(token), sdkOptions));
    assert.equal(got.data[0].mapped_collection_id, mappedId);

    const listed = await body(gcs.collections.getAll(config, { query: { filter: 'created_by_me' } as any, ...auth(token) }, sdkOptions));
    assert.deepEqual(
      listed.data.map((c: any) => c.id),
      [guestId],
    );

    const policy = await request(
      { service: config, path: '/api/sharing_policies', method: 'POST' as any },
      {
        payload: { DATA_TYPE: 'sharing_policy#1.0.0', collection_id: mappedId, sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read: ['/'] } },
        ...auth(admin.token),
      },
      sdkOptions,
    );
    assert.equal(policy.status, 201);
    const policies = await body(
      request({ service: config, path: '/api/sharing_policies' }, { query: { collection_id: mappedId }, ...auth(admin.token) }, sdkOptions),
    );
    assert.equal(policies.data.length, 1);

    const roles = await body(gcs.roles.getAll(config, { query: { collection_id: guestId } as any, ...auth(token) }, sdkOptions));
    assert.equal(roles.data[0].principal, `urn:globus:auth:identity:${client.id}`);
  });
});
