// The task engine under change, through the Transfer API: an access rule removed while a guest transfer runs stops the remaining files with PERMISSION_DENIED faults (in event_list), and a cancel stops a copy within 2 s with its temp file removed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { addRule, isRoot, makeWorld, mkdirOwned, type DataWorld } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';
import { tokenFor, transferDoc } from './transfer-tasks-helpers.ts';
import { assertCountersAddUp, put, task } from './transfer-engine-helpers.ts';

const TEMP = /^\.gatehouse-[0-9a-f]{8}-\d+\.part$/;

describe(`task engine control (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;

  before(async () => {
    // One file at a time: a rule removed after the first files lands while the rest are still to come.
    server = await startTestServer({ taskFileConcurrency: 1 });
    world = await makeWorld(server);
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
});
