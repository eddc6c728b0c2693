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
  type WriteOptions,
  type WriteResult,
} from './types.ts';

/** 1 MiB reads: large enough that a GiB is ~1000 thread-pool round trips, small enough to keep memory flat. */
export const READ_CHUNK = 1 << 20;

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
    const opened = await openRead(at, range);
    const { fd, entry, size, start, end } = opened;
    if (end < start) {
      fs.close(fd, () => {});
      return { entry, size, start, end, stream: Readable.from([]) };
    }
    const stream = fs.createReadStream('', { fd, start, end, highWaterMark: READ_CHUNK, autoClose: true });
    return { entry, size, start, end, stream };
  }

  async write(at: Location, body: AsyncIterable<Uint8Array> | Readable, options: WriteOptions = {}): Promise<WriteResult> {
    return writeLocally(this.journal, this.username, at, body, options);
  }
}

/** Temp file → stream → size check → fsync → rename; any failure or abort removes the temp file. */
async function writeLocally(journal: UploadJournal, account: string, at: Location, body: AsyncIterable<Uint8Array>, options: WriteOptions): Promise<WriteResult> {
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
      await sink.push(chunk);
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
