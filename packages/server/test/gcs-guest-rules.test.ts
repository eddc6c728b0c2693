// Guest creation refused for each missing precondition (semantics.md §7), sharing-policy changes, PATCH/PUT null semantics, exact paging over 250+ collections, ACL-holder visibility.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, createGroup, dataAccess, grantRole, groupsToken, localName, makeActor, setupMapped, tokenWith, type Actor } from './helpers/gcs.ts';

describe(`GCS guest creation rules (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  let mappedId: string;
  let maker: Actor;
  let credentialId: string;

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'rules admin');
    await grantRole(server, admin.id, 'administrator');
    ({ gatewayId, mappedId } = await setupMapped(server, admin));
    maker = await makeActor(server, 'rules maker', dataAccess(mappedId));
    const cred = await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    credentialId = cred.body.data[0].id;
  });
  after(async () => {
    await server.stop();
  });

  const guest = (token: string, extra: Record<string, unknown> = {}) =>
    api(server, token, 'POST', '/api/collections', {
      DATA_TYPE: 'collection#1.0.0',
      collection_type: 'guest',
      display_name: 'g',
      collection_base_path: '/',
      public: true,
      mapped_collection_id: mappedId,
      ...extra,
    });
  const patchMapped = async (body: Record<string, unknown>) =>
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, body)).status, 200);
  const patchGateway = async (body: Record<string, unknown>) =>
    assert.equal((await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, body)).status, 200);

  /** The refusal, and afterwards the same request succeeding once the precondition is restored. */
  async function refusedThenAllowed(
    res: { status: number; body: any },
    status: number,
    detailType: string | null,
    restore: () => Promise<void>,
    retry: () => Promise<{ status: number; body: any }> = () => guest(maker.token),
  ) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.http_response_code, status);
    if (detailType === null) assert.equal(typeof res.body.detail, 'string');
    else assert.equal(res.body.detail.DATA_TYPE, detailType);
    await restore();
    const ok = await retry();
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  }

  test('2: missing required fields → 422 invalid_input', async () => {
    const res = await api(server, maker.token, 'POST', '/api/collections', { collection_type: 'guest', mapped_collection_id: mappedId, public: true });
    assert.equal(res.status, 422);
    assert.equal(res.body.detail.DATA_TYPE, 'invalid_input#1.0.0');
  });

  test('3: unknown mapped collection → collection_not_found', async () => {
    const res = await guest(maker.token, { mapped_collection_id: randomUUID() });
    assert.equal(res.status, 403);
    assert.equal(res.body.detail.DATA_TYPE, 'collection_not_found#1.0.0');
  });

  test('5: allow_guest_collections false → permission_denied', async () => {
    await patchMapped({ allow_guest_collections: false });
    const res = await guest(maker.token);
    assert.equal(res.body.code, 'permission_denied');
    await refusedThenAllowed(res, 403, null, () => patchMapped({ allow_guest_collections: true }));
  });

  test('6: no data_access consent → 403 result#1.1.0 with missing_required_scopes and GARE authorization_parameters', async () => {
    const plain = await tokenWith(server, maker);
    const res = await guest(plain);
    assert.equal(res.body.DATA_TYPE, 'result#1.1.0');
    const required = [`urn:globus:auth:scope:${server.endpointId}:manage_collections[${dataAccess(mappedId)}]`];
    assert.deepEqual(res.body.detail.required_scopes, required);
    assert.deepEqual(res.body.authorization_parameters.required_scopes, required);
    assert.equal(typeof res.body.authorization_parameters.session_message, 'string');
    await refusedThenAllowed(
      res,
      403,
      'missing_required_scopes#1.0.0',
      async () => {},
      async () => guest(await tokenWith(server, maker, dataAccess(mappedId))),
    );
  });

  test('7: identity_id outside the caller’s set → id_not_in_identity_set', async () => {
    const res = await guest(maker.token, { identity_id: admin.id });
    assert.equal(res.body.detail.id, admin.id);
    await refusedThenAllowed(
      res,
      403,
      'id_not_in_identity_set#1.0.0',
      async () => {},
      () => guest(maker.token, { identity_id: maker.id }),
    );
  });

  test('8: no identity in allowed_domains → not_from_allowed_domain', async () => {
    await patchGateway({ allowed_domains: ['example.org'] });
    const res = await guest(maker.token);
    assert.deepEqual(res.body.detail.allowed_domains, ['example.org']);
    await refusedThenAllowed(res, 403, 'not_from_allowed_domain#1.0.0', () => patchGateway({ allowed_domains: null }));
  });

  test('9: no credential → credential_not_found listing the mapped account; unknown credential → invalid_credential', async () => {
    const fresh = await makeActor(server, 'no credential', dataAccess(mappedId));
    const res = await guest(fresh.token);
    assert.deepEqual(res.body.detail.accounts, [
      { DATA_TYPE: 'account#1.0.0', identity_id: fresh.id, storage_gateway_id: gatewayId, username: localName(fresh) },
    ]);
    await refusedThenAllowed(
      res,
      403,
      'credential_not_found#1.0.0',
      async () => {
        assert.equal((await api(server, fresh.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 201);
      },
      () => guest(fresh.token),
    );
    const unknown = await guest(maker.token, { user_credential_id: randomUUID() });
    await refusedThenAllowed(
      unknown,
      403,
      'invalid_credential#1.0.0',
      async () => {},
      () => guest(maker.token, { user_credential_id: credentialId }),
    );
  });

  test('10: the credential account is no longer a mapping of the identity → invalid_user', async () => {
    const original = (await api(server, admin.token, 'GET', `/api/storage_gateways/${gatewayId}?include=private_policies`)).body.data[0].identity_mappings;
    await patchGateway({
      identity_mappings: [
        {
          DATA_TYPE: 'expression_identity_mapping#1.0.0',
          mappings: [{ source: '{username}', match: '(.*)@clients\\.auth\\.globus\\.org', output: 'other-{0}' }],
        },
      ],
    });
    const res = await guest(maker.token);
    assert.deepEqual(res.body.detail.usernames, [localName(maker)]);
    await refusedThenAllowed(res, 403, 'invalid_user#1.0.0', () => patchGateway({ identity_mappings: original }));
    await patchGateway({ users_deny: [localName(maker)] });
    await refusedThenAllowed(await guest(maker.token), 403, 'invalid_user#1.0.0', () => patchGateway({ users_deny: null }));
  });

  test('11: the account may not share → invalid_user', async () => {
    await patchMapped({ sharing_users_allow: ['someone-else'] });
    await refusedThenAllowed(await guest(maker.token), 403, 'invalid_user#1.0.0', () => patchMapped({ sharing_users_allow: null }));
  });

  test('12: base path outside sharing_restrict_paths, or excluded by a sharing policy → permission_denied', async () => {
    await patchMapped({ sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', read_write: ['/projects'] } });
    const outside = await guest(maker.token, { collection_base_path: '/home' });
    assert.equal(outside.body.code, 'permission_denied');
    await refusedThenAllowed(
      outside,
      403,
      null,
      async () => {},
      () => guest(maker.token, { collection_base_path: '/projects/a' }),
    );
    const policy = await api(server, admin.token, 'POST', '/api/sharing_policies', {
      collection_id: mappedId,
      users: [localName(maker)],
      sharing_restrict_paths: { none: ['/projects/secret'], read_write: ['/'] },
    });
    assert.equal(policy.status, 201);
    await refusedThenAllowed(
      await guest(maker.token, { collection_base_path: '/projects/secret/x' }),
      403,
      null,
      async () => {
        assert.equal((await api(server, admin.token, 'DELETE', `/api/sharing_policies/${policy.body.data[0].id}`)).status, 200);
      },
      () => guest(maker.token, { collection_base_path: '/projects/secret/x' }),
    );
    await patchMapped({ sharing_restrict_paths: null });
    assert.equal((await guest(maker.token, { collection_base_path: '/../x' })).status, 422);
  });

  test('13: a guest may not exceed its mapped collection’s HTTPS settings → 422', async () => {
    await patchMapped({ enable_https: false });
    await refusedThenAllowed(
      await guest(maker.token, { enable_https: true }),
      422,
      'invalid_input#1.0.0',
      () => patchMapped({ enable_https: null }),
      () => guest(maker.token, { enable_https: true }),
    );
    await patchMapped({ https_methods: ['GET'] });
    await refusedThenAllowed(
      await guest(maker.token, { https_methods: ['GET', 'PUT'] }),
      422,
      'invalid_input#1.0.0',
      () => patchMapped({ https_methods: null }),
      () => guest(maker.token, { https_methods: ['GET', 'PUT'] }),
    );
  });

  test('sharing policies: adding or deleting one changes what new guests may use', async () => {
    const forAll = await api(server, admin.token, 'POST', '/api/sharing_policies', {
      collection_id: mappedId,
      users: null,
      sharing_restrict_paths: { read: ['/public'] },
    });
    assert.equal(forAll.status, 201);
    assert.equal((await guest(maker.token, { collection_base_path: '/private' })).status, 403, 'a policy without users applies to every account');
    assert.equal((await guest(maker.token, { collection_base_path: '/public/x' })).status, 201);
    const forOther = await api(server, admin.token, 'POST', '/api/sharing_policies', {
      collection_id: mappedId,
      users: ['someone-else'],
      sharing_restrict_paths: { read: ['/nowhere'] },
    });
    assert.equal((await guest(maker.token, { collection_base_path: '/public/y' })).status, 201, 'a policy naming other accounts does not apply');
    assert.equal((await api(server, admin.token, 'DELETE', `/api/sharing_policies/${forAll.body.data[0].id}`)).status, 200);
    assert.equal((await guest(maker.token, { collection_base_path: '/private' })).status, 201, 'deleting the policy frees the path for new guests');
    assert.equal((await api(server, admin.token, 'DELETE', `/api/sharing_policies/${forOther.body.data[0].id}`)).status, 200);
  });

  test('PATCH: null resets to the default, absent is untouched; PUT reverts absent fields', async () => {
    const created = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'nulls',
      storage_gateway_id: gatewayId,
      collection_base_path: '/n',
      public: true,
      description: 'd',
      keywords: ['k'],
      sharing_users_allow: ['a'],
      delete_protected: false,
      user_message: 'hello',
    });
    const id = created.body.data[0].id;
    const read = async () => (await api(server, admin.token, 'GET', `/api/collections/${id}?include=private_policies`)).body.data[0];
    const patched = await api(server, admin.token, 'PATCH', `/api/collections/${id}`, {
      DATA_TYPE: 'collection#1.2.0',
      collection_type: 'mapped',
      description: null,
      sharing_users_allow: null,
      delete_protected: null,
    });
    assert.equal(patched.status, 200);
    const after = await read();
    assert.equal(after.description, null);
    assert.equal(after.sharing_users_allow, null);
    assert.equal(after.delete_protected, true, 'null restores the default');
    assert.deepEqual(after.keywords, ['k'], 'absent is untouched');
    assert.equal(after.user_message, 'hello');
    assert.equal(after.display_name, 'nulls');
    assert.equal((await api(server, admin.token, 'PATCH', `/api/collections/${id}`, { display_name: null })).status, 200);
    assert.equal(
      (await api(server, admin.token, 'PUT', `/api/collections/${id}`, { collection_type: 'mapped', collection_base_path: '/n', public: true })).status,
      422,
      'PUT needs display_name',
    );
    const put = await api(server, admin.token, 'PUT', `/api/collections/${id}`, {
      collection_type: 'mapped',
      display_name: 'replaced',
      collection_base_path: '/n',
      public: false,
    });
    assert.equal(put.status, 200);
    const replaced = await read();
    assert.equal(replaced.keywords, null, 'PUT reverts what it omits');
    assert.equal(replaced.user_message, null);
    assert.equal(replaced.public, false);
    assert.equal(replaced.domain_name, created.body.data[0].domain_name, 'assigned fields survive PUT');
    assert.equal(replaced.created_at, created.body.data[0].created_at);

    const gw = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { users_deny: ['x'], authentication_timeout_mins: 60 });
    assert.deepEqual(gw.body.data[0].users_deny, ['x']);
    const gwReset = await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { users_deny: null, authentication_timeout_mins: null });
    assert.deepEqual(gwReset.body.data[0].users_deny, []);
    assert.equal(gwReset.body.data[0].authentication_timeout_mins, 15840);
    assert.equal(gwReset.body.data[0].display_name, 'Research FS');

    const cred = await api(server, maker.token, 'PATCH', `/api/user_credentials/${credentialId}`, { display_name: 'mine' });
    assert.equal(cred.body.data[0].display_name, 'mine');
    const credReset = await api(server, maker.token, 'PATCH', `/api/user_credentials/${credentialId}`, { display_name: null });
    assert.equal(credReset.body.data[0].display_name, `${localName(maker)} on Research FS`);
  });
});

describe(`GCS collection paging over 250 collections (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let gatewayId: string;
  const created: string[] = [];

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'paging admin');
    await grantRole(server, admin.id, 'administrator');
    // No client identity passes this gateway, so visibility below comes from roles alone.
    ({ gatewayId } = await setupMapped(server, admin, {}, { allowed_domains: ['example.org'] }));
    for (let i = 0; i < 250; i++) {
      const res = await api(server, admin.token, 'POST', '/api/collections', {
        collection_type: 'mapped',
        display_name: `p${i}`,
        storage_gateway_id: gatewayId,
        collection_base_path: `/p${i}`,
        public: false,
      });
      assert.equal(res.status, 201);
      created.push(res.body.data[0].id);
    }
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: false })).status, 200);
  });
  after(async () => {
    await server.stop();
  });

  /** Follows markers as the SDK paginators do; returns the ids in order and the page sizes. */
  async function walk(token: string, query: string, from?: string) {
    const ids: string[] = [];
    const sizes: number[] = [];
    let marker: string | undefined = from;
    for (let pages = 0; pages < 100; pages++) {
      const res = await api(server, token, 'GET', `/api/collections?${query}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids.push(...res.body.data.map((c: any) => c.id));
      sizes.push(res.body.data.length);
      if (!res.body.has_next_page) {
        assert.equal(res.body.marker, null);
        return { ids, sizes };
      }
      assert.equal(typeof res.body.marker, 'string');
      marker = res.body.marker;
    }
    throw new Error('paging did not end');
  }

  test('page_size 100: every collection exactly once, in a stable order, full pages until the last', async () => {
    const all = (await server.store.db.selectFrom('collections').select('id').execute()).map((r) => r.id).sort();
    assert.equal(all.length, 251);
    for (const id of created) assert.ok(all.includes(id));
    const { ids, sizes } = await walk(admin.token, 'page_size=100');
    assert.deepEqual(sizes, [100, 100, 51]);
    assert.deepEqual(ids, all, 'no duplicates, no gaps, id order');
    assert.deepEqual((await walk(admin.token, 'page_size=100')).ids, ids, 'the same walk twice gives the same pages');
    assert.deepEqual((await walk(admin.token, 'filter=mapped_collections&page_size=250')).sizes, [250, 1]);
    assert.equal((await walk(admin.token, '')).sizes[0], 100, 'default page size');
  });

  test('pages over a caller who sees a sparse subset stay exact', async () => {
    const viewer = await makeActor(server, 'sparse viewer');
    const visible = created.filter((_, i) => i % 7 === 3);
    for (const id of visible) await grantRole(server, viewer.id, 'activity_monitor', id);
    const { ids, sizes } = await walk(viewer.token, 'page_size=10');
    assert.deepEqual(ids, [...visible].sort());
    assert.ok(sizes.slice(0, -1).every((n) => n === 10));
    const managed = await walk(viewer.token, 'filter=managed_by_me&page_size=4');
    assert.deepEqual(managed.ids, [...visible].sort());
  });

  test('a collection created between pages is seen at most once', async () => {
    const first = await api(server, admin.token, 'GET', '/api/collections?page_size=120');
    const late = await api(server, admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'late',
      storage_gateway_id: gatewayId,
      collection_base_path: '/late',
      public: false,
    });
    const rest = await walk(admin.token, 'page_size=120', first.body.marker);
    const ids = [...first.body.data.map((c: any) => c.id), ...rest.ids];
    assert.equal(new Set(ids).size, ids.length);
    const lateId = late.body.data[0].id;
    assert.equal(ids.includes(lateId), lateId > first.body.data[119].id, 'keyset paging: it appears exactly when it sorts after the marker');
    assert.equal(ids.length, 251 + (ids.includes(lateId) ? 1 : 0));
  });
});

describe(`GCS guest visibility for Transfer ACL holders (${storeName})`, () => {
  let server: TestServer;
  let root: string;
  let admin: Actor;
  let maker: Actor;
  let guestId: string;
  let gatewayId: string;
  const TRANSFER_ALL = 'urn:globus:auth:scope:transfer.api.globus.org:all';

  before(async () => {
    server = await startTestServer();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-gcs-acl-'));
    admin = await makeActor(server, 'acl admin');
    await grantRole(server, admin.id, 'administrator');
    const setup = await setupMapped(server, admin, { collection_base_path: root });
    gatewayId = setup.gatewayId;
    const mappedId = setup.mappedId;
    maker = await makeActor(server, 'acl maker', dataAccess(mappedId));
    assert.equal((await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 201);
    const guest = await api(server, maker.token, 'POST', '/api/collections', {
      collection_type: 'guest',
      display_name: 'private guest',
      collection_base_path: '/',
      public: false,
      mapped_collection_id: mappedId,
    });
    assert.equal(guest.status, 201, JSON.stringify(guest.body));
    guestId = guest.body.data[0].id;
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: false })).status, 200);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('an identity or group access rule on a private guest makes it visible, and only while it lasts', async () => {
    const makerTransfer = (await clientCredentials(server, maker, TRANSFER_ALL)).access_token as string;
    const friend = await makeActor(server, 'acl friend');
    const member = await makeActor(server, 'acl member');
    assert.equal((await api(server, friend.token, 'GET', `/api/collections/${guestId}`)).status, 403);
    const rule = await api(server, makerTransfer, 'POST', `/v0.10/endpoint/${guestId}/access`, {
      DATA_TYPE: 'access',
      principal_type: 'identity',
      principal: friend.id,
      path: '/',
      permissions: 'r',
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    assert.equal((await api(server, friend.token, 'GET', `/api/collections/${guestId}`)).status, 200);
    assert.deepEqual(
      (await api(server, friend.token, 'GET', '/api/collections?filter=guest_collections')).body.data.map((c: any) => c.id),
      [guestId],
    );
    assert.equal((await api(server, makerTransfer, 'DELETE', `/v0.10/endpoint/${guestId}/access/${rule.body.access_id}`)).status, 200);
    assert.equal((await api(server, friend.token, 'GET', `/api/collections/${guestId}`)).status, 403);

    const groupId = await createGroup(server, maker, 'acl readers');
    assert.equal(
      (
        await api(server, makerTransfer, 'POST', `/v0.10/endpoint/${guestId}/access`, {
          DATA_TYPE: 'access',
          principal_type: 'group',
          principal: groupId,
          path: '/',
          permissions: 'r',
        })
      ).status,
      201,
    );
    assert.equal((await api(server, member.token, 'GET', `/api/collections/${guestId}`)).status, 403);
    const add = await api(server, await groupsToken(server, maker), 'POST', `/v2/groups/${groupId}`, { add: [{ identity_id: member.id }] });
    assert.equal(add.status, 200);
    assert.equal((await api(server, member.token, 'GET', `/api/collections/${guestId}`)).status, 200);
  });

  test('an access rule on a guest also shows its holder the private endpoint and that storage gateway', async () => {
    const makerTransfer = (await clientCredentials(server, maker, TRANSFER_ALL)).access_token as string;
    const visitor = await makeActor(server, 'acl visitor');
    // The gateway refuses the visitor's account, so only the rule can make these visible.
    assert.equal((await api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, { users_deny: [localName(visitor)] })).status, 200);
    const sees = async () => [
      (await api(server, visitor.token, 'GET', '/api/endpoint')).status,
      (await api(server, visitor.token, 'GET', `/api/storage_gateways/${gatewayId}`)).status,
    ];
    assert.deepEqual(await sees(), [403, 403]);
    const rule = await api(server, makerTransfer, 'POST', `/v0.10/endpoint/${guestId}/access`, {
      DATA_TYPE: 'access',
      principal_type: 'identity',
      principal: visitor.id,
      path: '/',
      permissions: 'r',
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    assert.deepEqual(await sees(), [200, 200]);
    assert.equal((await api(server, makerTransfer, 'DELETE', `/v0.10/endpoint/${guestId}/access/${rule.body.access_id}`)).status, 200);
    assert.deepEqual(await sees(), [403, 403]);
  });
});
