// The connector of root mode: every operation runs in a worker of the mapped account, so the kernel decides; reads hand over the worker's descriptor when the host allows.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { TempPlace, UploadJournal } from './journal.ts';
import { newTempName, UploadSink } from './ops.ts';
import { asBuffer, INLINE_READ, type OpenCopyReply, type OpenReply, type OpenTempReply, type ToWorker, type WireError } from './protocol.ts';
import { consumeBody, inMemoryResult, readFd, sizeMismatch } from './local.ts';
import {
  ConnectorError,
  type AccessMode,
  type ByteRange,
  type CopySource,
  type CopyTemp,
  type FileEntry,
  type ListOptions,
  type ListResult,
  type Location,
  type PosixConnector,
  type ReadResult,
  type RealPaths,
  type SmallCopyOptions,
  type SmallCopyResult,
  type TempIdentity,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
  failed,
  settledValue,
  type Settled,
} from './types.ts';
import type { AccountPool } from './pool.ts';
import { Batcher } from '../../batcher.ts';
import { SMALL_COPY_BATCH, type SmallCopyFile } from './copy-ops.ts';
import { toError, type Worker } from './worker-process.ts';

/** A cancelled socket read must drain within this long, or its worker is replaced. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Whether the server can reopen a worker's descriptor through /proc/<pid>/fd (needs ptrace-read access to the
 * worker, which some hardened containers deny). Learned on first use; null until then.
 */
let handoffWorks: boolean | null = null;
export function readTransport(): 'fd-handoff' | 'socket' | 'unknown' {
  return handoffWorks === null ? 'unknown' : handoffWorks ? 'fd-handoff' : 'socket';
}

class HandoffUnavailable extends Error {}

/**
 * Reopens the worker's descriptor `opened.fd` through /proc (then tells the worker to close its own) and
 * confirms it is the same open file, not whatever a recycled pid's descriptor table holds.
 */
function takeOver(w: Worker, opened: { fd: number; dev: number; ino: number }, flags: number): number {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${w.pid}/fd/${opened.fd}`, flags | (fs.constants as any).O_CLOEXEC);
  } catch (error) {
    if (handoffWorks) throw new ConnectorError('worker_failed', `Could not take over the worker's descriptor: ${(error as Error).message}`);
    throw new HandoffUnavailable((error as Error).message);
  } finally {
    w.post({ t: 'close', fd: opened.fd });
  }
  const st = fs.fstatSync(fd);
  if (st.dev !== opened.dev || st.ino !== opened.ino) {
    fs.closeSync(fd);
    throw new ConnectorError('worker_failed', 'The worker descriptor changed during handoff');
  }
  return fd;
}

/** takeOver for copies, which have no socket fallback: they need the descriptor handoff. */
function takeOverForCopy(w: Worker, opened: { fd: number; dev: number; ino: number }, flags: number): number {
  try {
    const fd = takeOver(w, opened, flags);
    handoffWorks = true;
    return fd;
  } catch (error) {
    if (!(error instanceof HandoffUnavailable)) throw error;
    handoffWorks = false;
    throw new ConnectorError(
      'worker_failed',
      `Transfer copies as root need the server to reopen its workers' descriptors through /proc, which this host refuses: ${error.message}`,
    );
  }
}

/** Small-file copies of each account, coalesced (the connector itself is made per call, its pool is not). */
const smallCopies = new WeakMap<AccountPool, Batcher<SmallCopyFile, Settled<SmallCopyResult>>>();
const copyOpens = new WeakMap<AccountPool, Batcher<{ at: Location; inline: number }, Settled<CopySource>>>();

/** A connector whose every operation runs in a worker holding the account's uid, gid and groups: the kernel decides. */
export class WorkerConnector implements PosixConnector {
  readonly username: string;
  readonly kind = 'worker' as const;
  private readonly pool: AccountPool;
  private readonly journal: UploadJournal;
  private readonly transport: 'auto' | 'socket';

  constructor(pool: AccountPool, journal: UploadJournal, transport: 'auto' | 'socket' = 'auto') {
    this.transport = transport;
    this.pool = pool;
    this.username = pool.account.username;
    this.journal = journal;
  }

