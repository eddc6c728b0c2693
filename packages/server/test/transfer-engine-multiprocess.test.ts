// Two server processes on one store share the task engine's work: 20 tasks, each file copied exactly once (attempts), and a task whose process is killed is finished by the other after its lease lapses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '@gatehouse/server';
import { createTestDatabase, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { eventually } from './helpers/wait.ts';
import { isRoot, makeWorld, mkdirOwned, type DataWorld } from './helpers/data.ts';
import { tokenFor, transferDoc } from './transfer-tasks-helpers.ts';
import { assertCountersAddUp, completed, entries, events, filesBelow, put, sha256, task } from './transfer-engine-helpers.ts';
import { killChildren, killService, remoteServer, serve, type Proc } from './transfer-engine-processes.ts';

const LEASE = { GATEHOUSE_TASK_LEASE_SECONDS: '3' };

describe(`two server processes run tasks together (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const dirs: string[] = [];
  let store: Store | undefined;
  let procs: Proc[] = [];
  let servers: TestServer[] = [];
  let world: DataWorld | undefined;

  before(async () => {
    database = await createTestDatabase();
    dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-mp-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'gh-mp-b-')));
    // SQLite: both processes on one file (one data dir); PostgreSQL: one database, a data dir each.
    const second = database ? dirs[1] : dirs[0];
    procs = [await serve(dirs[0], database?.url, LEASE)];
    procs.push(await serve(second, database?.url, LEASE));
    store = await openStore({ dataDir: dirs[0], databaseUrl: database?.url });
    servers = procs.map((p) => remoteServer(p, store!));
    world = await makeWorld(servers[0]);
  });

  after(async () => {
    killChildren();
    for (const s of servers) await s.dispatcher.close().catch(() => {});
    await store?.close();
    await database?.drop();
    world?.cleanup();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('20 tasks submitted to both processes: all succeed, every file copied once', { timeout: 240_000 }, async () => {
    const w = world!;
    const base = mkdirOwned(w.root, 'alice', w.accounts.alice);
    const tokens = await Promise.all(servers.map((s) => tokenFor(s, w.alice, w.mappedId)));
    const ids: string[] = [];
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 10; i++) put(base, `mp/t${t}/src/sub${i % 2}/f${i}.txt`, `task ${t} file ${i}`, w.accounts.alice);
      const which = t % 2;
      const res = await api(
        servers[which],
        tokens[which],
        'POST',
        '/v0.10/transfer',
        transferDoc(w.mappedId, w.mappedId, [[`/alice/mp/t${t}/src`, `/alice/mp/t${t}/dst`]]),
      );
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.task_id);
    }
    for (const id of ids) {
      const done = await completed(store!, id, 120_000);
      assert.equal(done.status, 'SUCCEEDED');
      assertCountersAddUp(done);
      const files = (await entries(store!, id)).filter((e) => e.kind === 'file');
      assert.equal(files.length, 10);
      assert.deepEqual(
        files.map((e) => e.attempts),
        Array(10).fill(1),
        'each file copied once',
      );
    }
    for (let t = 0; t < 20; t++) {
      const src = path.join(base, `mp/t${t}/src`);
      const dst = path.join(base, `mp/t${t}/dst`);
      assert.deepEqual(filesBelow(dst), filesBelow(src));
      for (const rel of filesBelow(src)) assert.equal(sha256(path.join(dst, rel)), sha256(path.join(src, rel)));
    }
  });

  test('killing the process that runs a task: the other finishes it after the lease lapses', { timeout: 240_000 }, async () => {
    const w = world!;
    const { alice } = w.accounts;
    const src = mkdirOwned(w.root, 'alice/mpbig/src', alice);
    const block = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 3) & 0xff;
    const fd = fs.openSync(path.join(src, 'big.bin'), 'w');
    for (let off = 0; off < 512 * 1024 * 1024; off += block.length) fs.writeSync(fd, block, 0, block.length, off);
    fs.closeSync(fd);
    fs.chownSync(path.join(src, 'big.bin'), alice.uid, alice.gid);
    for (let i = 0; i < 50; i++) put(path.join(w.root, 'alice'), `mpbig/src/s${i}.txt`, `small ${i}`, alice);
    const token = await tokenFor(servers[0], w.alice, w.mappedId);
    const res = await api(servers[0], token, 'POST', '/v0.10/transfer', transferDoc(w.mappedId, w.mappedId, [['/alice/mpbig/src', '/alice/mpbig/dst']]));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const taskId = res.body.task_id as string;
    const holder = await eventually(
      async () => {
        const t = await task(store!, taskId);
        const started = (await entries(store!, taskId)).some((e) => e.source_path.endsWith('/big.bin') && Number(e.checkpoint_offset) > 0);
        return started && t.lease_owner ? t.lease_owner : undefined;
      },
      'a process works the task and the large file has a checkpoint',
      { timeoutMs: 120_000, everyMs: 20 },
    );
    const victim = procs.findIndex((p) => holder.startsWith(`${p.child.pid}-`));
    assert.ok(victim >= 0, `the lease owner ${holder} is one of the two processes`);
    await killService(procs[victim]);
    const survivor = procs[1 - victim];
    const done = await completed(store!, taskId, 180_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify((await events(store!, taskId)).slice(0, 5)));
    const dst = path.join(w.root, 'alice/mpbig/dst');
    assert.deepEqual(filesBelow(dst), filesBelow(src));
    for (const rel of filesBelow(src)) assert.equal(sha256(path.join(dst, rel)), sha256(path.join(src, rel)), rel);
    const resumed = (await events(store!, taskId)).find((e) => e.code === 'PROGRESS' && e.details.includes('"resumed"'));
    assert.ok(resumed, 'the survivor continued the large file from its kept prefix');
    assert.ok(survivor.child.exitCode === null, 'the other process is still running');
    assertCountersAddUp(done);
  });
});
