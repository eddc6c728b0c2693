// The file copy of Transfer tasks on real files: byte-identical copies, temp file then rename, abort, resume from a kept prefix, source changes, checksums; personal mode and (as root) between two local accounts' workers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createPosixConnectors, type ConnectorError, type Location, type PosixConnector, type PosixConnectors } from '../src/data/posix/index.ts';
import { serverUsername } from '../src/data/posix/accounts.ts';
import { resolveTarget, type PathIntent } from '../src/data/paths.ts';
import { copyFile, fileChecksum, removeTemp, type CopyEnd, type CopyRequest } from '../src/transfer/engine/copy.ts';

const MiB = 1 << 20;
const isRoot = process.getuid?.() === 0;

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A location as data/access.ts decideRequest grants it: with the real paths the decision was made on. */
async function granted(root: string, clientPath: string, intent: PathIntent): Promise<Location> {
  const r = await resolveTarget({ root, path: clientPath, intent });
  assert.ok(r.ok, `resolvable: ${clientPath}`);
  return { root, path: clientPath, real: { target: r.path, boundary: r.boundary, root: r.root } };
}

interface World {
  source: PosixConnector;
  destination: PosixConnector;
  srcRoot: string;
  dstRoot: string;
  /** writes a source file as the source account would own it */
  put(name: string, bytes: Buffer): string;
  /** the uid a destination file must have */
  dstUid: number;
}

