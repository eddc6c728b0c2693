// The Groups flows driven by the real @globus/sdk (JS): my groups, get with includes, create, update, membership actions, policies, errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { errors, groups } from '@globus/sdk';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { makeActor, type Actor } from './groups-helpers.ts';

describe(`groups via @globus/sdk (${storeName})`, () => {
  let s: TestServer;
  let alice: Actor, bob: Actor, carol: Actor;
  let agent: https.Agent;
  const previousUrl = process.env.GLOBUS_SDK_SERVICE_URL_GROUPS;

  before(async () => {
    s = await startTestServer();
    alice = await makeActor(s, 'alice');
    bob = await makeActor(s, 'bob');
    carol = await makeActor(s, 'carol');
    agent = new https.Agent({ ca: s.ca });
    process.env.GLOBUS_SDK_SERVICE_URL_GROUPS = `${s.url}/`;
  });
  after(async () => {
    if (previousUrl === undefined) delete process.env.GLOBUS_SDK_SERVICE_URL_GROUPS;
    else process.env.GLOBUS_SDK_SERVICE_URL_GROUPS = previousUrl;
    agent.destroy();
    await s.stop();
  });

  const as = (actor: Actor) => ({ headers: { Authorization: `Bearer ${actor.token}` } });
  const sdk = () => ({ fetch: { options: { agent } } }) as any;

  test('create, get, update, my groups, statuses, policies, membership actions, delete', async () => {
    const created = await groups.groups.create({ ...as(alice), payload: { name: 'SDK group', description: 'via js' } }, sdk());
    assert.equal(created.status, 201);
    const group = (await created.json()) as any;
    assert.equal(group.name, 'SDK group');

    const added = await groups.membership.act(
      group.id,
      { ...as(alice), payload: { add: [{ identity_id: bob.id, role: 'manager' }], invite: [{ identity_id: carol.id, role: 'member' }] } },
      sdk(),
    );
    assert.equal(added.status, 200);
    const body = (await added.json()) as any;
    assert.deepEqual(
      body.add.map((m: any) => [m.identity_id, m.role, m.status]),
      [[bob.id, 'manager', 'active']],
    );
    assert.deepEqual(
      body.invite.map((m: any) => [m.identity_id, m.status]),
      [[carol.id, 'invited']],
    );

    // The SDK sends statuses comma-joined.
    const mine = await groups.groups.getMyGroups({ ...as(carol), query: { statuses: ['active', 'invited'] } }, sdk());
    const list = (await mine.json()) as any[];
    assert.deepEqual(
      list.map((g) => [g.id, g.my_memberships[0].status]),
      [[group.id, 'invited']],
    );

    const accepted = await groups.membership.act(group.id, { ...as(carol), payload: { accept: [{ identity_id: carol.id }] } }, sdk());
    assert.equal(((await accepted.json()) as any).accept[0].status, 'active');

    const got = await groups.groups.get(group.id, { ...as(bob), query: { include: 'memberships,allowed_actions' } as any }, sdk());
    const doc = (await got.json()) as any;
    assert.equal(doc.memberships.length, 3);
    assert.deepEqual(doc.allowed_actions.add, [bob.id]);

    const statuses = (await (await groups.groups.getStatuses(as(bob), sdk())).json()) as any;
    assert.equal(statuses[group.id].active, 3);

    const updated = await groups.groups.update(group.id, { ...as(alice), payload: { name: 'renamed', description: 'again' } }, sdk());
    assert.equal(((await updated.json()) as any).name, 'renamed');

    const policies = await groups.policies.update(
      group.id,
      {
        ...as(alice),
        payload: {
          is_high_assurance: false,
          group_visibility: 'authenticated',
          group_members_visibility: 'members',
          join_requests: true,
          signup_fields: ['institution'],
          authentication_assurance_timeout: 28800,
        },
      },
      sdk(),
    );
    assert.equal(policies.status, 200);
    assert.equal(((await (await groups.policies.get(group.id, as(carol), sdk())).json()) as any).group_visibility, 'authenticated');

    const removed = await groups.groups.remove(group.id, as(alice), sdk());
    assert.equal(((await removed.json()) as any).id, group.id);
  });

  test('refusals arrive as well-formed errors (code and message)', async () => {
    const created = (await (await groups.groups.create({ ...as(alice), payload: { name: 'private' } }, sdk())).json()) as any;
    const probe = await groups.groups.get(created.id, as(carol), sdk());
    assert.equal(probe.status, 404);
    const err = await probe.json();
    assert.ok(errors.isErrorWellFormed(err));
    assert.equal((err as any).code, 'NOT_FOUND');
    const lastAdmin = await groups.membership.act(created.id, { ...as(alice), payload: { leave: [{ identity_id: alice.id }] } }, sdk());
    assert.equal(lastAdmin.status, 200);
    assert.equal(((await lastAdmin.json()) as any).errors.leave[0].code, 'LAST_ADMIN');
    const notAdmin = await groups.groups.update(created.id, { ...as(bob), payload: { name: 'x' } }, sdk());
    assert.equal(notAdmin.status, 404);
  });
});
