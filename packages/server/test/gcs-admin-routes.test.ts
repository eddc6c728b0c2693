// Subscriptions (first start, set/remove rules, premium features) and the collection/endpoint administration routes: check, batch delete, owner, owner strings, domains.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, clientMappingGateway, dataAccess, grantRole, makeActor, makeSubscription, subscribeEndpoint, type Actor, startGcsWorld } from './helpers/gcs.ts';
import { subscriptionsManagedBy } from '../src/gcs/subscriptions.ts';
import { loadEndpoint } from '../src/gcs/endpoint-repo.ts';

const guestBody = (mappedId: string, extra: Record<string, unknown> = {}) => ({
  DATA_TYPE: 'collection#1.0.0',
  collection_type: 'guest',
  display_name: 'g',
  collection_base_path: '/',
  public: true,
  mapped_collection_id: mappedId,
  ...extra,
});

/** A client with a credential on the gateway and a token carrying the mapped collection's data_access consent. */
async function guestMaker(server: TestServer, name: string, gatewayId: string, mappedId: string): Promise<Actor> {
  const actor = await makeActor(server, name, dataAccess(mappedId));
  const cred = await api(server, actor.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
  assert.equal(cred.status, 201, JSON.stringify(cred.body));
  return actor;
}

describe(`GCS subscriptions (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;
  let initialSubscription: string | null;
  let initialTransferSubscription: string | null;

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'sub admin');
    await grantRole(server, admin.id, 'administrator');
    initialSubscription = (await api(server, admin.token, 'GET', '/api/endpoint')).body.data[0].subscription_id;
    initialTransferSubscription = (await getJson(server, `/v0.10/endpoint/${server.endpointId}`)).body.subscription_id;
    // An administrator may remove the subscription: the rest of this suite starts from an unmanaged endpoint.
    const removed = await api(server, admin.token, 'PUT', '/api/endpoint/subscription_id', { DATA_TYPE: 'endpoint_subscription#1.0.0', subscription_id: null });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    // Built by hand, not with setupMapped, so that the endpoint stays unsubscribed.
    const sg = await api(server, admin.token, 'POST', '/api/storage_gateways', clientMappingGateway());
    gatewayId = sg.body.data[0].id;
    const mapped = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'm',
      storage_gateway_id: gatewayId,
      collection_base_path: '/data',
      public: true,
      allow_guest_collections: true,
    });
    mappedId = mapped.body.data[0].id;
  });
  after(async () => {
    await server.stop();
  });

  const setSubscription = (token: string, subscription_id: string | null) =>
    api(server, token, 'PUT', '/api/endpoint/subscription_id', { DATA_TYPE: 'endpoint_subscription#1.0.0', subscription_id });
  const current = async () => (await api(server, admin.token, 'GET', '/api/endpoint')).body.data[0].subscription_id;

  test('collection documents go out as JSON bytes: content type, length and non-ASCII text intact', async () => {
    const name = 'Données — Λ 📁';
    const made = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: name,
      storage_gateway_id: gatewayId,
      collection_base_path: '/data',
      public: true,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.data[0].id;
    for (const route of [`/api/collections/${id}`, '/api/collections?page_size=100', '/api/collections?page_size=100']) {
      const res = await server.fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${admin.token}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, route);
      assert.equal(Number(res.headers.get('content-length')), bytes.length, route);
      const body = JSON.parse(bytes.toString('utf8'));
      assert.equal(body.DATA_TYPE, 'result#1.0.0');
      assert.equal(body.data.find((c: { id: string }) => c.id === id)?.display_name, name, route);
    }
  });

  test('first start: the endpoint is subscribed to the one local subscription its owner manages', async () => {
    const endpoint = await loadEndpoint(server.store.db);
    const managed = await subscriptionsManagedBy(server.store.db, [endpoint.owner_id]);
    assert.equal(managed.length, 1, 'so that set-subscription-id DEFAULT works for the owner');
    assert.equal(initialSubscription, managed[0]);
    assert.equal(initialTransferSubscription, managed[0]);
    assert.equal(await current(), null, 'and an administrator could remove it');
  });

  test('unmanaged: guest collections and collection roles answer subscription_required', async () => {
    const maker = await guestMaker(server, 'early guest maker', gatewayId, mappedId);
    const guest = await api(server, maker.token, 'POST', '/api/collections', guestBody(mappedId));
    assert.equal(guest.status, 403);
    assert.equal(guest.body.code, 'subscription_required');
    assert.equal(guest.body.detail.DATA_TYPE, 'subscription_required#1.0.0');
    const role = await api(server, admin.token, 'POST', '/api/roles', {
      collection: mappedId,
      principal: `urn:globus:auth:identity:${maker.id}`,
      role: 'access_manager',
    });
    assert.equal(role.status, 403);
    assert.equal(role.body.code, 'subscription_required');
    // Endpoint roles are not premium.
    assert.equal(
      (await api(server, admin.token, 'POST', '/api/roles', { principal: `urn:globus:auth:identity:${maker.id}`, role: 'activity_monitor' })).status,
      200,
    );
  });

  test('subscription_id rules: role holders remove, managers set their own, both replace; DEFAULT', async () => {
    const unknown = randomUUID();
    const refused = await setSubscription(admin.token, unknown);
    assert.equal(refused.status, 403, 'an administrator who does not manage it cannot set a subscription');
    assert.equal((await setSubscription(admin.token, 'DEFAULT')).status, 403, 'DEFAULT needs exactly one managed subscription');
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { subscription_id: unknown })).status, 403, 'PATCH follows the same rules');

    const manager1 = await makeActor(server, 'manager 1');
    const s1 = await makeSubscription(server, manager1);
    const set1 = await setSubscription(manager1.token, s1);
    assert.equal(set1.status, 200, JSON.stringify(set1.body));
    assert.equal(await current(), s1);

    const manager2 = await makeActor(server, 'manager 2');
    const s2 = await makeSubscription(server, manager2);
    assert.equal((await setSubscription(manager2.token, s2)).status, 403, 'a manager without a role cannot replace another subscription');
    assert.equal((await setSubscription(manager2.token, null)).status, 403, 'nor remove one it does not manage');

    // A PUT of the endpoint document that omits subscription_id keeps it.
    assert.equal((await api(server, admin.token, 'PUT', '/api/endpoint', { DATA_TYPE: 'endpoint#1.0.0', display_name: 'renamed', public: true })).status, 200);
    assert.equal(await current(), s1);

    const own = await makeSubscription(server, admin);
    assert.equal((await setSubscription(admin.token, 'DEFAULT')).status, 200, 'role + manager may replace, DEFAULT = the only one it manages');
    assert.equal(await current(), own);
    assert.equal((await setSubscription(manager1.token, null)).status, 403);
    await makeSubscription(server, admin);
    assert.equal((await setSubscription(admin.token, 'DEFAULT')).status, 403, 'two managed subscriptions make DEFAULT ambiguous');

    const holder = await makeActor(server, 'role holder');
    await grantRole(server, holder.id, 'owner');
    assert.equal((await setSubscription(holder.token, null)).status, 200, 'a role holder may remove');
    assert.equal(await current(), null);
    assert.equal((await setSubscription(manager1.token, s1)).status, 200);
    assert.equal((await setSubscription(manager1.token, null)).status, 200, 'a manager may remove its own');
  });

  test('managed: guests and collection roles work; subscription_admin_verified is for subscription managers', async () => {
    const verify = (token: string, value: unknown) =>
      api(server, token, 'PUT', `/api/collections/${mappedId}/subscription_admin_verified`, {
        DATA_TYPE: 'subscription_admin_verified#1.0.0',
        subscription_admin_verified: value,
      });
    assert.equal((await verify(admin.token, true)).body.code, 'subscription_required');
    const sub = await subscribeEndpoint(server, admin);
    assert.equal(await current(), sub);
    const maker = await guestMaker(server, 'late guest maker', gatewayId, mappedId);
    assert.equal((await api(server, maker.token, 'POST', '/api/collections', guestBody(mappedId))).status, 201);
    assert.equal(
      (
        await api(server, admin.token, 'POST', '/api/roles', {
          collection: mappedId,
          principal: `urn:globus:auth:identity:${maker.id}`,
          role: 'access_manager',
        })
      ).status,
      200,
    );

    const outsider = await makeActor(server, 'not a manager');
    await grantRole(server, outsider.id, 'administrator');
    const denied = await verify(outsider.token, true);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'permission_denied');
    const ok = await verify(admin.token, 'True');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.data[0].subscription_admin_verified, true);
    // Read-only in the collection document: PATCH and PUT neither set nor lose it.
    assert.equal(
      (await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { subscription_admin_verified: false })).body.data[0]
        .subscription_admin_verified,
      true,
    );
    const put = await api(server, admin.token, 'PUT', `/api/collections/${mappedId}`, {
      collection_type: 'mapped',
      display_name: 'm',
      collection_base_path: '/data',
      public: true,
      allow_guest_collections: true,
    });
    assert.equal(put.body.data[0].subscription_admin_verified, true);
    assert.equal((await verify(admin.token, false)).body.data[0].subscription_admin_verified, false);
  });
});

describe(`GCS collection and endpoint administration routes (${storeName})`, () => {
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

  const newMapped = async (extra: Record<string, unknown> = {}) => {
    const res = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'm',
      storage_gateway_id: gatewayId,
      collection_base_path: '/data',
      public: true,
      allow_guest_collections: true,
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data[0];
  };

  test('collection check: healthy, then each broken condition in turn', async () => {
    const m = await newMapped();
    const maker = await guestMaker(server, 'checked', gatewayId, m.id);
    const g = (await api(server, maker.token, 'POST', '/api/collections', guestBody(m.id))).body.data[0];
    const check = async () => (await api(server, admin.token, 'GET', `/api/collections/${g.id}/check`)).body.data[0];
    const healthy = await check();
    assert.equal(healthy.DATA_TYPE, 'check_result#1.0.0');
    assert.equal(healthy.id, g.id);
    assert.equal(healthy.error, null);

    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${m.id}`, { allow_guest_collections: false })).status, 200);
    assert.equal((await check()).error.code, 'guest_collections_disabled');
    assert.equal(
      (await api(server, admin.token, 'PATCH', `/api/collections/${m.id}`, { allow_guest_collections: true, sharing_users_deny: [`local-${maker.id}`] }))
        .status,
      200,
    );
    assert.equal((await check()).error.detail.DATA_TYPE, 'invalid_user#1.0.0');
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${m.id}`, { sharing_users_deny: null })).status, 200);
    assert.equal((await check()).error, null);

    const creds = await api(server, maker.token, 'GET', `/api/user_credentials?storage_gateway=${gatewayId}`);
    assert.equal((await api(server, maker.token, 'DELETE', `/api/user_credentials/${creds.body.data[0].id}`)).status, 200);
    const broken = await check();
    assert.equal(broken.error.code, 'credential_not_found');
    assert.match(broken.message, /User Credential/);

    // The guest's creator administers it, so it may check it; the list shows only what the caller administers.
    const mine = await api(server, maker.token, 'GET', '/api/collections/check');
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.data.map((c: any) => c.id),
      [g.id],
    );
    const all = await api(server, admin.token, 'GET', `/api/collections/check?filter=guest_collections&mapped_collection_id=${m.id}`);
    assert.deepEqual(
      all.body.data.map((c: any) => c.id),
      [g.id],
    );
    const nobody = await makeActor(server, 'no roles');
    const refused = await api(server, nobody.token, 'GET', '/api/collections/check');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.detail.DATA_TYPE, 'missing_required_role#1.0.0');
    assert.equal((await api(server, nobody.token, 'GET', `/api/collections/${m.id}/check`)).status, 403);
  });

  test('batch_delete: 202, guests only, unknown ids ignored, all-or-nothing authorization', async () => {
    const m = await newMapped();
    const maker = await guestMaker(server, 'batch', gatewayId, m.id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api(server, maker.token, 'POST', '/api/collections', guestBody(m.id))).body.data[0].id);
    const stranger = await makeActor(server, 'stranger');
    const denied = await api(server, stranger.token, 'POST', '/api/collections/batch_delete', { DATA_TYPE: 'batch#1.0.0', ids });
    assert.equal(denied.status, 403);
    const withMapped = await api(server, maker.token, 'POST', '/api/collections/batch_delete', { DATA_TYPE: 'batch#1.0.0', ids: [ids[0], m.id] });
    assert.equal(withMapped.status, 422);
    assert.match(JSON.stringify(withMapped.body.detail), new RegExp(m.id));
    for (const id of ids) assert.equal((await api(server, admin.token, 'GET', `/api/collections/${id}`)).status, 200, 'a refused batch deletes nothing');
    const res = await api(server, maker.token, 'POST', '/api/collections/batch_delete', { DATA_TYPE: 'batch#1.0.0', ids: [...ids.slice(0, 2), randomUUID()] });
    assert.equal(res.status, 202);
    assert.equal(res.body.http_response_code, 202);
    assert.deepEqual(res.body.data, []);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${ids[0]}`)).status, 404);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${ids[2]}`)).status, 200);
    const roles = await api(server, admin.token, 'GET', `/api/roles?collection_id=${ids[2]}&include=all_roles`);
    assert.equal(roles.body.data.length, 1);
  });

  test('collection owner: mapped only, moves the undeletable administrator role', async () => {
    const m = await newMapped();
    const next = await makeActor(server, 'next owner');
    const plain = await makeActor(server, 'plain admin');
    await grantRole(server, plain.id, 'owner');
    const res = await api(server, admin.token, 'PUT', `/api/collections/${m.id}/owner`, { DATA_TYPE: 'collection_owner#1.0.0', identity_id: next.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data[0].identity_id, next.id);
    const roles = (await api(server, admin.token, 'GET', `/api/roles?collection_id=${m.id}&include=all_roles`)).body.data;
    assert.deepEqual(
      roles.map((r: any) => r.principal),
      [`urn:globus:auth:identity:${next.id}`],
    );
    assert.equal((await api(server, admin.token, 'DELETE', `/api/roles/${roles[0].id}`)).status, 409);
    assert.equal((await api(server, next.token, 'PATCH', `/api/collections/${m.id}`, { description: 'mine' })).status, 200);
    assert.equal(
      (await api(server, next.token, 'PUT', `/api/collections/${m.id}/owner`, { identity_id: admin.id })).status,
      403,
      'a collection administrator cannot reassign ownership',
    );
    assert.equal((await api(server, plain.token, 'PUT', `/api/collections/${m.id}/owner`, { identity_id: admin.id })).status, 200, 'ep:owner may');
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${m.id}/owner`, { identity_id: server.endpointId })).status, 422);
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${m.id}/owner`, { identity_id: randomUUID() })).status, 422);
    const maker = await guestMaker(server, 'owned guest', gatewayId, m.id);
    const g = (await api(server, maker.token, 'POST', '/api/collections', guestBody(m.id))).body.data[0];
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${g.id}/owner`, { identity_id: admin.id })).status, 422);
  });

  test('advertised owner strings: endpoint (administrator) and collection (its administrator), shown by Transfer', async () => {
    const transfer = async () => (await getJson(server, `/v0.10/endpoint/${server.endpointId}`)).body.owner_string;
    assert.equal(await transfer(), `${server.endpointId}@clients.auth.globus.org`);
    const set = await api(server, admin.token, 'PUT', '/api/endpoint/owner_string', { DATA_TYPE: 'owner_string#1.0.0', identity_id: admin.id });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(await transfer(), admin.username);
    assert.equal((await api(server, admin.token, 'GET', '/api/endpoint')).body.data[0].owner_string, undefined, 'not part of the GCS endpoint document');
    assert.equal((await api(server, admin.token, 'PUT', '/api/endpoint', { display_name: 'kept', public: true })).status, 200);
    assert.equal(await transfer(), admin.username, 'a PUT of the endpoint document keeps it');
    const foreign = await api(server, admin.token, 'PUT', '/api/endpoint/owner_string', { identity_id: randomUUID() });
    assert.equal(foreign.body.detail.DATA_TYPE, 'id_not_in_identity_set#1.0.0');
    const ownerOnly = await makeActor(server, 'owner only');
    await grantRole(server, ownerOnly.id, 'owner');
    assert.equal((await api(server, ownerOnly.token, 'PUT', '/api/endpoint/owner_string', { identity_id: ownerOnly.id })).status, 403);
    assert.equal((await api(server, ownerOnly.token, 'DELETE', '/api/endpoint/owner_string')).status, 403);
    assert.equal((await api(server, admin.token, 'DELETE', '/api/endpoint/owner_string')).status, 200);
    assert.equal(await transfer(), `${server.endpointId}@clients.auth.globus.org`);

    const m = await newMapped();
    const collAdmin = await makeActor(server, 'coll admin');
    await grantRole(server, collAdmin.id, 'administrator', m.id);
    assert.equal(
      (await api(server, admin.token, 'PUT', `/api/collections/${m.id}/owner_string`, { identity_id: admin.id })).status,
      200,
      'the creator holds the collection administrator role',
    );
    assert.equal((await api(server, ownerOnly.token, 'PUT', `/api/collections/${m.id}/owner_string`, { identity_id: ownerOnly.id })).status, 403);
    const put = await api(server, collAdmin.token, 'PUT', `/api/collections/${m.id}/owner_string`, {
      DATA_TYPE: 'owner_string#1.0.0',
      identity_id: collAdmin.id,
    });
    assert.equal(put.status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${m.id}`)).body.data[0].owner_string, undefined);
    const collectionOwnerString = async () => (await getJson(server, `/v0.10/endpoint/${m.id}`)).body.owner_string;
    assert.equal(await collectionOwnerString(), collAdmin.username, 'Transfer shows the collection’s own owner string');
    assert.equal((await api(server, ownerOnly.token, 'DELETE', `/api/collections/${m.id}/owner_string`)).status, 200, 'ep:owner may reset');
    assert.equal(await collectionOwnerString(), `${server.endpointId}@clients.auth.globus.org`, 'and then the endpoint’s again');
  });

  test('domains: endpoint wildcard renames assigned names; custom collection names are unique; private fields never shown', async () => {
    const m = await newMapped();
    const assigned = m.domain_name as string;
    const label = assigned.split('.')[0];
    const ownerOnly = await makeActor(server, 'domain owner only');
    await grantRole(server, ownerOnly.id, 'owner');
    assert.equal((await api(server, admin.token, 'GET', '/api/endpoint/domain')).status, 404);
    assert.equal((await api(server, ownerOnly.token, 'PUT', '/api/endpoint/domain', { domain_name: 'data.example.org', wildcard: true })).status, 403);
    const bad = await api(server, admin.token, 'PUT', '/api/endpoint/domain', {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: 'data.example.org',
      wildcard: true,
      certificate: 'not a certificate',
    });
    assert.equal(bad.status, 422);
    assert.equal((await api(server, admin.token, 'PUT', '/api/endpoint/domain', { domain_name: 'not a name', wildcard: false })).status, 422);

    const set = await api(server, admin.token, 'PUT', '/api/endpoint/domain', {
      DATA_TYPE: 'domain#1.0.0',
      domain_name: '*.Data.Example.org',
      wildcard: true,
      private_key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const got = await api(server, admin.token, 'GET', '/api/endpoint/domain');
    assert.deepEqual(got.body.data[0], { DATA_TYPE: 'domain#1.0.0', domain_name: 'data.example.org', wildcard: true });
    assert.equal((await api(server, admin.token, 'GET', '/api/endpoint')).body.data[0].domain, undefined);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${m.id}`)).body.data[0].domain_name, `${label}.data.example.org`);

    const custom = await api(server, admin.token, 'PUT', `/api/collections/${m.id}/domain`, { domain_name: 'research.example.org', wildcard: false });
    assert.equal(custom.status, 200, JSON.stringify(custom.body));
    const shown = (await api(server, admin.token, 'GET', `/api/collections/${m.id}`)).body.data[0];
    assert.equal(shown.domain_name, 'research.example.org', 'a custom name is not renamed by the endpoint wildcard');
    assert.equal(shown.tlsftp_url, 'tlsftp://research.example.org:443');
    assert.equal(shown.domain, undefined);
    const other = await newMapped();
    const clash = await api(server, admin.token, 'PUT', `/api/collections/${other.id}/domain`, { domain_name: 'research.example.org', wildcard: false });
    assert.equal(clash.status, 409);
    assert.deepEqual(clash.body.detail.resources, [m.id]);
    const createClash = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'x',
      storage_gateway_id: gatewayId,
      collection_base_path: '/x',
      public: true,
      domain: { DATA_TYPE: 'domain#1.0.0', domain_name: 'research.example.org', wildcard: false },
    });
    assert.equal(createClash.status, 409);
    assert.equal((await api(server, admin.token, 'DELETE', `/api/collections/${m.id}/domain`)).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${m.id}`)).body.data[0].domain_name, `${label}.data.example.org`);
    assert.equal(
      (await api(server, admin.token, 'PUT', `/api/collections/${other.id}/domain`, { domain_name: 'research.example.org', wildcard: false })).status,
      200,
      'the name is free again',
    );

    // A mapped collection's wildcard domain holds its guests.
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${m.id}/domain`, { domain_name: 'shares.example.org', wildcard: true })).status, 200);
    const maker = await guestMaker(server, 'domain guest', gatewayId, m.id);
    const g = (await api(server, maker.token, 'POST', '/api/collections', guestBody(m.id))).body.data[0];
    assert.match(g.domain_name, /^g-[0-9a-f]{6}\.shares\.example\.org$/);
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${g.id}/domain`, { domain_name: 'w.example.org', wildcard: true })).status, 422);
    assert.equal((await api(server, admin.token, 'DELETE', '/api/endpoint/domain')).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${other.id}`)).body.data[0].domain_name, 'research.example.org');
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${other.id}/domain`)).body.data[0].wildcard, false);
  });

  test('a requested mapped domain_name is unique (indexed column)', async () => {
    const name = `lab-${randomUUID().slice(0, 8)}.${new URL(server.url).hostname}`;
    const first = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'a',
      storage_gateway_id: gatewayId,
      collection_base_path: '/a',
      public: true,
      domain_name: name,
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'b',
      storage_gateway_id: gatewayId,
      collection_base_path: '/b',
      public: true,
      domain_name: name.toUpperCase(),
    });
    assert.equal(second.status, 409);
    assert.deepEqual(second.body.detail.resources, [first.body.data[0].id]);
    // A requested name is the administrator's choice: an endpoint wildcard does not rename it, before or after a domain round trip.
    const id = first.body.data[0].id;
    assert.equal((await api(server, admin.token, 'PUT', '/api/endpoint/domain', { domain_name: 'wild.example.org', wildcard: true })).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${id}`)).body.data[0].domain_name, name);
    assert.equal((await api(server, admin.token, 'PUT', `/api/collections/${id}/domain`, { domain_name: 'temp.example.org', wildcard: false })).status, 200);
    assert.equal((await api(server, admin.token, 'DELETE', `/api/collections/${id}/domain`)).status, 200);
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${id}`)).body.data[0].domain_name, name);
    assert.equal((await api(server, admin.token, 'DELETE', '/api/endpoint/domain')).status, 200);
  });

  test('the new routes need a token and valid documents', async () => {
    assert.equal((await api(server, undefined, 'GET', '/api/collections/check')).status, 401);
    assert.equal((await api(server, admin.token, 'POST', '/api/collections/batch_delete', { DATA_TYPE: 'collection#1.0.0', ids: [] })).status, 422);
    assert.equal((await api(server, admin.token, 'POST', '/api/collections/batch_delete', { ids: ['nope'] })).status, 422);
    assert.equal(
      (await api(server, admin.token, 'PUT', `/api/collections/${mappedId}/owner`, { DATA_TYPE: 'endpoint_owner#1.0.0', identity_id: admin.id })).status,
      422,
    );
    assert.equal((await api(server, admin.token, 'GET', `/api/collections/${mappedId}/check`)).body.data[0].error, null);
  });
});
