// Marker paging through GCSClient.getCollectionList over 250 collections: every one exactly once, whatever the page size.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenAuthorizer, CONNECTOR_IDS, GCSClient, MappedCollectionDocument, StorageGatewayDocument } from '../src/index.ts';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { grantRole, makeActor } from '../../server/test/helpers/gcs.ts';

const COUNT = 250;

describe(`GCSClient marker paging (${storeName})`, () => {
  let server: TestServer;
  let client: GCSClient;
  const created: string[] = [];

  before(async () => {
    server = await startTestServer();
    const admin = await makeActor(server, 'paging admin');
    await grantRole(server, admin.id, 'administrator');
    client = new GCSClient(server.url, { authorizer: new AccessTokenAuthorizer(admin.token), dispatcher: server.dispatcher, maxRetries: 0 });
    const gatewayId = (await client.createStorageGateway(new StorageGatewayDocument({ displayName: 'FS', connectorId: CONNECTOR_IDS.POSIX, root: '/' }))).data
      .id;
    // In batches, so the server sees real concurrency without one request per collection at once.
    for (let start = 0; start < COUNT; start += 25) {
      const batch = Array.from({ length: Math.min(25, COUNT - start) }, (_, i) =>
        client.createCollection(
          new MappedCollectionDocument({ storageGatewayId: gatewayId, collectionBasePath: `/data/${start + i}`, displayName: `c${start + i}`, public: true }),
        ),
      );
      for (const response of await Promise.all(batch)) created.push(response.data.id);
    }
  });
  after(async () => {
    await server.stop();
  });

  for (const pageSize of [100, 7, 1000]) {
    test(`page_size ${pageSize}: the iterator yields each collection once, pages follow has_next_page`, async () => {
      const seen: string[] = [];
      for await (const collection of client.getCollectionList({ pageSize })) seen.push(collection.id);
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      assert.deepEqual([...seen].sort(), [...created].sort(), 'no gaps');

      let pages = 0;
      for await (const page of client.getCollectionList({ pageSize }).pages()) {
        pages++;
        assert.ok(page.data.length <= pageSize);
        assert.equal(page.has_next_page, pages < Math.ceil(COUNT / pageSize));
      }
      assert.equal(pages, Math.ceil(COUNT / pageSize));
    });
  }

  test('a walk resumes from a marker, and maxPages stops early', async () => {
    const first = await client.getCollectionList({ pageSize: 100, maxPages: 1 }).pages().next();
    assert.ok(!first.done && first.value.has_next_page && typeof first.value.marker === 'string');
    const head = first.value.data.map((c) => c.id as string);
    const rest = (await client.getCollectionList({ pageSize: 100, marker: first.value.marker! }).toArray()).map((c) => c.id);
    assert.equal(rest.length, COUNT - 100);
    assert.deepEqual([...head, ...rest].sort(), [...created].sort());
    assert.equal((await client.getCollectionList({ pageSize: 30, maxPages: 2 }).toArray()).length, 60);
  });
});