  private async meta<T>(make: (id: number) => ToWorker & { id: number }): Promise<T> {
    const w = await this.pool.acquire(false);
    try {
      return await w.call<T>(make(w.newId()));
    } finally {
      this.pool.release(w, false);
    }
  }

  private async metaNoTimeout<T>(make: (id: number) => ToWorker & { id: number }): Promise<T> {
    const w = await this.pool.acquire(false);
    try {
      return await w.call<T>(make(w.newId()), 0);
    } finally {
      this.pool.release(w, false);
    }
  }

  stat(at: Location): Promise<FileEntry> {
    return this.meta((id) => ({ t: 'stat', id, at }));
  }
  list(at: Location, options?: ListOptions): Promise<ListResult> {
    return this.meta((id) => ({ t: 'list', id, at, options }));
  }
  mkdir(at: Location): Promise<FileEntry> {
    return this.meta((id) => ({ t: 'mkdir', id, at }));
  }
  async rename(from: Location, to: Location): Promise<void> {
    await this.meta((id) => ({ t: 'rename', id, from, to }));
  }
  async remove(at: Location, options: { recursive?: boolean } = {}): Promise<void> {
    await this.meta((id) => ({ t: 'remove', id, at, recursive: options.recursive ?? false }));
  }
  checkAccess(at: Location, mode: AccessMode): Promise<boolean> {
    return this.meta((id) => ({ t: 'access', id, at, mode }));
  }

  /**
   * Reads: the worker opens the file as the account (the kernel's check) and the server reopens that very
   * descriptor through /proc, then streams it itself — no copy through the worker. Where /proc reopening is
   * not allowed, the worker streams the bytes over its data socket instead.
   */
  async read(at: Location, range?: ByteRange): Promise<ReadResult> {
    if (this.transport === 'auto' && handoffWorks !== false) {
      try {
        const result = await this.readByHandoff(at, range);
        handoffWorks = true;
        return result;
      } catch (error) {
        if (!(error instanceof HandoffUnavailable)) throw error;
        handoffWorks = false;
      }
    }
    return this.readBySocket(at, range);
  }

  private async readByHandoff(at: Location, range?: ByteRange): Promise<ReadResult> {
    const w = await this.pool.acquire(false);
    let info: OpenReply;
    let fd: number;
    try {
      info = await w.call({ t: 'open', id: w.newId(), at, range, inline: INLINE_READ });
      if (info.data !== undefined) {
        const { entry, size, start, end, real } = info;
        return inMemoryResult({ entry, size, start, end, real }, asBuffer(info.data));
      }
      fd = takeOver(w, info, fs.constants.O_RDONLY);
    } finally {
      this.pool.release(w, false);
    }
    const { entry, size, start, end, real } = info;
    return readFd(fd, { entry, size, start, end, real });
  }

  /**
   * The source opened by the account's worker: a small file's bytes, or its descriptor taken over (the
   * server reads it itself). Opens of the account queued meanwhile go with it in one request.
   */
  async openCopySource(at: Location, inline = 0): Promise<CopySource> {
    let batcher = copyOpens.get(this.pool);
    if (!batcher) {
      batcher = new Batcher((files) => this.openCopySources(files), { max: SMALL_COPY_BATCH, concurrency: 2 });
      copyOpens.set(this.pool, batcher);
    }
    return settledValue(await batcher.add({ at, inline }));
  }

  private async openCopySources(files: Array<{ at: Location; inline: number }>): Promise<Array<Settled<CopySource>>> {
    const w = await this.pool.acquire(false);
    try {
      const replies = await w.call<Array<Settled<OpenCopyReply>>>({ t: 'copy-open-batch', id: w.newId(), files });
      return replies.map((r, i): Settled<CopySource> => {
        if (!r.ok) return r;
        const { dev, ino, data, ...info } = r.value;
        if (data !== undefined) return { ok: true, value: { ...info, fd: null, data: asBuffer(data) } };
        try {
          return { ok: true, value: { ...info, fd: takeOverForCopy(w, { fd: info.fd!, dev, ino }, fs.constants.O_RDONLY) } };
        } catch (error) {
          return failed(error, files[i].at.path);
        }
      });
    } finally {
      this.pool.release(w, false);
    }
  }

