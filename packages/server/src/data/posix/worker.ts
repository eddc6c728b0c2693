// Worker process entry point: drops root to one local account (groups, gid, uid — in that order), then serves file operations.
import fs from 'node:fs';
import net from 'node:net';
import { asBuffer, DATA_FD, type FromWorker, type OpenCopyReply, type OpenReply, type ToWorker, type WireError } from './protocol.ts';
import {
  abortUpload,
  accessCheck,
  beginUpload,
  finishUpload,
  listDir,
  makeDir,
  openRead,
  openReadDirectSync,
  readWholeSync,
  removePath,
  renamePath,
  statEntry,
  writeAllSync,
  type Upload,
} from './ops.ts';
import { ConnectorError, fromErrno, settleEach } from './types.ts';
import { commitCopyTemp, openCopySource, openCopyTemp, removeCopyTemp, writeCopySmallBatch } from './copy-ops.ts';

const READ_CHUNK = 1 << 20;

function dropPrivileges(): { uid: number; gid: number; groups: number[] } {
  const spec = JSON.parse(process.env.GATEHOUSE_WORKER_ACCOUNT ?? 'null') as { uid: number; gid: number; groups: number[]; home: string } | null;
  if (!spec || !Number.isInteger(spec.uid) || !Number.isInteger(spec.gid) || spec.uid === 0) {
    process.stderr.write('gatehouse worker: missing or invalid account\n');
    process.exit(78);
  }
  delete process.env.GATEHOUSE_WORKER_ACCOUNT;
  // setgroups and setgid need root, so they come before setuid; after setuid nothing can be regained.
  process.setgroups!(spec.groups);
  process.setgid!(spec.gid);
  process.setuid!(spec.uid);
  let regained = false;
  try {
    process.setuid!(0);
    regained = true;
  } catch {}
  if (regained || process.getuid!() !== spec.uid || process.geteuid!() !== spec.uid || process.getgid!() !== spec.gid || process.getegid!() !== spec.gid) {
    process.stderr.write('gatehouse worker: privilege drop did not take effect\n');
    process.exit(77);
  }
  process.env.HOME = spec.home;
  process.chdir('/');
  return { uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!() };
}

const identity = dropPrivileges();
/**
 * Upload bytes arrive into this one buffer (as much as the socket holds per read) and go to the file with a
 * blocking write before the next read: no allocation per chunk, no thread-pool hop, nothing for the garbage
 * collector, and the kernel's dirty-page throttling holds the socket back by itself. The socket is always
 * read: the parent sends an upload's bytes only once write-begin is answered, so any other byte is a fault.
 */
const uploadBuffer = Buffer.allocUnsafe(256 << 10);
const data = new net.Socket({
  fd: DATA_FD,
  readable: true,
  writable: true,
  onread: { buffer: uploadBuffer, callback: (n: number, buf: Uint8Array) => onUploadBytes(n, buf) },
});
data.on('error', () => process.exit(1));
// The parent went away: nothing left to do for it.
process.on('disconnect', () => process.exit(0));

function send(message: FromWorker): void {
  process.send!(message);
}

function wire(error: unknown): WireError {
  const e = error instanceof ConnectorError ? error : fromErrno(error, '?');
  return { code: e.code, message: e.message, ...(e.size !== undefined ? { size: e.size } : {}) };
}

async function reply(id: number, work: () => Promise<unknown>): Promise<void> {
  try {
    const value = await work();
    send({ t: 'res', id, ok: true, value: value ?? null });
  } catch (error) {
    send({ t: 'res', id, ok: false, error: wire(error) });
  }
}

/** Descriptors opened for the parent to reopen through /proc/<pid>/fd: the kernel checked this account's access. */
const held = new Set<number>();
function closeHeld(fd: number): void {
  if (held.delete(fd)) fs.close(fd, () => {});
}

// Streams on the data socket are serialized by the parent: at most one read or one upload at a time.
let cancelRead: number | null = null;

async function serveRead(id: number, msg: Extract<ToWorker, { t: 'read' }>): Promise<void> {
  let opened;
  try {
    opened = await openRead(msg.at, msg.range);
  } catch (error) {
    send({ t: 'res', id, ok: false, error: wire(error) });
    return;
  }
  const { fd, entry, size, start, end, real } = opened;
  send({ t: 'res', id, ok: true, value: { entry, size, start, end, real } });
  let position = start;
  let sent = 0;
  let failure: WireError | undefined;
  try {
    while (position <= end && cancelRead !== id) {
      const want = Math.min(READ_CHUNK, end - position + 1);
      // A fresh buffer per chunk: the socket keeps a reference until the bytes are flushed.
      const buf = Buffer.allocUnsafe(want);
      const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, want, position, (e, r) => (e ? reject(e) : resolve(r))));
      if (n === 0) {
        failure = { code: 'EIO', message: 'File shrank while being read' };
        break;
      }
      position += n;
      sent += n;
      if (!data.write(n === want ? buf : buf.subarray(0, n))) await new Promise((r) => data.once('drain', r));
    }
  } catch (error) {
    failure = wire(error);
  } finally {
    fs.close(fd, () => {});
    if (cancelRead === id) cancelRead = null;
  }
  send({ t: 'read-end', id, sent, ...(failure ? { error: failure } : {}) });
}

