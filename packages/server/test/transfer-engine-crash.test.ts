// kill -9 of the whole service during a transfer of a 2 GiB file and 1,000 small ones: after a restart the task completes, every file is byte-identical, no partial file sits under a final name, and the large file continues from its kept prefix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '@gatehouse/server';
import { createTestDatabase, storeName, type TestServer } from './helpers/server.ts';
import { killChildren, killService, remoteServer, serve, type Proc } from './transfer-engine-processes.ts';
import { api } from './helpers/gcs.ts';
import { eventually } from './helpers/wait.ts';
import { isRoot, makeWorld, mkdirOwned, type DataWorld } from './helpers/data.ts';
import { tokenFor, transferDoc } from './transfer-tasks-helpers.ts';
import { assertCountersAddUp, completed, entries, events, filesBelow, put, sha256 } from './transfer-engine-helpers.ts';

const GiB = 1024 ** 3;
const TEMP = /^\.gatehouse-[0-9a-f]{8}-\d+\.part$/;

describe(`kill -9 during a transfer (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let store: Store | undefined;
  const servers: TestServer[] = [];
  let world: DataWorld | undefined;
  let first: Proc;

  before(async () => {
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-task-crash-'));
    first = await serve(dataDir, database?.url, { GATEHOUSE_TASK_LEASE_SECONDS: '3' });
    store = await openStore({ dataDir, databaseUrl: database?.url });
    servers.push(remoteServer(first, store));
    world = await makeWorld(servers[0]);
  });

  after(async () => {
    killChildren();
    for (const s of servers) await s.dispatcher.close().catch(() => {});
    await store?.close();
    await database?.drop();
    world?.cleanup();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('the restarted server finishes the task from per-entry state; the large file resumes from its checkpoint', { timeout: 300_000 }, async () => {
    const w = world!;
    const { alice } = w.accounts;
    const src = mkdirOwned(w.root, 'alice/src', alice);
    const big = path.join(src, 'big.bin');
    // 2 GiB with content (a repeated non-zero block, so the prefix check compares real bytes).
    const block = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) & 0xff;
    const fd = fs.openSync(big, 'w');
    for (let off = 0; off < 2 * GiB; off += block.length) fs.writeSync(fd, block, 0, block.length, off);
    fs.closeSync(fd);
    fs.chownSync(big, alice.uid, alice.gid);
    for (let i = 0; i < 1000; i++) put(path.join(w.root, 'alice'), `src/small/s${i}.txt`, `small ${i}`, alice);
    const token = await tokenFor(servers[0], w.alice, w.mappedId);
    const submitted = await api(servers[0], token, 'POST', '/v0.10/transfer', transferDoc(w.mappedId, w.mappedId, [['/alice/src', '/alice/dst']]));
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const taskId = submitted.body.task_id as string;

    // Killed once the large file has a durable prefix recorded.
    await eventually(
      async () => (await entries(store!, taskId)).some((e) => e.source_path.endsWith('/big.bin') && Number(e.checkpoint_offset) > 0) || undefined,
      'the large file has a checkpoint',
      { timeoutMs: 120_000, everyMs: 20 },
    );
    await killService(first);
    const dst = path.join(w.root, 'alice/dst');
    assert.ok(!fs.existsSync(path.join(dst, 'big.bin')), 'the large file is not under its final name before it is complete');

    const second = await serve(dataDir, database?.url, { GATEHOUSE_TASK_LEASE_SECONDS: '3' });
    servers.push(remoteServer(second, store!));
    const done = await completed(store!, taskId, 240_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify((await events(store!, taskId)).slice(0, 5)));
    assert.deepEqual(filesBelow(dst), filesBelow(src));
    for (const rel of filesBelow(src)) assert.equal(sha256(path.join(dst, rel)), sha256(path.join(src, rel)), rel);
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [e.name]));
    assert.equal(walk(dst).filter((n) => TEMP.test(n)).length, 0, 'no temp file is left');
    const resumed = (await events(store!, taskId)).find((e) => e.code === 'PROGRESS' && e.details.includes('"resumed"'));
    assert.ok(resumed, 'an event says the large file was resumed');
    assert.ok(JSON.parse(resumed.details).offset > 0);
    assert.equal(done.files, 1001);
    assertCountersAddUp(done);
  });
});
