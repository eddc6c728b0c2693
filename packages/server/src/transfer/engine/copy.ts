// The copy of one file for a Transfer task: read as the source account, written to a temp file as the destination's, checksummed in the same pass, resumable from a durable prefix, renamed into place when complete.
import fs from 'node:fs';
import { ConnectorError, fromErrno, type CopyTemp, type Location, type PosixConnector } from '../../data/posix/index.ts';
import { algorithmName, newHasher, type Hasher } from '../../data/posix/checksums.ts';

export interface CopyEnd {
  connector: PosixConnector;
  /** as data/access.ts decideRequest granted it (with at.real) */
  at: Location;
}

export interface CopyRequest {
  source: CopyEnd;
  destination: CopyEnd;
  /** stable across restarts, e.g. `.gatehouse-<task8>-<seq>.part`, created in the destination's directory */
  tempName: string;
  /** a kept, durable prefix of that temp file and the token onCheckpoint gave for it */
  resume?: { offset: number; digest: string };
  /** checksum computed in the same read pass (MD5, SHA1, SHA224, SHA256, SHA384, SHA512, CRC32; case-insensitive), or none */
  algorithm: string | null;
  /** destination mtime := source mtime */
  preserveTimestamp: boolean;
  /**
   * Called after an fsync of the temp file: its first `offset` bytes are durable. `digest` is an opaque
   * token (the digest of the source's first `offset` bytes, with the source's size and mtime) for `resume`.
   */
  onCheckpoint(offset: number, digest: string): Promise<void>;
  /** abort: stop promptly, leave the temp file (the caller decides: resume later or removeTemp) */
  signal: AbortSignal;
  /** bytes between checkpoints (default CHECKPOINT_BYTES) */
  checkpointBytes?: number;
  /**
   * Fault injection for tests: sees each chunk after the source side has hashed it and before the
   * destination side does, and may change it (a checksum mismatch is then what the copy must report).
   */
  tamper?(chunk: Buffer, offset: number): void;
}

export interface CopyResult {
  /** bytes copied by this call (size - resumedFrom) */
  bytes: number;
  /** where this call started: the resume offset when the kept prefix was verified, else 0 */
  resumedFrom: number;
  /** the whole file's checksum (lowercase hex) when `algorithm` was given */
  checksum: string | null;
  size: number;
  /** the destination's mtime */
  mtimeMs: number;
  /** why a requested resume started from 0 instead: `source_changed`, `temp_short`, `prefix_mismatch` or `bad_token` */
  resumeRejected?: string;
}

const MiB = 1 << 20;
/**
 * Read and write size. 256 KiB, not 1 MiB, for the reason uploads use it (data/posix/ops.ts SINK_BUFFER_SIZE):
 * page-cache folios as large as the write cost host faults on a VM whose balloon reports free pages; here
 * 2 GiB copied in 3.6–4.7 s at 256 KiB against 4.7–5.8 s at 1 MiB, interleaved on a loaded machine.
 */
const CHUNK = 256 << 10;
/**
 * Files up to this size are read whole by the source account and written whole by the destination's, one
 * request each (in root mode: no descriptor handoff, no temp-file round trips); the size of INLINE_READ.
 */
export const SMALL_COPY = 64 << 10;
/** Chunks in flight (2 MiB): being read (at most READ_AHEAD), hashed, or written. */
const BUFFERS = 8;
const READ_AHEAD = 2;
/** Between checkpoints: each costs an fsync (run beside the copy, not in its way) and the caller's store write. */
export const CHECKPOINT_BYTES = 128 * MiB;
/** Algorithm of the resume token when the copy computes no checksum: cheap (several GB/s) and enough to catch a damaged prefix. */
const TOKEN_ALGORITHM = 'CRC32';

/** Reused CHUNK buffers, shared by all copies of the process: no allocation per large file. */
const pool: Buffer[] = [];
const POOL_MAX = 64;
function takeBuffer(size: number): Buffer {
  if (size < CHUNK) return Buffer.allocUnsafe(size);
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}
function giveBuffer(buf: Buffer): void {
  if (buf.length === CHUNK && pool.length < POOL_MAX) pool.push(buf);
}

function pread(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

function pwriteAll(fd: number, buf: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const go = (done: number) =>
      fs.write(fd, buf, done, buf.length - done, position + done, (error, n) => {
        if (error) return reject(error);
        if (done + n < buf.length) go(done + n);
        else resolve();
      });
    go(0);
  });
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st))));
}

function ftruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (e) => (e ? reject(e) : resolve())));
}

