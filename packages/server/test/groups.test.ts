// Groups API v2 over HTTPS on the configured store: every route, every membership action and its refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { setGroupAllowJoin, setGroupSubscription } from '../src/groups/repo.ts';
import { activeGroupIds } from '../src/groups/membership-lookup.ts';
import { loadPrincipals } from '../src/groups/principals.ts';
import { VIEW, batch, call, createGroup, makeActor, type Actor } from './groups-helpers.ts';

describe(`groups API (${storeName})`, () => {
  let s: TestServer;
  let admin: Actor, manager: Actor, member: Actor, outsider: Actor, other: Actor, reader: Actor;

  before(async () => {
    s = await startTestServer();
    admin = await makeActor(s, 'admin');
    manager = await makeActor(s, 'manager');
    member = await makeActor(s, 'member');
    outsider = await makeActor(s, 'outsider');
    other = await makeActor(s, 'other');
    reader = await makeActor(s, 'reader', VIEW);
  });
  after(async () => {
    await s.stop();
  });

  /** A group with admin, manager and member active. */
  async function staffedGroup(body: Record<string, unknown> = {}) {
    const g = await createGroup(s, admin, body);
    const res = await batch(s, admin, g.id, { add: [{ identity_id: manager.id, role: 'manager' }, { identity_id: member.id }] });
    assert.equal(res.body.add.length, 2, JSON.stringify(res.body));
    return g;
  }
  const membership = async (groupId: string, identityId: string) => {
    const res = await call(s, admin, 'GET', `/v2/groups/${groupId}?include=memberships`);
    return (res.body.memberships as any[]).find((m) => m.identity_id === identityId);
  };

  test('create: 201, default policies, creator is the active admin', async () => {
    const res = await call(s, admin, 'POST', '/v2/groups', { name: 'Group 1', description: 'first', parent_id: null });
    assert.equal(res.status, 201);
    assert.equal(res.body.name, 'Group 1');
    assert.equal(res.body.parent_id, null);
    assert.equal(res.body.group_type, 'regular');
    assert.equal(res.body.enforce_session, false);
    assert.deepEqual(res.body.policies, {
      is_high_assurance: false,
      authentication_assurance_timeout: 28800,
      group_visibility: 'private',
      group_members_visibility: 'managers',
      join_requests: false,
      signup_fields: [],
    });
    const got = await call(s, admin, 'GET', `/v2/groups/${res.body.id}?include=my_memberships`);
    assert.deepEqual(
      got.body.my_memberships.map((m: any) => [m.identity_id, m.role, m.status]),
      [[admin.id, 'admin', 'active']],
    );
  });

  test('create: bad bodies are 400 in the Groups envelope, never 500', async () => {
    for (const body of [{}, { name: '' }, { name: 'x', policies: { group_visibility: 'public' } }, { name: 'x', bogus: 1 }]) {
      const res = await call(s, admin, 'POST', '/v2/groups', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'BAD_REQUEST');
      assert.equal(typeof res.body.detail, 'string');
      assert.equal(res.body.message, res.body.detail);
    }
  });

  test('create with policies and parent_id; only parent admins may create subgroups', async () => {
    const parent = await staffedGroup({ policies: { group_visibility: 'authenticated', join_requests: true } });
    assert.equal((parent.policies as any).group_visibility, 'authenticated');
    const refused = await call(s, manager, 'POST', '/v2/groups', { name: 'sub', parent_id: parent.id });
    assert.equal(refused.status, 403);
    const hidden = await call(s, outsider, 'POST', '/v2/groups', { name: 'sub', parent_id: '00000000-0000-4000-8000-000000000000' });
    assert.equal(hidden.status, 404);
    const child = await createGroup(s, admin, { name: 'sub', parent_id: parent.id });
    assert.equal(child.parent_id, parent.id);
    const withIds = await call(s, admin, 'GET', `/v2/groups/${parent.id}?include=child_ids`);
    assert.deepEqual(withIds.body.child_ids, [child.id]);
    // The private child is hidden from a member of the parent who is not in the child.
    const memberView = await call(s, member, 'GET', `/v2/groups/${parent.id}?include=child_ids`);
    assert.deepEqual(memberView.body.child_ids, []);
    const children = await call(s, admin, 'GET', `/v2/groups/${parent.id}/children`);
    assert.equal(children.status, 200);
    assert.deepEqual(
      children.body.children.map((c: any) => c.id),
      [child.id],
    );
    assert.deepEqual((await call(s, member, 'GET', `/v2/groups/${parent.id}/children`)).body, { children: [] });
    // A subgroup membership does not make one a member of the parent.
    await batch(s, admin, child.id, { add: [{ identity_id: other.id }] });
    const groups = await activeGroupIds(s.store.db, [other.id]);
    assert.ok(groups.includes(child.id));
    assert.ok(!groups.includes(parent.id));
    // Deleting a parent with subgroups is a conflict.
    assert.equal((await call(s, admin, 'DELETE', `/v2/groups/${parent.id}`)).status, 409);
  });

  test('my_groups: bare array, statuses as comma list or repeated, my_memberships filtered', async () => {
    const g = await createGroup(s, admin, { name: 'mine' });
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    const active = await call(s, other, 'GET', '/v2/groups/my_groups');
    assert.equal(active.status, 200);
    assert.ok(Array.isArray(active.body));
    assert.ok(!active.body.some((x: any) => x.id === g.id));
    for (const q of ['statuses=active,invited', 'statuses=active&statuses=invited', 'statuses=active%2Cinvited']) {
      const res = await call(s, other, 'GET', `/v2/groups/my_groups?${q}`);
      const item = res.body.find((x: any) => x.id === g.id);
      assert.ok(item, q);
      assert.deepEqual(
        item.my_memberships.map((m: any) => [m.identity_id, m.status, m.role]),
        [[other.id, 'invited', 'member']],
      );
      assert.equal(item.memberships, undefined);
    }
    const bad = await call(s, other, 'GET', '/v2/groups/my_groups?statuses=active,bogus');
    assert.equal(bad.status, 400);
  });

  test('get: includes; private group is 404 to an outsider; include values are checked', async () => {
    const g = await staffedGroup();
    const probe = await call(s, outsider, 'GET', `/v2/groups/${g.id}`);
    assert.equal(probe.status, 404);
    assert.equal(probe.body.code, 'NOT_FOUND');
    assert.equal((await call(s, outsider, 'GET', `/v2/groups/${g.id}/policies`)).status, 404);
    assert.equal((await call(s, outsider, 'GET', '/v2/groups/not-a-uuid')).status, 404);
    const full = await call(s, admin, 'GET', `/v2/groups/${g.id}?include=memberships,my_memberships,policies,allowed_actions,child_ids`);
    assert.equal(full.status, 200);
    assert.deepEqual(full.body.memberships.map((m: any) => m.identity_id).sort(), [admin.id, manager.id, member.id].sort());
    assert.deepEqual(full.body.allowed_actions.change_role, [admin.id]);
    assert.deepEqual(full.body.allowed_actions.accept, []);
    assert.deepEqual(full.body.child_ids, []);
    // group_members_visibility managers: a plain member gets the group without memberships.
    const asMember = await call(s, member, 'GET', `/v2/groups/${g.id}?include=memberships&include=allowed_actions`);
    assert.equal(asMember.status, 200);
    assert.equal(asMember.body.memberships, undefined);
    assert.deepEqual(asMember.body.allowed_actions.remove, []);
    assert.deepEqual(asMember.body.allowed_actions.leave, [member.id]);
    assert.equal((await call(s, manager, 'GET', `/v2/groups/${g.id}?include=memberships`)).body.memberships.length, 3);
    assert.equal((await call(s, admin, 'GET', `/v2/groups/${g.id}?include=everything`)).status, 400);
  });

  test('visibility policies: authenticated groups are readable by anyone, members-visibility opens the roster', async () => {
    const g = await staffedGroup();
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    const set = await call(s, admin, 'PUT', `/v2/groups/${g.id}/policies`, { group_visibility: 'authenticated', group_members_visibility: 'members' });
    assert.equal(set.status, 200);
    const outsiderView = await call(s, outsider, 'GET', `/v2/groups/${g.id}?include=memberships`);
    assert.equal(outsiderView.status, 200);
    assert.equal(outsiderView.body.memberships, undefined);
    const memberView = await call(s, member, 'GET', `/v2/groups/${g.id}?include=memberships`);
    // Members see the active roster only; the invitation is for managers' eyes.
    assert.deepEqual(memberView.body.memberships.map((m: any) => m.identity_id).sort(), [admin.id, manager.id, member.id].sort());
    const invitedView = await call(s, other, 'GET', `/v2/groups/${g.id}?include=memberships`);
    assert.equal(invitedView.body.memberships, undefined);
  });

  test('invited and pending identities may view a private group', async () => {
    const g = await createGroup(s, admin, { policies: { join_requests: true } });
    assert.equal((await call(s, other, 'GET', `/v2/groups/${g.id}`)).status, 404);
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    assert.equal((await call(s, other, 'GET', `/v2/groups/${g.id}`)).status, 200);
  });

  test('update: admins only; name/description/terms; subscription_admin_verified_id may only be cleared', async () => {
    const g = await staffedGroup();
    const res = await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { name: 'renamed', description: null, terms_and_conditions: 'be nice' });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, 'renamed');
    assert.equal(res.body.description, null);
    assert.equal(res.body.terms_and_conditions, 'be nice');
    assert.equal((await call(s, manager, 'PUT', `/v2/groups/${g.id}`, { name: 'x' })).status, 403);
    assert.equal((await call(s, outsider, 'PUT', `/v2/groups/${g.id}`, { name: 'x' })).status, 404);
    assert.equal((await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { name: '' })).status, 400);
    const setSub = await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { subscription_admin_verified_id: '11111111-1111-4111-8111-111111111111' });
    assert.equal(setSub.status, 403);
    assert.equal((await call(s, admin, 'GET', `/v2/groups/${g.id}`)).body.name, 'renamed');
    // GET-then-PUT of the whole document (globus-cli group update) is accepted.
    const doc = (await call(s, admin, 'GET', `/v2/groups/${g.id}`)).body;
    assert.equal((await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { ...doc, name: 'again' })).body.name, 'again');
  });

  test('delete: admins only, returns the group as it was', async () => {
    const g = await staffedGroup();
    assert.equal((await call(s, manager, 'DELETE', `/v2/groups/${g.id}`)).status, 403);
    assert.equal((await call(s, outsider, 'DELETE', `/v2/groups/${g.id}`)).status, 404);
    const res = await call(s, admin, 'DELETE', `/v2/groups/${g.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, g.id);
    assert.equal((await call(s, admin, 'GET', `/v2/groups/${g.id}`)).status, 404);
    assert.ok(!(await activeGroupIds(s.store.db, [member.id])).includes(g.id));
  });

  test('policies: get for viewers, partial put for admins, HA reported', async () => {
    const g = await staffedGroup();
    assert.equal((await call(s, member, 'GET', `/v2/groups/${g.id}/policies`)).status, 200);
    assert.equal((await call(s, manager, 'PUT', `/v2/groups/${g.id}/policies`, { join_requests: true })).status, 403);
    const res = await call(s, admin, 'PUT', `/v2/groups/${g.id}/policies`, {
      is_high_assurance: true,
      authentication_assurance_timeout: 3600,
      signup_fields: ['institution', 'department'],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      is_high_assurance: true,
      authentication_assurance_timeout: 3600,
      group_visibility: 'private',
      group_members_visibility: 'managers',
      join_requests: false,
      signup_fields: ['institution', 'department'],
    });
    const got = await call(s, admin, 'GET', `/v2/groups/${g.id}`);
    assert.equal(got.body.enforce_session, true);
    assert.equal(got.body.session_limit, 3600);
    assert.deepEqual((await call(s, admin, 'GET', `/v2/groups/${g.id}/policies`)).body, res.body);
    for (const bad of [{ signup_fields: ['shoe_size'] }, { group_members_visibility: 'everyone' }, { join_requests: 'maybe' }]) {
      assert.equal((await call(s, admin, 'PUT', `/v2/groups/${g.id}/policies`, bad)).status, 400, JSON.stringify(bad));
    }
  });

  test('read-only token: reads work, writes are 403 with provided_scopes; no token is 401', async () => {
    const g = await createGroup(s, admin);
    await batch(s, admin, g.id, { add: [{ identity_id: reader.id }] });
    const list = await call(s, reader, 'GET', '/v2/groups/my_groups');
    assert.ok(list.body.some((x: any) => x.id === g.id));
    const write = await call(s, reader, 'POST', '/v2/groups', { name: 'nope' });
    assert.equal(write.status, 403);
    assert.deepEqual(write.body.provided_scopes, [VIEW]);
    assert.equal((await call(s, reader, 'POST', `/v2/groups/${g.id}`, { leave: [{ identity_id: reader.id }] })).status, 403);
    const withActions = await call(s, reader, 'GET', `/v2/groups/${g.id}?include=allowed_actions`);
    assert.equal(withActions.body.allowed_actions, undefined);
    const anon = await call(s, undefined, 'GET', '/v2/groups/my_groups');
    assert.equal(anon.status, 401);
    assert.equal(anon.body.code, 'AUTHENTICATION_ERROR');
    const unknown = await call(s, admin, 'GET', `/v2/groups/${g.id}/nothing/here`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'NOT_FOUND');
  });

  test('batch: add and the add refusals (managers adding admins, unknown identities, already active)', async () => {
    const g = await staffedGroup();
    const res = await batch(s, manager, g.id, {
      add: [
        { identity_id: other.id, role: 'admin' },
        { identity_id: '00000000-0000-4000-8000-000000000001' },
        { identity_id: member.id },
        { identity_id: outsider.id, role: 'member' },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.add.map((m: any) => [m.identity_id, m.role, m.status]),
      [[outsider.id, 'member', 'active']],
    );
    assert.deepEqual(
      res.body.errors.add.map((e: any) => e.code),
      ['NOT_ALLOWED', 'IDENTITY_NOT_FOUND', 'ALREADY_ACTIVE'],
    );
    assert.equal(res.body.errors.add[2].detail, 'The identity is already an active member of the group.');
    // A plain member may not add at all: the whole request is refused.
    assert.equal((await batch(s, member, g.id, { add: [{ identity_id: other.id }] })).status, 403);
    assert.equal((await batch(s, outsider, g.id, { add: [{ identity_id: other.id }] })).status, 403);
  });

  test('batch: allow_add=false identities cannot be added directly but can be invited', async () => {
    const g = await createGroup(s, admin);
    const shy = await makeActor(s, 'shy');
    const prefs = await call(s, shy, 'PUT', '/v2/preferences', { allow_add: false });
    assert.equal(prefs.status, 200);
    assert.deepEqual(prefs.body, { [shy.id]: { allow_add: false } });
    const add = await batch(s, admin, g.id, { add: [{ identity_id: shy.id }] });
    assert.deepEqual(add.body.add, []);
    assert.equal(add.body.errors.add[0].code, 'ADD_NOT_ALLOWED');
    const invite = await batch(s, admin, g.id, { invite: [{ identity_id: shy.id, invite_email_address: 'shy@example.org' }] });
    assert.equal(invite.body.invite[0].status, 'invited');
    assert.equal(invite.body.invite[0].invite_email_address, 'shy@example.org');
    assert.deepEqual((await call(s, shy, 'PUT', '/v2/preferences', { [shy.id]: { allow_add: true } })).body, { [shy.id]: { allow_add: true } });
    assert.deepEqual((await call(s, shy, 'GET', '/v2/preferences')).body, { [shy.id]: { allow_add: true } });
    assert.equal((await call(s, shy, 'PUT', '/v2/preferences', { [admin.id]: { allow_add: false } })).status, 403);
  });

  test('batch: invite, accept, decline and their refusals', async () => {
    const g = await staffedGroup();
    const a = await makeActor(s, 'invitee a');
    const b = await makeActor(s, 'invitee b');
    const inv = await batch(s, manager, g.id, { invite: [{ identity_id: a.id }, { identity_id: b.id, role: 'manager' }, { identity_id: member.id }] });
    assert.deepEqual(
      inv.body.invite.map((m: any) => m.identity_id),
      [a.id],
    );
    assert.deepEqual(
      inv.body.errors.invite.map((e: any) => e.code),
      ['NOT_ALLOWED', 'ALREADY_ACTIVE'],
    );
    await batch(s, admin, g.id, { invite: [{ identity_id: b.id, role: 'manager' }] });
    // Someone else cannot answer a's invitation: the caller has no invitation, so the request is refused.
    assert.equal((await batch(s, member, g.id, { accept: [{ identity_id: a.id }] })).status, 403);
    const wrong = await batch(s, b, g.id, { accept: [{ identity_id: a.id }] });
    assert.equal(wrong.body.errors.accept[0].code, 'NOT_IN_IDENTITY_SET');
    const acc = await batch(s, a, g.id, { accept: [{ identity_id: a.id }] });
    assert.deepEqual(
      acc.body.accept.map((m: any) => [m.status, m.role]),
      [['active', 'member']],
    );
    const dec = await batch(s, b, g.id, { decline: [{ identity_id: b.id, status_reason: 'busy' }] });
    assert.deepEqual(
      dec.body.decline.map((m: any) => [m.status, m.status_reason]),
      [['declined', 'busy']],
    );
    assert.equal((await batch(s, b, g.id, { accept: [{ identity_id: b.id }] })).status, 404);
  });

  test('batch: request_join needs join_requests and the signup fields; approve and reject', async () => {
    const g = await staffedGroup({ policies: { group_visibility: 'authenticated' } });
    const x = await makeActor(s, 'joiner x');
    const y = await makeActor(s, 'joiner y');
    assert.equal((await batch(s, x, g.id, { request_join: [{ identity_id: x.id }] })).status, 403);
    await call(s, admin, 'PUT', `/v2/groups/${g.id}/policies`, { join_requests: true, signup_fields: ['institution'] });
    const missing = await batch(s, x, g.id, { request_join: [{ identity_id: x.id }] });
    assert.equal(missing.body.errors.request_join[0].code, 'SIGNUP_FIELDS_REQUIRED');
    assert.equal((await call(s, x, 'PUT', `/v2/groups/${g.id}/membership_fields`, { [admin.id]: { institution: 'U' } })).status, 403);
    for (const a of [x, y]) {
      const put = await call(s, a, 'PUT', `/v2/groups/${g.id}/membership_fields`, { [a.id]: { institution: 'Uni', department: null } });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { [a.id]: { institution: 'Uni', department: null } });
    }
    assert.equal((await call(s, x, 'PUT', `/v2/groups/${g.id}/membership_fields`, { [x.id]: { shoe_size: '9' } })).status, 400);
    const req = await batch(s, x, g.id, { request_join: [{ identity_id: x.id }] });
    assert.deepEqual(
      req.body.request_join.map((m: any) => m.status),
      ['pending'],
    );
    await batch(s, y, g.id, { request_join: [{ identity_id: y.id }] });
    assert.equal((await batch(s, x, g.id, { request_join: [{ identity_id: x.id }] })).status, 403);
    assert.equal((await batch(s, member, g.id, { approve: [{ identity_id: x.id }] })).status, 403);
    const decided = await batch(s, manager, g.id, { approve: [{ identity_id: x.id }], reject: [{ identity_id: y.id }, { identity_id: member.id }] });
    assert.deepEqual(
      decided.body.approve.map((m: any) => [m.identity_id, m.status]),
      [[x.id, 'active']],
    );
    assert.deepEqual(
      decided.body.reject.map((m: any) => [m.identity_id, m.status]),
      [[y.id, 'rejected']],
    );
    assert.equal(decided.body.errors.reject[0].code, 'INVALID_STATUS');
    assert.equal((await batch(s, manager, g.id, { approve: [{ identity_id: outsider.id }] })).body.errors.approve[0].code, 'NO_MEMBERSHIP');
    // Managers see the signup answers.
    assert.deepEqual((await membership(g.id, x.id)).membership_fields, { institution: 'Uni', department: null });
    assert.deepEqual((await call(s, x, 'GET', `/v2/groups/${g.id}/membership_fields`)).body, { [x.id]: { institution: 'Uni', department: null } });
  });

  test('batch: join only where enabled and never on high-assurance groups', async () => {
    const g = await createGroup(s, admin, { policies: { group_visibility: 'authenticated' } });
    const j = await makeActor(s, 'direct joiner');
    assert.equal((await batch(s, j, g.id, { join: [{ identity_id: j.id }] })).status, 403);
    await setGroupAllowJoin(s.store.db, g.id, true);
    const other2 = await batch(s, j, g.id, { join: [{ identity_id: outsider.id }] });
    assert.equal(other2.body.errors.join[0].code, 'NOT_IN_IDENTITY_SET');
    const joined = await batch(s, j, g.id, { join: [{ identity_id: j.id }] });
    assert.deepEqual(
      joined.body.join.map((m: any) => [m.role, m.status]),
      [['member', 'active']],
    );
    await call(s, admin, 'PUT', `/v2/groups/${g.id}/policies`, { is_high_assurance: true });
    assert.equal((await batch(s, outsider, g.id, { join: [{ identity_id: outsider.id }] })).status, 403);
  });

  test('batch: leave, and the last admin can never leave', async () => {
    const g = await staffedGroup();
    const last = await batch(s, admin, g.id, { leave: [{ identity_id: admin.id }] });
    assert.equal(last.status, 200);
    assert.equal(last.body.errors.leave[0].code, 'LAST_ADMIN');
    const left = await batch(s, member, g.id, { leave: [{ identity_id: member.id }] });
    assert.equal(left.body.leave[0].status, 'left');
    assert.equal((await batch(s, member, g.id, { leave: [{ identity_id: member.id }] })).status, 404);
    // Someone who left cannot be added back directly.
    assert.equal((await batch(s, admin, g.id, { add: [{ identity_id: member.id }] })).body.errors.add[0].code, 'ADD_NOT_ALLOWED');
    await batch(s, admin, g.id, { change_role: [{ identity_id: manager.id, role: 'admin' }] });
    assert.equal((await batch(s, admin, g.id, { leave: [{ identity_id: admin.id }] })).body.leave[0].status, 'left');
  });

  test('batch: remove — admins anyone, managers not admins, members nobody, nobody themselves', async () => {
    const g = await staffedGroup();
    assert.equal((await batch(s, member, g.id, { remove: [{ identity_id: manager.id }] })).status, 403);
    const m = await batch(s, manager, g.id, { remove: [{ identity_id: admin.id }, { identity_id: manager.id }, { identity_id: outsider.id }] });
    assert.deepEqual(m.body.remove, []);
    assert.deepEqual(
      m.body.errors.remove.map((e: any) => e.code),
      ['NOT_ALLOWED', 'NOT_ALLOWED', 'NO_MEMBERSHIP'],
    );
    assert.equal(m.body.errors.remove[2].detail, 'Identity has no membership in group.');
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    const a = await batch(s, admin, g.id, { remove: [{ identity_id: manager.id }, { identity_id: other.id, status_reason: 'changed mind' }] });
    assert.deepEqual(
      a.body.remove.map((x: any) => x.status),
      ['removed', 'removed'],
    );
    assert.equal((await membership(g.id, other.id)).status_reason, 'changed mind');
    // Removed identities can be added back.
    assert.equal((await batch(s, admin, g.id, { add: [{ identity_id: manager.id }] })).body.add[0].status, 'active');
  });

  test('batch: change_role — admins only, never demoting the last admin', async () => {
    const g = await staffedGroup();
    assert.equal((await batch(s, manager, g.id, { change_role: [{ identity_id: member.id, role: 'manager' }] })).status, 403);
    const res = await batch(s, admin, g.id, {
      change_role: [
        { identity_id: admin.id, role: 'member' },
        { identity_id: member.id, role: 'manager' },
        { identity_id: outsider.id, role: 'member' },
        { identity_id: manager.id, role: 'owner' },
      ],
    });
    assert.deepEqual(
      res.body.change_role.map((x: any) => [x.identity_id, x.role]),
      [[member.id, 'manager']],
    );
    assert.deepEqual(
      res.body.errors.change_role.map((e: any) => e.code),
      ['LAST_ADMIN', 'NO_MEMBERSHIP', 'INVALID_ROLE'],
    );
  });

  test('batch: an identity in two actions is 400 with ambiguous_identities; a refused action changes nothing', async () => {
    const g = await staffedGroup();
    const amb = await batch(s, admin, g.id, { add: [{ identity_id: other.id }], invite: [{ identity_id: other.id }] });
    assert.equal(amb.status, 400);
    assert.deepEqual(amb.body.ambiguous_identities, [other.id]);
    // manager may add but not change roles: the whole request fails and the add is not applied.
    const refused = await batch(s, manager, g.id, { add: [{ identity_id: other.id }], change_role: [{ identity_id: member.id, role: 'manager' }] });
    assert.equal(refused.status, 403);
    assert.equal(await membership(g.id, other.id), undefined);
    assert.equal((await batch(s, admin, '00000000-0000-4000-8000-00000000dead', { add: [{ identity_id: other.id }] })).status, 404);
    assert.equal((await batch(s, admin, g.id, { add: [{ role: 'member' }] })).status, 400);
    assert.equal((await batch(s, admin, g.id, { promote: [{ identity_id: other.id }] })).status, 400);
  });

  test('malformed ids are answered like unknown ones, not as schema 400s', async () => {
    const g = await staffedGroup();
    const parent = await call(s, admin, 'POST', '/v2/groups', { name: 'sub', parent_id: 'not-a-uuid' });
    assert.equal(parent.status, 404);
    assert.equal(parent.body.code, 'NOT_FOUND');
    assert.equal((await call(s, admin, 'GET', '/v2/subscription_info/not-a-uuid')).status, 404);
    const item = await batch(s, admin, g.id, { add: [{ identity_id: 'not-a-uuid' }] });
    assert.equal(item.status, 200);
    assert.deepEqual(
      item.body.errors.add.map((e: any) => [e.identity_id, e.code]),
      [['not-a-uuid', 'IDENTITY_NOT_FOUND']],
    );
    // Only clearing is allowed here, whatever the value's shape.
    assert.equal((await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { subscription_admin_verified_id: 'not-a-uuid' })).status, 403);
    const verify = await call(s, admin, 'PUT', `/v2/groups/${g.id}/subscription_admin_verified`, { subscription_admin_verified_id: 'not-a-uuid' });
    assert.equal(verify.status, 400);
    assert.equal(verify.body.message, 'subscription_admin_verified_id must be a UUID');
  });

  test('statuses: counts for groups the caller manages', async () => {
    const g = await staffedGroup();
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    const res = await call(s, manager, 'GET', '/v2/groups/statuses');
    assert.deepEqual(res.body[g.id], { active: 3, invited: 1, pending: 0, rejected: 0, removed: 0, left: 0, declined: 0 });
    assert.equal((await call(s, member, 'GET', '/v2/groups/statuses')).body[g.id], undefined);
  });

  test('subscriptions: lookup by subscription id and subscription_admin_verified', async () => {
    const subGroup = await createGroup(s, admin, { name: 'subscription' });
    const subscriptionId = '5a1e0000-0000-4000-8000-000000000001';
    const connectors = { '052be037-7dda-4d20-b163-3077314dc3e6': { is_ha: true, is_baa: false } };
    await setGroupSubscription(s.store.db, subGroup.id, subscriptionId, {
      name: 'Sub',
      subscriber_name: 'Uni',
      is_high_assurance: true,
      is_baa: false,
      connectors,
    });
    const info = await call(s, outsider, 'GET', `/v2/subscription_info/${subscriptionId}`);
    assert.equal(info.status, 200);
    assert.deepEqual(info.body, {
      group_id: subGroup.id,
      subscription_id: subscriptionId,
      subscription_info: { is_high_assurance: true, is_baa: false, connectors },
    });
    assert.equal((await call(s, outsider, 'GET', '/v2/subscription_info/5a1e0000-0000-4000-8000-000000000002')).status, 404);
    const g = await staffedGroup();
    const path = `/v2/groups/${g.id}/subscription_admin_verified`;
    assert.equal((await call(s, manager, 'PUT', path, { subscription_admin_verified_id: subscriptionId })).status, 403);
    const ok = await call(s, admin, 'PUT', path, { subscription_admin_verified_id: subscriptionId });
    assert.deepEqual(ok.body, { group_id: g.id, subscription_admin_verified_id: subscriptionId });
    assert.equal((await call(s, admin, 'GET', `/v2/groups/${g.id}`)).body.subscription_admin_verified_id, subscriptionId);
    assert.equal((await call(s, admin, 'PUT', `/v2/groups/${g.id}`, { subscription_admin_verified_id: null })).body.subscription_admin_verified_id, null);
  });

  test('group principals: activeGroupIds and loadPrincipals count active memberships only', async () => {
    const g = await staffedGroup();
    await batch(s, admin, g.id, { invite: [{ identity_id: other.id }] });
    assert.ok((await activeGroupIds(s.store.db, [member.id])).includes(g.id));
    assert.ok(!(await activeGroupIds(s.store.db, [other.id])).includes(g.id));
    assert.deepEqual(await activeGroupIds(s.store.db, []), []);
    await batch(s, member, g.id, { leave: [{ identity_id: member.id }] });
    assert.ok(!(await activeGroupIds(s.store.db, [member.id])).includes(g.id));
    const p = await loadPrincipals(s.store.db, { identitySet: [manager.id] } as any);
    assert.ok(p.groups.includes(g.id));
  });
});
