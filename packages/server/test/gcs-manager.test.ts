// GCS Manager API end to end: info, endpoint, gateways, credentials, collections (the seed-000 guest flow), sharing policies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, storeName, type TestServer } from './helpers/server.ts';
import { api, dataAccess, localName, makeActor, tokenWith, type Actor, startGcsWorld } from './helpers/gcs.ts';

describe(`GCS Manager API (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;

  before(async () => {
    ({ server, admin, gatewayId, mappedId } = await startGcsWorld('ep admin'));
  });
  after(async () => {
    await server.stop();
  });

  test('GET /api/info needs no token and names the endpoint client', async () => {
    const res = await getJson(server, '/api/info');
    assert.equal(res.status, 200);
    assert.equal(res.body.DATA_TYPE, 'result#1.1.0');
    const info = res.body.data.find((d: any) => d.DATA_TYPE.startsWith('info#'));
    assert.equal(info.client_id, server.endpointId);
    assert.equal(info.endpoint_id, server.endpointId);
    assert.ok(res.body.data.some((d: any) => d.DATA_TYPE === 'connector#1.1.0' && d.display_name === 'POSIX'));
  });

  test('missing or wrong-scope tokens are 401 not_authorized in the GCS envelope', async () => {
    const anon = await api(server, undefined, 'PATCH', '/api/endpoint', { display_name: 'x' });
    assert.equal(anon.status, 401);
    assert.equal(anon.body.code, 'not_authorized');
    assert.equal(anon.body.http_response_code, 401);
    assert.ok(anon.body.request_id);
    const bad = await api(server, 'not-a-token', 'GET', '/api/endpoint');
    assert.equal(bad.status, 401);
    assert.equal(bad.body.DATA_TYPE, 'result#1.0.0');
  });

  test('endpoint PATCH merges, explicit null resets, include=endpoint returns it', async () => {
    const res = await api(server, admin.token, 'PATCH', '/api/endpoint?include=endpoint', {
      DATA_TYPE: 'endpoint#1.0.0',
      description: 'hello',
      keywords: ['a'],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data[0].description, 'hello');
    assert.equal(res.body.data[0].DATA_TYPE, 'endpoint#1.2.0');
    assert.equal(res.body.data[0].gcs_manager_url, server.url.replace('127.0.0.1', new URL(res.body.data[0].gcs_manager_url).hostname));
    const cleared = await api(server, admin.token, 'PATCH', '/api/endpoint', { description: null });
    assert.equal(cleared.body.data.length, 0);
    assert.match(cleared.body.message, /Updated endpoint/);
    const got = await api(server, admin.token, 'GET', '/api/endpoint');
    assert.equal(got.body.data[0].description, null);
    assert.deepEqual(got.body.data[0].keywords, ['a']);
  });

  test('storage gateway private policies need include=private_policies and an admin role', async () => {
    const pub = await api(server, admin.token, 'GET', `/api/storage_gateways/${gatewayId}`);
    assert.equal(pub.status, 200);
    assert.equal(pub.body.data[0].identity_mappings, undefined);
    const priv = await api(server, admin.token, 'GET', `/api/storage_gateways/${gatewayId}?include=private_policies`);
    assert.equal(priv.body.data[0].identity_mappings.length, 1);
    assert.equal(priv.body.data[0].DATA_TYPE, 'storage_gateway#1.3.0');
  });

  test('gateway validation: bad mapping expression and relative restrict_paths are 422', async () => {
    const bad = await api(server, admin.token, 'POST', '/api/storage_gateways', {
      display_name: 'bad',
      connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b',
      identity_mappings: [{ DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings: [{ source: '{username}', match: '*x', output: 'y' }] }],
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.detail.DATA_TYPE, 'invalid_input#1.0.0');
    const rel = await api(server, admin.token, 'POST', '/api/storage_gateways', {
      display_name: 'bad',
      connector_id: '145812c8-decc-41f1-83cf-bb2a85a2a70b',
      restrict_paths: { read: ['data'] },
    });
    assert.equal(rel.status, 422);
  });

  test('a gateway root other than / is refused, pointing to restrict_paths: it would look like a confinement it is not', async () => {
    const POSIX = '145812c8-decc-41f1-83cf-bb2a85a2a70b';
    const rooted = await api(server, admin.token, 'POST', '/api/storage_gateways', { display_name: 'rooted', connector_id: POSIX, root: '/srv/data' });
    assert.equal(rooted.status, 422, JSON.stringify(rooted.body));
    assert.match(JSON.stringify(rooted.body), /root \\"\/srv\/data\\" is not applied .*restrict_paths/);
    const slash = await api(server, admin.token, 'POST', '/api/storage_gateways', { display_name: 'slash', connector_id: POSIX, root: '/' });
    assert.equal(slash.status, 201, JSON.stringify(slash.body));
    const id = slash.body.data[0].id as string;
    const later = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${id}`, { root: '/home' });
    assert.equal(later.status, 422);
    const confined = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${id}`, {
      restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/srv/data'] },
    });
    assert.equal(confined.status, 200, JSON.stringify(confined.body));
  });

  test('seed 000: a client identity creates its credential and a guest collection with the data_access dependency', async () => {
    const client = await makeActor(server, 'guest maker', dataAccess(mappedId));
    const cred = await api(server, client.token, 'POST', '/api/user_credentials', {
      DATA_TYPE: 'user_credential#1.0.0',
      storage_gateway_id: gatewayId,
      identity_id: client.id,
      username: localName(client),
    });
    assert.equal(cred.status, 201, JSON.stringify(cred.body));
    assert.equal(cred.body.data[0].username, localName(client));
    const again = await api(server, client.token, 'POST', '/api/user_credentials', {
      storage_gateway_id: gatewayId,
      identity_id: client.id,
      username: localName(client),
    });
    assert.equal(again.status, 409);
    const guest = await api(server, client.token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.0.0',
      collection_type: 'guest',
      public: 'True',
      collection_base_path: '/',
      display_name: 'guest_collection',
      mapped_collection_id: mappedId,
    });
    assert.equal(guest.status, 201, JSON.stringify(guest.body));
    const doc = guest.body.data[0];
    assert.equal(doc.collection_type, 'guest');
    assert.equal(doc.identity_id, client.id);
    assert.equal(doc.user_credential_id, cred.body.data[0].id);
    assert.equal(doc.public, true);
    assert.match(doc.domain_name, /^g-[0-9a-f]{6}\./);
    const roles = await api(server, client.token, 'GET', `/api/roles?collection_id=${doc.id}`);
    assert.deepEqual(
      roles.body.data.map((r: any) => r.role),
      ['administrator'],
    );
    // The creator role cannot be deleted.
    const del = await api(server, client.token, 'DELETE', `/api/roles/${roles.body.data[0].id}`);
    assert.equal(del.status, 409);
  });

  test('guest creation without the data_access consent is a 403 carrying authorization_parameters', async () => {
    const client = await makeActor(server, 'no consent');
    await api(server, client.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    const res = await api(server, client.token, 'POST', '/api/collections', {
      collection_type: 'guest',
      public: true,
      collection_base_path: '/',
      display_name: 'g',
      mapped_collection_id: mappedId,
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.DATA_TYPE, 'result#1.1.0');
    assert.equal(res.body.detail.DATA_TYPE, 'missing_required_scopes#1.0.0');
    assert.deepEqual(res.body.authorization_parameters.required_scopes, [
      `urn:globus:auth:scope:${server.endpointId}:manage_collections[${dataAccess(mappedId)}]`,
    ]);
  });

  test('guest-creation checks: unknown mapped, no credential, foreign identity, sharing denial, unshareable path', async () => {
    const client = await makeActor(server, 'checker', dataAccess(mappedId));
    const base = { collection_type: 'guest', public: true, collection_base_path: '/', display_name: 'g', mapped_collection_id: mappedId };
    const unknown = await api(server, client.token, 'POST', '/api/collections', { ...base, mapped_collection_id: '00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.body.detail.DATA_TYPE, 'collection_not_found#1.0.0');
    const nocred = await api(server, client.token, 'POST', '/api/collections', base);
    assert.equal(nocred.status, 403);
    assert.equal(nocred.body.detail.DATA_TYPE, 'credential_not_found#1.0.0');
    assert.equal(nocred.body.detail.accounts[0].username, localName(client));
    const foreign = await api(server, client.token, 'POST', '/api/collections', { ...base, identity_id: admin.id });
    assert.equal(foreign.body.detail.DATA_TYPE, 'id_not_in_identity_set#1.0.0');
    assert.equal((await api(server, client.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 201);
    const badUser = await api(server, client.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId, username: 'root' });
    assert.equal(badUser.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
    // Deny this account sharing, then allow it again.
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { sharing_users_deny: [localName(client)] })).status, 200);
    const denied = await api(server, client.token, 'POST', '/api/collections', base);
    assert.equal(denied.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
    assert.equal(
      (
        await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, {
          sharing_users_deny: null,
          sharing_restrict_paths: { read_write: ['/projects'], none: ['/projects/secret'] },
        })
      ).status,
      200,
    );
    const outside = await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/other' });
    assert.equal(outside.status, 403);
    const secret = await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/projects/secret/x' });
    assert.equal(secret.status, 403);
    const escape = await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/../etc' });
    assert.equal(escape.status, 422);
    const ok = await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/projects/p1' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.data[0].root_path, undefined, 'guest root_path hidden from a non-admin of the mapped collection');
    const adminView = await api(server, admin.token, 'GET', `/api/collections/${ok.body.data[0].id}`);
    assert.equal(adminView.body.data[0].root_path, '/data/projects/p1');
    assert.deepEqual(adminView.body.data[0].sharing_restrict_paths.read_write, ['/data/projects']);
    // A sharing policy for this user narrows further.
    const pol = await api(server, admin.token, 'POST', '/api/sharing_policies', {
      DATA_TYPE: 'sharing_policy#1.0.0',
      collection_id: mappedId,
      users: [localName(client)],
      sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/projects/p2'] },
    });
    assert.equal(pol.status, 201);
    const narrowed = await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/projects/p1' });
    assert.equal(narrowed.status, 403);
    assert.equal((await api(server, client.token, 'POST', '/api/collections', { ...base, collection_base_path: '/projects/p2/x' })).status, 201);
    assert.equal((await api(server, admin.token, 'DELETE', `/api/sharing_policies/${pol.body.data[0].id}`)).status, 200);
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { sharing_restrict_paths: null })).status, 200);
  });

  test('sharing policies: list by collection and username, get, 404 after delete', async () => {
    const mk = (users: string[] | null) =>
      api(server, admin.token, 'POST', '/api/sharing_policies', { collection_id: mappedId, users, sharing_restrict_paths: { read: ['/'] } });
    const a = await mk(['alice']);
    const all = await mk(null);
    const list = await api(server, admin.token, 'GET', `/api/sharing_policies?collection_id=${mappedId}&username=bob`);
    assert.deepEqual(
      list.body.data.map((p: any) => p.id),
      [all.body.data[0].id],
    );
    const missing = await api(server, admin.token, 'GET', '/api/sharing_policies');
    assert.ok(missing.status === 400 || missing.status === 422);
    assert.equal((await api(server, admin.token, 'GET', `/api/sharing_policies/${a.body.data[0].id}`)).body.data[0].users[0], 'alice');
    for (const p of [a, all]) assert.equal((await api(server, admin.token, 'DELETE', `/api/sharing_policies/${p.body.data[0].id}`)).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/sharing_policies/${a.body.data[0].id}`)).status, 404);
  });

  test('collection list filters and exact paging', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await api(server, admin.token, 'POST', '/api/collections', {
        collection_type: 'mapped',
        display_name: `m${i}`,
        storage_gateway_id: gatewayId,
        collection_base_path: `/d${i}`,
        public: false,
      });
      assert.equal(r.status, 201);
    }
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await api(server, admin.token, 'GET', `/api/collections?filter=mapped_collections&page_size=3${marker ? `&marker=${marker}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 3);
      seen.push(...page.body.data.map((c: any) => c.id));
      marker = page.body.has_next_page ? page.body.marker : undefined;
    } while (marker);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(seen.length, 8);
    const guests = await api(server, admin.token, 'GET', `/api/collections?filter=guest_collections&mapped_collection_id=${mappedId}`);
    assert.ok(guests.body.data.every((c: any) => c.collection_type === 'guest'));
    const bad = await api(server, admin.token, 'GET', '/api/collections?marker=garbage');
    assert.equal(bad.status, 400);
  });

  test('collection update: immutable fields are 422, null resets, DELETE honours delete_protected', async () => {
    const created = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'tmp',
      storage_gateway_id: gatewayId,
      collection_base_path: '/tmp',
      public: true,
    });
    const id = created.body.data[0].id;
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { collection_base_path: '/else' })).status, 422);
    assert.equal(
      (await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { DATA_TYPE: 'collection#1.1.0', collection_type: 'mapped', description: 'x' })).body
        .data[0].description,
      'x',
    );
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { collection_type: 'guest' })).status, 422);
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { DATA_TYPE: 'endpoint#1.0.0' })).status, 422);
    assert.equal((await api(server, admin.token, 'DELETE', `/api/collections/${id}`)).status, 409);
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { delete_protected: false })).status, 200);
    assert.equal((await api(server, admin.token, 'DELETE', `/api/collections/${id}`)).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${id}`)).status, 404);
  });

  test('collection ids are Auth resource servers with data_access and https scopes', async () => {
    const client = await makeActor(server, 'scoper');
    const res = await getJson(server, '/v2/oauth2/token', undefined, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: `https://auth.globus.org/scopes/${mappedId}/https` }).toString(),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.resource_server, mappedId);
    assert.ok(await tokenWith(server, client, dataAccess(mappedId)));
  });

  test('user credentials: list own, another caller cannot read them', async () => {
    const a = await makeActor(server, 'cred a');
    const b = await makeActor(server, 'cred b');
    const created = await api(server, a.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    assert.equal(created.status, 201);
    const list = await api(server, a.token, 'GET', `/api/user_credentials?storage_gateway=${gatewayId}`);
    assert.deepEqual(
      list.body.data.map((c: any) => c.id),
      [created.body.data[0].id],
    );
    const other = await api(server, b.token, 'GET', `/api/user_credentials/${created.body.data[0].id}`);
    assert.equal(other.status, 403);
    assert.equal(other.body.detail.DATA_TYPE, 'not_resource_owner#1.0.0');
    assert.equal(
      (await api(server, a.token, 'PATCH', `/api/user_credentials/${created.body.data[0].id}`, { display_name: 'mine' })).body.data[0].display_name,
      'mine',
    );
    assert.equal((await api(server, a.token, 'DELETE', `/api/user_credentials/${created.body.data[0].id}`)).status, 200);
  });

  test('nodes: a synthetic local node, admin writes', async () => {
    const list = await api(server, admin.token, 'GET', '/api/nodes');
    assert.equal(list.body.data.length, 1);
    const created = await api(server, admin.token, 'POST', '/api/nodes', { DATA_TYPE: 'node#1.0.0', ip_addresses: ['10.0.0.2'], status: 'inactive' });
    assert.equal(created.status, 200);
    const patched = await api(server, admin.token, 'PATCH', `/api/nodes/${created.body.data[0].id}?include=node`, { status: 'active' });
    assert.equal(patched.body.data[0].status, 'active');
    assert.equal((await api(server, admin.token, 'DELETE', `/api/nodes/${created.body.data[0].id}`)).status, 200);
  });
});
