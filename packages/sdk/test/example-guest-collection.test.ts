// examples/create-guest-collection.ts run as a real child process against a fresh server an administrator has prepared.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenAuthorizer, CONNECTOR_IDS, GCSClient, MappedCollectionDocument, StorageGatewayDocument } from '../src/index.ts';
import { makeClient, startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { clientMappingGateway, grantRole, localName, makeActor, makeSubscription, tokenWith, type Actor } from '../../server/test/helpers/gcs.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const example = path.join(root, 'examples/create-guest-collection.ts');

describe(`examples/create-guest-collection.ts (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let sharer: { id: string; secret: string };
  let gatewayId: string;
  let mappedId: string;
  const gcs = (token: string) => new GCSClient(server.url, { authorizer: new AccessTokenAuthorizer(token), dispatcher: server.dispatcher, maxRetries: 0 });

  before(async () => {
    server = await startTestServer();
    // The endpoint owner's first act: make an administrator (the one grant that cannot go through the API).
    admin = await makeActor(server, 'site admin');
    await grantRole(server, admin.id, 'administrator');
    const api = gcs(admin.token);
    // Guest collections are a subscription feature: the admin, a subscription manager, subscribes the endpoint.
    await api.setEndpointSubscriptionId(await makeSubscription(server, admin));
    const { DATA_TYPE: _dt, ...gateway } = clientMappingGateway();
    gatewayId = (await api.createStorageGateway(new StorageGatewayDocument({ additionalFields: gateway, connectorId: CONNECTOR_IDS.POSIX }))).data.id;
    mappedId = (
      await api.createCollection(
        new MappedCollectionDocument({
          storageGatewayId: gatewayId,
          collectionBasePath: '/data',
          displayName: 'Project data',
          public: true,
          allowGuestCollections: true,
        }),
      )
    ).data.id;
    sharer = await makeClient(server, 'guest collection script');
  });
  after(async () => {
    await server.stop();
  });

  test('creates the user credential and the guest collection, and prints its id', async () => {
    const env = {
      ...process.env,
      GATEHOUSE_URL: server.url,
      GATEHOUSE_CA_FILE: server.caPath!,
      ENDPOINT_ID: server.endpointId,
      MAPPED_COLLECTION_ID: mappedId,
      STORAGE_GATEWAY_ID: gatewayId,
      CLIENT_ID: sharer.id,
      CLIENT_SECRET: sharer.secret,
      LOCAL_USERNAME: localName(sharer),
    };
    const run = await promisify(execFile)(process.execPath, [example], { env, cwd: root });
    const match = /^guest collection ([0-9a-f-]{36}) created$/m.exec(run.stdout);
    assert.ok(match, `unexpected output: ${run.stdout}${run.stderr}`);
    const guestId = match[1];

    const guest = (await gcs(admin.token).getCollection(guestId)).data;
    assert.equal(guest.collection_type, 'guest');
    assert.equal(guest.display_name, 'guest_collection');
    assert.equal(guest.mapped_collection_id, mappedId);
    assert.equal(guest.storage_gateway_id, gatewayId);
    assert.equal(guest.identity_id, sharer.id);
    assert.equal(guest.public, true);
    assert.equal(guest.collection_base_path, '/');

    // The credential the script made is the one the guest collection uses.
    const own = gcs(await tokenWith(server, { ...sharer, token: '', username: '' }));
    const credentials = await own.getUserCredentialList({ storageGateway: gatewayId }).toArray();
    assert.deepEqual(
      credentials.map((c) => [c.username, c.identity_id]),
      [[localName(sharer), sharer.id]],
    );
    assert.equal(guest.user_credential_id, credentials[0].id);

    // A second run meets the existing credential (409) and still creates a new guest collection.
    const again = await promisify(execFile)(process.execPath, [example], { env, cwd: root });
    const second = /^guest collection ([0-9a-f-]{36}) created$/m.exec(again.stdout);
    assert.ok(second && second[1] !== guestId);
  });
});
