// The in-process connector (personal mode): operations run in the server process, as the server's own account.
import fs from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { bodyBytesTaken } from '../gc.ts';
import { commitCopyTemp, openCopySource, openCopyTemp, removeCopyTemp, SMALL_COPY_BATCH, writeCopySmallBatch } from './copy-ops.ts';
import { Batcher } from '../../batcher.ts';
import { type UploadJournal } from './journal.ts';
import {
  abortUpload,
  accessCheck,
  beginUpload,
  finishUpload,
  listDir,
  makeDir,
  newTempName,
  openRead,
  readWholeSync,
  removePath,
  renamePath,
  statEntry,
  UploadSink,
  writeAll,
} from './ops.ts';
import {
  ConnectorError,
  settledValue,
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
  type SmallCopyOptions,
  type SmallCopyResult,
  type TempIdentity,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from './types.ts';

/** 1 MiB reads: large enough that a GiB is ~1000 thread-pool round trips, small enough to keep memory flat. */
export const READ_CHUNK = 1 << 20;
/**
 * Up to this size a read is one blocking pread into one buffer (ops.ts readWholeSync): a stream's machinery
 * and thread-pool hand-offs cost more than the bytes, and the wait is bounded by the size.
 */
export const SMALL_READ = 256 << 10;

/** A read result over bytes already in memory; its stream is only made if someone asks for it. */
export function inMemoryResult(info: Omit<ReadResult, 'stream' | 'data' | 'writeTo'>, data: Buffer): ReadResult {
  let stream: Readable | undefined;
  return {
    ...info,
    data,
    get stream() {
      return (stream ??= Readable.from(data.length ? [data] : [], { objectMode: false }));
    },
  };
}

/** Buffers per streamed read: one is read into while the other is with the socket. */
const PUMP_BUFFERS = 2;

/**
 * Writes start..end of fd into `out` through PUMP_BUFFERS reused buffers; a buffer is read into again only
 * once `out` has called back for it. Memory stays flat for a stream of any length, where a ReadStream's
 * fresh buffer per chunk lingers until a garbage collection (tens of MB at disk speed). Resolves once all is
 * written; rejects when `out` goes away or a read fails. Closes fd.
 */
export async function pumpFd(fd: number, start: number, end: number, out: Writable): Promise<void> {
  const size = Math.min(READ_CHUNK, Math.max(1, end - start + 1));
  const free: Buffer[] = Array.from({ length: PUMP_BUFFERS }, () => Buffer.allocUnsafe(size));
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const stop = (error?: Error | null) => {
    failure ??= error ?? new ConnectorError('aborted', 'The receiver went away');
    wake?.();
  };
  const onClose = () => stop();
  out.once('close', onClose);
  out.once('error', stop);
  try {
    let position = start;
    while (position <= end) {
      while (!free.length && !failure) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (failure) throw failure;
      const buf = free.pop()!;
      const want = Math.min(buf.length, end - position + 1);
      const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, want, position, (e, r) => (e ? reject(e) : resolve(r))));
      if (n === 0) throw new ConnectorError('EIO', 'File shrank while being read');
      if (failure) throw failure;
      position += n;
      out.write(n === buf.length ? buf : buf.subarray(0, n), (error) => {
        if (error) return stop(error);
        free.push(buf);
        wake?.();
      });
    }
  } finally {
    out.off('close', onClose);
    out.off('error', stop);
    fs.close(fd, () => {});
  }
}

/** A read result over an open descriptor: consumed once, either as `stream` or through `writeTo`. */
function descriptorResult(fd: number, info: Omit<ReadResult, 'stream' | 'data' | 'writeTo'>): ReadResult {
  let stream: Readable | undefined;
  let taken = false;
  const take = () => {
    if (taken) throw new Error('read result consumed twice');
    taken = true;
  };
  return {
    ...info,
    get stream() {
      if (!stream) {
        take();
        stream = fs.createReadStream('', { fd, start: info.start, end: info.end, highWaterMark: READ_CHUNK, autoClose: true });
      }
      return stream;
    },
    writeTo(out: Writable) {
      take();
      return pumpFd(fd, info.start, info.end, out);
    },
  };
}

/** The bytes start..end of an open descriptor: in memory up to SMALL_READ, else streamed; takes ownership of (and closes) fd. */
export async function readFd(fd: number, info: Omit<ReadResult, 'stream' | 'data' | 'writeTo'>): Promise<ReadResult> {
  const { start, end } = info;
  if (end - start + 1 <= SMALL_READ) return inMemoryResult(info, readWholeSync(fd, start, end));
  return descriptorResult(fd, info);
}

export class InProcessConnector implements PosixConnector {
  readonly username: string;
  readonly kind = 'in-process' as const;
  private readonly journal: UploadJournal;
  private readonly smallCopies = new Batcher(writeCopySmallBatch, { max: SMALL_COPY_BATCH });

  constructor(username: string, journal: UploadJournal) {
    this.username = username;
    this.journal = journal;
  }

  stat(at: Location): Promise<FileEntry> {
    return statEntry(at);
  }
  list(at: Location, options?: ListOptions): Promise<ListResult> {
    return listDir(at, options);
  }
  mkdir(at: Location): Promise<FileEntry> {
    return makeDir(at);
  }
  rename(from: Location, to: Location): Promise<void> {
    return renamePath(from, to);
  }
  remove(at: Location, options: { recursive?: boolean } = {}): Promise<void> {
    return removePath(at, options.recursive ?? false);
  }
  checkAccess(at: Location, mode: AccessMode): Promise<boolean> {
    return accessCheck(at, mode);
  }

