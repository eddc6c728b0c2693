// The task engine under change, through the Transfer API: an access rule removed mid-task (PERMISSION_DENIED faults in event_list), cancel within 2 s with the temp file removed, admin pause and resume, a deadline moved into the past, a revoked consent (INACTIVE).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, isRoot, makeWorld, mkdirOwned, type DataWorld } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';
import { tokenFor, transferDoc } from './transfer-tasks-helpers.ts';
import { assertCountersAddUp, events, put, sha256, task } from './transfer-engine-helpers.ts';
import { reactivateTasks } from '../src/transfer/engine/reactivate.ts';

const TEMP = /^\.gatehouse-[0-9a-f]{8}-\d+\.part$/;

describe(`task engine control (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;

  before(async () => {
    // One file at a time: a rule removed after the first files lands while the rest are still to come.
    server = await startTestServer({ taskFileConcurrency: 1 });
    world = await makeWorld(server);
    mkdirOwned(world.root, 'alice', world.accounts.alice);
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('an access rule removed while a guest transfer runs: the remaining files fault PERMISSION_DENIED and are retried, shown in event_list', async () => {
    const { owner } = world.accounts;
    const shared = path.join(world.root, 'shared');
    for (let i = 0; i < 2000; i++) put(shared, `src/f${String(i).padStart(4, '0')}.txt`, `file ${i}`, owner);
    mkdirOwned(shared, 'dst', owner);
    const readRule = await addRule(server, world.owner, world.guestId, {
      principal_type: 'identity',
      principal: world.bob.id,
      path: '/src/',
      permissions: 'r',
    });
    await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/dst/', permissions: 'rw' });
    const bob = await tokenFor(server, world.bob);
    const submitted = await api(server, bob, 'POST', '/v0.10/transfer', transferDoc(world.guestId, world.guestId, [['/src', '/dst/copy']]));
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const taskId = submitted.body.task_id as string;
    await eventually(async () => (await task(server.store, taskId)).files_transferred >= 5 || undefined, 'the first files are copied');
    const ownerToken = await tokenFor(server, world.owner);
    const removed = await api(server, ownerToken, 'DELETE', `/v0.10/endpoint/${world.guestId}/access/${readRule}`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));

    let last: unknown;
    const denied = await eventually(
      async () => {
        const res = await api(server, bob, 'GET', `/v0.10/task/${taskId}/event_list?filter=is_error:1`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        last = res.body;
        return res.body.DATA.find((e: any) => e.code === 'PERMISSION_DENIED');
      },
      'a PERMISSION_DENIED event',
      { timeoutMs: 20_000, everyMs: 200 },
    ).catch((error) => {
      throw new Error(`${error.message}; last event_list: ${JSON.stringify(last)}`);
    });
    assert.match(denied.details, /File: \/src\/f\d{4}\.txt/);
    assert.equal(denied.is_error, true);
    const doc = await api(server, bob, 'GET', `/v0.10/task/${taskId}`);
    assert.equal(doc.body.status, 'ACTIVE');
    assert.equal(doc.body.nice_status, 'PERMISSION_DENIED');
    assert.ok(doc.body.faults >= 1);
    assert.ok(doc.body.files_transferred < 2000, 'files after the removal are not copied');
    const copied = fs.readdirSync(path.join(shared, 'dst/copy')).filter((n) => !TEMP.test(n)).length;
    assert.ok(copied <= doc.body.files_transferred + 1);
    assertCountersAddUp(await task(server.store, taskId));
    const canceled = await api(server, bob, 'POST', `/v0.10/task/${taskId}/cancel`);
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
  });

  test('cancel during a large copy: the work stops and its temp file is gone within 2 s', async () => {
    const { alice } = world.accounts;
    const dir = mkdirOwned(world.root, 'alice/big', alice);
    const big = path.join(dir, 'big.bin');
    // Sparse: 4 GiB to read, nothing to write up front.
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 4 * 1024 ** 3);
    fs.chownSync(big, alice.uid, alice.gid);
    const dst = mkdirOwned(world.root, 'alice/bigdst', alice);
    const token = await tokenFor(server, world.alice, world.mappedId);
    const submitted = await api(
      server,
      token,
      'POST',
      '/v0.10/transfer',
      transferDoc(world.mappedId, world.mappedId, [['/alice/big/big.bin', '/alice/bigdst/big.bin']]),
    );
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const taskId = submitted.body.task_id as string;
    await eventually(() => fs.readdirSync(dst).some((n) => TEMP.test(n)) || undefined, 'the copy has begun (temp file)');
    const canceled = await api(server, token, 'POST', `/v0.10/task/${taskId}/cancel`);
    assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
    await eventually(
      async () => {
        const t = await task(server.store, taskId);
        return t.lease_owner === null && !fs.readdirSync(dst).some((n) => TEMP.test(n)) ? t : undefined;
      },
      'the copy stopped and its temp file was removed',
      { timeoutMs: 2000 },
    );
    const t = await task(server.store, taskId);
    assert.equal(t.status, 'FAILED');
    assert.equal(JSON.parse(t.fatal_error!).code, 'CANCELED');
    assert.equal(fs.existsSync(path.join(dst, 'big.bin')), false);
    assertCountersAddUp(t);
    fs.rmSync(big);
  });

  test('admin pause: the copy stops and no data moves while paused; resume continues the file from its kept prefix', async () => {
    const { alice } = world.accounts;
    const dir = mkdirOwned(world.root, 'alice/pause', alice);
    const big = path.join(dir, 'big.bin');
    const block = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 1) & 0xff;
    const fd = fs.openSync(big, 'w');
    for (let off = 0; off < 768 * 1024 * 1024; off += block.length) fs.writeSync(fd, block, 0, block.length, off);
    fs.closeSync(fd);
    fs.chownSync(big, alice.uid, alice.gid);
    const dst = mkdirOwned(world.root, 'alice/pausedst', alice);
    const token = await tokenFor(server, world.alice, world.mappedId);
    const admin = await tokenFor(server, world.admin);
    const submitted = await api(
      server,
      token,
      'POST',
      '/v0.10/transfer',
      transferDoc(world.mappedId, world.mappedId, [['/alice/pause/big.bin', '/alice/pausedst/big.bin']]),
    );
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const taskId = submitted.body.task_id as string;
    await eventually(
      async () => {
        const [e] = await server.store.db.selectFrom('transfer_task_entries').select('checkpoint_offset').where('task_id', '=', taskId).execute();
        return Number(e?.checkpoint_offset) > 0 || undefined;
      },
      'a checkpoint of the copy',
      { everyMs: 20 },
    );
    const paused = await api(server, admin, 'POST', '/v0.10/endpoint_manager/admin_pause', {
      DATA_TYPE: 'admin_pause',
      message: 'maintenance',
      task_id_list: [taskId],
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    const temp = () => fs.readdirSync(dst).find((n) => TEMP.test(n));
    await eventually(async () => (await task(server.store, taskId)).lease_owner === null || undefined, 'the engine gives the paused task back', {
      timeoutMs: 2000,
    });
    const sizeWhenPaused = fs.statSync(path.join(dst, temp()!)).size;
    const before = await task(server.store, taskId);
    // Another task runs to completion meanwhile: the engine made passes, and still left the paused one alone.
    put(path.join(world.root, 'alice'), 'pause-other/x.txt', 'x', alice);
    const other = await api(
      server,
      token,
      'POST',
      '/v0.10/transfer',
      transferDoc(world.mappedId, world.mappedId, [['/alice/pause-other/x.txt', '/alice/pause-other/y.txt']]),
    );
    await eventually(async () => (await task(server.store, other.body.task_id)).status === 'SUCCEEDED' || undefined, 'the other task succeeds');
    const during = await task(server.store, taskId);
    assert.equal(during.lease_owner, null);
    assert.equal(during.is_paused, 1);
    assert.equal(during.status, 'ACTIVE');
    assert.equal(during.bytes_transferred, before.bytes_transferred);
    assert.equal(fs.statSync(path.join(dst, temp()!)).size, sizeWhenPaused);

    const resumed = await api(server, admin, 'POST', '/v0.10/endpoint_manager/admin_resume', { DATA_TYPE: 'admin_resume', task_id_list: [taskId] });
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const done = await eventually(
      async () => {
        const t = await task(server.store, taskId);
        return t.status !== 'ACTIVE' ? t : undefined;
      },
      'the resumed task completes',
      { timeoutMs: 120_000 },
    );
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(sha256(path.join(dst, 'big.bin')), sha256(big));
    const events = await api(server, token, 'GET', `/v0.10/task/${taskId}/event_list?limit=100`);
    const codes = events.body.DATA.map((e: any) => e.code);
    assert.ok(codes.includes('PAUSED') && codes.includes('UNPAUSED'));
    const progress = events.body.DATA.find((e: any) => e.code === 'PROGRESS' && e.details.includes('"resumed"'));
    assert.ok(progress && JSON.parse(progress.details).offset > 0, 'the resumed copy continued from its kept prefix');
    fs.rmSync(big);
    fs.rmSync(path.join(dst, 'big.bin'));
  });

  test('a deadline moved into the past expires the task at once: EXPIRED, remaining subtasks expired', async () => {
    const { alice, other } = world.accounts;
    put(path.join(world.root, 'alice'), 'expire/src/secret.txt', 'no', other);
    fs.chmodSync(path.join(world.root, 'alice/expire/src/secret.txt'), 0o600);
    put(path.join(world.root, 'alice'), 'expire/src/ok.txt', 'ok', alice);
    const token = await tokenFor(server, world.alice, world.mappedId);
    const submitted = await api(
      server,
      token,
      'POST',
      '/v0.10/transfer',
      transferDoc(world.mappedId, world.mappedId, [['/alice/expire/src', '/alice/expire/dst']]),
    );
    const taskId = submitted.body.task_id as string;
    await eventually(async () => (await task(server.store, taskId)).subtasks_retrying === 1 || undefined, 'the unreadable file is retrying');
    const moved = await api(server, token, 'PUT', `/v0.10/task/${taskId}`, { DATA_TYPE: 'task', deadline: '2020-01-01T00:00:00+00:00' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const done = await eventually(
      async () => {
        const t = await task(server.store, taskId);
        return t.status !== 'ACTIVE' ? t : undefined;
      },
      'the task expires',
      { timeoutMs: 2000 },
    );
    assert.equal(done.status, 'FAILED');
    assert.deepEqual(JSON.parse(done.fatal_error!), { code: 'EXPIRED', description: 'expired' });
    assert.ok(done.subtasks_expired >= 2, 'the retrying file and the set-up subtask expired');
    assertCountersAddUp(done);
  });

  test('a revoked consent behind the task makes it INACTIVE (task wait ends); the owner consenting again makes it ACTIVE and it finishes', async () => {
    const { other } = world.accounts;
    put(path.join(world.root, 'alice'), 'inactive/src/secret.txt', 'no', other);
    fs.chmodSync(path.join(world.root, 'alice/inactive/src/secret.txt'), 0o600);
    const token = await tokenFor(server, world.alice, world.mappedId);
    const submitted = await api(
      server,
      token,
      'POST',
      '/v0.10/transfer',
      transferDoc(world.mappedId, world.mappedId, [['/alice/inactive/src', '/alice/inactive/dst']]),
    );
    const taskId = submitted.body.task_id as string;
    await eventually(async () => (await task(server.store, taskId)).subtasks_retrying === 1 || undefined, 'the task is being worked');
    const { grantId } = JSON.parse((await task(server.store, taskId)).authority);
    assert.ok(grantId, 'the task records its grant');
    // Signed in elsewhere too: when the task's own grant is revoked (what revoking its refresh token does in
    // Auth), that other live grant holds the task's authority and it goes on.
    await tokenFor(server, world.alice, world.mappedId);
    await server.store.db
      .updateTable('grants')
      .set({ revoked_at: Math.floor(Date.now() / 1000) })
      .where('id', '=', grantId)
      .execute();
    const adopted = await eventually(async () => {
      const t = await task(server.store, taskId);
      return JSON.parse(t.authority).grantId !== grantId ? t : undefined;
    }, 'the task takes the other grant');
    assert.equal(adopted.status, 'ACTIVE');
    // Every grant of the owner for that client revoked (the consent itself withdrawn): nothing holds it.
    await server.store.db
      .updateTable('grants')
      .set({ revoked_at: Math.floor(Date.now() / 1000) })
      .where('client_id', '=', world.alice.id)
      .where('revoked_at', 'is', null)
      .execute();
    const inactive = await eventually(async () => {
      const t = await task(server.store, taskId);
      return t.status === 'INACTIVE' ? t : undefined;
    }, 'the task becomes INACTIVE');
    assert.equal(inactive.lease_owner, null);
    assertCountersAddUp(inactive);
    // No new grant: nothing to resume with.
    assert.deepEqual(await reactivateTasks(server.store), []);
    // The owner signs in again with the same client and consents: a new grant, and the file is readable now.
    fs.chmodSync(path.join(world.root, 'alice/inactive/src/secret.txt'), 0o644);
    fs.chmodSync(path.join(world.root, 'alice/inactive'), 0o777);
    await tokenFor(server, world.alice, world.mappedId);
    const done = await eventually(async () => {
      const t = await task(server.store, taskId);
      return t.status === 'SUCCEEDED' || t.status === 'FAILED' ? t : undefined;
    }, 'the task is resumed and ends');
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
    const codes = (await events(server.store, taskId)).map((e) => e.code);
    assert.ok(codes.indexOf('RESUMED') < codes.indexOf('INACTIVE') && codes.indexOf('RESUMED') >= 0, codes.join());
    const { grantId: resumedWith } = JSON.parse((await task(server.store, taskId)).authority);
    assert.notEqual(resumedWith, grantId);
    assert.notEqual(resumedWith, JSON.parse(adopted.authority).grantId);
    assert.equal(fs.readFileSync(path.join(world.root, 'alice/inactive/dst/secret.txt'), 'utf8'), 'no');
  });

  test('at most 3 transfer tasks of one owner are worked at a time; the others wait queued (spec §15.2)', async () => {
    const { other } = world.accounts;
    put(path.join(world.root, 'alice'), 'queue/secret.txt', 'no', other);
    fs.chmodSync(path.join(world.root, 'alice/queue/secret.txt'), 0o600);
    const token = await tokenFor(server, world.alice, world.mappedId);
    // Each task keeps retrying an unreadable file, so a worked task keeps its lease.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api(
        server,
        token,
        'POST',
        '/v0.10/transfer',
        transferDoc(world.mappedId, world.mappedId, [['/alice/queue/secret.txt', `/alice/queue/out${i}.txt`]]),
      );
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.task_id);
    }
    const leased = async () => (await Promise.all(ids.map((id) => task(server.store, id)))).filter((t) => t.status === 'ACTIVE' && t.lease_owner !== null);
    const three = await eventually(async () => {
      const l = await leased();
      assert.ok(l.length <= 3, `never more than 3 at once (${l.length})`);
      return l.length === 3 && l.every((t) => t.faults >= 1) ? l : undefined;
    }, 'three tasks are worked and faulting');
    const queued = ids.filter((id) => !three.some((t) => t.task_id === id));
    for (const id of queued) assert.equal((await task(server.store, id)).faults, 0, 'a queued task has not been worked');
    // One ends: a queued one takes its place.
    const canceled = await api(server, token, 'POST', `/v0.10/task/${three[0].task_id}/cancel`);
    assert.equal(canceled.status, 200);
    await eventually(async () => {
      const l = await leased();
      assert.ok(l.length <= 3);
      return l.some((t) => queued.includes(t.task_id)) || undefined;
    }, 'a queued task is leased');
    for (const id of ids) await api(server, token, 'POST', `/v0.10/task/${id}/cancel`);
  });
});