interface Incoming {
  id: number;
  upload: Upload;
  received: number;
  failed: WireError | null;
  /** set by write-end: total bytes the parent sent, and whether to commit */
  end: { bytes: number; commit: boolean } | null;
}
let incoming: Incoming | null = null;

function onUploadBytes(n: number, buf: Uint8Array): boolean {
  const up = incoming;
  if (!up) {
    process.stderr.write('gatehouse worker: unexpected bytes on the data socket\n');
    process.exit(70);
  }
  up.received += n;
  // After a failure (disk full…) the rest of the body is read and dropped, so the socket stays in step.
  if (!up.failed) {
    try {
      writeAllSync(up.upload.fd, buf, n);
    } catch (error) {
      up.failed = wire(fromErrno(error, up.upload.relative));
      send({ t: 'write-failed', id: up.id, error: up.failed });
    }
  }
  settleUpload();
  return true;
}

function settleUpload(): void {
  const up = incoming;
  if (!up || !up.end || up.received < up.end.bytes) return;
  incoming = null;
  const { commit, bytes } = up.end;
  if (up.received > bytes) {
    process.stderr.write('gatehouse worker: data socket out of step\n');
    process.exit(70);
  }
  void reply(up.id, async () => {
    if (up.failed) {
      await abortUpload(up.upload);
      throw new ConnectorError(up.failed.code, up.failed.message);
    }
    if (!commit) {
      await abortUpload(up.upload);
      return { aborted: true };
    }
    return finishUpload(up.upload);
  });
}

process.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'stat':
      return void reply(msg.id, () => statEntry(msg.at));
    case 'list':
      return void reply(msg.id, () => listDir(msg.at, msg.options));
    case 'mkdir':
      return void reply(msg.id, () => makeDir(msg.at));
    case 'rename':
      return void reply(msg.id, () => renamePath(msg.from, msg.to));
    case 'remove':
      return void reply(msg.id, () => removePath(msg.at, msg.recursive));
    case 'access':
      return void reply(msg.id, () => accessCheck(msg.at, msg.mode));
    case 'read':
      return void serveRead(msg.id, msg);
    case 'open':
      return void reply(msg.id, async (): Promise<OpenReply> => {
        // Blocking calls are fine here: this process serves one account, and they spare thread hand-offs.
        const opened = (await openReadDirectSync(msg.at, msg.range)) ?? (await openRead(msg.at, msg.range));
        const { fd, entry, size, start, end, dev, ino, real } = opened;
        if (msg.inline !== undefined && end - start + 1 <= msg.inline) {
          const data = readWholeSync(fd, start, end);
          return { entry, size, start, end, dev, ino, real, fd: -1, data };
        }
        held.add(fd);
        // The parent reopens it within milliseconds; this only guards against a parent that never says so.
        setTimeout(() => closeHeld(fd), 30_000).unref();
        return { entry, size, start, end, fd, dev, ino, real };
      });
    case 'close':
      return void closeHeld(msg.fd);
    case 'copy-open-batch':
      return void reply(msg.id, () =>
        settleEach(
          msg.files,
          async ({ at, inline }): Promise<OpenCopyReply> => {
            const { data, ...source } = await openCopySource(at, inline);
            if (data) return { ...source, data };
            held.add(source.fd!);
            setTimeout(() => closeHeld(source.fd!), 30_000).unref();
            return source;
          },
          (f) => f.at.path,
        ),
      );
    case 'copy-small-batch':
      return void reply(msg.id, () =>
        writeCopySmallBatch(
          msg.files.map(({ at, tempName, data, mtimeMs, algorithm, expected }) => ({
            at,
            tempName,
            data: asBuffer(data),
            options: { mtimeMs, algorithm, expected },
          })),
          true,
        ),
      );
    case 'copy-temp-open':
      return void reply(msg.id, async () => {
        const temp = await openCopyTemp(msg.at, msg.tempName, msg.keep);
        held.add(temp.fd);
        setTimeout(() => closeHeld(temp.fd), 30_000).unref();
        return temp;
      });
    case 'copy-temp-commit':
      return void reply(msg.id, () => commitCopyTemp(msg.at, msg.tempName, msg.identity, msg.mtimeMs));
    case 'copy-temp-remove':
      return void reply(msg.id, () => removeCopyTemp(msg.at, msg.tempName));
    case 'read-cancel':
      cancelRead = msg.id;
      return;
    case 'write-begin':
      return void (async () => {
        try {
          const upload = await beginUpload(msg.at, msg.tempName, msg.mustNotExist);
          incoming = { id: msg.id, upload, received: 0, failed: null, end: null };
          send({ t: 'res', id: msg.id, ok: true, value: { tempPath: upload.tempPath, dirDev: upload.dirDev, dirIno: upload.dirIno, existed: upload.existed } });
        } catch (error) {
          send({ t: 'res', id: msg.id, ok: false, error: wire(error) });
        }
      })();
    case 'write-end':
      if (!incoming || incoming.id !== msg.id)
        return void send({ t: 'res', id: msg.id, ok: false, error: { code: 'worker_failed', message: 'no such upload' } });
      incoming.end = { bytes: msg.bytes, commit: msg.commit };
      return void settleUpload();
    case 'exit':
      process.exit(0);
  }
});

send({ t: 'ready', ...identity });
