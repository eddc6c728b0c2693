// Guest auto-delete: which guests one pass removes (auto_delete_timeout, skip_auto_delete, last_access / created_at), that they go with their roles and rules, concurrent passes, and the periodic job.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { autoDeleteDue, lastUseDay, runAutoDelete } from '../src/gcs/auto-delete.ts';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { eventually } from './helpers/wait.ts';
import { api, dataAccess, grantRole, makeActor, setupMapped, startGcsWorld, tokenWith, type Actor, type GcsWorld } from './helpers/gcs.ts';
import { addRule } from './helpers/data.ts';

const day = (now: Date, daysBack: number) => new Date(now.getTime() - daysBack * 86_400_000).toISOString().slice(0, 10);

/** Rewrites a collection's stored dates, as if it had been created or last used long ago. */
async function backdate(server: TestServer, id: string, dates: { last_access?: string | null; created_at?: string }) {
  const row = await server.store.db.selectFrom('collections').select('document').where('id', '=', id).executeTakeFirstOrThrow();
  const doc = { ...JSON.parse(row.document), ...dates };
  await server.store.db
    .updateTable('collections')
    .set({ document: JSON.stringify(doc) })
    .where('id', '=', id)
    .execute();
}

describe('auto-delete rules (pure)', () => {
  test('due only with a timeout, without skip_auto_delete, and after more than the timeout in whole days', () => {
    const today = '2030-03-31';
    assert.equal(autoDeleteDue({ timeoutDays: 30, skipAutoDelete: false, lastUse: '2030-03-01', today }), false, 'exactly 30 days: kept');
    assert.equal(autoDeleteDue({ timeoutDays: 30, skipAutoDelete: false, lastUse: '2030-02-28', today }), true);
    assert.equal(autoDeleteDue({ timeoutDays: 30, skipAutoDelete: true, lastUse: '2000-01-01', today }), false);
    assert.equal(autoDeleteDue({ timeoutDays: null, skipAutoDelete: false, lastUse: '2000-01-01', today }), false);
    assert.equal(autoDeleteDue({ timeoutDays: 0, skipAutoDelete: false, lastUse: '2000-01-01', today }), false);
    assert.equal(autoDeleteDue({ timeoutDays: 1, skipAutoDelete: false, lastUse: 'garbage', today }), false);
    assert.equal(lastUseDay({ last_access: '2030-01-02', created_at: '2029-01-01' }, 0), '2030-01-02');
    assert.equal(lastUseDay({ last_access: null, created_at: '2029-01-01' }, 0), '2029-01-01');
    assert.equal(lastUseDay({}, Date.UTC(2028, 5, 7) / 1000), '2028-06-07');
  });
});

