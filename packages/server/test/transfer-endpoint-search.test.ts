// GET /v0.10/endpoint_search: full text, scopes, filters, paging and errors — driven raw, by our SDK, @globus/sdk, the Python SDK and `globus endpoint search`.
import https from 'node:https';
import { ENDPOINT_SEARCH_SCOPES } from '@gatehouse/sdk';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { transfer as globusTransfer } from '@globus/sdk';
import fc from 'fast-check';
import { getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, makeActor, type Actor } from './helpers/gcs.ts';
import { setupGuest, transferToken } from './transfer-access-helpers.ts';
import { clientHome, globusCli, globusEnv, python, realClientsSkip } from './helpers/real-clients.ts';
import { TransferClient } from '../../sdk/src/transfer/client.ts';
import { AccessTokenAuthorizer } from '../../sdk/src/authorizers/access-token.ts';
import { TransferAPIError } from '../../sdk/src/core/errors.ts';

const ALL_ROLES = ['administrator', 'access_manager', 'activity_manager', 'activity_monitor'];

describe(`Transfer endpoint search (${storeName})`, () => {
  let server: TestServer;
  let root: string;
  let admin: Actor;
  let maker: Actor;
  let friend: Actor;
  let stranger: Actor;
  let mappedId: string;
  let guestId: string;
  const tokens = new Map<string, string>();
  const token = async (actor: Actor) => tokens.get(actor.id) ?? (tokens.set(actor.id, await transferToken(server, actor)), tokens.get(actor.id)!);
  const search = async (actor: Actor | undefined, query: Record<string, string>) =>
    getJson(server, `/v0.10/endpoint_search?${new URLSearchParams(query)}`, actor ? await token(actor) : undefined);
  const ids = (res: { body: any }) => (res.body.DATA as Array<{ id: string }>).map((r) => r.id);

  before(async () => {
    server = await startTestServer();
    ({ root, admin, maker, mappedId, guestId } = await setupGuest(server, {
      mappedExtra: { display_name: 'Genomics Datasets', description: 'Sequencing runs of the lab', keywords: ['dna', 'sequencer'] },
    }));
    assert.equal((await api(server, maker.token, 'PATCH', `/api/collections/${guestId}`, { display_name: 'Shared Tutorial Results' })).status, 200);
    friend = await makeActor(server, 'friend');
    stranger = await makeActor(server, 'stranger');
    const rule = await getJson(server, `/v0.10/endpoint/${guestId}/access`, await transferToken(server, maker), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ DATA_TYPE: 'access', principal_type: 'identity', principal: friend.id, path: '/', permissions: 'r' }),
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
  });
  after(async () => {
    await server?.stop();
  });

  test('full text: prefixes of words, plurals, every term ANDed, across fields; the search fields beside the record', async () => {
    for (const text of ['genomic', 'GENOMICS dataset', 'sequencing runs', 'dna', 'lab sequencers']) {
      const res = await search(stranger, { filter_fulltext: text });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(ids(res), [mappedId], text);
    }
    assert.deepEqual(ids(await search(stranger, { filter_fulltext: 'genomics nothing' })), []);
    const res = await search(admin, { filter_fulltext: 'genomics' });
    assert.equal(res.body.DATA_TYPE, 'endpoint_list');
    assert.equal(res.body.has_next_page, false);
    assert.equal(res.body.offset, 0);
    const [record] = res.body.DATA;
    assert.equal(record.DATA_TYPE, 'endpoint');
    assert.equal(record.entity_type, 'GCSv5_mapped_collection');
    assert.equal(record.owner_id, server.endpointId);
    assert.equal(record.non_functional_endpoint_id, server.endpointId);
    assert.equal(typeof record._rank, 'number');
    assert.ok(record._rank > 0);
    assert.deepEqual(record.my_effective_roles, ALL_ROLES);
    assert.match(record.tlsftp_server, /^tlsftp:\/\/[^:/]+:443$/);
    // The same document as the endpoint lookup, plus the search fields.
    const lookup = await getJson(server, `/v0.10/endpoint/${mappedId}`, await token(admin));
    for (const [k, v] of Object.entries(lookup.body)) assert.deepEqual(record[k], v, k);
    assert.deepEqual((await search(stranger, { filter_fulltext: 'genomics' })).body.DATA[0].my_effective_roles, []);
  });

  test('the display name outranks the description', async () => {
    await api(server, admin.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'mapped',
      display_name: 'Archive',
      description: 'old genomics material',
      storage_gateway_id: (await getJson(server, `/api/collections/${mappedId}`, admin.token)).body.data[0].storage_gateway_id,
      collection_base_path: root,
      public: true,
    });
    const res = await search(stranger, { filter_fulltext: 'genomics' });
    assert.equal(res.body.DATA.length, 2);
    assert.equal(res.body.DATA[0].id, mappedId);
    assert.ok(res.body.DATA[0]._rank > res.body.DATA[1]._rank);
  });

  test('scopes: all, my-endpoints, shared-by-me, shared-with-me, administered-by-me, hide-no-permissions, my-gcp-endpoints', async () => {
    // A private guest: its creator and administrators find it, a stranger does not, a rule holder through shared-with-me.
    assert.deepEqual(ids(await search(maker, { filter_fulltext: 'tutorial' })), [guestId]);
    assert.deepEqual(ids(await search(admin, { filter_fulltext: 'tutorial' })), [guestId]);
    assert.deepEqual(ids(await search(stranger, { filter_fulltext: 'tutorial' })), []);
    assert.deepEqual(ids(await search(friend, { filter_fulltext: 'tutorial' })), []);
    assert.deepEqual(ids(await search(friend, { filter_scope: 'shared-with-me' })), [guestId]);
    assert.deepEqual(ids(await search(friend, { filter_scope: 'shared-with-me', filter_fulltext: 'genomics' })), []);
    assert.deepEqual(ids(await search(stranger, { filter_scope: 'shared-with-me' })), []);
    assert.deepEqual(ids(await search(maker, { filter_scope: 'shared-with-me' })), [], "the creator's own guest is not shared with it");
    assert.deepEqual(ids(await search(maker, { filter_scope: 'my-endpoints' })), [guestId]);
    assert.deepEqual(ids(await search(maker, { filter_scope: 'shared-by-me' })), [guestId]);
    assert.deepEqual(ids(await search(admin, { filter_scope: 'shared-by-me' })), [guestId], 'administrators of a guest share it too');
    assert.deepEqual(ids(await search(stranger, { filter_scope: 'shared-by-me' })), []);
    const administered = ids(await search(admin, { filter_scope: 'administered-by-me', limit: '100' }));
    assert.ok(administered.includes(server.endpointId) && administered.includes(mappedId) && administered.includes(guestId));
    assert.deepEqual(ids(await search(stranger, { filter_scope: 'administered-by-me' })), []);
    assert.deepEqual(ids(await search(friend, { filter_scope: 'hide-no-permissions', filter_fulltext: 'tutorial' })), [guestId]);
    assert.deepEqual(ids(await search(admin, { filter_scope: 'my-gcp-endpoints' })), []);
    assert.deepEqual(ids(await search(maker, { filter_scope: 'in-use' })), []);
    assert.deepEqual(ids(await search(maker, { filter_scope: 'recently-used' })), []);
  });

  test('filters: entity type, non-functional, host endpoint, owner, fields', async () => {
    const q = { filter_scope: 'administered-by-me', limit: '100' };
    assert.deepEqual(ids(await search(admin, { ...q, filter_entity_type: 'GCSv5_endpoint' })), [server.endpointId]);
    assert.deepEqual(ids(await search(admin, { ...q, filter_non_functional: 'True' })), [server.endpointId]);
    assert.ok(!ids(await search(admin, { ...q, filter_non_functional: '0' })).includes(server.endpointId));
    assert.deepEqual(ids(await search(admin, { ...q, filter_entity_type: 'GCSv5_guest_collection' })), [guestId]);
    assert.deepEqual(ids(await search(admin, { ...q, filter_entity_type: 'GCP_mapped_collection' })), []);
    assert.deepEqual(ids(await search(admin, { ...q, filter_host_endpoint: mappedId })), [guestId]);
    const hosted = ids(await search(admin, { ...q, filter_host_endpoint: server.endpointId }));
    assert.ok(hosted.includes(mappedId) && hosted.includes(guestId) && !hosted.includes(server.endpointId));
    assert.deepEqual(ids(await search(admin, { ...q, filter_owner_id: maker.id })), [guestId]);
    const endpointOwned = ids(await search(admin, { ...q, filter_owner_id: server.endpointId }));
    assert.ok(endpointOwned.includes(mappedId) && endpointOwned.includes(guestId), 'the Transfer owner of GCSv5 collections is the endpoint');
    const fields = await search(admin, { filter_fulltext: 'genomics datasets', fields: 'id,display_name' });
    assert.deepEqual(fields.body.DATA, [{ DATA_TYPE: 'endpoint', id: mappedId, display_name: 'Genomics Datasets' }]);
  });

  test('errors are ClientError.BadRequest in the Transfer layout; an unknown host endpoint is EndpointNotFound; no token is ClientError.AuthenticationFailed', async () => {
    const bad: Array<Record<string, string>> = [
      {},
      { filter_scope: 'all' },
      { filter_scope: 'everything', filter_fulltext: 'x' },
      { filter_scope: 'my-endpoints', filter_owner_id: maker.id },
      { filter_scope: 'shared-by-me', filter_owner_id: maker.id },
      { filter_fulltext: 'x', filter_owner_id: 'not-a-uuid' },
      { filter_fulltext: 'x', filter_non_functional: '1', filter_entity_type: 'GCSv5_endpoint' },
      { filter_fulltext: 'x', filter_non_functional: 'maybe' },
      { filter_fulltext: 'x', filter_entity_type: 'gcsv5_endpoint' },
      { filter_fulltext: 'x', limit: '101' },
      { filter_fulltext: 'x', limit: '0' },
      { filter_fulltext: 'x', limit: 'ten' },
      { filter_fulltext: 'x', offset: '950', limit: '100' },
      { filter_fulltext: 'x', filter_host_endpoint: guestId },
    ];
    for (const query of bad) {
      const res = await search(admin, query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.equal(res.body.code, 'ClientError.BadRequest', JSON.stringify(query));
      assert.equal(res.body.resource, '/endpoint_search');
      assert.ok(res.body.request_id);
    }
    const unknown = await search(admin, { filter_fulltext: 'x', filter_host_endpoint: '00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'EndpointNotFound');
    const anonymous = await search(undefined, { filter_fulltext: 'x' });
    assert.equal(anonymous.status, 401);
    // The code globus-cli keys its login hint on.
    assert.equal(anonymous.body.code, 'ClientError.AuthenticationFailed');
    // A repeated parameter fails the schema: still Transfer's 400.
    const repeated = await getJson(server, '/v0.10/endpoint_search?filter_fulltext=a&filter_fulltext=b', await token(admin));
    assert.equal(repeated.status, 400);
    assert.equal(repeated.body.code, 'ClientError.BadRequest');
  });

  test('fuzz: any mix of parameters is a 200 page, a 400 ClientError.BadRequest or a 404 EndpointNotFound — never a 5xx', async () => {
    const scopes = [...ENDPOINT_SEARCH_SCOPES];
    const ids = [server.endpointId, mappedId, guestId, '00000000-0000-4000-8000-000000000000'];
    const garbage = fc.string({ maxLength: 12 });
    const param = {
      filter_fulltext: fc.oneof(fc.constantFrom('genomics', 'tut*', 'the', '', '  ', 'ü ß', '%'), garbage),
      filter_scope: fc.oneof(fc.constantFrom(...scopes), garbage),
      filter_owner_id: fc.oneof(fc.constantFrom(...ids, maker.id), garbage),
      filter_host_endpoint: fc.oneof(fc.constantFrom(...ids), garbage),
      filter_non_functional: fc.constantFrom('1', '0', 'True', 'false', 'yes', ''),
      filter_entity_type: fc.oneof(fc.constantFrom('GCSv5_endpoint', 'GCSv5_guest_collection', 'GCP_mapped_collection'), garbage),
      limit: fc.oneof(fc.integer({ min: -5, max: 150 }).map(String), garbage),
      offset: fc.oneof(fc.integer({ min: -5, max: 1200 }).map(String), garbage),
      fields: fc.constantFrom('id', 'id,display_name', '', ',,', 'nope'),
    };
    await fc.assert(
      fc.asyncProperty(fc.record(param, { requiredKeys: [] }), async (query) => {
        const res = await search(admin, query as Record<string, string>);
        assert.ok([200, 400, 404].includes(res.status), `${res.status} for ${JSON.stringify(query)}: ${JSON.stringify(res.body)}`);
        if (res.status === 200) assert.equal(typeof res.body.has_next_page, 'boolean');
        if (res.status === 400) assert.equal(res.body.code, 'ClientError.BadRequest');
        if (res.status === 404) assert.equal(res.body.code, 'EndpointNotFound');
      }),
      { numRuns: 150 },
    );
  });

  test('offset paging with has_next_page, stable pages; our SDK walks them all', async () => {
    const gateway = (await getJson(server, `/api/collections/${mappedId}`, admin.token)).body.data[0].storage_gateway_id;
    for (let i = 0; i < 5; i++) {
      const res = await api(server, admin.token, 'POST', '/api/collections', {
        DATA_TYPE: 'collection#1.2.0',
        collection_type: 'mapped',
        display_name: `Bulk store ${i}`,
        storage_gateway_id: gateway,
        collection_base_path: root,
        public: true,
      });
      assert.equal(res.status, 201);
    }
    const pages = [];
    for (let offset = 0; offset < 6; offset += 2) pages.push(await search(stranger, { filter_fulltext: 'bulk', limit: '2', offset: String(offset) }));
    assert.deepEqual(
      pages.map((p) => [p.body.DATA.length, p.body.has_next_page, p.body.limit, p.body.offset]),
      [
        [2, true, 2, 0],
        [2, true, 2, 2],
        [1, false, 2, 4],
      ],
    );
    const walked = pages.flatMap(ids);
    assert.equal(new Set(walked).size, 5);

    const sdk = new TransferClient({
      baseUrl: server.url,
      authorizer: new AccessTokenAuthorizer(await token(stranger)),
      dispatcher: server.dispatcher,
      maxRetries: 0,
    });
    const all = await sdk.paginateEndpointSearch('bulk', { limit: 2 }).toArray();
    assert.deepEqual(
      all.map((r) => r.id),
      walked,
    );
    const one = await sdk.endpointSearch('genomics datasets', { filterEntityType: 'GCSv5_mapped_collection' });
    assert.deepEqual(
      one.DATA.map((r) => r.id),
      [mappedId],
    );
    await assert.rejects(
      sdk.endpointSearch(undefined, { filterScope: 'all' }),
      (e: unknown) => e instanceof TransferAPIError && e.code === 'ClientError.BadRequest',
    );
  });

  test('@globus/sdk transfer.endpointSearch', async () => {
    const agent = new https.Agent({ ca: server.ca });
    const previous = process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = `${server.url}/`;
    try {
      const res = await globusTransfer.endpointSearch(
        { query: { filter_fulltext: 'genomics datasets', filter_scope: 'all' }, headers: { Authorization: `Bearer ${await token(friend)}` } },
        { fetch: { options: { agent } } } as any,
      );
      assert.equal(res.status, 200);
      const body = (await res.json()) as any;
      assert.equal(body.has_next_page, false);
      assert.deepEqual(
        body.DATA.map((r: any) => r.id),
        [mappedId],
      );
    } finally {
      if (previous === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER;
      else process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = previous;
      agent.destroy();
    }
  });

  describe('the real Python SDK and globus-cli', { skip: realClientsSkip }, () => {
    test('TransferClient.endpoint_search and paginated.endpoint_search', async () => {
      const { home, cleanup } = clientHome();
      try {
        const script = `
import json, sys, globus_sdk
tc = globus_sdk.TransferClient(authorizer=globus_sdk.AccessTokenAuthorizer(sys.argv[1]))
one = tc.endpoint_search("genomics datasets", filter_scope="all")
paged = [ep["id"] for ep in tc.paginated.endpoint_search("bulk").items()]
shared = [ep["id"] for ep in tc.endpoint_search(filter_scope="shared-with-me")]
try:
    tc.endpoint_search(filter_scope="all")
    refused = None
except globus_sdk.TransferAPIError as e:
    refused = [e.http_status, e.code]
print(json.dumps({"one": [ep["id"] for ep in one], "has_next_page": one["has_next_page"], "paged": paged, "shared": shared, "refused": refused}))
`;
        const run = await python(script, globusEnv(server, home), [await token(friend)]);
        assert.equal(run.code, 0, run.stderr);
        const out = JSON.parse(run.stdout);
        assert.deepEqual(out.one, [mappedId]);
        assert.equal(out.has_next_page, false);
        assert.equal(out.paged.length, 5);
        assert.deepEqual(out.shared, [guestId]);
        assert.deepEqual(out.refused, [400, 'ClientError.BadRequest']);
      } finally {
        cleanup();
      }
    });

    test('`globus endpoint search` (client credentials): JSON and the text table with the Domain column', async () => {
      const { home, cleanup } = clientHome();
      try {
        const env = globusEnv(server, home, friend);
        const json = await globusCli(['endpoint', 'search', 'Genomics Datasets', '-F', 'json'], env);
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(
          JSON.parse(json.stdout).DATA.map((r: any) => r.id),
          [mappedId],
        );
        const text = await globusCli(['endpoint', 'search', '--filter-scope', 'shared-with-me'], env);
        assert.equal(text.code, 0, text.stderr);
        const row = text.stdout.split('\n').find((l) => l.startsWith(guestId));
        assert.ok(row, text.stdout);
        assert.match(row, /Shared Tutorial Results/);
        const record = (await search(friend, { filter_scope: 'shared-with-me' })).body.DATA[0];
        // The CLI's Domain column: the host of tlsftp_server.
        assert.ok(row.includes(record.tlsftp_server.slice('tlsftp://'.length).split(':')[0]), row);
        const limited = await globusCli(['endpoint', 'search', 'bulk', '--limit', '2', '-F', 'json'], env);
        assert.equal(JSON.parse(limited.stdout).DATA.length, 2);
        assert.match(limited.stderr, /More results were available/);
        const usage = await globusCli(['endpoint', 'search'], env);
        assert.notEqual(usage.code, 0);
      } finally {
        cleanup();
      }
    });
  });
});
