// POSIX connector on real files and processes: operations, personal mode, crash-safe writes, bounded-memory reads, and (as root) per-account workers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createPosixConnectors, PosixConnectors, type ConnectorError, readTransport, type PosixConnector, type ReadResult } from '../src/data/posix/index.ts';
import { serverUsername } from '../src/data/posix/accounts.ts';
import { consumeBody } from '../src/data/posix/local.ts';
import { eventually } from './helpers/wait.ts';

const MiB = 1 << 20;
const isRoot = process.getuid?.() === 0;
const me = serverUsername();

function tempTree(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.chmodSync(dir, 0o755);
  return dir;
}

async function text(r: ReadResult): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r.stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

async function* chunks(total: number, size = MiB, fill = 0x61): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(Math.min(size, total - sent), fill);
}

function temps(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith('.gatehouse-upload-'));
}

/** Consumes a read slowly enough that a missing backpressure path would pile the file up in memory; returns peak RSS growth. */
async function drainMeasuringRss(r: ReadResult): Promise<{ bytes: number; peakDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  let bytes = 0;
  let n = 0;
  await pipeline(
    r.stream,
    new Writable({
      highWaterMark: MiB,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (++n % 32 === 0) peak = Math.max(peak, process.memoryUsage.rss());
        if (n % 16 === 0) setTimeout(cb, 1);
        else cb();
      },
    }),
  );
  return { bytes, peakDelta: peak - base };
}

/** Sparse: reading it exercises the whole pipeline without first writing 512 MiB to disk. */
function bigSparseFile(file: string, size: number): void {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
}

