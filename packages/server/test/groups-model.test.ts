// Model-based property test: random batch actions by random actors against a small reference model of Groups.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { setGroupAllowJoin } from '../src/groups/repo.ts';
import { batch, createGroup, makeActor, type Actor } from './groups-helpers.ts';

type Role = 'member' | 'manager' | 'admin';
interface M {
  role: string;
  status: string;
}
const ACTIONS = ['add', 'invite', 'accept', 'decline', 'join', 'request_join', 'approve', 'reject', 'leave', 'remove', 'change_role'] as const;
type Action = (typeof ACTIONS)[number];
interface Cmd {
  actor: number;
  action: Action;
  target: number;
  role: Role;
}

/** Expected outcome of one single-item batch, written from the spec table (groups-api.md §4.1) independently of the server code. */
function expected(model: Map<string, M>, actorId: string, cmd: Cmd, targetId: string): { status: 403 } | { status: 200; error?: string; next?: M } {
  const a = model.get(actorId);
  const t = model.get(targetId);
  const aRole = a?.status === 'active' ? a.role : undefined;
  const staff = aRole === 'admin' || aRole === 'manager';
  const admins = [...model.values()].filter((m) => m.status === 'active' && m.role === 'admin').length;
  const permitted: Record<Action, boolean> = {
    add: staff,
    invite: staff,
    approve: staff,
    reject: staff,
    remove: staff,
    change_role: aRole === 'admin',
    accept: a?.status === 'invited',
    decline: a?.status === 'invited',
    join: a?.status !== 'active',
    request_join: a?.status !== 'active' && a?.status !== 'pending',
    leave: a?.status === 'active',
  };
  if (!permitted[cmd.action]) return { status: 403 };
  const fail = (error: string) => ({ status: 200 as const, error });
  const ok = (next: M) => ({ status: 200 as const, next });
  const needs = (...statuses: string[]) => (t && statuses.includes(t.status) ? undefined : t ? 'INVALID_STATUS' : 'NO_MEMBERSHIP');
  const self = actorId === targetId;
  const lastAdmin = t?.status === 'active' && t.role === 'admin' && admins <= 1;
  switch (cmd.action) {
    case 'add':
    case 'invite':
      if (cmd.role !== 'member' && aRole !== 'admin') return fail('NOT_ALLOWED');
      if (t?.status === 'active') return fail('ALREADY_ACTIVE');
      if (cmd.action === 'add' && t?.status === 'left') return fail('ADD_NOT_ALLOWED');
      return ok({ role: cmd.role, status: cmd.action === 'add' ? 'active' : 'invited' });
    case 'accept':
    case 'decline':
      if (!self) return fail('NOT_IN_IDENTITY_SET');
      if (needs('invited')) return fail(needs('invited')!);
      return ok({ role: t!.role, status: cmd.action === 'accept' ? 'active' : 'declined' });
    case 'join':
    case 'request_join':
      if (!self) return fail('NOT_IN_IDENTITY_SET');
      if (t?.status === 'active') return fail('ALREADY_ACTIVE');
      if (cmd.action === 'request_join' && t?.status === 'pending') return fail('INVALID_STATUS');
      return ok({ role: 'member', status: cmd.action === 'join' ? 'active' : 'pending' });
    case 'approve':
    case 'reject':
      if (needs('pending')) return fail(needs('pending')!);
      return ok({ role: t!.role, status: cmd.action === 'approve' ? 'active' : 'rejected' });
    case 'leave':
      if (!self) return fail('NOT_IN_IDENTITY_SET');
      if (needs('active')) return fail(needs('active')!);
      if (lastAdmin) return fail('LAST_ADMIN');
      return ok({ role: t!.role, status: 'left' });
    case 'remove':
      if (self) return fail('NOT_ALLOWED');
      if (needs('active', 'invited')) return fail(needs('active', 'invited')!);
      if (aRole === 'manager' && t!.role === 'admin') return fail('NOT_ALLOWED');
      if (lastAdmin) return fail('LAST_ADMIN');
      return ok({ role: t!.role, status: 'removed' });
    case 'change_role':
      if (needs('active')) return fail(needs('active')!);
      if (lastAdmin && cmd.role !== 'admin') return fail('LAST_ADMIN');
      return ok({ role: cmd.role, status: 'active' });
  }
}

describe(`groups membership model (${storeName})`, () => {
  let s: TestServer;
  const actors: Actor[] = [];
  before(async () => {
    s = await startTestServer();
    for (let i = 0; i < 4; i++) actors.push(await makeActor(s, `actor ${i}`));
  });
  after(async () => {
    await s.stop();
  });

  test('random batches by random actors: server == model, ≥ 1 admin, one membership per identity', async () => {
    const cmd = fc.record({
      actor: fc.integer({ min: 0, max: 3 }),
      action: fc.constantFrom(...ACTIONS),
      target: fc.integer({ min: 0, max: 3 }),
      role: fc.constantFrom<Role>('member', 'manager', 'admin'),
    });
    await fc.assert(
      // A random starting roster makes staff-only paths (managers vs admins, last admin) reachable in few steps.
      fc.asyncProperty(
        fc.array(fc.constantFrom<Role | null>(null, 'member', 'manager', 'admin'), { minLength: 3, maxLength: 3 }),
        fc.array(cmd, { minLength: 1, maxLength: 15 }),
        async (roster, cmds) => {
          // Authenticated visibility, direct joins and join requests on: every action is reachable.
          const g = await createGroup(s, actors[0], { policies: { group_visibility: 'authenticated', join_requests: true } });
          await setGroupAllowJoin(s.store.db, g.id, true);
          const model = new Map<string, M>([[actors[0].id, { role: 'admin', status: 'active' }]]);
          const add = roster.flatMap((role, i) => (role ? [{ identity_id: actors[i + 1].id, role }] : []));
          if (add.length) assert.equal((await batch(s, actors[0], g.id, { add })).body.add.length, add.length);
          for (const a of add) model.set(a.identity_id, { role: a.role, status: 'active' });
          for (const c of cmds) {
            const actor = actors[c.actor];
            const targetId = actors[c.target].id;
            const item: Record<string, string> = { identity_id: targetId };
            if (c.action === 'add' || c.action === 'invite' || c.action === 'change_role') item.role = c.role;
            const want = expected(model, actor.id, c, targetId);
            const res = await batch(s, actor, g.id, { [c.action]: [item] });
            const where = `${JSON.stringify(c)} model=${JSON.stringify([...model])} body=${JSON.stringify(res.body)}`;
            assert.equal(res.status, want.status, where);
            if (want.status === 200) {
              if (want.error) {
                assert.deepEqual(res.body[c.action], [], where);
                assert.equal(res.body.errors?.[c.action]?.[0]?.code, want.error, where);
              } else {
                assert.equal(res.body.errors, undefined, where);
                assert.deepEqual(
                  res.body[c.action].map((m: any) => ({ role: m.role, status: m.status })),
                  [want.next],
                  where,
                );
                model.set(targetId, want.next!);
              }
            }
            const rows = await s.store.db.selectFrom('group_memberships').select(['identity_id', 'role', 'status']).where('group_id', '=', g.id).execute();
            assert.equal(new Set(rows.map((r) => r.identity_id)).size, rows.length, 'one membership per identity');
            assert.ok(
              rows.some((r) => r.status === 'active' && r.role === 'admin'),
              'at least one active admin',
            );
            assert.deepEqual(Object.fromEntries(rows.map((r) => [r.identity_id, { role: r.role, status: r.status }])), Object.fromEntries(model), where);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