function closeQuietly(fd: number): void {
  fs.close(fd, () => {});
}

/** The resume token: `<ALGORITHM>:<hex digest of the prefix>:<source size>:<source mtime ms>`. */
interface Token {
  algorithm: string;
  digest: string;
  size: number;
  mtimeMs: number;
}
function formatToken(t: Token): string {
  return `${t.algorithm}:${t.digest}:${t.size}:${t.mtimeMs}`;
}
function parseToken(text: string): Token | null {
  const m = /^([A-Z0-9]+):([0-9a-f]+):(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!m || algorithmName(m[1]) !== m[1]) return null;
  return { algorithm: m[1], digest: m[2], size: Number(m[3]), mtimeMs: Number(m[4]) };
}

function changed(at: Location, what: string): ConnectorError {
  return new ConnectorError('source_changed', `'${at.path}' changed while being copied (${what})`);
}

function aborted(): ConnectorError {
  return new ConnectorError('aborted', 'Copy aborted');
}

interface Times {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** Same content as far as the copy can tell: size, mtime and inode change time. */
function sameSource(a: Times, b: Times): string | null {
  if (a.size !== b.size) return `size ${a.size} → ${b.size}`;
  if (a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs) return 'modified';
  return null;
}

/**
 * Copies source to destination. The destination's temp file is written through a descriptor opened by the
 * destination account (in root mode by its worker, handed over), the source read through one opened by the
 * source account; the temp file is renamed onto the final name by the destination account once complete
 * and durable. Fails with a ConnectorError; the temp file is left for the caller in every failure.
 */
export async function copyFile(req: CopyRequest): Promise<CopyResult> {
  const { source, destination, signal } = req;
  if (signal.aborted) throw aborted();
  const algorithm = req.algorithm === null ? null : algorithmName(req.algorithm);
  if (req.algorithm !== null && algorithm === null) newHasher(req.algorithm); // throws unsupported_checksum_algorithm
  const opened = await source.connector.openCopySource(source.at, req.resume ? 0 : SMALL_COPY);
  let temp: CopyTemp | null = null;
  try {
    if (source.at.real && opened.real.target !== source.at.real.target) {
      throw new ConnectorError('path_changed', `'${source.at.path}' changed while the request was being processed; try again`);
    }
    if (opened.data) return await copySmall(req, opened.data, opened, algorithm);
    const src = opened.fd!;
    const before: Times = opened;
    temp = await destination.connector.openCopyTemp(destination.at, req.tempName, req.resume !== undefined);
    if (signal.aborted) throw aborted();
    const tokenAlgorithm = algorithm ?? TOKEN_ALGORITHM;
    const start = await resumePoint(req, before, temp, tokenAlgorithm, algorithm !== null);
    const { sourceHash, destinationHash } = start;
    const size = before.size;
    await pump(req, src, temp.fd, start.offset, size, sourceHash, destinationHash, tokenAlgorithm, before);
    const after = await fstat(src);
    const change = sameSource(before, after);
    if (change) throw changed(source.at, change);
    const checksum = algorithm ? sourceHash.peek() : null;
    if (destinationHash && destinationHash.peek() !== checksum) {
      throw new ConnectorError(
        'checksum_mismatch',
        `Checksum mismatch for '${destination.at.path}': source ${algorithm} ${checksum}, destination ${destinationHash.peek()}`,
      );
    }
    if (signal.aborted) throw aborted();
    const fd = temp.fd;
    temp = { ...temp, fd: -1 };
    await new Promise<void>((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
    const { dev, ino, dirDev, dirIno } = temp;
    const entry = await destination.connector.commitCopyTemp(
      destination.at,
      req.tempName,
      { dev, ino, dirDev, dirIno, size },
      req.preserveTimestamp ? before.mtimeMs : null,
    );
    return {
      bytes: size - start.offset,
      resumedFrom: start.offset,
      checksum,
      size,
      mtimeMs: req.preserveTimestamp ? before.mtimeMs : entry.mtime_ms,
      ...(start.rejected ? { resumeRejected: start.rejected } : {}),
    };
  } catch (error) {
    throw fromErrno(error, destination.at.path);
  } finally {
    if (opened.fd !== null) closeQuietly(opened.fd);
    if (temp && temp.fd >= 0) closeQuietly(temp.fd);
  }
}

/**
 * A small file, read whole by the source account (it did not change meanwhile), goes to the destination
 * account in one request: written, hashed there and checked against the source side's checksum, then put
 * in place. Nothing to checkpoint or resume.
 */
async function copySmall(req: CopyRequest, data: Buffer, source: Times, algorithm: string | null): Promise<CopyResult> {
  let expected: string | null = null;
  if (algorithm) {
    const h = newHasher(algorithm);
    h.update(data);
    expected = h.peek();
  }
  req.tamper?.(data, 0);
  if (req.signal.aborted) throw aborted();
  const mtimeMs = req.preserveTimestamp ? source.mtimeMs : null;
  const { entry } = await req.destination.connector.writeCopySmall(req.destination.at, req.tempName, data, { mtimeMs, algorithm, expected });
  return { bytes: data.length, resumedFrom: 0, checksum: expected, size: data.length, mtimeMs: mtimeMs ?? entry.mtime_ms };
}

interface StartPoint {
  offset: number;
  rejected?: string;
  /** fed every byte of the source from 0 on, in algorithm `tokenAlgorithm` */
  sourceHash: Hasher;
  /** with a checksum: fed every byte handed to write(2), from 0 on; it must agree with sourceHash */
  destinationHash: Hasher | null;
}

/**
 * Where the copy starts: the resume offset when the source is unchanged since the checkpoint (size and
 * mtime in the token) and the temp file's first `offset` bytes hash to the token's digest — read once,
 * priming the hashers, so the whole file's checksum still comes out right. Otherwise 0, the temp emptied.
 */
async function resumePoint(req: CopyRequest, source: Times, temp: CopyTemp, tokenAlgorithm: string, verify: boolean): Promise<StartPoint> {
  const fresh = () => ({ sourceHash: newHasher(tokenAlgorithm), destinationHash: verify ? newHasher(tokenAlgorithm) : null });
  const restart = async (rejected?: string): Promise<StartPoint> => {
    if (temp.length > 0) await ftruncate(temp.fd, 0);
    return { offset: 0, ...(rejected ? { rejected } : {}), ...fresh() };
  };
  const resume = req.resume;
  if (!resume || resume.offset <= 0) return restart();
  const token = parseToken(resume.digest);
  if (!token || !Number.isSafeInteger(resume.offset)) return restart('bad_token');
  if (token.size !== source.size || token.mtimeMs !== source.mtimeMs || resume.offset > source.size) return restart('source_changed');
  if (temp.length < resume.offset) return restart('temp_short');
  const { sourceHash, destinationHash } = fresh();
  // Checked in the token's own algorithm; when that is not this copy's, both are fed.
  const check = token.algorithm === tokenAlgorithm ? sourceHash : newHasher(token.algorithm);
  const hashers = [...new Set([sourceHash, check, ...(destinationHash ? [destinationHash] : [])])];
  const buf = takeBuffer(Math.min(CHUNK, resume.offset));
  try {
    for (let position = 0; position < resume.offset;) {
      if (req.signal.aborted) throw aborted();
      const n = await pread(temp.fd, buf, Math.min(buf.length, resume.offset - position), position);
      if (n === 0) return restart('temp_short');
      const view = buf.subarray(0, n);
      for (const h of hashers) h.update(view);
      position += n;
    }
  } finally {
    giveBuffer(buf);
  }
  if (check.peek() !== token.digest) return restart('prefix_mismatch');
  if (temp.length > resume.offset) await ftruncate(temp.fd, resume.offset);
  return { offset: resume.offset, sourceHash, destinationHash };
}

interface Chunk {
  buf: Buffer;
  at: number;
  want: number;
  n: number;
}

/**
 * Copies start..size of src into temp through BUFFERS reused buffers: READ_AHEAD reads in flight, and each
 * chunk's write issued as soon as it is hashed (writes at their own offsets, several in flight), so the
 * copy waits on a thread-pool round trip only when every buffer is busy. Every checkpointBytes an fsync
 * runs beside the copy once the writes before it are done (only those bytes count as durable), then
 * onCheckpoint; at most one at a time.
 */
async function pump(
  req: CopyRequest,
  src: number,
  dst: number,
  start: number,
  size: number,
  sourceHash: Hasher,
  destinationHash: Hasher | null,
  tokenAlgorithm: string,
  stat: Times,
): Promise<void> {
  const every = Math.max(1, req.checkpointBytes ?? CHECKPOINT_BYTES);
  const free: Buffer[] = [];
  let buffers = 0;
  const maxBuffers = Math.min(BUFFERS, Math.ceil((size - start) / CHUNK));
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signalWake = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onAbort = () => {
    failure ??= aborted();
    signalWake();
  };
  req.signal.addEventListener('abort', onAbort);
  const reads: Array<Promise<Chunk>> = [];
  const writes = new Set<Promise<void>>();
  let readAt = start;
  const issueReads = () => {
    while (reads.length < READ_AHEAD && readAt < size && (free.length || buffers < maxBuffers)) {
      const buf = free.pop() ?? (buffers++, takeBuffer(Math.min(CHUNK, size - start)));
      const at = readAt;
      const want = Math.min(buf.length, size - at);
      readAt += want;
      const read = pread(src, buf, want, at).then((n) => ({ buf, at, want, n }));
      read.catch(() => {});
      reads.push(read);
    }
  };
  let checkpoint: Promise<void> | null = null;
  let lastCheckpoint = start;
  try {
    let position = start;
    while (position < size) {
      if (failure) throw failure;
      issueReads();
      if (!reads.length) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const { buf, at, want, n } = await reads.shift()!;
      if (failure) throw failure;
      if (n !== want) throw changed(req.source.at, 'it shrank');
      const view = n === buf.length ? buf : buf.subarray(0, n);
      sourceHash.update(view);
      req.tamper?.(view, at);
      // Hashed as it goes to write(2), after whatever happened to the buffer since it was read.
      destinationHash?.update(view);
      position = at + n;
      const write: Promise<void> = pwriteAll(dst, view, at).then(
        () => {
          writes.delete(write);
          free.push(buf);
          signalWake();
        },
        (error) => {
          writes.delete(write);
          failure ??= error;
          signalWake();
        },
      );
      writes.add(write);
      if (position - lastCheckpoint >= every && position < size && checkpoint === null) {
        lastCheckpoint = position;
        const token = formatToken({ algorithm: tokenAlgorithm, digest: sourceHash.peek(), size, mtimeMs: stat.mtimeMs });
        const offset = position;
        checkpoint = Promise.all([...writes])
          .then(() => (failure ? undefined : fsyncFd(dst)))
          .then(() => (failure ? undefined : req.onCheckpoint(offset, token)))
          .catch((error) => {
            failure ??= error;
            signalWake();
          })
          .finally(() => {
            checkpoint = null;
          });
      }
    }
    await Promise.all([...writes]);
    if (checkpoint) await checkpoint;
    if (failure) throw failure;
  } finally {
    req.signal.removeEventListener('abort', onAbort);
    // Nothing may still be reading into or writing from a buffer that goes back to the pool, nor fsync a
    // descriptor after the caller has closed it (its number could be another file's by then).
    await Promise.allSettled([...reads, ...writes, ...(checkpoint ? [checkpoint] : [])]);
    for (const buf of free) giveBuffer(buf);
  }
}

/** Removes the temp file of a copy that will not be resumed (as the destination account). */
export async function removeTemp(destination: CopyEnd, tempName: string): Promise<void> {
  await destination.connector.removeCopyTemp(destination.at, tempName);
}

/** The checksum of a file as its account reads it (sync level 3): one pass, reads overlapped with hashing. */
export async function fileChecksum(end: CopyEnd, algorithm: string): Promise<string> {
  const hasher = newHasher(algorithm);
  const opened = await end.connector.openCopySource(end.at, SMALL_COPY);
  const fd = opened.fd;
  const bufs: Buffer[] = [];
  let next: Promise<number> | null = null;
  try {
    if (end.at.real && opened.real.target !== end.at.real.target) {
      throw new ConnectorError('path_changed', `'${end.at.path}' changed while the request was being processed; try again`);
    }
    if (opened.data) {
      hasher.update(opened.data);
      return hasher.peek();
    }
    const size = opened.size;
    bufs.push(takeBuffer(Math.min(CHUNK, size)), takeBuffer(Math.min(CHUNK, size)));
    let position = 0;
    next = size > 0 ? pread(fd!, bufs[0], Math.min(CHUNK, size), 0) : null;
    let turn = 0;
    while (next) {
      const n: number = await next;
      next = null;
      if (n === 0) throw changed(end.at, 'it shrank');
      const buf = bufs[turn];
      position += n;
      turn ^= 1;
      if (position < size) next = pread(fd!, bufs[turn], Math.min(CHUNK, size - position), position);
      hasher.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    const change = sameSource(opened, await fstat(fd!));
    if (change) throw changed(end.at, change);
    return hasher.peek();
  } catch (error) {
    throw fromErrno(error, end.at.path);
  } finally {
    // A read still running is waited for: its buffer goes back to the pool only once it is no longer in use.
    await next?.catch(() => {});
    if (fd !== null) closeQuietly(fd);
    for (const buf of bufs) giveBuffer(buf);
  }
}