/** Checks every operation of one connector against a scratch root it may write to. */
async function exerciseOperations(c: PosixConnector, root: string): Promise<void> {
  const at = (p: string) => ({ root, path: p });
  const made = await c.mkdir(at('/docs'));
  assert.equal(made.type, 'dir');
  await assert.rejects(c.mkdir(at('/docs')), { code: 'EEXIST', status: 409 });
  await assert.rejects(c.mkdir(at('/nope/deeper')), { code: 'ENOENT' });

  const w1 = await c.write(at('/docs/a.txt'), chunks(10, 10, 0x41));
  assert.equal(w1.created, true);
  assert.equal(w1.bytes, 10);
  assert.equal(w1.entry.size, 10);
  const w2 = await c.write(at('/docs/a.txt'), [Buffer.from('hello world')]);
  assert.equal(w2.created, false);
  assert.equal(await text(await c.read(at('/docs/a.txt'))), 'hello world');

  const ranged = await c.read(at('/docs/a.txt'), { start: 6, end: 100 });
  assert.deepEqual([ranged.start, ranged.end, ranged.size], [6, 10, 11]);
  assert.equal(await text(ranged), 'world');
  assert.equal(await text(await c.read(at('/docs/a.txt'), { suffix: 5 })), 'world');
  await assert.rejects(
    c.read(at('/docs/a.txt'), { start: 11 }),
    (e: ConnectorError) => e.code === 'range_not_satisfiable' && e.status === 416 && e.size === 11,
  );
  await assert.rejects(c.read(at('/docs')), { code: 'EISDIR' });
  await assert.rejects(c.read(at('/docs/missing')), { code: 'ENOENT', status: 404 });
  const empty = await c.write(at('/docs/empty'), []);
  assert.equal(empty.bytes, 0);
  assert.equal(await text(await c.read(at('/docs/empty'))), '');

  // A body that does not match the announced size replaces nothing and leaves no temp file.
  await assert.rejects(c.write(at('/docs/a.txt'), [Buffer.from('short')], { expectedSize: 100 }), { code: 'size_mismatch' });
  await assert.rejects(c.write(at('/docs/a.txt'), chunks(3 * MiB), { expectedSize: MiB }), { code: 'size_mismatch' });
  await assert.rejects(c.write(at('/docs/a.txt'), [Buffer.from('x')], { mustNotExist: true }), { code: 'EEXIST' });
  const aborted = new AbortController();
  await assert.rejects(
    c.write(
      at('/docs/a.txt'),
      (async function* () {
        yield Buffer.from('partial');
        aborted.abort();
        yield Buffer.from('more');
      })(),
      { signal: aborted.signal },
    ),
    { code: 'aborted' },
  );
  async function* failing() {
    yield Buffer.alloc(2 * MiB);
    throw new Error('client went away');
  }
  await assert.rejects(c.write(at('/docs/a.txt'), failing()), { code: 'aborted' });
  assert.equal(await text(await c.read(at('/docs/a.txt'))), 'hello world');
  assert.deepEqual(temps(path.join(root, 'docs')), []);
  await assert.rejects(c.write(at('/docs'), [Buffer.from('x')]), { code: 'EISDIR' });
  await assert.rejects(c.write(at('/missing/x'), [Buffer.from('x')]), { code: 'ENOENT' });

  const st = await c.stat(at('/docs/a.txt'));
  assert.equal(st.name, 'a.txt');
  assert.equal(st.type, 'file');
  assert.equal(st.size, 11);
  assert.match(st.last_modified, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/);
  assert.match(st.permissions, /^0[0-7]{3}$/);
  assert.equal(st.user, c.username);

  fs.symlinkSync('a.txt', path.join(root, 'docs', 'link'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'docs', 'escape'));
  fs.writeFileSync(path.join(root, 'docs', '.hidden'), '');
  const all = await c.list(at('/docs'));
  assert.deepEqual(
    all.entries.map((e) => e.name),
    ['.hidden', 'a.txt', 'empty', 'escape', 'link'],
  );
  const link = all.entries.find((e) => e.name === 'link')!;
  assert.deepEqual([link.type, link.link_target, link.size], ['file', 'a.txt', 11]);
  assert.equal(all.entries.find((e) => e.name === 'escape')!.type, 'invalid_symlink');
  const filtered = await c.list(at('/docs'), { showHidden: false, filters: [{ field: 'name', op: 'glob', value: '*.txt' }] });
  assert.deepEqual(
    filtered.entries.map((e) => e.name),
    ['a.txt'],
  );
  const bySize = await c.list(at('/docs'), {
    orderBy: [{ field: 'size', desc: true }],
    offset: 0,
    limit: 2,
    filters: [{ field: 'type', op: 'in', value: ['file'] }],
  });
  assert.equal(bySize.total, 4);
  assert.deepEqual(
    bySize.entries.map((e) => e.name),
    ['a.txt', 'link'],
  );
  await assert.rejects(c.read(at('/docs/escape')), { code: 'path_outside_root', status: 403 });
  await assert.rejects(c.list(at('/docs/../..')), { code: 'path_outside_root' });

  assert.equal(await c.checkAccess(at('/docs/a.txt'), 'read'), true);
  assert.equal(await c.checkAccess(at('/docs/new'), 'write'), true);
  assert.equal(await c.checkAccess(at('/docs/missing'), 'exists'), false);

  await c.rename(at('/docs/a.txt'), at('/docs/b.txt'));
  await assert.rejects(c.rename(at('/docs/b.txt'), at('/docs/empty')), { code: 'EEXIST' });
  await assert.rejects(c.rename(at('/'), at('/x')), { code: 'invalid_path' });
  // Removing a link removes the link, never its target.
  await c.remove(at('/docs/escape'));
  assert.ok(fs.existsSync('/etc/passwd'));
  await assert.rejects(c.remove(at('/docs')), { code: 'ENOTEMPTY', status: 409 });
  await assert.rejects(c.remove(at('/')), { code: 'invalid_path' });
  await c.remove(at('/docs/b.txt'));
  await c.remove(at('/docs'), { recursive: true });
  assert.deepEqual(fs.readdirSync(root), []);
}

test('a body is consumed only once the last chunk has been taken, though the stream ends while paused', async () => {
  for (const slow of ['first', 'last'] as const) {
    const taken: string[] = [];
    const body = Readable.from(
      ['a', 'b', 'c'].map((x) => Buffer.from(x)),
      { objectMode: false },
    );
    await consumeBody(body, (chunk) => {
      const name = Buffer.from(chunk).toString();
      const isSlow = slow === 'first' ? name === 'a' : name === 'c';
      if (!isSlow) {
        taken.push(name);
        return null;
      }
      // The stream ends (and closes) while this take is pending: its bytes must still count.
      return new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => void taken.push(name));
    });
    assert.deepEqual(taken, ['a', 'b', 'c'], `slow ${slow} chunk`);
  }
});