let seq = 0;
/** A copy request with the usual defaults; names are unique per test. */
async function request(w: World, name: string, extra: Partial<CopyRequest> = {}): Promise<CopyRequest> {
  return {
    source: { connector: w.source, at: await granted(w.srcRoot, `/${name}`, 'read') },
    destination: { connector: w.destination, at: await granted(w.dstRoot, `/${name}`, 'write') },
    tempName: `.gatehouse-0a1b2c3d-${++seq}.part`,
    algorithm: null,
    preserveTimestamp: false,
    onCheckpoint: async () => {},
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Starts a copy that is aborted at its first checkpoint; resolves with that checkpoint. */
async function interrupted(w: World, name: string, extra: Partial<CopyRequest> = {}): Promise<{ req: CopyRequest; offset: number; digest: string }> {
  const controller = new AbortController();
  let seen: { offset: number; digest: string } | null = null;
  const req = await request(w, name, {
    checkpointBytes: MiB,
    signal: controller.signal,
    onCheckpoint: async (offset, digest) => {
      seen ??= { offset, digest };
      controller.abort();
    },
    ...extra,
  });
  await assert.rejects(copyFile(req), (e: ConnectorError) => e.code === 'aborted');
  assert.ok(seen, 'a checkpoint was reached');
  const { offset, digest } = seen as { offset: number; digest: string };
  return { req, offset, digest };
}

function tempPath(w: World, req: CopyRequest): string {
  return path.join(w.dstRoot, req.tempName);
}

function copySuite(label: string, setup: () => Promise<World>, teardown: () => Promise<void>, more?: () => void): void {
  describe(label, () => {
    let w: World;
    before(async () => {
      w = await setup();
    });
    after(teardown);
    more?.();

    test('copies byte-identical (SHA-256), owned by the destination account, checksum as node:crypto computes it, no temp file left', async () => {
      const bytes = randomBytes(5 * MiB + 12345);
      const src = w.put('big.bin', bytes);
      const req = await request(w, 'big.bin', { algorithm: 'SHA256' });
      const result = await copyFile(req);
      const dst = path.join(w.dstRoot, 'big.bin');
      assert.equal(sha256(dst), sha256(src));
      assert.equal(result.checksum, createHash('sha256').update(bytes).digest('hex'));
      assert.deepEqual(
        { bytes: result.bytes, resumedFrom: result.resumedFrom, size: result.size },
        { bytes: bytes.length, resumedFrom: 0, size: bytes.length },
      );
      const st = fs.statSync(dst);
      assert.equal(st.uid, w.dstUid);
      assert.equal(st.mode & 0o777, 0o666 & ~process.umask());
      assert.equal(fs.existsSync(tempPath(w, req)), false);
    });

    test('empty and small files; an existing destination is replaced and keeps its mode', async () => {
      w.put('empty.bin', Buffer.alloc(0));
      const empty = await copyFile(await request(w, 'empty.bin', { algorithm: 'md5' }));
      assert.equal(empty.checksum, createHash('md5').digest('hex'));
      assert.equal(fs.statSync(path.join(w.dstRoot, 'empty.bin')).size, 0);
      const dst = path.join(w.dstRoot, 'small.txt');
      fs.writeFileSync(dst, 'old old old');
      fs.chmodSync(dst, 0o640);
      if (isRoot) fs.chownSync(dst, w.dstUid, fs.statSync(w.dstRoot).gid);
      w.put('small.txt', Buffer.from('new'));
      await copyFile(await request(w, 'small.txt'));
      assert.equal(fs.readFileSync(dst, 'utf8'), 'new');
      assert.equal(fs.statSync(dst).mode & 0o777, 0o640);
    });

    test('many small files copied at once into one directory (sharing its fsyncs) all arrive whole', async () => {
      const files = Array.from({ length: 40 }, (_, i) => ({ name: `many-${i}.bin`, bytes: randomBytes(100 + i * 97) }));
      for (const f of files) w.put(f.name, f.bytes);
      const results = await Promise.all(files.map(async (f) => copyFile(await request(w, f.name, { algorithm: 'SHA256' }))));
      for (const [i, f] of files.entries()) {
        assert.ok(fs.readFileSync(path.join(w.dstRoot, f.name)).equals(f.bytes), f.name);
        assert.equal(results[i].checksum, createHash('sha256').update(f.bytes).digest('hex'));
      }
      assert.equal(fs.readdirSync(w.dstRoot).filter((n) => n.endsWith('.part')).length, 0);
    });

    test('small files copied together fail one by one: a directory in the way or a missing source fails only that file', async () => {
      const good = Array.from({ length: 12 }, (_, i) => ({ name: `together-${i}.bin`, bytes: randomBytes(64 + i) }));
      for (const f of good) w.put(f.name, f.bytes);
      w.put('together-dir.bin', Buffer.from('x'));
      fs.mkdirSync(path.join(w.dstRoot, 'together-dir.bin'));
      const missing = await request(w, 'together-missing.bin');
      const settled = await Promise.allSettled([
        ...good.map(async (f) => copyFile(await request(w, f.name, { algorithm: 'MD5' }))),
        copyFile(await request(w, 'together-dir.bin')),
        copyFile(missing),
      ]);
      for (const [i, f] of good.entries()) {
        assert.equal(settled[i].status, 'fulfilled', f.name);
        assert.ok(fs.readFileSync(path.join(w.dstRoot, f.name)).equals(f.bytes), f.name);
      }
      const [inTheWay, absent] = settled.slice(good.length);
      assert.equal(inTheWay.status === 'rejected' && (inTheWay.reason as ConnectorError).code, 'EISDIR');
      assert.equal(absent.status === 'rejected' && (absent.reason as ConnectorError).code, 'ENOENT');
      assert.ok(fs.statSync(path.join(w.dstRoot, 'together-dir.bin')).isDirectory());
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'together-missing.bin')), false);
    });

    test('preserve_timestamp gives the destination the source mtime', async () => {
      const src = w.put('dated.bin', randomBytes(1000));
      const when = new Date('2021-03-04T05:06:07.250Z');
      fs.utimesSync(src, when, when);
      const result = await copyFile(await request(w, 'dated.bin', { preserveTimestamp: true }));
      assert.equal(fs.statSync(path.join(w.dstRoot, 'dated.bin')).mtimeMs, when.getTime());
      assert.equal(result.mtimeMs, when.getTime());
    });

    test('nothing is under the final name before completion; checkpoints come after durable prefixes', async () => {
      w.put('ckpt.bin', randomBytes(4 * MiB + 7));
      const offsets: number[] = [];
      const req = await request(w, 'ckpt.bin', {
        checkpointBytes: MiB,
        onCheckpoint: async (offset) => {
          offsets.push(offset);
          assert.equal(fs.existsSync(path.join(w.dstRoot, 'ckpt.bin')), false);
          assert.ok(fs.statSync(tempPath(w, req)).size >= offset);
        },
      });
      await copyFile(req);
      assert.ok(offsets.length >= 1, 'at least one checkpoint');
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
      );
      assert.ok(offsets.every((o) => o >= MiB && o < 4 * MiB + 7));
    });

    test('an aborted copy leaves only the temp file; removeTemp removes it', async () => {
      w.put('abort.bin', randomBytes(6 * MiB));
      const { req } = await interrupted(w, 'abort.bin');
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'abort.bin')), false);
      assert.ok(fs.statSync(tempPath(w, req)).isFile());
      assert.equal(fs.statSync(tempPath(w, req)).uid, w.dstUid);
      // The temp files are not listed.
      assert.equal(
        (await w.destination.list({ root: w.dstRoot, path: '/' })).entries.some((e) => e.name === req.tempName),
        false,
      );
      await removeTemp(req.destination, req.tempName);
      assert.equal(fs.existsSync(tempPath(w, req)), false);
      await removeTemp(req.destination, req.tempName); // already gone: fine
    });

    test('resume continues from the kept prefix and the whole-file checksum is still right', async () => {
      const bytes = randomBytes(6 * MiB + 99);
      w.put('resume.bin', bytes);
      const { req, offset, digest } = await interrupted(w, 'resume.bin', { algorithm: 'SHA256' });
      assert.ok(offset > 0 && offset < bytes.length);
      const result = await copyFile({ ...req, signal: new AbortController().signal, resume: { offset, digest } });
      assert.equal(result.resumedFrom, offset);
      assert.equal(result.bytes, bytes.length - offset);
      assert.equal(result.resumeRejected, undefined);
      assert.equal(result.checksum, createHash('sha256').update(bytes).digest('hex'));
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'resume.bin')).equals(bytes));
      assert.equal(fs.existsSync(tempPath(w, req)), false);
    });

    test('resume with a checksum after a copy without one (the prefix is hashed once, for both)', async () => {
      const bytes = randomBytes(3 * MiB + 5);
      w.put('resume2.bin', bytes);
      const { req, offset, digest } = await interrupted(w, 'resume2.bin');
      const result = await copyFile({ ...req, algorithm: 'sha1', signal: new AbortController().signal, resume: { offset, digest } });
      assert.equal(result.resumedFrom, offset);
      assert.equal(result.checksum, createHash('sha1').update(bytes).digest('hex'));
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'resume2.bin')).equals(bytes));
    });

    test('a corrupted or short prefix starts again from 0, and the copy is still right', async () => {
      const bytes = randomBytes(4 * MiB);
      w.put('corrupt.bin', bytes);
      const first = await interrupted(w, 'corrupt.bin', { algorithm: 'MD5' });
      const fd = fs.openSync(tempPath(w, first.req), 'r+');
      fs.writeSync(fd, Buffer.from([bytes[10] ^ 0xff]), 0, 1, 10);
      fs.closeSync(fd);
      const result = await copyFile({ ...first.req, signal: new AbortController().signal, resume: { offset: first.offset, digest: first.digest } });
      assert.equal(result.resumedFrom, 0);
      assert.equal(result.resumeRejected, 'prefix_mismatch');
      assert.equal(result.checksum, createHash('md5').update(bytes).digest('hex'));
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'corrupt.bin')).equals(bytes));

      w.put('short.bin', bytes);
      const second = await interrupted(w, 'short.bin');
      fs.truncateSync(tempPath(w, second.req), second.offset - 1);
      const again = await copyFile({ ...second.req, signal: new AbortController().signal, resume: { offset: second.offset, digest: second.digest } });
      assert.deepEqual([again.resumedFrom, again.resumeRejected], [0, 'temp_short']);
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'short.bin')).equals(bytes));
    });

    test('a source changed since the checkpoint is detected: the copy starts from 0 and has the new bytes', async () => {
      const bytes = randomBytes(4 * MiB);
      const src = w.put('changed.bin', bytes);
      const { req, offset, digest } = await interrupted(w, 'changed.bin');
      const now = randomBytes(4 * MiB);
      fs.writeFileSync(src, now);
      fs.utimesSync(src, new Date(), new Date(Date.now() + 5000));
      const result = await copyFile({ ...req, signal: new AbortController().signal, resume: { offset, digest } });
      assert.deepEqual([result.resumedFrom, result.resumeRejected], [0, 'source_changed']);
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'changed.bin')).equals(now));
    });

    test('a source changed during the copy fails with source_changed and nothing appears under the final name', async () => {
      const src = w.put('moving.bin', randomBytes(4 * MiB));
      const req = await request(w, 'moving.bin', {
        checkpointBytes: MiB,
        onCheckpoint: async () => {
          const fd = fs.openSync(src, 'r+');
          fs.writeSync(fd, Buffer.from('x'), 0, 1, 0);
          fs.futimesSync(fd, new Date(), new Date(Date.now() + 10_000));
          fs.closeSync(fd);
        },
      });
      await assert.rejects(copyFile(req), (e: ConnectorError) => e.code === 'source_changed');
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'moving.bin')), false);
    });

    test('bytes changed between the read and the write: checksum_mismatch, nothing under the final name', async () => {
      w.put('tampered.bin', randomBytes(2 * MiB + 3));
      const req = await request(w, 'tampered.bin', {
        algorithm: 'SHA256',
        tamper: (chunk, offset) => {
          if (offset === MiB) chunk[0] ^= 1;
        },
      });
      await assert.rejects(copyFile(req), (e: ConnectorError) => e.code === 'checksum_mismatch');
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'tampered.bin')), false);
      // A small file is checked by the destination account's process before its rename.
      w.put('tampered.txt', Buffer.from('small and sound'));
      const small = await request(w, 'tampered.txt', { algorithm: 'MD5', tamper: (chunk) => void (chunk[0] ^= 1) });
      await assert.rejects(copyFile(small), (e: ConnectorError) => e.code === 'checksum_mismatch');
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'tampered.txt')), false);
    });

    test('every algorithm agrees with node:crypto and zlib, copy and fileChecksum alike; an unknown one is refused', async () => {
      const small = randomBytes(1000);
      w.put('sums.txt', small);
      const smallResult = await copyFile(await request(w, 'sums.txt', { algorithm: 'SHA512' }));
      assert.equal(smallResult.checksum, createHash('sha512').update(small).digest('hex'));
      assert.ok(fs.readFileSync(path.join(w.dstRoot, 'sums.txt')).equals(small));
      const bytes = randomBytes(3 * MiB + 17);
      w.put('sums.bin', bytes);
      const expected: Record<string, string> = {
        MD5: createHash('md5').update(bytes).digest('hex'),
        SHA1: createHash('sha1').update(bytes).digest('hex'),
        SHA256: createHash('sha256').update(bytes).digest('hex'),
        SHA512: createHash('sha512').update(bytes).digest('hex'),
        CRC32: zlib.crc32(bytes).toString(16).padStart(8, '0'),
      };
      for (const [algorithm, digest] of Object.entries(expected)) {
        const result = await copyFile(await request(w, 'sums.bin', { algorithm: algorithm.toLowerCase() }));
        assert.equal(result.checksum, digest, algorithm);
        const end: CopyEnd = { connector: w.destination, at: await granted(w.dstRoot, '/sums.bin', 'read') };
        assert.equal(await fileChecksum(end, algorithm), digest, `fileChecksum ${algorithm}`);
      }
      await assert.rejects(
        copyFile(await request(w, 'sums.bin', { algorithm: 'WHIRLPOOL' })),
        (e: ConnectorError) => e.code === 'unsupported_checksum_algorithm',
      );
    });

    test('a source that is not what was decided (a link swapped in) is path_changed', async () => {
      w.put('real.bin', randomBytes(100));
      const req = await request(w, 'real.bin');
      fs.renameSync(path.join(w.srcRoot, 'real.bin'), path.join(w.srcRoot, 'moved.bin'));
      fs.symlinkSync('moved.bin', path.join(w.srcRoot, 'real.bin'));
      await assert.rejects(copyFile(req), (e: ConnectorError) => e.code === 'path_changed' || e.code === 'ELOOP');
      assert.equal(fs.existsSync(path.join(w.dstRoot, 'real.bin')), false);
    });
  });
}

