// Who may list and change a guest collection's access rules: the role matrix, group-held roles, and what invisible callers see.
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api, grantRole, makeActor, type Actor } from './helpers/gcs.ts';
import { GROUPS, setupGuest, transfer, transferToken } from './transfer-access-helpers.ts';

describe(`Transfer access rules: who may manage them (${storeName})`, () => {
  let server: TestServer;
  let root: string;
  let guestId: string;
  let mappedId: string;
  let admin: Actor;
  let maker: Actor;
  let groupId: string;
  let groupsToken: string;
  let groupMember: Actor;
  let seedRule: string;
  const tokens = new Map<string, string | undefined>();
  const rules = () => `/v0.10/endpoint/${guestId}/access`;

  before(async () => {
    server = await startTestServer();
    ({ root, admin, maker, guestId, mappedId } = await setupGuest(server));
    const actor = async (name: string) => {
      const a = await makeActor(server, name);
      tokens.set(name, await transferToken(server, a));
      return a;
    };
    tokens.set('guest creator', await transferToken(server, maker));
    tokens.set('endpoint administrator', await transferToken(server, admin));
    tokens.set('anonymous', undefined);
    await grantRole(server, (await actor('collection administrator')).id, 'administrator', guestId);
    await grantRole(server, (await actor('access manager')).id, 'access_manager', guestId);
    await grantRole(server, (await actor('activity monitor')).id, 'activity_monitor', guestId);
    await grantRole(server, (await actor('access monitor')).id, 'access_monitor', guestId);
    await grantRole(server, (await actor('endpoint activity manager')).id, 'activity_manager');
    await grantRole(server, (await actor('mapped administrator')).id, 'administrator', mappedId);
    await grantRole(server, (await actor('access manager elsewhere')).id, 'access_manager', mappedId);
    await actor('unrelated identity');
    groupMember = await actor('group access manager');
    groupsToken = (await clientCredentials(server, maker, GROUPS)).access_token;
    const group = await api(server, groupsToken, 'POST', '/v2/groups', { name: 'acl managers' });
    groupId = group.body.id;
    const added = await api(server, groupsToken, 'POST', `/v2/groups/${groupId}`, { add: [{ identity_id: groupMember.id, role: 'member' }] });
    assert.equal(added.body.add.length, 1, JSON.stringify(added.body));
    await grantRole(server, groupMember.id, 'access_manager', guestId, `urn:globus:groups:id:${groupId}`);
    const seeded = await transfer(server, tokens.get('guest creator'), 'POST', rules(), {
      principal_type: 'all_authenticated_users',
      path: '/seed/',
      permissions: 'r',
    });
    seedRule = seeded.body.access_id;
  });
  after(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const MANAGERS = ['guest creator', 'collection administrator', 'access manager', 'group access manager', 'endpoint administrator'];
  const VIEWERS = ['activity monitor', 'access monitor', 'endpoint activity manager'];
  const DENIED = ['mapped administrator', 'access manager elsewhere', 'unrelated identity'];

  for (const who of MANAGERS) {
    test(`${who}: lists, creates, reads, updates and deletes`, async () => {
      const t = tokens.get(who);
      assert.equal((await transfer(server, t, 'GET', `${rules()}_list`)).status, 200);
      const created = await transfer(server, t, 'POST', rules(), { principal_type: 'anonymous', path: `/${who.replace(/ /g, '-')}/`, permissions: 'r' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.access_id;
      assert.equal((await transfer(server, t, 'GET', `${rules()}/${id}`)).status, 200);
      assert.equal((await transfer(server, t, 'PUT', `${rules()}/${id}`, { permissions: 'rw' })).status, 200);
      assert.equal((await transfer(server, t, 'DELETE', `${rules()}/${id}`)).status, 200);
    });
  }

  for (const who of VIEWERS) {
    test(`${who}: may look, may not change`, async () => {
      const t = tokens.get(who);
      assert.equal((await transfer(server, t, 'GET', `${rules()}_list`)).status, 200);
      assert.equal((await transfer(server, t, 'GET', `${rules()}/${seedRule}`)).status, 200);
      for (const [method, route, body] of [
        ['POST', rules(), { principal_type: 'anonymous', path: '/v/', permissions: 'r' }],
        ['PUT', `${rules()}/${seedRule}`, { permissions: 'rw' }],
        ['DELETE', `${rules()}/${seedRule}`, undefined],
      ] as const) {
        const res = await transfer(server, t, method, route, body);
        assert.equal(res.status, 403, `${method}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'PermissionDenied');
      }
    });
  }

  for (const who of DENIED) {
    test(`${who}: PermissionDenied on every route (the guest itself is visible on a public endpoint)`, async () => {
      const t = tokens.get(who);
      for (const [method, route, body] of [
        ['GET', `${rules()}_list`, undefined],
        ['GET', `${rules()}/${seedRule}`, undefined],
        ['POST', rules(), { principal_type: 'anonymous', path: '/x/', permissions: 'r' }],
        ['PUT', `${rules()}/${seedRule}`, { permissions: 'rw' }],
        ['DELETE', `${rules()}/${seedRule}`, undefined],
      ] as const) {
        const res = await transfer(server, t, method, route, body);
        assert.equal(res.status, 403, `${method} ${route}`);
        assert.equal(res.body.code, 'PermissionDenied');
      }
    });
  }

  test('anonymous callers are AuthenticationFailed, before their bodies are looked at', async () => {
    for (const [method, route] of [
      ['GET', `${rules()}_list`],
      ['POST', rules()],
      ['GET', `${rules()}/${seedRule}`],
      ['PUT', `${rules()}/${seedRule}`],
      ['DELETE', `${rules()}/${seedRule}`],
    ] as const) {
      const res = await transfer(server, undefined, method, route, method === 'POST' || method === 'PUT' ? { permissions: 'bogus' } : undefined);
      assert.equal(res.status, 401, `${method} ${route}`);
      assert.equal(res.body.code, 'ClientError.AuthenticationFailed');
    }
  });

  test('the list shows the implicit rw on / of every administrator and access manager role, group roles as group principals', async () => {
    const list = (await transfer(server, tokens.get('access monitor'), 'GET', `${rules()}_list`)).body.DATA;
    const implicit = list
      .filter((r: any) => r.id === null)
      .map((r: any) => `${r.role_type}:${r.principal_type}:${r.path}:${r.permissions}`)
      .sort();
    assert.deepEqual(implicit, ['access_manager:group:/:rw', 'access_manager:identity:/:rw', 'administrator:identity:/:rw', 'administrator:identity:/:rw']);
    assert.ok(list.some((r: any) => r.principal_type === 'group' && r.principal === groupId && r.role_type === 'access_manager'));
  });

  test('leaving the group takes the group-held role away', async () => {
    const left = await api(server, groupsToken, 'POST', `/v2/groups/${groupId}`, { remove: [{ identity_id: groupMember.id }] });
    assert.equal(left.status, 200, JSON.stringify(left.body));
    const res = await transfer(server, tokens.get('group access manager'), 'POST', rules(), { principal_type: 'anonymous', path: '/late/', permissions: 'r' });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'PermissionDenied');
  });

  test('on a private endpoint an unrelated caller sees EndpointNotFound, an ACL holder PermissionDenied', async () => {
    // The seed rule is for all authenticated users: with it every caller would be an ACL holder.
    assert.equal((await transfer(server, tokens.get('guest creator'), 'DELETE', `${rules()}/${seedRule}`)).status, 200);
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: false })).status, 200);
    try {
      const stranger = await transfer(server, tokens.get('unrelated identity'), 'GET', `${rules()}_list`);
      assert.equal(stranger.status, 404);
      assert.equal(stranger.body.code, 'EndpointNotFound');
      const holder = await makeActor(server, 'acl holder');
      const made = await transfer(server, tokens.get('guest creator'), 'POST', rules(), {
        principal_type: 'identity',
        principal: holder.id,
        path: '/h/',
        permissions: 'r',
      });
      assert.equal(made.status, 201);
      const res = await transfer(server, await transferToken(server, holder), 'GET', `${rules()}_list`);
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'PermissionDenied');
      // Still a manager: roles do not depend on the endpoint being public.
      assert.equal((await transfer(server, tokens.get('access manager'), 'GET', `${rules()}_list`)).status, 200);
    } finally {
      await api(server, admin.token, 'PATCH', '/api/endpoint', { public: true });
    }
  });
});