describe('POSIX connector in process (personal mode)', () => {
  let tmp: string;
  let connectors: PosixConnectors;

  before(async () => {
    tmp = tempTree('gh-posix-');
    fs.mkdirSync(path.join(tmp, 'root'));
    connectors = await createPosixConnectors({ stateDir: path.join(tmp, 'state'), mode: 'personal', serverAccount: me });
  });
  after(async () => {
    await connectors.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('every operation on real files', async () => {
    const c = await connectors.connectorFor(me);
    assert.equal(c.kind, 'in-process');
    await exerciseOperations(c, path.join(tmp, 'root'));
  });

  test('any other account is refused with a message naming both accounts', async () => {
    await assert.rejects(connectors.connectorFor('bob'), (e: ConnectorError) => {
      assert.equal(e.code, 'account_unavailable');
      assert.equal(e.status, 403);
      assert.equal(e.message, `Gatehouse runs as '${me}' (personal mode) and cannot act as local account 'bob'`);
      return true;
    });
    await assert.rejects(connectors.connectorFor('-rf'), { code: 'account_unavailable' });
  });

  test('a 512 MiB streaming read keeps RSS bounded', async () => {
    const file = path.join(tmp, 'root', 'big.bin');
    bigSparseFile(file, 512 * MiB);
    const c = await connectors.connectorFor(me);
    const { bytes, peakDelta } = await drainMeasuringRss(await c.read({ root: path.join(tmp, 'root'), path: '/big.bin' }));
    assert.equal(bytes, 512 * MiB);
    assert.ok(peakDelta < 100 * MiB, `RSS grew by ${Math.round(peakDelta / MiB)} MiB`);
    fs.rmSync(file);
  });

  test('kill -9 of the writing process mid-upload: target intact, temp file swept at the next start', async () => {
    const root = path.join(tmp, 'crash');
    const stateDir = path.join(tmp, 'crash-state');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'data.bin'), 'old content');
    const index = pathToFileURL(path.resolve(import.meta.dirname, '../src/data/posix/index.ts')).href;
    const script = `
      import { createPosixConnectors } from ${JSON.stringify(index)};
      const c = await (await createPosixConnectors({ stateDir: ${JSON.stringify(stateDir)}, mode: 'personal' })).connectorFor(${JSON.stringify(me)});
      async function* body() {
        for (let i = 0; i < 256; i++) {
          yield Buffer.alloc(1 << 20, 0x62);
          if (i === 96) { process.stdout.write('halfway\\n'); await new Promise((r) => setTimeout(r, 60000)); }
        }
      }
      await c.write({ root: ${JSON.stringify(root)}, path: '/data.bin' }, body(), { expectedSize: 256 << 20 });
      process.stdout.write('finished\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('halfway')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    assert.equal(fs.readFileSync(path.join(root, 'data.bin'), 'utf8'), 'old content');
    const orphans = temps(root);
    assert.equal(orphans.length, 1, 'the killed writer leaves its temp file behind');
    assert.ok(fs.statSync(path.join(root, orphans[0])).size >= 64 * MiB);

    const next = await createPosixConnectors({ stateDir, mode: 'personal' });
    assert.deepEqual(temps(root), []);
    assert.equal(fs.readFileSync(path.join(root, 'data.bin'), 'utf8'), 'old content');
    assert.deepEqual(await next.sweep(), { removed: [], stale: 0 });
    await next.close();
  });
});

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('POSIX connector workers as local accounts (root)', { skip: isRoot ? false : 'needs root (useradd, setuid workers)' }, () => {
  const tag = randomBytes(3).toString('hex');
  const userA = `ghtest_a_${tag}`;
  const userB = `ghtest_b_${tag}`;
  const group = `ghtest_g_${tag}`;
  let tmp: string;
  let root: string;
  let connectors: PosixConnectors;
  let uidA: number;
  let uidB: number;
  let gidShared: number;

  before(async () => {
    sh('useradd', ['-m', '-U', '-s', '/usr/sbin/nologin', userA]);
    sh('useradd', ['-m', '-U', '-s', '/usr/sbin/nologin', userB]);
    sh('groupadd', [group]);
    sh('usermod', ['-a', '-G', group, userB]);
    uidA = Number(sh('id', ['-u', userA]).trim());
    uidB = Number(sh('id', ['-u', userB]).trim());
    gidShared = Number(sh('getent', ['group', group]).split(':')[2]);
    tmp = tempTree('gh-workers-');
    root = path.join(tmp, 'root');
    fs.mkdirSync(root, { mode: 0o777 });
    fs.chmodSync(root, 0o1777);
    const gidA = Number(sh('id', ['-g', userA]).trim());
    fs.writeFileSync(path.join(root, 'private-a.txt'), 'only for a', { mode: 0o600 });
    fs.chownSync(path.join(root, 'private-a.txt'), uidA, gidA);
    fs.writeFileSync(path.join(root, 'group-shared.txt'), 'for the group', { mode: 0o640 });
    fs.chownSync(path.join(root, 'group-shared.txt'), uidA, gidShared);
    fs.chmodSync(path.join(root, 'group-shared.txt'), 0o640);
    connectors = await createPosixConnectors({ stateDir: path.join(tmp, 'state'), idleTimeoutMs: 60_000, maxWorkersPerAccount: 2 });
  });
  after(async () => {
    await connectors?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    for (const u of [userA, userB]) {
      // Workers of a failed test may still be exiting; -f removes the account regardless.
      try {
        sh('userdel', ['-r', u]);
      } catch {
        try {
          sh('userdel', ['-f', '-r', u]);
        } catch {}
      }
    }
    try {
      sh('groupdel', [group]);
    } catch {}
  });

  test('the kernel refuses a 0600 file of one account to the other (EACCES) and serves it to its owner', async () => {
    const a = await connectors.connectorFor(userA);
    const b = await connectors.connectorFor(userB);
    assert.equal(a.kind, 'worker');
    await assert.rejects(b.read({ root, path: '/private-a.txt' }), (e: ConnectorError) => e.code === 'EACCES' && e.status === 403);
    assert.equal(await b.checkAccess({ root, path: '/private-a.txt' }, 'read'), false);
    assert.equal(await text(await a.read({ root, path: '/private-a.txt' })), 'only for a');
    assert.equal(await a.checkAccess({ root, path: '/private-a.txt' }, 'read'), true);
    await assert.rejects(b.remove({ root, path: '/private-a.txt' }), { code: 'EPERM' }); // sticky directory
  });

  test('supplementary groups are in force (setgroups before setgid/setuid)', async () => {
    const b = await connectors.connectorFor(userB);
    assert.equal(await text(await b.read({ root, path: '/group-shared.txt' })), 'for the group');
  });

  test('replacing a file needs write permission on the file, not only on its directory', async () => {
    const shared = path.join(tmp, 'group-dir');
    fs.mkdirSync(shared);
    fs.chownSync(shared, uidA, gidShared);
    fs.chmodSync(shared, 0o775);
    fs.writeFileSync(path.join(shared, 'a-owned.txt'), 'from a', { mode: 0o644 });
    fs.chownSync(path.join(shared, 'a-owned.txt'), uidA, gidShared);
    const b = await connectors.connectorFor(userB);
    await assert.rejects(b.write({ root: shared, path: '/a-owned.txt' }, [Buffer.from('from b')]), { code: 'EACCES' });
    assert.equal(fs.readFileSync(path.join(shared, 'a-owned.txt'), 'utf8'), 'from a');
    const created = await b.write({ root: shared, path: '/b-new.txt' }, [Buffer.from('from b')]);
    assert.equal(created.created, true);
    assert.deepEqual(temps(shared), []);
  });

  test('files are created as the account, and personal-style refusals do not apply', async () => {
    const b = await connectors.connectorFor(userB);
    await b.mkdir({ root, path: '/b-dir' });
    const w = await b.write({ root, path: '/b-dir/made-by-b.txt' }, chunks(3 * MiB + 5));
    assert.equal(w.bytes, 3 * MiB + 5);
    const st = fs.statSync(path.join(root, 'b-dir', 'made-by-b.txt'));
    assert.equal(st.uid, uidB);
    assert.equal(w.entry.user, userB);
    const ls = await b.list({ root, path: '/' }, { filters: [{ field: 'name', op: 'glob', value: '*.txt' }] });
    assert.deepEqual(
      ls.entries.map((e) => [e.name, e.user]),
      [
        ['group-shared.txt', userA],
        ['private-a.txt', userA],
      ],
    );
    await assert.rejects(connectors.connectorFor('root'), { code: 'account_unavailable' });
    await assert.rejects(connectors.connectorFor(`nobody_${tag}`), { code: 'account_unavailable' });
  });

  for (const transport of ['auto', 'socket'] as const) {
    describe(`reads with transport '${transport}'`, () => {
      let cs: PosixConnectors;
      before(() => {
        cs =
          transport === 'auto'
            ? connectors
            : new PosixConnectors({ stateDir: path.join(tmp, 'state-socket'), maxWorkersPerAccount: 2, readTransport: 'socket' });
      });
      after(async () => {
        if (transport !== 'auto') await cs.close();
      });

      test('every operation through a worker', async () => {
        const scratch = path.join(tmp, `scratch-${transport}`);
        fs.mkdirSync(scratch);
        fs.chownSync(scratch, uidA, uidA);
        await exerciseOperations(await cs.connectorFor(userA), scratch);
        if (transport === 'auto') assert.equal(readTransport(), 'fd-handoff', 'this host lets root reopen a worker descriptor through /proc');
      });

      test('a cancelled read leaves the worker usable', async () => {
        const a = await cs.connectorFor(userA);
        const file = path.join(root, `a-big-${transport}.bin`);
        bigSparseFile(file, 256 * MiB);
        for (let i = 0; i < 3; i++) {
          const r = await a.read({ root, path: path.basename(file) });
          let got = 0;
          for await (const c of r.stream) {
            got += (c as Buffer).length;
            if (got > 8 * MiB) break;
          }
          assert.equal(await text(await a.read({ root, path: '/private-a.txt' })), 'only for a');
          assert.equal(await text(await a.read({ root, path: '/private-a.txt' }, { start: 5 })), 'for a');
        }
        fs.rmSync(file);
      });

      test('many concurrent small reads, ranges and stats share a small pool without losing a reply', async () => {
        const a = await cs.connectorFor(userA);
        let next = 0;
        const results = await Promise.all(
          Array.from({ length: 48 }, async () => {
            const got: string[] = [];
            while (next < 400) {
              const i = next++;
              if (i % 3 === 0) got.push((await a.stat({ root, path: '/private-a.txt' })).name);
              else if (i % 3 === 1) got.push(await text(await a.read({ root, path: '/private-a.txt' })));
              else got.push(await text(await a.read({ root, path: '/private-a.txt' }, { suffix: 5 })));
            }
            return got;
          }),
        );
        const flat = results.flat();
        assert.equal(flat.length, 400);
        assert.ok(flat.every((x) => ['private-a.txt', 'only for a', 'for a'].includes(x)));
        assert.ok(cs.workerPids(userA).length <= 2);
      });

      test('a 512 MiB streaming read keeps the server RSS bounded', async () => {
        const file = path.join(root, `a-huge-${transport}.bin`);
        bigSparseFile(file, 512 * MiB);
        const a = await cs.connectorFor(userA);
        const { bytes, peakDelta } = await drainMeasuringRss(await a.read({ root, path: path.basename(file) }));
        assert.equal(bytes, 512 * MiB);
        assert.ok(peakDelta < 100 * MiB, `RSS grew by ${Math.round(peakDelta / MiB)} MiB`);
        fs.rmSync(file);
      });
    });
  }

  test('uploads back to back through one worker arrive whole and in order, however the body ends', { timeout: 120_000 }, async () => {
    const a = await connectors.connectorFor(userA);
    const dir = path.join(tmp, 'back-to-back');
    fs.mkdirSync(dir);
    fs.chownSync(dir, uidA, uidA);
    // Request-sized pieces of random bytes, faster than the worker writes them: the body often ends while the
    // data socket is full, which once left the socket corked and hung the next upload on the same worker.
    const block = randomBytes(4 * MiB + 7);
    for (let round = 0; round < 4; round++) {
      const size = 40 * MiB + round * 12_345;
      const digest = createHash('sha256');
      const pieces = function* () {
        for (let sent = 0, i = 0; sent < size; i++) {
          const n = Math.min(round % 2 ? 16_384 : 16_384 + (i % 3) * 1000, size - sent);
          const offset = sent % (block.length - n);
          const piece = block.subarray(offset, offset + n);
          digest.update(piece);
          sent += n;
          yield Buffer.from(piece);
        }
      };
      const w = await a.write({ root: dir, path: '/up.bin' }, Readable.from(pieces(), { objectMode: false, highWaterMark: 64 << 10 }), { expectedSize: size });
      assert.equal(w.bytes, size);
      const onDisk = createHash('sha256')
        .update(fs.readFileSync(path.join(dir, 'up.bin')))
        .digest('hex');
      assert.equal(onDisk, digest.digest('hex'), `round ${round}: the file holds what was sent`);
    }
    assert.ok(connectors.workerPids(userA).length <= 2);
  });

  test('kill -9 of the worker mid 256 MiB write: target intact, temp file removed, nothing left to sweep', async () => {
    const a = await connectors.connectorFor(userA);
    const dir = path.join(tmp, 'atomic');
    fs.mkdirSync(dir);
    fs.chownSync(dir, uidA, uidA);
    fs.writeFileSync(path.join(dir, 'target.bin'), 'previous version');
    fs.chownSync(path.join(dir, 'target.bin'), uidA, uidA);
    let killed = false;
    async function* body() {
      for (let i = 0; i < 256; i++) {
        yield Buffer.alloc(MiB, 0x63);
        if (i === 100 && !killed) {
          // Let the worker write what it has, so the temp file is real and large when it dies.
          await eventually(
            () => temps(dir).some((t) => (fs.statSync(path.join(dir, t), { throwIfNoEntry: false })?.size ?? 0) >= 64 * MiB),
            'the temp file holds 64 MiB',
          );
          const pids = connectors.workerPids(userA);
          assert.ok(pids.length > 0);
          for (const pid of pids) process.kill(pid, 'SIGKILL');
          killed = true;
        }
      }
    }
    await assert.rejects(a.write({ root: dir, path: '/target.bin' }, body(), { expectedSize: 256 * MiB }), { code: 'worker_failed' });
    assert.ok(killed);
    assert.equal(fs.readFileSync(path.join(dir, 'target.bin'), 'utf8'), 'previous version');
    assert.deepEqual(temps(dir), []);
    assert.deepEqual(await connectors.sweep(), { removed: [], stale: 0 });
    // The pool replaces the dead worker on the next request.
    assert.equal(await text(await a.read({ root: dir, path: '/target.bin' })), 'previous version');
  });

  test('workers run from a type-stripped copy of their modules, without the TypeScript loader', async () => {
    const a = await connectors.connectorFor(userA);
    await a.stat({ root, path: '/private-a.txt' });
    const [pid] = connectors.workerPids(userA);
    const script = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).at(-1)!;
    assert.match(script, /worker-js\/[0-9a-f]{16}\/posix\/worker\.mjs$/);
    assert.ok(script.startsWith(path.join(tmp, 'state')), 'kept in the state dir');
    // Every module of the copy loads in a node that cannot strip types.
    const dir = path.dirname(path.dirname(script));
    const modules = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs') && !f.endsWith('worker.mjs'));
    assert.ok(modules.length >= 4, modules.join());
    const loaded = execFileSync(
      process.execPath,
      [
        '--no-experimental-strip-types',
        '--input-type=module',
        '-e',
        `for (const f of ${JSON.stringify(modules)}) await import(${JSON.stringify(dir)} + '/' + f); console.log('ok')`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(loaded.trim(), 'ok');
  });

  test('idle workers are reaped', async () => {
    const reaping = new PosixConnectors({ stateDir: path.join(tmp, 'state-reap'), idleTimeoutMs: 150 });
    try {
      const b = await reaping.connectorFor(userB);
      await Promise.all([b.stat({ root, path: '/' }), b.stat({ root, path: '/group-shared.txt' })]);
      const pids = reaping.workerPids(userB);
      assert.equal(pids.length, 1);
      const gone = (pid: number) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      };
      await eventually(() => reaping.workerPids(userB).length === 0 && gone(pids[0]), 'the idle worker is reaped');
      assert.throws(() => process.kill(pids[0], 0), { code: 'ESRCH' });
    } finally {
      await reaping.close();
    }
  });
});