  /**
   * The bytes go to the destination account's worker, which writes, hashes and commits them; small files of
   * the account queued meanwhile go with them in one request (one fsync round for all).
   */
  async writeCopySmall(at: Location, tempName: string, data: Buffer, options: SmallCopyOptions): Promise<SmallCopyResult> {
    let batcher = smallCopies.get(this.pool);
    if (!batcher) {
      batcher = new Batcher(
        (files) =>
          // No timeout: the fsyncs may legitimately wait on a slow disk.
          this.metaNoTimeout((id) => ({
            t: 'copy-small-batch',
            id,
            files: files.map((f) => ({ at: f.at, tempName: f.tempName, data: f.data, ...f.options })),
          })),
        { max: SMALL_COPY_BATCH },
      );
      smallCopies.set(this.pool, batcher);
    }
    return settledValue(await batcher.add({ at, tempName, data, options }));
  }

  /** The temp file made (or kept) by the account's worker, its descriptor taken over: the server writes it itself. */
  async openCopyTemp(at: Location, tempName: string, keep: boolean): Promise<CopyTemp> {
    const w = await this.pool.acquire(false);
    try {
      const info = await w.call<OpenTempReply>({ t: 'copy-temp-open', id: w.newId(), at, tempName, keep });
      return { ...info, fd: takeOverForCopy(w, info, fs.constants.O_RDWR) };
    } finally {
      this.pool.release(w, false);
    }
  }

  async commitCopyTemp(at: Location, tempName: string, identity: TempIdentity & { size: number }, mtimeMs: number | null): Promise<FileEntry> {
    const w = await this.pool.acquire(false);
    try {
      // No timeout: the fsync of a large file on a slow disk may legitimately take minutes.
      return await w.call<FileEntry>({ t: 'copy-temp-commit', id: w.newId(), at, tempName, identity, mtimeMs }, 0);
    } finally {
      this.pool.release(w, false);
    }
  }

  async removeCopyTemp(at: Location, tempName: string): Promise<void> {
    await this.meta((id) => ({ t: 'copy-temp-remove', id, at, tempName }));
  }

  private async readBySocket(at: Location, range?: ByteRange): Promise<ReadResult> {
    const w = await this.pool.acquire(true);
    const id = w.newId();
    let sentTotal: number | null = null;
    let failure: WireError | undefined;
    let onEnd: (() => void) | null = null;
    // Registered before the request goes out: the reply, the bytes and read-end can arrive in one IPC read,
    // and read-end would be dispatched before the awaiting code below gets to run.
    w.readEnds.set(id, (sent, error) => {
      sentTotal = sent;
      failure = error;
      onEnd?.();
    });
    let info: { entry: FileEntry; size: number; start: number; end: number; real: RealPaths };
    try {
      info = await w.call({ t: 'read', id, at, range });
    } catch (error) {
      w.readEnds.delete(id);
      this.pool.release(w, true);
      throw error;
    }
    const expected = info.end - info.start + 1;
    let received = 0;
    let ended = false;
    let cancelled = false;
    let released = false;

    const release = () => {
      if (released) return;
      released = true;
      if (watchdog) clearTimeout(watchdog);
      w.readEnds.delete(id);
      offDeath();
      this.pool.release(w, true);
    };
    // Once the consumer has everything (or has gone), read-end must follow promptly; if it does not, the
    // worker's channel is out of step and the worker is replaced rather than left holding the pool.
    let watchdog: NodeJS.Timeout | null = null;
    const arm = () => {
      if (watchdog || released) return;
      watchdog = setTimeout(() => !released && w.kill(), DRAIN_TIMEOUT_MS);
      watchdog.unref();
    };
    const check = () => {
      if (!ended && !cancelled && received === expected) {
        ended = true;
        stream.push(null);
        arm();
      }
      if (sentTotal === null || received < sentTotal) return;
      release();
      if (!ended && !cancelled) {
        ended = true;
        stream.destroy(failure ? toError(failure) : new ConnectorError('EIO', `Read ended after ${received} of ${expected} bytes`));
      }
    };

    const stream = new Readable({
      // Deep enough to keep the socket busy while the consumer (TLS) encrypts the previous chunk.
      highWaterMark: 4 << 20,
      read: () => {
        if (!cancelled) w.data.resume();
      },
      destroy: (error, callback) => {
        if (!released && !ended) {
          cancelled = true;
          if (sentTotal === null) w.post({ t: 'read-cancel', id });
          // Drain what is already in flight so the socket is clean for the next stream.
          w.data.resume();
          check();
          arm();
        }
        callback(error);
      },
    });
    w.sink = (chunk) => {
      received += chunk.length;
      if (!cancelled && !ended && !stream.push(chunk)) w.data.pause();
      check();
    };
    onEnd = () => {
      if (cancelled) w.data.resume();
      check();
    };
    const offDeath = w.onDeathOnce(() => {
      if (!ended) {
        ended = true;
        stream.destroy(new ConnectorError('worker_failed', `The worker for local account '${this.username}' exited during a read`));
      }
      release();
    });
    if (expected === 0 || sentTotal !== null) check();
    return { ...info, stream };
  }