function tempTree(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.chmodSync(dir, 0o755);
  return dir;
}

{
  let tmp = '';
  let connectors: PosixConnectors | null = null;
  copySuite(
    'copy in personal mode (in-process)',
    async () => {
      tmp = tempTree('gh-copy-personal-');
      const srcRoot = path.join(tmp, 'src');
      const dstRoot = path.join(tmp, 'dst');
      fs.mkdirSync(srcRoot);
      fs.mkdirSync(dstRoot);
      connectors = await createPosixConnectors({ stateDir: path.join(tmp, 'state'), mode: 'personal' });
      const c = await connectors.connectorFor(serverUsername());
      return {
        source: c,
        destination: c,
        srcRoot,
        dstRoot,
        dstUid: process.getuid!(),
        put: (name, bytes) => {
          const file = path.join(srcRoot, name);
          fs.writeFileSync(file, bytes);
          return file;
        },
      };
    },
    async () => {
      await connectors?.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    },
  );
}

if (isRoot) {
  const tag = randomBytes(3).toString('hex');
  const userA = `ghcopy_a_${tag}`;
  const userB = `ghcopy_b_${tag}`;
  let tmp = '';
  let connectors: PosixConnectors | null = null;
  let ids: { uidA: number; gidA: number; uidB: number; gidB: number };
  copySuite(
    'copy as root, between two local accounts (their workers open the files)',
    async () => {
      sh('useradd', ['-M', '-U', '-s', '/usr/sbin/nologin', userA]);
      sh('useradd', ['-M', '-U', '-s', '/usr/sbin/nologin', userB]);
      ids = {
        uidA: Number(sh('id', ['-u', userA]).trim()),
        gidA: Number(sh('id', ['-g', userA]).trim()),
        uidB: Number(sh('id', ['-u', userB]).trim()),
        gidB: Number(sh('id', ['-g', userB]).trim()),
      };
      tmp = tempTree('gh-copy-root-');
      const srcRoot = path.join(tmp, 'src');
      const dstRoot = path.join(tmp, 'dst');
      // Each root is its account's alone: neither account can reach the other's.
      fs.mkdirSync(srcRoot, { mode: 0o700 });
      fs.mkdirSync(dstRoot, { mode: 0o700 });
      fs.chownSync(srcRoot, ids.uidA, ids.gidA);
      fs.chownSync(dstRoot, ids.uidB, ids.gidB);
      connectors = await createPosixConnectors({ stateDir: path.join(tmp, 'state'), mode: 'privileged', idleTimeoutMs: 60_000, maxWorkersPerAccount: 2 });
      const source = await connectors.connectorFor(userA);
      const destination = await connectors.connectorFor(userB);
      assert.equal(source.kind, 'worker');
      return {
        source,
        destination,
        srcRoot,
        dstRoot,
        dstUid: ids.uidB,
        put: (name, bytes) => {
          const file = path.join(srcRoot, name);
          fs.writeFileSync(file, bytes, { mode: 0o600 });
          fs.chownSync(file, ids.uidA, ids.gidA);
          return file;
        },
      };
    },
    async () => {
      await connectors?.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      for (const u of [userA, userB]) {
        try {
          sh('userdel', ['-f', u]);
        } catch {}
      }
    },
    () =>
      test('the kernel decides for each account: the destination account cannot read the source, nor the source account write the destination', async () => {
        assert.ok(connectors && tmp, 'the root suite set up its world');
        const a = await connectors.connectorFor(userA);
        const b = await connectors.connectorFor(userB);
        const srcRoot = path.join(tmp, 'src');
        const dstRoot = path.join(tmp, 'dst');
        fs.writeFileSync(path.join(srcRoot, 'mine.bin'), 'a only', { mode: 0o600 });
        fs.chownSync(path.join(srcRoot, 'mine.bin'), ids.uidA, ids.gidA);
        const base = {
          tempName: '.gatehouse-0a1b2c3d-999.part',
          algorithm: null,
          preserveTimestamp: false,
          onCheckpoint: async () => {},
          signal: new AbortController().signal,
        };
        await assert.rejects(
          copyFile({
            ...base,
            source: { connector: b, at: await granted(srcRoot, '/mine.bin', 'read') },
            destination: { connector: b, at: await granted(dstRoot, '/x', 'write') },
          }),
          (e: ConnectorError) => e.code === 'EACCES',
        );
        await assert.rejects(
          copyFile({
            ...base,
            source: { connector: a, at: await granted(srcRoot, '/mine.bin', 'read') },
            destination: { connector: a, at: await granted(dstRoot, '/x', 'write') },
          }),
          (e: ConnectorError) => e.code === 'EACCES',
        );
        assert.deepEqual(
          fs.readdirSync(dstRoot).filter((n) => n === 'x' || n === base.tempName),
          [],
        );
      }),
  );
}
