// GroupsClient, GroupsManager and the payload helpers against a real Gatehouse server (SQLite or PostgreSQL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessTokenAuthorizer,
  BatchMembershipActions,
  GroupMemberVisibility,
  GroupPolicies,
  GroupRequiredSignupFields,
  GroupRole,
  GroupsAPIError,
  GroupsClient,
  GroupsManager,
  GroupVisibility,
  GlobusAPIError,
} from '../src/index.ts';
import { startTestServer, storeName, type TestServer } from '../../server/test/helpers/server.ts';
import { makeActor, type Actor } from '../../server/test/groups-helpers.ts';

describe(`GroupsClient (${storeName})`, () => {
  let s: TestServer;
  let alice: Actor, bob: Actor, carol: Actor;
  const client = (actor: Actor) =>
    new GroupsClient({ baseUrl: s.url, authorizer: new AccessTokenAuthorizer(actor.token), dispatcher: s.dispatcher, maxRetries: 0 });

  before(async () => {
    s = await startTestServer();
    alice = await makeActor(s, 'alice');
    bob = await makeActor(s, 'bob');
    carol = await makeActor(s, 'carol');
  });
  after(async () => {
    await s.stop();
  });

  test('enums are const objects with the wire values', () => {
    assert.equal(GroupRole.admin, 'admin');
    assert.equal(GroupVisibility.authenticated, 'authenticated');
    assert.equal(GroupMemberVisibility.members, 'members');
    assert.equal(Object.keys(GroupRequiredSignupFields).length, 12);
  });

  test('BatchMembershipActions and GroupPolicies serialize to the wire shapes', () => {
    const batch = new BatchMembershipActions().addMembers(['a', 'b'], { role: 'manager' }).inviteMembers('c').changeRoles('admin', 'a');
    assert.deepEqual(JSON.parse(JSON.stringify(batch)), {
      add: [
        { identity_id: 'a', role: 'manager' },
        { identity_id: 'b', role: 'manager' },
      ],
      invite: [{ identity_id: 'c', role: 'member' }],
      change_role: [{ identity_id: 'a', role: 'admin' }],
    });
    const policies = new GroupPolicies({
      isHighAssurance: false,
      groupVisibility: 'private',
      groupMembersVisibility: 'managers',
      joinRequests: true,
      signupFields: ['institution'],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(policies)), {
      is_high_assurance: false,
      group_visibility: 'private',
      group_members_visibility: 'managers',
      join_requests: true,
      signup_fields: ['institution'],
    });
  });

  test('every client method against the server', async () => {
    const a = client(alice);
    const group = await a.createGroup({ name: 'sdk', description: 'made by GroupsClient' });
    assert.equal(group.name, 'sdk');
    const result = await a.batchMembershipAction(group.id, new BatchMembershipActions().addMembers(bob.id, { role: 'manager' }).inviteMembers(carol.id));
    assert.equal(result.add?.[0].status, 'active');
    assert.equal(result.invite?.[0].status, 'invited');
    const invitedList = await client(carol).getMyGroups({ statuses: ['active', 'invited'] });
    assert.deepEqual(
      invitedList.map((g) => g.id),
      [group.id],
    );
    assert.deepEqual(await client(carol).getMyGroups(), []);
    const full = await a.getGroup(group.id, { include: ['memberships', 'allowed_actions', 'child_ids'] });
    assert.equal(full.memberships?.length, 3);
    assert.deepEqual(full.child_ids, []);
    assert.equal((await a.updateGroup(group.id, { name: 'renamed' })).name, 'renamed');
    const policies = await a.setGroupPolicies(
      group.id,
      new GroupPolicies({
        isHighAssurance: false,
        groupVisibility: 'authenticated',
        groupMembersVisibility: 'members',
        joinRequests: true,
        signupFields: ['department'],
      }),
    );
    assert.equal(policies.join_requests, true);
    assert.deepEqual(await a.getGroupPolicies(group.id), policies);
    assert.deepEqual(await client(carol).setIdentityPreferences({ allow_add: false }), { [carol.id]: { allow_add: false } });
    assert.deepEqual(await client(carol).getIdentityPreferences(), { [carol.id]: { allow_add: false } });
    assert.deepEqual(await client(carol).setMembershipFields(group.id, { [carol.id]: { department: 'Physics' } }), { [carol.id]: { department: 'Physics' } });
    assert.deepEqual(await client(carol).getMembershipFields(group.id), { [carol.id]: { department: 'Physics' } });
    assert.equal((await a.getStatuses())[group.id].invited, 1);
    const child = await a.createGroup({ name: 'child', parent_id: group.id });
    assert.deepEqual(
      (await a.getChildren(group.id)).children.map((c) => c.id),
      [child.id],
    );
    await assert.rejects(
      a.getGroupBySubscriptionId('00000000-0000-4000-8000-000000000000'),
      (e: unknown) => e instanceof GroupsAPIError && e.httpStatus === 404,
    );
    assert.equal((await a.deleteGroup(child.id)).id, child.id);
  });

  test('GroupsManager verbs and refusals as GroupsAPIError', async () => {
    const m = new GroupsManager(client(alice));
    const group = await m.createGroup('managed', 'via GroupsManager');
    assert.equal(group.parent_id, null);
    await m.setGroupPolicies(group.id, {
      isHighAssurance: false,
      groupVisibility: 'authenticated',
      groupMembersVisibility: 'managers',
      joinRequests: true,
      signupFields: [],
    });
    assert.equal((await m.addMember(group.id, bob.id)).add?.[0].role, 'member');
    assert.equal((await m.changeRole(group.id, bob.id, 'manager')).change_role?.[0].role, 'manager');
    assert.equal((await m.inviteMember(group.id, carol.id)).invite?.[0].status, 'invited');
    const carolM = new GroupsManager(client(carol));
    assert.equal((await carolM.declineInvite(group.id, carol.id)).decline?.[0].status, 'declined');
    assert.equal((await carolM.requestJoin(group.id, carol.id)).request_join?.[0].status, 'pending');
    const bobM = new GroupsManager(client(bob));
    assert.equal((await bobM.rejectJoinRequest(group.id, carol.id)).reject?.[0].status, 'rejected');
    await carolM.requestJoin(group.id, carol.id);
    assert.equal((await bobM.approvePending(group.id, carol.id)).approve?.[0].status, 'active');
    assert.equal((await bobM.removeMember(group.id, carol.id)).remove?.[0].status, 'removed');
    await m.inviteMember(group.id, carol.id);
    assert.equal((await carolM.acceptInvite(group.id, carol.id)).accept?.[0].status, 'active');
    assert.equal((await carolM.leave(group.id, carol.id)).leave?.[0].status, 'left');
    assert.equal((await m.leave(group.id, alice.id)).errors?.leave?.[0].code, 'LAST_ADMIN');
    await assert.rejects(carolM.removeMember(group.id, bob.id), (e: unknown) => {
      assert.ok(e instanceof GroupsAPIError && e instanceof GlobusAPIError);
      assert.equal(e.httpStatus, 403);
      assert.equal(e.code, 'FORBIDDEN');
      return true;
    });
    await assert.rejects(carolM.join(group.id, carol.id), (e: unknown) => e instanceof GroupsAPIError && e.httpStatus === 403);
  });
});