  async write(at: Location, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    options.signal?.throwIfAborted();
    const tempName = newTempName();
    await this.journal.add(tempName, at, this.username);
    let w: Worker;
    try {
      w = await this.pool.acquire(true);
    } catch (error) {
      await this.journal.done(tempName);
      throw error;
    }
    const id = w.newId();
    let workerDied = false;
    const offDeath = w.onDeathOnce(() => {
      workerDied = true;
    });
    try {
      const place = await w.call<TempPlace>({ t: 'write-begin', id, at, tempName, mustNotExist: options.mustNotExist ?? false });
      await this.journal.setPath(tempName, { tempPath: place.tempPath, dirDev: place.dirDev, dirIno: place.dirIno });
      let early: WireError | null = null;
      w.writeFailures.set(id, (e) => {
        early = e;
      });
      let sent = 0;
      let failure: unknown = null;
      const out = new UploadSink((buf, length) => w.send(buf, length));
      try {
        const stop = new Error('worker ended the upload');
        await consumeBody(
          body,
          (chunk) => {
            if (early || workerDied) throw stop;
            if (options.expectedSize !== undefined && sent + chunk.byteLength > options.expectedSize)
              throw sizeMismatch(options.expectedSize, sent + chunk.byteLength);
            sent += chunk.byteLength;
            return out.push(chunk);
          },
          options.signal,
        ).catch((error) => {
          if (error !== stop) throw error;
        });
        if (options.signal?.aborted) throw new ConnectorError('aborted', 'Upload aborted');
        if (!early && options.expectedSize !== undefined && sent !== options.expectedSize) throw sizeMismatch(options.expectedSize, sent);
      } catch (error) {
        failure = error;
      } finally {
        // Whatever was counted in `sent` goes out: the worker consumes exactly that many bytes before it ends the upload.
        await out.flush().catch((error) => {
          failure ??= error;
        });
      }
      const commit = failure === null && early === null;
      // No timeout: the fsync of a large file on a slow disk may legitimately take minutes.
      const result = await w.call<{ created: boolean; entry: FileEntry } | { aborted: true }>({ t: 'write-end', id, commit, bytes: sent }, 0);
      if (failure)
        throw failure instanceof ConnectorError ? failure : new ConnectorError('aborted', `Upload aborted: ${(failure as Error)?.message ?? failure}`);
      if (early) throw toError(early);
      if ('aborted' in result) throw new ConnectorError('aborted', 'Upload aborted');
      return { created: result.created, bytes: sent, entry: result.entry };
    } catch (error) {
      // A dead worker cannot clean up after itself: remove its temp file from here. Its IPC channel may
      // close (failing the call) before its exit is noticed, so a worker_failed error counts as death too.
      const lost = workerDied || w.dead || (error instanceof ConnectorError && error.code === 'worker_failed');
      if (lost) await this.journal.clean(tempName);
      throw error;
    } finally {
      offDeath();
      w.writeFailures.delete(id);
      this.pool.release(w, true);
      await this.journal.done(tempName);
    }
  }
}
