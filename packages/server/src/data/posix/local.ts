// The in-process connector (personal mode): operations run in the server process, as the server's own account.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { UploadJournal } from './journal.ts';
import { abortUpload, accessCheck, beginUpload, finishUpload, listDir, makeDir, newTempName, openRead, removePath, renamePath, statEntry, UploadSink } from './ops.ts';
import {
  ConnectorError,
  type AccessMode,
  type ByteRange,
  type FileEntry,
  type ListOptions,
  type ListResult,
  type Location,
  type PosixConnector,
  type ReadResult,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from './types.ts';

/** 1 MiB reads: large enough that a GiB is ~1000 thread-pool round trips, small enough to keep memory flat. */
export const READ_CHUNK = 1 << 20;
/** Up to this size a read is one pread into one buffer: a ReadStream's per-request machinery costs more than the bytes. */
export const SMALL_READ = 256 << 10;

/** The bytes start..end of an open descriptor as a stream; takes ownership of (and closes) fd. */
export async function streamFd(fd: number, start: number, end: number): Promise<Readable> {
  const length = end - start + 1;
  if (length <= 0) {
    fs.close(fd, () => {});
    return Readable.from([]);
  }
  if (length > SMALL_READ) return fs.createReadStream('', { fd, start, end, highWaterMark: READ_CHUNK, autoClose: true });
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, got, length - got, start + got, (e, r) => (e ? reject(e) : resolve(r))));
      if (n === 0) throw new ConnectorError('EIO', 'File shrank while being read');
      got += n;
    }
    return Readable.from([buf], { objectMode: false });
  } finally {
    fs.close(fd, () => {});
  }
}

export class InProcessConnector implements PosixConnector {
  readonly username: string;
  readonly kind = 'in-process' as const;
  private readonly journal: UploadJournal;

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

  async read(at: Location, range?: ByteRange): Promise<ReadResult> {
    const { fd, entry, size, start, end } = await openRead(at, range);
    return { entry, size, start, end, stream: await streamFd(fd, start, end) };
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
    await journal.setPath(tempName, upload.tempPath);
    const sink = new UploadSink(upload.fd);
    for await (const chunk of body) {
      if (options.signal?.aborted) throw new ConnectorError('aborted', 'Upload aborted');
      const full = sink.push(chunk);
      if (full) await full;
      if (options.expectedSize !== undefined && sink.bytes > options.expectedSize) throw sizeMismatch(options.expectedSize, sink.bytes);
    }
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

export function sizeMismatch(expected: number, got: number): ConnectorError {
  return new ConnectorError('size_mismatch', `Expected ${expected} bytes, received ${got}${got > expected ? ' or more' : ''}`);
}
