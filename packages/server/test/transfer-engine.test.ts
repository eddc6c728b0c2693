// The task engine on real files through a running server: recursive transfers byte-identical at the destination, filters, symlinks, sync levels, counters, deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { isRoot, makeWorld, type DataWorld } from './helpers/data.ts';
import { assertCountersAddUp, completed, createDelete, createTransfer, entries, events, filesBelow, put, sha256 } from './transfer-engine-helpers.ts';

describe(`task engine (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  const aliceDir = () => path.join(world.root, 'alice');

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      tree: (root, { alice }) => {
        put(root, 'alice/.keep', '', alice);
      },
    });
  });
  after(async () => {
    await server?.stop();
    world?.cleanup();
  });

  test('a recursive transfer of 1,000 files in nested directories, names with spaces and non-ASCII: byte-identical, owned by the destination account', async () => {
    const { alice } = world.accounts;
    const names: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const rel = `tree/d${i % 7} spaced/ünï ${i % 3}/file ${i} – ü.txt`;
      names.push(rel);
      put(aliceDir(), `src/${rel}`, `content ${i} ${'x'.repeat(i % 97)}`, alice);
    }
    const taskId = await createTransfer(server.store, {
      owner: world.alice.id,
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/src/tree', destination_path: '/alice/dst/tree' }],
    });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
    assert.deepEqual(filesBelow(path.join(aliceDir(), 'dst/tree')), filesBelow(path.join(aliceDir(), 'src/tree')));
    for (const rel of names) {
      const d = path.join(aliceDir(), 'dst', rel);
      assert.equal(sha256(d), sha256(path.join(aliceDir(), 'src', rel)), rel);
      assert.equal(fs.statSync(d).uid, alice.uid);
    }
    assert.equal(done.files, 1000);
    assert.equal(done.files_transferred, 1000);
    // 1 top directory + 7 + 21 below it
    assert.equal(done.directories, 1 + 7 + 21);
    assert.equal(done.subtasks_total, done.files + done.directories + 1);
    assert.equal(done.subtasks_succeeded, done.subtasks_total);
    assertCountersAddUp(done);
    const codes = (await events(server.store, taskId)).map((e) => e.code);
    assert.deepEqual([codes[0], codes.at(-1)], ['SUCCEEDED', 'STARTED']);
    const rows = await entries(server.store, taskId);
    assert.ok(rows.filter((r) => r.kind === 'file').every((r) => r.state === 'succeeded' && r.checksum_algorithm === 'MD5' && r.checksum));
  });

  test('a DELETE of a missing path without ignore_missing is fatal FILE_NOT_FOUND', async () => {
    const taskId = await createDelete(server.store, { owner: world.alice.id, collection: world.mappedId, paths: ['/alice/nothing-here'] });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'FAILED');
    assert.deepEqual(JSON.parse(done.fatal_error!), { code: 'FILE_NOT_FOUND', description: 'file not found' });
    assert.equal(done.faults, 1);
    assert.equal(done.subtasks_failed, 1);
    const [newest] = await events(server.store, taskId);
    assert.equal(newest.code, 'FILE_NOT_FOUND');
    assert.equal(newest.description, 'No such file or directory');
  });
});