describe(`guest auto-delete (${storeName})`, () => {
  let world: GcsWorld;
  let server: TestServer;
  let maker: Actor;
  let plainMapped: string;
  const now = new Date();

  const guest = async (mappedId: string, name: string, extra: Record<string, unknown> = {}) => {
    const token = await tokenWith(server, maker, dataAccess(mappedId));
    const res = await api(server, token, 'POST', '/api/collections', {
      collection_type: 'guest',
      display_name: name,
      collection_base_path: '/',
      public: true,
      mapped_collection_id: mappedId,
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data[0].id as string;
  };

  before(async () => {
    world = await startGcsWorld('auto-delete admin');
    server = world.server;
    const timed = await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { auto_delete_timeout: 30 });
    assert.equal(timed.status, 200, JSON.stringify(timed.body));
    const plain = await api(server, world.admin.token, 'POST', '/api/collections', {
      collection_type: 'mapped',
      display_name: 'No timeout',
      storage_gateway_id: world.gatewayId,
      collection_base_path: '/data',
      public: true,
      allow_guest_collections: true,
    });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    plainMapped = plain.body.data[0].id;
    maker = await makeActor(server, 'guest maker', dataAccess(world.mappedId));
    assert.equal((await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: world.gatewayId })).status, 201);
  });
  after(() => server.stop());

  test('one pass deletes unused guests with their roles and rules, and keeps the rest', async () => {
    const stale = await guest(world.mappedId, 'stale');
    const neverUsed = await guest(world.mappedId, 'never used');
    const skipped = await guest(world.mappedId, 'skipped', { skip_auto_delete: true });
    const recent = await guest(world.mappedId, 'recent');
    const boundary = await guest(world.mappedId, 'thirty days');
    const untimed = await guest(plainMapped, 'no timeout');
    await backdate(server, stale, { last_access: day(now, 31), created_at: day(now, 400) });
    await backdate(server, neverUsed, { last_access: null, created_at: day(now, 45) });
    await backdate(server, skipped, { last_access: day(now, 400) });
    await backdate(server, recent, { last_access: day(now, 2), created_at: day(now, 400) });
    await backdate(server, boundary, { last_access: day(now, 30) });
    await backdate(server, untimed, { last_access: day(now, 400), created_at: day(now, 400) });

    // Something for the deletion to take along: a role beside the creator's and an access rule.
    const role = await api(server, maker.token, 'POST', '/api/roles', {
      collection: stale,
      principal: `urn:globus:auth:identity:${world.admin.id}`,
      role: 'access_manager',
    });
    assert.equal(role.status, 200, JSON.stringify(role.body));
    await addRule(server, maker, stale, { principal_type: 'identity', principal: world.admin.id, path: '/', permissions: 'r' });
    const count = async (table: 'gcs_roles' | 'transfer_access_rules', id: string) =>
      Number(
        (
          await server.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('collection_id', '=', id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    assert.equal(await count('gcs_roles', stale), 2);
    assert.equal(await count('transfer_access_rules', stale), 1);

    const deleted = await runAutoDelete(server.store, now);
    assert.deepEqual(deleted.sort(), [stale, neverUsed].sort());
    for (const id of [stale, neverUsed]) assert.equal((await api(server, maker.token, 'GET', `/api/collections/${id}`)).status, 404);
    for (const id of [skipped, recent, boundary, untimed]) assert.equal((await api(server, maker.token, 'GET', `/api/collections/${id}`)).status, 200, id);
    assert.equal(await count('gcs_roles', stale), 0);
    assert.equal(await count('transfer_access_rules', stale), 0);
    assert.equal((await api(server, world.admin.token, 'GET', `/api/collections/${world.mappedId}`)).status, 200, 'the mapped collection stays');

    // Nothing else is due; a day later the 30-day guest is.
    assert.deepEqual(await runAutoDelete(server.store, now), []);
    assert.deepEqual(await runAutoDelete(server.store, new Date(now.getTime() + 86_400_000)), [boundary]);
    // Removing the timeout (or asking to be skipped) keeps even very old guests.
    await api(server, maker.token, 'PATCH', `/api/collections/${recent}`, { skip_auto_delete: true });
    assert.equal((await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { auto_delete_timeout: null })).status, 200);
    assert.deepEqual(await runAutoDelete(server.store, new Date(now.getTime() + 1000 * 86_400_000)), []);
    assert.equal((await api(server, world.admin.token, 'PATCH', `/api/collections/${world.mappedId}`, { auto_delete_timeout: 30 })).status, 200);
    assert.deepEqual(await runAutoDelete(server.store, new Date(now.getTime() + 1000 * 86_400_000)), [], 'skip_auto_delete on both survivors');
  });

  test('two processes passing over one store at once delete each guest once', async () => {
    const ids = [await guest(world.mappedId, 'c1'), await guest(world.mappedId, 'c2'), await guest(world.mappedId, 'c3')];
    for (const id of ids) await backdate(server, id, { last_access: day(now, 90) });
    const [a, b] = await Promise.all([runAutoDelete(server.store, now), passInChild(server, now)]);
    assert.deepEqual([...a, ...b].sort(), [...ids].sort());
    assert.ok(a.length === 0 || b.length === 0, 'one pass finds everything, the other nothing');
  });
});

/** One pass in another process on the same store (in-process, node:sqlite's busy wait would block this one). */
async function passInChild(server: TestServer, now: Date): Promise<string[]> {
  const script = `
    import { Store } from ${JSON.stringify(path.resolve(import.meta.dirname, '../src/store/db.ts'))};
    import { runAutoDelete } from ${JSON.stringify(path.resolve(import.meta.dirname, '../src/gcs/auto-delete.ts'))};
    const store = await Store.open({ dataDir: process.env.DATA_DIR, databaseUrl: process.env.DATABASE_URL || undefined });
    try { process.stdout.write(JSON.stringify(await runAutoDelete(store, new Date(process.env.NOW)))); } finally { await store.close(); }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, DATA_DIR: server.dataDir, DATABASE_URL: server.databaseUrl ?? '', NOW: now.toISOString() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  return JSON.parse(out);
}

describe(`the periodic job (${storeName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ autoDeleteInterval: 1 });
  });
  after(() => server.stop());

  test('runs every GATEHOUSE_AUTO_DELETE_INTERVAL seconds while the server is up', async () => {
    const admin = await makeActor(server, 'job admin');
    await grantRole(server, admin.id, 'administrator');
    const { gatewayId, mappedId } = await setupMapped(server, admin, { auto_delete_timeout: 1 });
    const maker = await makeActor(server, 'job maker', dataAccess(mappedId));
    assert.equal((await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId })).status, 201);
    const created = await api(server, maker.token, 'POST', '/api/collections', {
      collection_type: 'guest',
      display_name: 'old',
      collection_base_path: '/',
      public: true,
      mapped_collection_id: mappedId,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.data[0].id;
    await backdate(server, id, { last_access: day(new Date(), 5) });
    await eventually(async () => (await api(server, maker.token, 'GET', `/api/collections/${id}`)).status === 404, 'the job deletes the stale guest', {
      everyMs: 100,
    });
  });
});
