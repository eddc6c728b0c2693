// Transfer access rules over HTTP: every route, principal type, permission, path handling, validation, limits and cascade on guest delete.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clientCredentials, getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, makeActor, type Actor } from './helpers/gcs.ts';
import { GROUPS, setupGuest, transfer, transferToken } from './transfer-access-helpers.ts';
import { accessFor } from '../src/authz/access-rules.ts';
import { loadPrincipals } from '../src/groups/principals.ts';
import { accessRulesFor, hasAccessRule } from '../src/gcs/access-rules-lookup.ts';

describe(`Transfer access rules (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let maker: Actor;
  let root: string;
  let mappedId: string;
  let guestId: string;
  let makerT: string;
  let friend: Actor;
  let groupId: string;
  const rules = (id = guestId) => `/v0.10/endpoint/${id}/access`;
  const list = (id = guestId) => `/v0.10/endpoint/${id}/access_list`;

  before(async () => {
    server = await startTestServer();
    ({ root, admin, maker, mappedId, guestId } = await setupGuest(server));
    makerT = await transferToken(server, maker);
    friend = await makeActor(server, 'friend');
    const groupsToken = (await clientCredentials(server, maker, GROUPS)).access_token;
    const group = await api(server, groupsToken, 'POST', '/v2/groups', { name: 'readers' });
    assert.equal(group.status, 201);
    groupId = group.body.id;
    fs.mkdirSync(path.join(root, 'dataset1', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'file.txt'), 'x');
  });
  after(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("the list starts with the creator's implicit rw on /", async () => {
    const res = await transfer(server, makerT, 'GET', list());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.DATA_TYPE, 'access_list');
    assert.equal(res.body.endpoint, guestId);
    assert.equal(res.body.length, 1);
    const [implicit] = res.body.DATA;
    assert.equal(implicit.DATA_TYPE, 'access');
    assert.equal(implicit.id, null);
    assert.equal(implicit.role_type, 'administrator');
    assert.match(implicit.role_id, /^[0-9a-f-]{36}$/);
    assert.equal(implicit.principal_type, 'identity');
    assert.equal(implicit.principal, maker.id);
    assert.equal(implicit.path, '/');
    assert.equal(implicit.permissions, 'rw');
    // Implicit entries cannot be fetched, changed or removed by their role id.
    for (const method of ['GET', 'DELETE'] as const)
      assert.equal((await transfer(server, makerT, method, `${rules()}/${implicit.role_id}`)).body.code, 'AccessRuleNotFound');
  });

  test('create, read, list, update and delete an identity rule', async () => {
    const created = await transfer(server, makerT, 'POST', rules(), {
      DATA_TYPE: 'access',
      principal_type: 'identity',
      principal: friend.id.toUpperCase(),
      path: '/dataset1/',
      permissions: 'r',
      notify_email: 'friend@example.org',
      notify_message: 'shared with you',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.DATA_TYPE, 'access_create_result');
    assert.equal(created.body.code, 'Created');
    assert.equal(created.body.resource, `/endpoint/${guestId}/access`);
    assert.equal(created.body.message, 'Access rule created successfully.');
    assert.ok(created.body.request_id);
    const id = created.body.access_id;
    assert.equal(typeof id, 'string');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const got = await transfer(server, makerT, 'GET', `${rules()}/${id.toUpperCase()}`);
    assert.equal(got.status, 200);
    assert.deepEqual(Object.keys(got.body).sort(), [
      'DATA_TYPE',
      'create_time',
      'expiration_date',
      'id',
      'notify_email',
      'notify_message',
      'path',
      'permissions',
      'principal',
      'principal_type',
      'role_id',
      'role_type',
    ]);
    assert.equal(got.body.principal, friend.id);
    assert.equal(got.body.permissions, 'r');
    assert.equal(got.body.role_id, null);
    assert.equal(got.body.expiration_date, null);
    assert.match(got.body.create_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const listed = await transfer(server, makerT, 'GET', list());
    assert.ok(listed.body.DATA.some((r: any) => r.id === id));

    const updated = await transfer(server, makerT, 'PUT', `${rules()}/${id}`, { DATA_TYPE: 'access', permissions: 'rw', expiration_date: '2099-01-01' });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(
      { ...updated.body, request_id: 'x' },
      {
        DATA_TYPE: 'result',
        code: 'Updated',
        message: `Access rule '${id}' updated successfully`,
        request_id: 'x',
        resource: `/endpoint/${guestId}/access/${id}`,
      },
    );
    const after1 = (await transfer(server, makerT, 'GET', `${rules()}/${id}`)).body;
    assert.equal(after1.permissions, 'rw');
    assert.equal(after1.expiration_date, '2099-01-01T00:00:00+00:00');

    // A whole document read back is a valid update body; only permissions/expiration may differ.
    const roundTrip = await transfer(server, makerT, 'PUT', `${rules()}/${id}`, { ...after1, permissions: 'r', expiration_date: null });
    assert.equal(roundTrip.status, 200, JSON.stringify(roundTrip.body));
    const after2 = (await transfer(server, makerT, 'GET', `${rules()}/${id}`)).body;
    assert.equal(after2.permissions, 'r');
    assert.equal(after2.expiration_date, null);
    for (const change of [{ path: '/other/' }, { principal: maker.id }, { principal_type: 'group' }, { id: guestId }, { notify_email: 'x@example.org' }]) {
      const res = await transfer(server, makerT, 'PUT', `${rules()}/${id}`, change);
      assert.equal(res.status, 400, JSON.stringify(change));
      assert.equal(res.body.code, 'BadRequest');
    }
    assert.equal((await transfer(server, makerT, 'PUT', `${rules()}/${id}`, { path: '//dataset1' })).status, 200);

    const deleted = await transfer(server, makerT, 'DELETE', `${rules()}/${id}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.code, 'Deleted');
    assert.equal(deleted.body.DATA_TYPE, 'result');
    assert.equal(deleted.body.resource, `/endpoint/${guestId}/access/${id}`);
    for (const method of ['GET', 'DELETE'] as const) {
      const gone = await transfer(server, makerT, method, `${rules()}/${id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 'AccessRuleNotFound');
      assert.equal(gone.body.resource, `/endpoint/${guestId}/access/${id}`);
    }
    assert.equal((await transfer(server, makerT, 'PUT', `${rules()}/${id}`, { permissions: 'r' })).body.code, 'AccessRuleNotFound');
    assert.equal((await transfer(server, makerT, 'GET', `${rules()}/not-a-uuid`)).body.code, 'AccessRuleNotFound');
  });

  test('every principal type; group, all_authenticated_users and anonymous rules apply to the right callers', async () => {
    const member = await makeActor(server, 'member');
    const groupsToken = (await clientCredentials(server, maker, GROUPS)).access_token;
    const added = await api(server, groupsToken, 'POST', `/v2/groups/${groupId}`, { add: [{ identity_id: member.id, role: 'member' }] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const make = async (doc: Record<string, unknown>) => {
      const res = await transfer(server, makerT, 'POST', rules(), { DATA_TYPE: 'access', ...doc });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.access_id as string;
    };
    const g = await make({ principal_type: 'group', principal: groupId, path: '/groupdir/', permissions: 'rw' });
    const all = await make({ principal_type: 'all_authenticated_users', principal: '', path: '/authd/', permissions: 'r' });
    const anon = await make({ principal_type: 'anonymous', path: '/public/', permissions: 'r' });
    assert.equal((await transfer(server, makerT, 'GET', `${rules()}/${anon}`)).body.principal, '');
    assert.equal((await transfer(server, makerT, 'GET', `${rules()}/${g}`)).body.principal_type, 'group');

    const db = server.store.db;
    const counted = await accessRulesFor(db, guestId);
    const memberAuth = { identitySet: [member.id] } as any;
    const memberP = await loadPrincipals(db, memberAuth);
    assert.deepEqual(memberP.groups, [groupId]);
    const strangerP = { identities: ['00000000-0000-4000-8000-000000000001'], groups: [] };
    const nobody = { identities: [], groups: [] };
    assert.equal(accessFor(counted, memberP, '/groupdir/x/y.txt', true, Math.floor(Date.now() / 1000)), 'rw');
    assert.equal(accessFor(counted, strangerP, '/groupdir/x', true, Math.floor(Date.now() / 1000)), 'none');
    assert.equal(accessFor(counted, strangerP, '/authd/file', true, Math.floor(Date.now() / 1000)), 'r');
    assert.equal(accessFor(counted, nobody, '/authd/file', false, Math.floor(Date.now() / 1000)), 'none');
    assert.equal(accessFor(counted, nobody, '/public/a', false, Math.floor(Date.now() / 1000)), 'r');
    assert.equal(accessFor(counted, nobody, '/publicity', false, Math.floor(Date.now() / 1000)), 'none');
    assert.equal(accessFor(counted, { identities: [maker.id], groups: [] }, '/anything/at/all', true, Math.floor(Date.now() / 1000)), 'rw');
    assert.equal(await hasAccessRule(db, memberP, guestId), true);
    // An anonymous rule makes every caller an ACL holder; without it only the group member would be.
    assert.equal(await hasAccessRule(db, nobody, guestId), true);
    await transfer(server, makerT, 'DELETE', `${rules()}/${anon}`);
    assert.equal(await hasAccessRule(db, nobody, guestId), false);
    assert.equal(await hasAccessRule(db, strangerP, guestId), true);
    await transfer(server, makerT, 'DELETE', `${rules()}/${all}`);
    assert.equal(await hasAccessRule(db, strangerP, guestId), false);
    assert.equal(await hasAccessRule(db, memberP, guestId), true);
    await transfer(server, makerT, 'DELETE', `${rules()}/${g}`);
    assert.equal(await hasAccessRule(db, memberP, guestId), false);
  });

  test('principal validation', async () => {
    const bad = async (doc: Record<string, unknown>, code = 'BadRequest') => {
      const res = await transfer(server, makerT, 'POST', rules(), { path: '/p/', permissions: 'r', ...doc });
      assert.equal(res.status, 400, JSON.stringify(doc));
      assert.equal(res.body.code, code, JSON.stringify(res.body));
      assert.ok(res.body.request_id);
      assert.equal(res.body.resource, `/endpoint/${guestId}/access`);
    };
    await bad({ principal_type: 'identity', principal: '00000000-0000-4000-8000-00000000abcd' });
    await bad({ principal_type: 'identity', principal: 'alice@example.org' });
    await bad({ principal_type: 'identity' });
    await bad({ principal_type: 'group', principal: '00000000-0000-4000-8000-00000000abcd' });
    await bad({ principal_type: 'anonymous', principal: friend.id });
    await bad({ principal_type: 'all_authenticated_users', principal: friend.id });
    await bad({ principal_type: 'role', principal: friend.id });
    await bad({ principal_type: 'identity', principal: friend.id, permissions: 'w' });
    await bad({ principal_type: 'identity', principal: friend.id, permissions: 'rwx' });
    await bad({ principal_type: 'identity', principal: friend.id, surprise: true });
    await bad({ principal_type: 'identity', principal: friend.id, DATA_TYPE: 'endpoint' });
    await bad({ principal_type: 'identity', principal: friend.id, id: 'f00' });
    await bad({ principal_type: 'identity', principal: friend.id, notify_message: 'hi' });
    await bad({ principal_type: 'identity', principal: friend.id, notify_email: 'not an address' });
    const noPath = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', permissions: 'r' });
    assert.equal(noPath.status, 400);
    for (const body of ['not json', '[]', 'null', '{"principal_type":']) {
      const res = await server.fetch(`${server.url}${rules()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${makerT}`, 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, 400, body);
      assert.equal(((await res.json()) as any).code, 'BadRequest');
    }
  });

  test('paths are normalised, directories gain their slash, bad paths are InvalidPath', async () => {
    const create = (p: string, principal_type = 'all_authenticated_users') =>
      transfer(server, makerT, 'POST', rules(), { principal_type, path: p, permissions: 'r' });
    const pathOf = async (res: { body: any }) => (await transfer(server, makerT, 'GET', `${rules()}/${res.body.access_id}`)).body.path;
    const cases: Array<[string, string]> = [
      ['//dataset1//sub/./', '/dataset1/sub/'],
      ['/dataset1', '/dataset1/'],
      ['/file.txt', '/file.txt'],
      ['/not/yet', '/not/yet'],
      ['/later/', '/later/'],
      ['/', '/'],
      ['/./x/.', '/x/'],
    ];
    const ids: string[] = [];
    for (const [input, stored] of cases) {
      const res = await create(input);
      assert.equal(res.status, 201, `${input}: ${JSON.stringify(res.body)}`);
      assert.equal(await pathOf(res), stored, input);
      ids.push(res.body.access_id);
    }
    for (const p of ['relative/path', '', '/a/../b', '/..', '/a/..', 'x/', '/a\u0000b', '/a\nb', '~/x']) {
      const res = await create(p);
      assert.equal(res.status, 400, JSON.stringify(p));
      assert.equal(res.body.code, p === '' ? 'BadRequest' : 'InvalidPath', JSON.stringify(res.body));
    }
    const long = await create(`/${'a'.repeat(5000)}`);
    assert.equal(long.status, 400);
    // A symbolic link out of the root is not followed to decide it is a directory.
    fs.symlinkSync(os.tmpdir(), path.join(root, 'escape'));
    const link = await create('/escape');
    assert.equal(await pathOf(link), '/escape');
    ids.push(link.body.access_id);
    for (const id of ids) assert.equal((await transfer(server, makerT, 'DELETE', `${rules()}/${id}`)).status, 200);
  });

  test('duplicates are Exists, also through normalisation', async () => {
    const doc = { principal_type: 'identity', principal: friend.id, path: '/dup/', permissions: 'r' };
    const first = await transfer(server, makerT, 'POST', rules(), doc);
    assert.equal(first.status, 201);
    for (const p of ['/dup/', '//dup//']) {
      const again = await transfer(server, makerT, 'POST', rules(), { ...doc, path: p, permissions: 'rw' });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'Exists');
    }
    // A different principal on the same path is a different rule.
    const other = await transfer(server, makerT, 'POST', rules(), { ...doc, principal_type: 'all_authenticated_users', principal: '' });
    assert.equal(other.status, 201);
    await transfer(server, makerT, 'DELETE', `${rules()}/${first.body.access_id}`);
    await transfer(server, makerT, 'DELETE', `${rules()}/${other.body.access_id}`);
  });

  test('expiration dates: formats, past dates, expired rules stop counting', async () => {
    const create = (expiration_date: unknown, p = '/exp/') =>
      transfer(server, makerT, 'POST', rules(), { principal_type: 'identity', principal: friend.id, path: p, permissions: 'r', expiration_date });
    for (const bad of ['2000-01-01T00:00:00+00:00', 'tomorrow', '2099-02-30', '2099-13-01', '2099-01-01T25:00:00Z', 'x'.repeat(65)]) {
      const res = await create(bad);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, 'BadRequest');
    }
    const res = await create('2099-06-01T12:30:00-02:00');
    assert.equal(res.status, 201);
    const got = await transfer(server, makerT, 'GET', `${rules()}/${res.body.access_id}`);
    assert.equal(got.body.expiration_date, '2099-06-01T14:30:00+00:00');
    assert.equal((await transfer(server, makerT, 'PUT', `${rules()}/${res.body.access_id}`, { expiration_date: '1999-01-01' })).status, 400);
    // Make it expire in the store: it disappears from reads, counts for nobody, and no longer blocks a new rule.
    await server.store.db.updateTable('transfer_access_rules').set({ expires_at: 1 }).where('id', '=', res.body.access_id).execute();
    assert.equal((await transfer(server, makerT, 'GET', `${rules()}/${res.body.access_id}`)).status, 404);
    assert.ok(!(await transfer(server, makerT, 'GET', list())).body.DATA.some((r: any) => r.id === res.body.access_id));
    assert.equal(
      accessFor(await accessRulesFor(server.store.db, guestId), { identities: [friend.id], groups: [] }, '/exp/a', true, Math.floor(Date.now() / 1000)),
      'none',
    );
    assert.equal(await hasAccessRule(server.store.db, { identities: [friend.id], groups: [] }, guestId), false);
    const again = await create(null);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal((await server.store.db.selectFrom('transfer_access_rules').select('id').where('id', '=', res.body.access_id).execute()).length, 0);
    await transfer(server, makerT, 'DELETE', `${rules()}/${again.body.access_id}`);
  });

  test('anonymous write refused when the mapped collection disables anonymous writes', async () => {
    const ok = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', principal: '', path: '/drop/', permissions: 'rw' });
    assert.equal(ok.status, 201);
    const patched = await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { disable_anonymous_writes: true });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const refused = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', principal: '', path: '/drop2/', permissions: 'rw' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'BadRequest');
    const readOnly = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', principal: '', path: '/drop2/', permissions: 'r' });
    assert.equal(readOnly.status, 201);
    assert.equal((await transfer(server, makerT, 'PUT', `${rules()}/${readOnly.body.access_id}`, { permissions: 'rw' })).status, 400);
    // Authenticated writes stay allowed.
    const authd = await transfer(server, makerT, 'POST', rules(), { principal_type: 'all_authenticated_users', path: '/drop2/', permissions: 'rw' });
    assert.equal(authd.status, 201);
    await api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, { disable_anonymous_writes: false });
    for (const id of [ok.body.access_id, readOnly.body.access_id, authd.body.access_id]) await transfer(server, makerT, 'DELETE', `${rules()}/${id}`);
  });

  test('only guest collections have rules; unknown ids are EndpointNotFound', async () => {
    const adminT = await transferToken(server, admin);
    for (const [id, status, code] of [
      [mappedId, 400, 'BadRequest'],
      [server.endpointId, 400, 'BadRequest'],
      ['00000000-0000-4000-8000-000000000000', 404, 'EndpointNotFound'],
      ['not-an-id', 404, 'EndpointNotFound'],
    ] as const) {
      for (const [method, route, body] of [
        ['GET', list(id), undefined],
        ['POST', rules(id), { principal_type: 'anonymous', path: '/', permissions: 'r' }],
        ['GET', `${rules(id)}/00000000-0000-4000-8000-000000000000`, undefined],
        ['PUT', `${rules(id)}/00000000-0000-4000-8000-000000000000`, { permissions: 'r' }],
        ['DELETE', `${rules(id)}/00000000-0000-4000-8000-000000000000`, undefined],
      ] as const) {
        const res = await transfer(server, adminT, method, route, body);
        assert.equal(res.status, status, `${method} ${route}`);
        assert.equal(res.body.code, code);
        assert.equal(res.body.resource, route.replace(/^\/v0\.10/, ''));
      }
    }
  });

  test('a Transfer token is required', async () => {
    const none = await transfer(server, undefined, 'GET', list());
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'ClientError.AuthenticationFailed');
    const gcsToken = await transfer(server, maker.token, 'GET', list());
    assert.equal(gcsToken.status, 401);
    const garbage = await transfer(server, 'not-a-token', 'POST', rules(), { principal_type: 'anonymous', path: '/', permissions: 'r' });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body.code, 'ClientError.AuthenticationFailed');
  });

  test('paging the list with offset and limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await transfer(server, makerT, 'POST', rules(), { principal_type: 'all_authenticated_users', path: `/page${i}/`, permissions: 'r' })).body.access_id,
      );
    const whole = (await transfer(server, makerT, 'GET', list())).body;
    assert.equal(whole.length, 6);
    assert.equal(whole.total, 6);
    assert.equal(whole.has_next_page, false);
    const seen: unknown[] = [];
    for (let offset = 0; ; offset += 4) {
      const page = (await transfer(server, makerT, 'GET', `${list()}?offset=${offset}&limit=4`)).body;
      seen.push(...page.DATA);
      if (!page.has_next_page) break;
    }
    assert.deepEqual(seen, whole.DATA);
    for (const q of ['limit=0', 'limit=1001', 'offset=-1', 'limit=x']) assert.equal((await transfer(server, makerT, 'GET', `${list()}?${q}`)).status, 400, q);
    for (const id of ids) await transfer(server, makerT, 'DELETE', `${rules()}/${id}`);
  });

  test('at most 1000 rules per guest collection', async () => {
    const existing = (await transfer(server, makerT, 'GET', list())).body.DATA.filter((r: any) => r.id !== null).length;
    const now = Math.floor(Date.now() / 1000);
    const rows = Array.from({ length: 1000 - existing }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      collection_id: guestId,
      principal_type: 'all_authenticated_users',
      principal: '',
      path: `/bulk/${i}/`,
      permissions: 'r',
      notify_email: null,
      notify_message: null,
      created_at: now,
      expires_at: null,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await server.store.db
        .insertInto('transfer_access_rules')
        .values(rows.slice(i, i + 200))
        .execute();
    const over = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', path: '/one-too-many/', permissions: 'r' });
    assert.equal(over.status, 409);
    assert.equal(over.body.code, 'LimitExceeded');
    assert.equal((await transfer(server, makerT, 'GET', list())).body.length, 1001);
    assert.equal((await transfer(server, makerT, 'DELETE', `${rules()}/${rows[0].id}`)).status, 200);
    const fits = await transfer(server, makerT, 'POST', rules(), { principal_type: 'anonymous', path: '/one-too-many/', permissions: 'r' });
    assert.equal(fits.status, 201);
    await server.store.db.deleteFrom('transfer_access_rules').where('path', 'like', '/bulk/%').execute();
    await transfer(server, makerT, 'DELETE', `${rules()}/${fits.body.access_id}`);
  });

  test('high assurance: rules expire after acl_expiration_mins, anonymous writes are refused', async () => {
    const ha = await setupGuest(server, { mappedExtra: { acl_expiration_mins: 120 }, gatewayExtra: { high_assurance: true } });
    const haT = await transferToken(server, ha.maker);
    const patched = await api(server, ha.maker.token, 'PATCH', `/api/collections/${ha.guestId}`, { acl_expiration_mins: 60 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const before = Math.floor(Date.now() / 1000);
    const made = await transfer(server, haT, 'POST', rules(ha.guestId), {
      principal_type: 'identity',
      principal: friend.id,
      path: '/',
      permissions: 'r',
      expiration_date: '2099-01-01',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const doc = (await transfer(server, haT, 'GET', `${rules(ha.guestId)}/${made.body.access_id}`)).body;
    // The lesser of the two settings, counted from creation; a later requested date is cut down to it.
    const expires = Date.parse(doc.expiration_date) / 1000 - Date.parse(doc.create_time) / 1000;
    assert.equal(expires, 3600);
    assert.ok(Date.parse(doc.create_time) / 1000 >= before);
    assert.equal((await transfer(server, haT, 'PUT', `${rules(ha.guestId)}/${made.body.access_id}`, { expiration_date: null })).status, 200);
    assert.equal((await transfer(server, haT, 'GET', `${rules(ha.guestId)}/${made.body.access_id}`)).body.expiration_date, doc.expiration_date);
    const anon = await transfer(server, haT, 'POST', rules(ha.guestId), { principal_type: 'anonymous', path: '/', permissions: 'rw' });
    assert.equal(anon.status, 400);
    assert.equal(anon.body.code, 'BadRequest');
    fs.rmSync(ha.root, { recursive: true, force: true });
  });

  test('arbitrary bodies and ids never cause a server error', async () => {
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('identity', 'group', 'anonymous', 'all_authenticated_users', 'r', 'rw', '/a/', '/../', '', friend.id),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    const body = fc.oneof(
      fc.dictionary(
        fc.constantFrom(
          'DATA_TYPE',
          'principal_type',
          'principal',
          'path',
          'permissions',
          'expiration_date',
          'notify_email',
          'notify_message',
          'id',
          'role_id',
          'create_time',
          'extra',
        ),
        field,
      ),
      fc.jsonValue(),
    );
    const id = fc.oneof(fc.uuid(), fc.constantFrom(guestId, guestId.toUpperCase(), mappedId), fc.string({ maxLength: 70 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT'), id, body, async (method, ruleId, payload) => {
        const route = method === 'POST' ? rules() : `${rules()}/${ruleId}`;
        const res = await server.fetch(`${server.url}${route}`, {
          method,
          headers: { authorization: `Bearer ${makerT}`, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        });
        const json = (await res.json()) as any;
        assert.ok(res.status < 500, `${method} ${route} ${JSON.stringify(payload)} → ${res.status} ${JSON.stringify(json)}`);
        if (res.status === 201) await transfer(server, makerT, 'DELETE', `${rules()}/${json.access_id}`);
        else assert.match(json.code, /^[A-Z]/);
      }),
      { numRuns: 150 },
    );
  });

  test('deleting the guest collection removes its rules', async () => {
    const other = await setupGuest(server);
    const otherT = await transferToken(server, other.maker);
    const made = await transfer(server, otherT, 'POST', rules(other.guestId), { principal_type: 'anonymous', path: '/', permissions: 'r' });
    assert.equal(made.status, 201);
    const count = async (id: string) =>
      (await server.store.db.selectFrom('transfer_access_rules').select('id').where('collection_id', '=', id).execute()).length;
    assert.equal(await count(other.guestId), 1);
    const del = await api(server, other.maker.token, 'DELETE', `/api/collections/${other.guestId}`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(await count(other.guestId), 0);

    // Deleting a mapped collection deletes its guests, and so their rules.
    const third = await setupGuest(server, { mappedExtra: { delete_protected: false } });
    const thirdT = await transferToken(server, third.maker);
    assert.equal((await transfer(server, thirdT, 'POST', rules(third.guestId), { principal_type: 'anonymous', path: '/', permissions: 'r' })).status, 201);
    assert.equal((await api(server, third.admin.token, 'DELETE', `/api/collections/${third.mappedId}`)).status, 200);
    assert.equal(await count(third.guestId), 0);
    for (const dir of [other.root, third.root]) fs.rmSync(dir, { recursive: true, force: true });
    assert.equal((await getJson(server, list(other.guestId), otherT)).body.code, 'EndpointNotFound');
  });
});