  async openCopySource(at: Location, inline = 0): Promise<CopySource> {
    const { dev: _dev, ino: _ino, ...source } = await openCopySource(at, inline);
    return source;
  }
  /** Small files queued meanwhile are put in place together (one fsync round for all). */
  async writeCopySmall(at: Location, tempName: string, data: Buffer, options: SmallCopyOptions): Promise<SmallCopyResult> {
    return settledValue(await this.smallCopies.add({ at, tempName, data, options }));
  }
  openCopyTemp(at: Location, tempName: string, keep: boolean): Promise<CopyTemp> {
    return openCopyTemp(at, tempName, keep);
  }
  commitCopyTemp(at: Location, tempName: string, identity: TempIdentity & { size: number }, mtimeMs: number | null): Promise<FileEntry> {
    return commitCopyTemp(at, tempName, identity, mtimeMs);
  }
  removeCopyTemp(at: Location, tempName: string): Promise<void> {
    return removeCopyTemp(at, tempName);
  }

  async read(at: Location, range?: ByteRange): Promise<ReadResult> {
    const { fd, entry, size, start, end, real } = await openRead(at, range);
    return readFd(fd, { entry, size, start, end, real });
  }

  async write(at: Location, body: WriteBody, options: WriteOptions = {}): Promise<WriteResult> {
    return writeLocally(this.journal, this.username, at, body, options);
  }
}

/** Temp file → stream → size check → fsync → rename; any failure or abort removes the temp file. */
async function writeLocally(journal: UploadJournal, account: string, at: Location, body: WriteBody, options: WriteOptions): Promise<WriteResult> {
  options.signal?.throwIfAborted();
  const tempName = newTempName();
  await journal.add(tempName, at, account);
  let upload;
  try {
    upload = await beginUpload(at, tempName, options.mustNotExist ?? false);
  } catch (error) {
    await journal.done(tempName);
    throw error;
  }
  try {
    await journal.setPath(tempName, { tempPath: upload.tempPath, dirDev: upload.dirDev, dirIno: upload.dirIno });
    const fd = upload.fd;
    const sink = new UploadSink((buf, length) => writeAll(fd, buf, length));
    await consumeBody(
      body,
      (chunk) => {
        if (options.expectedSize !== undefined && sink.bytes + chunk.byteLength > options.expectedSize)
          throw sizeMismatch(options.expectedSize, sink.bytes + chunk.byteLength);
        return sink.push(chunk);
      },
      options.signal,
    );
    if (options.signal?.aborted) throw new ConnectorError('aborted', 'Upload aborted');
    await sink.flush();
    if (options.expectedSize !== undefined && sink.bytes !== options.expectedSize) throw sizeMismatch(options.expectedSize, sink.bytes);
    const { created, entry } = await finishUpload(upload);
    return { created, bytes: sink.bytes, entry };
  } catch (error) {
    await abortUpload(upload);
    if (error instanceof ConnectorError) throw error;
    const code = (error as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new ConnectorError(code, `${code} while writing '${upload.relative}'`);
    throw new ConnectorError('aborted', `Upload of '${upload.relative}' failed: ${(error as Error)?.message ?? error}`);
  } finally {
    await journal.done(tempName);
  }
}

/**
 * Feeds an upload body to `take`, chunk by chunk. A Readable (a request) is read through its events: an async
 * iterator costs a promise per TLS record, a second of CPU per GiB. `take` may throw to stop, or return a
 * promise to hold the source back until it settles. As with for-await, a failure destroys the source;
 * the source closing early, or `signal`, is an `aborted` failure.
 */
export async function consumeBody(body: WriteBody, take: (chunk: Uint8Array) => Promise<void> | null, signal?: AbortSignal): Promise<void> {
  if (!(body instanceof Readable)) {
    for await (const chunk of body) {
      if (signal?.aborted) throw new ConnectorError('aborted', 'Upload aborted');
      const wait = take(chunk);
      if (wait) await wait;
    }
    return;
  }
  if (body.readableEnded) return;
  if (body.destroyed) throw new ConnectorError('aborted', 'Upload aborted: the body ended early');
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', finish);
      body.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) return resolve();
      body.destroy();
      reject(error);
    };
    let waiting: Promise<void> | null = null;
    const onData = (chunk: Buffer) => {
      bodyBytesTaken(chunk.length);
      let wait: Promise<void> | null;
      try {
        wait = take(chunk);
      } catch (error) {
        return finish(error);
      }
      if (!wait) return;
      body.pause();
      const current: Promise<void> = wait.then(() => {
        if (waiting === current) waiting = null;
        if (!done) body.resume();
      });
      waiting = current;
      current.catch(finish);
    };
    // A stream emits 'end' (and, auto-destroyed, 'close') right after its last chunk even when that chunk
    // paused it: the body is only consumed once `take` has settled for that chunk too.
    const afterLastTake = () => (waiting ? waiting.then(() => finish(), finish) : finish());
    const onEnd = afterLastTake;
    const onClose = () => (body.readableEnded ? afterLastTake() : finish(new ConnectorError('aborted', 'Upload aborted: the body ended early')));
    const onAbort = () => finish(new ConnectorError('aborted', 'Upload aborted'));
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', finish);
    body.once('close', onClose);
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
  });
}

export function sizeMismatch(expected: number, got: number): ConnectorError {
  return new ConnectorError('size_mismatch', `Expected ${expected} bytes, received ${got}${got > expected ? ' or more' : ''}`);
}
