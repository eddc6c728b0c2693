// The task engine on real files, driven through the Transfer API of a running server: recursive transfers byte-identical at the destination, filters, symlinks, sync levels, counters, deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { isRoot, makeWorld, type DataWorld } from './helpers/data.ts';
import { eventually } from './helpers/wait.ts';
import { failTask } from '../src/transfer/task-lifecycle.ts';
import { tokenFor } from './transfer-tasks-helpers.ts';
import { engineTestHooks } from '../src/transfer/engine/test-hooks.ts';
import {
  assertCountersAddUp,
  completed,
  createDelete,
  submitDelete,
  submitTransfer,
  entries,
  events,
  filesBelow,
  put,
  sha256,
  task,
} from './transfer-engine-helpers.ts';

describe(`task engine (${storeName})`, { skip: isRoot ? false : 'needs root (useradd, per-account workers)' }, () => {
  let server: TestServer;
  let world: DataWorld;
  let aliceToken: string;
  const aliceDir = () => path.join(world.root, 'alice');

  before(async () => {
    server = await startTestServer();
    world = await makeWorld(server, {
      tree: (root, { alice }) => {
        put(root, 'alice/.keep', '', alice);
      },
    });
    aliceToken = await tokenFor(server, world.alice, world.mappedId);
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
    const taskId = await submitTransfer(server, aliceToken, {
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
    assert.ok(
      rows.filter((r) => r.kind === 'file').every((r) => r.attempts === 1),
      'each file copied once',
    );
  });

  test('sync levels skip exactly what they should: same size and mtime with other bytes is copied at 3, skipped at 2', async () => {
    const { alice } = world.accounts;
    const when = new Date('2024-01-02T03:04:05Z');
    const setUp = (name: string) => {
      const base = path.join(aliceDir(), name);
      put(aliceDir(), `${name}/src/same.txt`, 'AAAA', alice);
      put(aliceDir(), `${name}/dst/same.txt`, 'BBBB', alice);
      put(aliceDir(), `${name}/src/bigger.txt`, 'longer content', alice);
      put(aliceDir(), `${name}/dst/bigger.txt`, 'short', alice);
      put(aliceDir(), `${name}/src/newer.txt`, 'NNNN', alice);
      put(aliceDir(), `${name}/dst/newer.txt`, 'OOOO', alice);
      put(aliceDir(), `${name}/src/missing.txt`, 'new', alice);
      for (const f of ['same.txt', 'bigger.txt']) for (const side of ['src', 'dst']) fs.utimesSync(path.join(base, side, f), when, when);
      fs.utimesSync(path.join(base, 'dst/newer.txt'), when, when);
      return base;
    };
    const expected: Record<number, string[]> = {
      0: ['missing.txt'],
      1: ['bigger.txt', 'missing.txt'],
      2: ['bigger.txt', 'missing.txt', 'newer.txt'],
      3: ['bigger.txt', 'missing.txt', 'newer.txt', 'same.txt'],
    };
    for (const level of [0, 1, 2, 3] as const) {
      const base = setUp(`sync${level}`);
      const taskId = await submitTransfer(server, aliceToken, {
        source: world.mappedId,
        destination: world.mappedId,
        items: [{ source_path: `/alice/sync${level}/src`, destination_path: `/alice/sync${level}/dst` }],
        options: { sync_level: level },
      });
      const done = await completed(server.store, taskId);
      assert.equal(done.status, 'SUCCEEDED');
      const copied = (await entries(server.store, taskId)).filter((e) => e.state === 'succeeded' && e.kind === 'file').map((e) => path.basename(e.source_path));
      assert.deepEqual(copied.sort(), expected[level], `level ${level}`);
      assert.equal(done.files_transferred, expected[level].length);
      assert.equal(done.files_skipped, 4 - expected[level].length);
      for (const f of expected[level]) assert.equal(fs.readFileSync(path.join(base, 'dst', f), 'utf8'), fs.readFileSync(path.join(base, 'src', f), 'utf8'));
      if (level === 2) assert.equal(fs.readFileSync(path.join(base, 'dst/same.txt'), 'utf8'), 'BBBB');
      assertCountersAddUp(done);
    }
  });

  test('filter rules (first match wins, an excluded directory takes its subtree, never the item itself); symlinks met inside are counted, not followed; a symlink item is followed', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'flt/src/keep.txt', 'k', alice);
    put(aliceDir(), 'flt/src/drop.log', 'd', alice);
    put(aliceDir(), 'flt/src/important.log', 'i', alice);
    put(aliceDir(), 'flt/src/cache/inner.txt', 'c', alice);
    put(aliceDir(), 'flt/src/sub/deep.txt', 's', alice);
    put(aliceDir(), 'flt/target.txt', 'via link', alice);
    fs.symlinkSync('../target.txt', path.join(aliceDir(), 'flt/src/link.txt'));
    fs.symlinkSync('target.txt', path.join(aliceDir(), 'flt/item-link'));
    const taskId = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [
        { source_path: '/alice/flt/src', destination_path: '/alice/flt/dst' },
        { source_path: '/alice/flt/item-link', destination_path: '/alice/flt/out/followed.txt' },
      ],
      options: {
        filter_rules: [
          { method: 'include', name: 'important.*' },
          { method: 'exclude', name: '*.log', type: 'file' },
          { method: 'exclude', name: 'cache', type: 'dir' },
        ],
      },
    });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
    assert.deepEqual(filesBelow(path.join(aliceDir(), 'flt/dst')), ['important.log', 'keep.txt', 'sub/deep.txt']);
    assert.equal(fs.readFileSync(path.join(aliceDir(), 'flt/out/followed.txt'), 'utf8'), 'via link');
    assert.equal(fs.lstatSync(path.join(aliceDir(), 'flt/out/followed.txt')).isSymbolicLink(), false);
    assert.equal(done.symlinks, 1);
    assert.equal(done.files, 4);
    assert.equal(done.directories, 2);
    assertCountersAddUp(done);
  });

  test('skip_source_errors: an unreadable source file is a skipped error and the task succeeds; without it the task keeps retrying with faults', async () => {
    const { alice, other } = world.accounts;
    put(aliceDir(), 'skip/src/ok.txt', 'ok', alice);
    put(aliceDir(), 'skip/src/secret.txt', 'no', other);
    fs.chmodSync(path.join(aliceDir(), 'skip/src/secret.txt'), 0o600);
    const skipping = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/skip/src', destination_path: '/alice/skip/dst' }],
      options: { skip_source_errors: true },
    });
    const done = await completed(server.store, skipping);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.subtasks_skipped_errors, 1);
    assertCountersAddUp(done);
    const skipped = (await entries(server.store, skipping)).find((e) => e.state === 'skipped_error')!;
    assert.equal(skipped.error_code, 'PERMISSION_DENIED');
    assert.ok((await events(server.store, skipping)).some((e) => e.code === 'SKIPPED_ERRORS'));

    const retrying = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/skip/src', destination_path: '/alice/skip/dst2' }],
    });
    const faulted = await eventually(async () => {
      const t = await task(server.store, retrying);
      return t.faults >= 1 && t.subtasks_retrying === 1 ? t : undefined;
    }, 'the unreadable file faults');
    assert.equal(faulted.status, 'ACTIVE');
    assert.equal(faulted.nice_status, 'PERMISSION_DENIED');
    assertCountersAddUp(faulted);
    const ev = (await events(server.store, retrying)).find((e) => e.code === 'PERMISSION_DENIED')!;
    assert.equal(ev.is_error, 1);
    assert.match(ev.details, /^Error \(/);
    assert.match(ev.details, /File: \/alice\/skip\/src\/secret.txt/);
    await server.store.tx((trx) => failTask(trx, retrying, { kind: 'canceled', by: 'owner' }, Date.now()));
  });

  test('delete_destination_extra: what the source lacks is deleted, filtered names are not extra, a directory with skipped source errors is left', async () => {
    const { alice, other } = world.accounts;
    put(aliceDir(), 'extra/src/a.txt', 'a', alice);
    put(aliceDir(), 'extra/src/sub/b.txt', 'b', alice);
    put(aliceDir(), 'extra/src/skip.log', 'log', alice);
    put(aliceDir(), 'extra/src/errs/secret.txt', 'no', other);
    fs.chmodSync(path.join(aliceDir(), 'extra/src/errs/secret.txt'), 0o600);
    put(aliceDir(), 'extra/dst/a.txt', 'old a', alice);
    put(aliceDir(), 'extra/dst/extra.txt', 'x', alice);
    put(aliceDir(), 'extra/dst/skip.log', 'kept', alice);
    put(aliceDir(), 'extra/dst/sub/old/x.txt', 'x', alice);
    put(aliceDir(), 'extra/dst/errs/stays.txt', 's', alice);
    const taskId = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/extra/src', destination_path: '/alice/extra/dst' }],
      options: { delete_destination_extra: true, skip_source_errors: true, filter_rules: [{ method: 'exclude', name: '*.log' }] },
    });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
    assert.deepEqual(filesBelow(path.join(aliceDir(), 'extra/dst')), ['a.txt', 'errs/stays.txt', 'skip.log', 'sub/b.txt']);
    assert.equal(fs.readFileSync(path.join(aliceDir(), 'extra/dst/a.txt'), 'utf8'), 'a');
    assert.ok((await events(server.store, taskId)).some((e) => e.code === 'DELETE_DESTINATION_EXTRA_SKIPPED'));
    assertCountersAddUp(done);
  });

  test('verify_checksum: a byte changed in flight is a VERIFY_CHECKSUM fault, the file is sent again and ends correct', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'cks/src/small.txt', 'small file content', alice);
    put(aliceDir(), 'cks/src/large.bin', Buffer.alloc(3 * 1024 * 1024, 0x5a), alice);
    engineTestHooks.tamperFor = (destination, attempt) =>
      destination.startsWith('/alice/cks/dst/') && attempt === 1
        ? (chunk, offset) => {
            if (offset === 0) chunk[0] ^= 0xff;
          }
        : undefined;
    try {
      const taskId = await submitTransfer(server, aliceToken, {
        source: world.mappedId,
        destination: world.mappedId,
        items: [{ source_path: '/alice/cks/src', destination_path: '/alice/cks/dst' }],
        options: { verify_checksum: true },
      });
      const done = await completed(server.store, taskId);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
      for (const f of ['small.txt', 'large.bin']) assert.equal(sha256(path.join(aliceDir(), 'cks/dst', f)), sha256(path.join(aliceDir(), 'cks/src', f)), f);
      assert.ok(done.faults >= 1);
      assert.ok((await events(server.store, taskId)).some((e) => e.code === 'VERIFY_CHECKSUM' && e.is_error === 1));
      assert.deepEqual(
        (await entries(server.store, taskId)).filter((e) => e.kind === 'file').map((e) => e.attempts),
        [2, 2],
      );
      assertCountersAddUp(done);
    } finally {
      delete engineTestHooks.tamperFor;
    }
  });

  test('a full destination: QUOTA_EXCEEDED is fatal with fail_on_quota_errors, retried without', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'quota/src/big.bin', Buffer.alloc(3 * 1024 * 1024, 1), alice);
    const small = path.join(aliceDir(), 'quota/small');
    fs.mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      fs.chownSync(small, alice.uid, alice.gid);
      const fatal = await submitTransfer(server, aliceToken, {
        source: world.mappedId,
        destination: world.mappedId,
        items: [{ source_path: '/alice/quota/src/big.bin', destination_path: '/alice/quota/small/a.bin' }],
        options: { fail_on_quota_errors: true },
      });
      const failed = await completed(server.store, fatal);
      assert.equal(failed.status, 'FAILED');
      assert.equal(JSON.parse(failed.fatal_error!).code, 'QUOTA_EXCEEDED');
      assertCountersAddUp(failed);

      const retried = await submitTransfer(server, aliceToken, {
        source: world.mappedId,
        destination: world.mappedId,
        items: [{ source_path: '/alice/quota/src/big.bin', destination_path: '/alice/quota/small/b.bin' }],
      });
      const faulted = await eventually(async () => {
        const t = await task(server.store, retried);
        return t.nice_status === 'QUOTA_EXCEEDED' ? t : undefined;
      }, 'the full destination faults');
      assert.equal(faulted.status, 'ACTIVE');
      await server.store.tx((trx) => failTask(trx, retried, { kind: 'canceled', by: 'owner' }, Date.now()));
      await eventually(() => fs.readdirSync(small).length === 0 || undefined, 'temp files of the canceled task are removed');
    } finally {
      execFileSync('umount', [small]);
    }
  });

  test('external_checksum: a match succeeds, a mismatch fails the whole task; preserve_timestamp keeps the mtime; successful_transfers lists what was copied', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'ext/a.txt', 'hello', alice);
    const when = new Date('2023-05-06T07:08:09Z');
    fs.utimesSync(path.join(aliceDir(), 'ext/a.txt'), when, when);
    const md5 = '5d41402abc4b2a76b9719d911017c592';
    const ok = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/ext/a.txt', destination_path: '/alice/ext/out/a.txt', external_checksum: md5, checksum_algorithm: 'MD5' }],
      options: { preserve_timestamp: true },
    });
    const done = await completed(server.store, ok);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, ok)));
    assert.equal(fs.statSync(path.join(aliceDir(), 'ext/out/a.txt')).mtimeMs, when.getTime());
    const listed = await api(server, aliceToken, 'GET', `/v0.10/task/${ok}/successful_transfers`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(
      listed.body.DATA.map((d: any) => [d.source_path, d.destination_path, d.checksum, d.checksum_algorithm]),
      [['/alice/ext/a.txt', '/alice/ext/out/a.txt', md5, 'MD5']],
    );

    const bad = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/ext/a.txt', destination_path: '/alice/ext/out/b.txt', external_checksum: '0'.repeat(32), checksum_algorithm: 'MD5' }],
    });
    const failed = await completed(server.store, bad);
    assert.equal(failed.status, 'FAILED');
    assert.equal(JSON.parse(failed.fatal_error!).code, 'EXTERNAL_CHECKSUM_MISMATCH');
    assert.equal(fs.existsSync(path.join(aliceDir(), 'ext/out/b.txt')), false);
    assertCountersAddUp(failed);
  });

  test('recursive: true on a file is fatal for the task', async () => {
    put(aliceDir(), 'mismatch/file.txt', 'f', world.accounts.alice);
    const taskId = await submitTransfer(server, aliceToken, {
      source: world.mappedId,
      destination: world.mappedId,
      items: [{ source_path: '/alice/mismatch/file.txt', destination_path: '/alice/mismatch/out', recursive: true }],
    });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'FAILED');
    assert.equal(JSON.parse(done.fatal_error!).code, 'NOT_A_DIRECTORY');
    assertCountersAddUp(done);
  });

  test('DELETE: recursive, globs in the last component, ignore_missing, symlinks unlinked and not followed, never the root', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'del/tree/a/b.txt', 'b', alice);
    put(aliceDir(), 'del/x1.tmp', '1', alice);
    put(aliceDir(), 'del/x2.tmp', '2', alice);
    put(aliceDir(), 'del/kept/inside.txt', 'i', alice);
    fs.symlinkSync('kept', path.join(aliceDir(), 'del/link'));
    const ok = await submitDelete(server, aliceToken, {
      collection: world.mappedId,
      paths: ['/alice/del/tree', '/alice/del/x?.tmp', '/alice/del/link', '/alice/del/gone'],
      options: { recursive: true, ignore_missing: true, interpret_globs: true },
    });
    const done = await completed(server.store, ok);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, ok)));
    assert.deepEqual(fs.readdirSync(path.join(aliceDir(), 'del')).sort(), ['kept']);
    assert.equal(fs.readFileSync(path.join(aliceDir(), 'del/kept/inside.txt'), 'utf8'), 'i');
    assert.equal(done.subtasks_succeeded, 4);
    assertCountersAddUp(done);

    // The route refuses the root at submission; the engine refuses it too (a task written by an older route, or another way in).
    const root = await createDelete(server.store, { owner: world.alice.id, collection: world.mappedId, paths: ['/'], options: { recursive: true } });
    const refused = await completed(server.store, root);
    assert.equal(refused.status, 'FAILED');
    assert.ok(fs.existsSync(path.join(aliceDir(), 'del/kept/inside.txt')));
  });

  test('a DELETE retried after a fault that removed part of it ends SUCCEEDED once the rest is gone, not FILE_NOT_FOUND', async () => {
    const { alice } = world.accounts;
    put(aliceDir(), 'partial/a.txt', 'a', alice);
    put(aliceDir(), 'partial/locked/b.txt', 'b', alice);
    // alice may not unlink inside a directory she cannot write: the first attempt faults PERMISSION_DENIED.
    fs.chmodSync(path.join(aliceDir(), 'partial/locked'), 0o555);
    const taskId = await submitDelete(server, aliceToken, { collection: world.mappedId, paths: ['/alice/partial'], options: { recursive: true } });
    await eventually(async () => (await events(server.store, taskId)).some((e) => e.code === 'PERMISSION_DENIED'), 'the first attempt faulted');
    // The rest goes another way before the retry (another process, the owner): nothing is left to find.
    fs.rmSync(path.join(aliceDir(), 'partial'), { recursive: true, force: true });
    const done = await completed(server.store, taskId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(await events(server.store, taskId)));
    assert.equal(done.faults, 1);
    assert.equal(done.subtasks_succeeded, 1);
  });

  test('a DELETE of a missing path without ignore_missing is fatal FILE_NOT_FOUND', async () => {
    const taskId = await submitDelete(server, aliceToken, { collection: world.mappedId, paths: ['/alice/nothing-here'] });
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
