// Group principals end to end (GCS roles granted to Groups groups) and POSIX group policies judged against real local accounts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { POSIX, api, createGroup, dataAccess, grantRole, groupsToken, makeActor, setupMapped, tokenWith, type Actor } from './helpers/gcs.ts';

/** A Groups batch membership action through `POST /v2/groups/{id}`. */
async function membership(server: TestServer, actor: Actor, groupId: string, action: 'add' | 'remove' | 'invite', identityId: string) {
  const res = await getJson(server, `/v2/groups/${groupId}`, await groupsToken(server, actor), {
    method: 'POST',
    body: JSON.stringify({ [action]: [{ identity_id: identityId }] }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body[action].length, 1, JSON.stringify(res.body));
}

describe(`GCS roles granted to groups (${storeName})`, () => {
  let server: TestServer;
  let admin: Actor;
  let mappedId: string;

  before(async () => {
    server = await startTestServer();
    admin = await makeActor(server, 'group role admin');
    await grantRole(server, admin.id, 'administrator');
    ({ mappedId } = await setupMapped(server, admin, {}, { allowed_domains: ['example.org'] }));
    assert.equal((await api(server, admin.token, 'PATCH', '/api/endpoint', { public: false })).status, 200);
  });
  after(async () => {
    await server.stop();
  });

  test('a collection role granted to a group follows active membership, request by request', async () => {
    const member = await makeActor(server, 'group member');
    const groupId = await createGroup(server, admin, 'collection admins');
    const granted = await api(server, admin.token, 'POST', '/api/roles', {
      DATA_TYPE: 'role#1.0.0',
      collection: mappedId,
      principal: `urn:globus:groups:id:${groupId}`,
      role: 'administrator',
    });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));

    const before = await api(server, member.token, 'PATCH', `/api/collections/${mappedId}`, { description: 'by member' });
    assert.equal(before.status, 403);
    assert.equal(before.body.detail.DATA_TYPE, 'missing_required_role#1.0.0');

    await membership(server, admin, groupId, 'add', member.id);
    const patched = await api(server, member.token, 'PATCH', `/api/collections/${mappedId}`, { description: 'by member' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.data[0].description, 'by member');
    const roles = await api(server, member.token, 'GET', `/api/roles?collection_id=${mappedId}`);
    assert.deepEqual(
      roles.body.data.map((r: any) => r.principal),
      [`urn:globus:groups:id:${groupId}`],
    );
    // The role's rights include seeing the collection's full role list.
    assert.equal((await api(server, member.token, 'GET', `/api/roles?collection_id=${mappedId}&include=all_roles`)).status, 200);

    await membership(server, admin, groupId, 'remove', member.id);
    const afterRemoval = await api(server, member.token, 'PATCH', `/api/collections/${mappedId}`, { description: 'again' });
    assert.equal(afterRemoval.status, 403);
    assert.equal((await api(server, member.token, 'GET', `/api/collections/${mappedId}`)).status, 403, 'a private endpoint hides the collection again');
  });

  test('an endpoint role granted to a group: only active members get it', async () => {
    const member = await makeActor(server, 'monitor member');
    const invited = await makeActor(server, 'invited only');
    const groupId = await createGroup(server, admin, 'monitors');
    assert.equal(
      (await api(server, admin.token, 'POST', '/api/roles', { principal: `urn:globus:groups:id:${groupId}`, role: 'activity_monitor' })).status,
      200,
    );
    assert.equal((await api(server, member.token, 'GET', '/api/endpoint')).status, 403);
    await membership(server, admin, groupId, 'add', member.id);
    await membership(server, admin, groupId, 'invite', invited.id);
    assert.equal((await api(server, member.token, 'GET', '/api/endpoint')).status, 200);
    assert.equal((await api(server, member.token, 'GET', `/api/collections/${mappedId}`)).status, 200);
    assert.equal((await api(server, invited.token, 'GET', '/api/endpoint')).status, 403, 'an invitation is not an active membership');
    // activity_monitor grants viewing, not administration.
    assert.equal((await api(server, member.token, 'PATCH', '/api/endpoint', { description: 'x' })).status, 403);
    await membership(server, admin, groupId, 'remove', member.id);
    assert.equal((await api(server, member.token, 'GET', '/api/endpoint')).status, 403);
  });

  test('the urn:globus:auth:group: spelling is stored as urn:globus:groups:id:', async () => {
    const groupId = await createGroup(server, admin, 'spelling');
    const res = await api(server, admin.token, 'POST', '/api/roles', {
      collection: mappedId,
      principal: `urn:globus:auth:group:${groupId}`,
      role: 'activity_manager',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.data[0].principal, `urn:globus:groups:id:${groupId}`);
  });
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe(`POSIX group policies against local accounts (${storeName})`, { skip: isRoot ? false : 'needs root to create local users and groups' }, () => {
  const tag = randomBytes(4).toString('hex');
  const groupA = `gha${tag}`;
  const groupB = `ghb${tag}`;
  const userA = `gua${tag}`;
  const userB = `gub${tag}`;
  let server: TestServer;
  let admin: Actor;
  let alice: Actor;
  let bob: Actor;
  let gatewayId: string;
  let mappedId: string;
  const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });

  before(async () => {
    run('groupadd', groupA);
    run('groupadd', groupB);
    run('useradd', '-M', '-N', '-s', '/usr/sbin/nologin', '-G', groupA, userA);
    run('useradd', '-M', '-N', '-s', '/usr/sbin/nologin', '-G', groupB, userB);
    server = await startTestServer();
    admin = await makeActor(server, 'posix admin');
    await grantRole(server, admin.id, 'administrator');
    alice = await makeActor(server, 'alice');
    bob = await makeActor(server, 'bob');
    // Each client identity maps to its own local account.
    const mappings = [
      { source: '{id}', match: alice.id, output: userA, literal: true },
      { source: '{id}', match: bob.id, output: userB, literal: true },
    ];
    ({ gatewayId, mappedId } = await setupMapped(server, admin, {}, { identity_mappings: [{ DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings }] }));
    alice.token = await tokenWith(server, alice, dataAccess(mappedId));
    bob.token = await tokenWith(server, bob, dataAccess(mappedId));
  });
  after(async () => {
    await server?.stop();
    for (const u of [userA, userB]) execFileSync('userdel', [u], { stdio: 'ignore' });
    for (const g of [groupA, groupB]) execFileSync('groupdel', [g], { stdio: 'ignore' });
  });

  const gatewayPolicies = (policies: Record<string, string[]>) =>
    api(server, admin.token, 'PATCH', `/api/storage_gateways/${gatewayId}`, {
      policies: { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_allow: [], groups_deny: [], ...policies },
    });
  const sharingPolicies = (policies: Record<string, string[]>) =>
    api(server, admin.token, 'PATCH', `/api/collections/${mappedId}`, {
      policies: { DATA_TYPE: 'posix_collection_policies#1.1.0', sharing_groups_allow: [], sharing_groups_deny: [], ...policies },
    });
  const guest = (actor: Actor, path = '/') =>
    api(server, actor.token, 'POST', '/api/collections', {
      collection_type: 'guest',
      display_name: 'g',
      collection_base_path: path,
      public: true,
      mapped_collection_id: mappedId,
    });

  test('groups_allow admits only accounts in the group; groups_deny refuses its members', async () => {
    assert.equal((await gatewayPolicies({ groups_allow: [groupA] })).status, 200);
    const a = await api(server, alice.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.data[0].username, userA);
    const b = await api(server, bob.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId });
    assert.equal(b.status, 403);
    assert.equal(b.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
    const accounts = await api(server, bob.token, 'GET', `/api/storage_gateways/${gatewayId}?include=accounts`);
    assert.deepEqual(
      accounts.body.data.filter((d: any) => d.DATA_TYPE === 'account#1.0.0'),
      [],
    );
    const aliceAccounts = await api(server, alice.token, 'GET', `/api/storage_gateways/${gatewayId}?include=accounts`);
    assert.deepEqual(
      aliceAccounts.body.data.filter((d: any) => d.DATA_TYPE === 'account#1.0.0').map((d: any) => d.username),
      [userA],
    );

    assert.equal((await gatewayPolicies({ groups_deny: [groupB] })).status, 200);
    assert.equal((await api(server, bob.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 403);
    assert.equal((await gatewayPolicies({ groups_allow: [groupA, groupB], groups_deny: [groupA] })).status, 200);
    assert.equal(
      (await api(server, bob.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status,
      201,
      'deny wins only for members of the denied group',
    );
    assert.equal((await gatewayPolicies({})).status, 200);
  });

  test('a membership change in the system group database applies on the next request', async () => {
    assert.equal((await gatewayPolicies({ groups_allow: [groupA] })).status, 200);
    run('gpasswd', '-d', userA, groupA);
    try {
      const refused = await guest(alice);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
      assert.deepEqual(refused.body.detail.usernames, [userA]);
    } finally {
      run('gpasswd', '-a', userA, groupA);
    }
    const created = await guest(alice);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Leaving the group later breaks the guest, and collection check says why.
    run('gpasswd', '-d', userA, groupA);
    try {
      const check = await api(server, admin.token, 'GET', `/api/collections/${created.body.data[0].id}/check`);
      assert.equal(check.status, 200);
      assert.equal(check.body.data[0].error.code, 'invalid_user');
    } finally {
      run('gpasswd', '-a', userA, groupA);
    }
    const healthy = await api(server, admin.token, 'GET', `/api/collections/${created.body.data[0].id}/check`);
    assert.equal(healthy.body.data[0].error, null);
    assert.equal((await gatewayPolicies({})).status, 200);
  });

  test('sharing_groups_allow / sharing_groups_deny decide who may create guests', async () => {
    assert.equal((await sharingPolicies({ sharing_groups_allow: [groupA] })).status, 200);
    assert.equal((await guest(alice)).status, 201);
    const bobCred = await api(server, bob.token, 'GET', `/api/user_credentials?storage_gateway=${gatewayId}`);
    if (bobCred.body.data.length === 0)
      assert.equal((await api(server, bob.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 201);
    const refused = await guest(bob);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
    assert.equal((await sharingPolicies({ sharing_groups_deny: [groupA] })).status, 200);
    assert.equal((await guest(alice)).status, 403);
    assert.equal((await guest(bob)).status, 201);
    assert.equal((await sharingPolicies({})).status, 200);
  });

  test('an account the system does not know fails any group filter', async () => {
    const ghost = await makeActor(server, 'ghost');
    const gw = await api(server, admin.token, 'POST', '/api/storage_gateways', {
      display_name: 'ghosts',
      connector_id: POSIX,
      identity_mappings: [
        { DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings: [{ source: '{id}', match: ghost.id, output: `nobody${tag}`, literal: true }] },
      ],
      policies: { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_deny: [groupB] },
    });
    assert.equal(gw.status, 201);
    const res = await api(server, ghost.token, 'POST', '/api/user_credentials', { storage_gateway_id: gw.body.data[0].id });
    assert.equal(res.status, 403);
    assert.equal(res.body.detail.DATA_TYPE, 'invalid_user#1.0.0');
  });
});
