// The file operations themselves, run by whichever process holds the account's credentials (the server in personal mode, a worker otherwise).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { descriptorInside, isInside, lexicalTarget, resolveTarget, type PathIntent, type ResolvedPath } from '../paths.ts';
import { ConnectorError, fromErrno, type AccessMode, type ByteRange, type FileEntry, type ListFilter, type ListOptions, type ListResult, type Location } from './types.ts';
import { groupName, userName } from './accounts.ts';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_CREAT, O_EXCL, O_RDWR, O_CLOEXEC } = fs.constants as typeof fs.constants & { O_CLOEXEC?: number };
const CLOEXEC = O_CLOEXEC ?? 0;

/** Upload temp files: hidden, in the target's directory (same file system, so the final rename is atomic). */
export const TEMP_PATTERN = /^\.gatehouse-upload-[0-9a-f]{32}\.part$/;
export function newTempName(): string {
  return `.gatehouse-upload-${randomBytes(16).toString('hex')}.part`;
}

export async function resolveOrThrow(at: Location, intent: PathIntent): Promise<ResolvedPath> {
  let r;
  try {
    r = await resolveTarget({ root: at.root, base: at.base, path: at.path, intent });
  } catch (error) {
    throw fromErrno(error, String(at.path));
  }
  if (!r.ok) throw new ConnectorError(r.code, r.message);
  return r;
}

function formatTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}

function baseEntry(name: string, st: fs.Stats, type: FileEntry['type'], linkTarget: string | null, user: string, group: string): FileEntry {
  return {
    name,
    type,
    size: st.size,
    last_modified: formatTime(st.mtimeMs),
    permissions: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    user,
    group,
    link_target: linkTarget,
    mtime_ms: Math.floor(st.mtimeMs),
  };
}

/** An entry for `full` (which may be a symlink); symlinks whose target is missing or outside are `invalid_symlink`. */
async function describe(full: string, name: string, boundary: string, lst?: fs.Stats): Promise<FileEntry> {
  const l = lst ?? (await fs.promises.lstat(full));
  if (!l.isSymbolicLink()) {
    return baseEntry(name, l, l.isDirectory() ? 'dir' : 'file', null, await userName(l.uid), await groupName(l.gid));
  }
  const target = await fs.promises.readlink(full).catch(() => null);
  const real = await fs.promises.realpath(full).catch(() => null);
  if (real !== null && isInside(boundary, real)) {
    const st = await fs.promises.stat(full).catch(() => null);
    if (st) return baseEntry(name, st, st.isDirectory() ? 'dir' : 'file', target, await userName(st.uid), await groupName(st.gid));
  }
  return baseEntry(name, l, 'invalid_symlink', target, await userName(l.uid), await groupName(l.gid));
}

function nameOf(relative: string): string {
  return relative === '/' ? '/' : path.posix.basename(relative);
}

export async function statEntry(at: Location): Promise<FileEntry> {
  const r = await resolveOrThrow(at, 'read');
  if (!r.exists) throw new ConnectorError('ENOENT', `No such file or directory: '${r.relative}'`);
  try {
    return await describe(r.path, nameOf(r.relative), r.boundary);
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
}

/** fnmatch-style glob on one name: `*`, `?`, `[...]`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function compare(a: number | string, b: number | string, op: string): boolean {
  switch (op) {
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'eq': return a === b;
    case 'ne': return a !== b;
    default: return false;
  }
}

function matcher(filter: ListFilter): (e: FileEntry) => boolean {
  switch (filter.field) {
    case 'name': {
      if (filter.op === 'eq') return (e) => e.name === filter.value;
      if (filter.op === 'ne') return (e) => e.name !== filter.value;
      const re = globToRegExp(filter.value);
      return filter.op === 'glob' ? (e) => re.test(e.name) : (e) => !re.test(e.name);
    }
    case 'type':
      return (e) => filter.value.includes(e.type);
    case 'size':
      return (e) => compare(e.size, filter.value, filter.op);
    case 'last_modified': {
      // Compare as instants; a bare date or a `YYYY-MM-DD HH:MM:SS` is taken as UTC.
      const v = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(filter.value) ? filter.value.replace(' ', 'T') : `${filter.value.replace(' ', 'T')}Z`);
      return (e) => compare(Math.floor(e.mtime_ms / 1000), Math.floor(v / 1000), filter.op);
    }
  }
}

const MAX_LIMIT = 100_000;

export async function listDir(at: Location, options: ListOptions = {}): Promise<ListResult> {
  const r = await resolveOrThrow(at, 'read');
  if (!r.exists) throw new ConnectorError('ENOENT', `No such file or directory: '${r.relative}'`);
  let dirents: fs.Dirent[];
  try {
    dirents = await fs.promises.readdir(r.path, { withFileTypes: true });
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
  const showHidden = options.showHidden ?? true;
  const names = dirents.map((d) => d.name).filter((n) => showHidden || !n.startsWith('.')).filter((n) => !TEMP_PATTERN.test(n));
  const entries: FileEntry[] = [];
  // Bounded parallel lstat: a directory of 100k entries must not open 100k requests at once.
  let next = 0;
  const workers = Array.from({ length: Math.min(32, names.length) }, async () => {
    while (next < names.length) {
      const name = names[next++];
      try {
        entries.push(await describe(path.join(r.path, name), name, r.boundary));
      } catch {
        // vanished between readdir and lstat: not listed
      }
    }
  });
  await Promise.all(workers);
  const filters = (options.filters ?? []).map(matcher);
  const kept = entries.filter((e) => filters.every((f) => f(e)));
  const order = options.orderBy?.length ? options.orderBy : [{ field: 'name' as const, desc: false }];
  kept.sort((a, b) => {
    for (const { field, desc } of order) {
      const x = a[field];
      const y = b[field];
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c !== 0) return desc ? -c : c;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const offset = Math.max(0, Math.floor(options.offset ?? 0));
  const limit = Math.min(MAX_LIMIT, Math.max(0, Math.floor(options.limit ?? MAX_LIMIT)));
  return { path: r.relative, total: kept.length, entries: kept.slice(offset, offset + limit) };
}

export async function makeDir(at: Location): Promise<FileEntry> {
  const r = await resolveOrThrow(at, 'write');
  if (r.relative === '/') throw new ConnectorError('EEXIST', `File exists: '/'`);
  if (!r.parentExists) throw new ConnectorError('ENOENT', `Parent directory does not exist: '${path.posix.dirname(r.relative)}'`);
  try {
    await fs.promises.mkdir(r.path, 0o777);
    return await describe(r.path, nameOf(r.relative), r.boundary);
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
}

export async function renamePath(from: Location, to: Location): Promise<void> {
  const a = await resolveOrThrow(from, 'write');
  const b = await resolveOrThrow(to, 'write');
  if (a.relative === '/' || b.relative === '/') throw new ConnectorError('invalid_path', 'The collection root cannot be renamed');
  if (!a.exists) throw new ConnectorError('ENOENT', `No such file or directory: '${a.relative}'`);
  if (!b.parentExists) throw new ConnectorError('ENOENT', `Parent directory does not exist: '${path.posix.dirname(b.relative)}'`);
  // Transfer's rename does not replace; renameat2(RENAME_NOREPLACE) is not reachable from Node, so check first.
  if (b.exists || (await fs.promises.lstat(b.path).then(() => true, () => false))) throw new ConnectorError('EEXIST', `File exists: '${b.relative}'`);
  try {
    await fs.promises.rename(a.path, b.path);
  } catch (error) {
    throw fromErrno(error, a.relative);
  }
}

export async function removePath(at: Location, recursive: boolean): Promise<void> {
  const r = await resolveOrThrow(at, 'write');
  if (r.relative === '/') throw new ConnectorError('invalid_path', 'The collection root cannot be deleted');
  try {
    // lstat: removing a symlink removes the link, never what it points to.
    const st = await fs.promises.lstat(r.path);
    if (!st.isDirectory()) await fs.promises.unlink(r.path);
    else if (recursive) await fs.promises.rm(r.path, { recursive: true, force: false });
    else await fs.promises.rmdir(r.path);
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
}

export async function accessCheck(at: Location, mode: AccessMode): Promise<boolean> {
  let r: ResolvedPath;
  try {
    r = await resolveOrThrow(at, mode === 'write' ? 'write' : 'read');
  } catch {
    return false;
  }
  const bits = mode === 'read' ? fs.constants.R_OK : mode === 'write' ? fs.constants.W_OK : fs.constants.F_OK;
  if (mode === 'write' && !r.exists) {
    // Creating a file needs write and search on the directory that will hold it.
    return r.parentExists && fs.promises.access(path.dirname(r.path), fs.constants.W_OK | fs.constants.X_OK).then(() => true, () => false);
  }
  if (!r.exists) return false;
  return fs.promises.access(r.path, bits).then(() => true, () => false);
}

export interface OpenedRead {
  fd: number;
  entry: FileEntry;
  size: number;
  start: number;
  end: number;
  dev: number;
  ino: number;
  /** the real path opened and the real path of the boundary: a read decided on the lexical path re-decides when they show a link */
  realPath: string;
  realBoundary: string;
}

/** Applies a parsed range to a size; throws range_not_satisfiable (416) as RFC 9110 says. */
export function applyRange(size: number, range: ByteRange | undefined): { start: number; end: number } {
  if (!range) return { start: 0, end: size - 1 };
  if ('suffix' in range) {
    if (!(range.suffix > 0) || size === 0) throw new ConnectorError('range_not_satisfiable', 'Range not satisfiable', { size });
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const start = range.start;
  if (!Number.isSafeInteger(start) || start < 0 || start >= size) throw new ConnectorError('range_not_satisfiable', 'Range not satisfiable', { size });
  const end = range.end === undefined ? size - 1 : Math.min(range.end, size - 1);
  if (!Number.isSafeInteger(end) || end < start) throw new ConnectorError('range_not_satisfiable', 'Range not satisfiable', { size });
  return { start, end };
}

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer (fstat then refuses it); no effect on files.
const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | CLOEXEC;

function openNoFollow(file: string): Promise<number> {
  return new Promise<number>((resolve, reject) => fs.open(file, READ_FLAGS, (e, f) => (e ? reject(e) : resolve(f))));
}

/** The lexical location of a read, unless it is the boundary itself (a directory) or refused. */
function directTarget(at: Location): { target: string; boundary: string; relative: string } | null {
  const lex = lexicalTarget(at.root, at.base, at.path);
  return 'ok' in lex || lex.target === lex.boundary ? null : lex;
}

/** Whether an open descriptor is the lexical target itself: its real path (/proc/self/fd) is that very path. */
function isDirect(fd: number, target: string): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === target;
  } catch {
    return false;
  }
}

/** fstat result → the read's description, or the error for what is not a regular file. */
async function describeOpened(fd: number, st: fs.Stats, relative: string, realPath: string, realBoundary: string, range: ByteRange | undefined): Promise<OpenedRead> {
  if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${relative}'`);
  if (!st.isFile()) throw new ConnectorError('EINVAL', `Not a regular file: '${relative}'`);
  const entry = baseEntry(nameOf(relative), st, 'file', null, await userName(st.uid), await groupName(st.gid));
  const { start, end } = applyRange(st.size, range);
  return { fd, entry, size: st.size, start, end, dev: st.dev, ino: st.ino, realPath, realBoundary };
}

/**
 * Opens a regular file for reading. The common case takes one open: the lexical path with O_NOFOLLOW,
 * whose descriptor turns out to be that very path — no component, the boundary's included, is a link, and
 * the file is inside. Otherwise (missing, a link anywhere, no /proc) the path is resolved in full, its real
 * path opened with O_NOFOLLOW (a link swapped in meanwhile fails with ELOOP), and the descriptor's own path
 * re-checked against the boundary. The kernel's permission answer is the same either way.
 */
export async function openRead(at: Location, range?: ByteRange): Promise<OpenedRead> {
  const lex = directTarget(at);
  if (lex) {
    const fd = await openNoFollow(lex.target).catch(() => null);
    if (fd !== null) {
      if (isDirect(fd, lex.target)) return finishOpen(fd, lex.relative, lex.target, lex.boundary, range);
      fs.close(fd, () => {});
    }
  }
  const r = await resolveOrThrow(at, 'read');
  if (!r.exists) throw new ConnectorError('ENOENT', `No such file or directory: '${r.relative}'`);
  let fd: number;
  try {
    fd = await openNoFollow(r.path);
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
  if (descriptorInside(fd, r.boundary) === false) {
    fs.closeSync(fd);
    throw new ConnectorError('path_outside_root', `Path '${r.relative}' leaves the collection root`);
  }
  return finishOpen(fd, r.relative, r.path, r.boundary, range);
}

/** After an (asynchronous) open: fstat of the open descriptor, a blocking call that waits on no path lookup. */
async function finishOpen(fd: number, relative: string, realPath: string, realBoundary: string, range: ByteRange | undefined): Promise<OpenedRead> {
  try {
    return await describeOpened(fd, fs.fstatSync(fd), relative, realPath, realBoundary, range);
  } catch (error) {
    fs.closeSync(fd);
    throw fromErrno(error, relative);
  }
}

/**
 * openRead's common case with blocking calls, for worker processes (one account's process: a slow disk
 * stalls only its own requests, and no thread hand-offs are paid). Null when the full resolution is needed.
 */
export async function openReadDirectSync(at: Location, range?: ByteRange): Promise<OpenedRead | null> {
  const lex = directTarget(at);
  if (!lex) return null;
  let fd: number;
  try {
    fd = fs.openSync(lex.target, READ_FLAGS);
  } catch {
    return null;
  }
  if (!isDirect(fd, lex.target)) {
    fs.closeSync(fd);
    return null;
  }
  try {
    return await describeOpened(fd, fs.fstatSync(fd), lex.relative, lex.target, lex.boundary, range);
  } catch (error) {
    fs.closeSync(fd);
    throw fromErrno(error, lex.relative);
  }
}

/**
 * Reads start..end (at most SMALL_READ in the server, INLINE_READ in a worker) of an open descriptor into one
 * buffer and closes it, with blocking calls: on a descriptor already open they wait for the file's own data,
 * never for a path lookup, and each thread-pool hand-off saved is worth more than the read itself.
 */
export function readWholeSync(fd: number, start: number, end: number): Buffer {
  const length = end - start + 1;
  try {
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    let got = 0;
    while (got < length) {
      const n = fs.readSync(fd, buf, got, length - got, start + got);
      if (n === 0) throw new ConnectorError('EIO', 'File shrank while being read');
      got += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export interface Upload {
  fd: number;
  tempPath: string;
  targetPath: string;
  relative: string;
  boundary: string;
  existed: boolean;
  /** the replaced file's permission bits, kept across the replace */
  keepMode: number | null;
}

/** Creates the temp file next to the target. Nothing at the target changes until finishUpload renames. */
export async function beginUpload(at: Location, tempName: string, mustNotExist = false): Promise<Upload> {
  if (!TEMP_PATTERN.test(tempName)) throw new ConnectorError('invalid_path', 'Bad temp name');
  const r = await resolveOrThrow(at, 'write');
  if (r.relative === '/') throw new ConnectorError('EISDIR', `Is a directory: '/'`);
  if (!r.parentExists) throw new ConnectorError('ENOENT', `Parent directory does not exist: '${path.posix.dirname(r.relative)}'`);
  let keepMode: number | null = null;
  let existed = false;
  try {
    const st = await fs.promises.lstat(r.path);
    existed = true;
    if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${r.relative}'`);
    if (mustNotExist) throw new ConnectorError('EEXIST', `File exists: '${r.relative}'`);
    if (st.isFile()) {
      keepMode = st.mode & 0o7777;
      // Replacing by rename only needs the directory's write bit; an in-place write would need the file's.
      // Ask for both, so a read-only file is not replaceable just because its directory is writable.
      await fs.promises.access(r.path, fs.constants.W_OK);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(error, r.relative);
  }
  const tempPath = path.join(path.dirname(r.path), tempName);
  let fd: number;
  try {
    fd = await new Promise<number>((resolve, reject) =>
      fs.open(tempPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | CLOEXEC, 0o600, (e, f) => (e ? reject(e) : resolve(f))),
    );
  } catch (error) {
    throw fromErrno(error, r.relative);
  }
  if (descriptorInside(fd, r.boundary) === false) {
    fs.closeSync(fd);
    await fs.promises.unlink(tempPath).catch(() => {});
    throw new ConnectorError('path_outside_root', `Path '${r.relative}' leaves the collection root`);
  }
  return { fd, tempPath, targetPath: r.path, relative: r.relative, boundary: r.boundary, existed, keepMode };
}

/** Writes the first `length` bytes of `buf` at the descriptor's current offset, blocking until all are written. */
export function writeAllSync(fd: number, buf: Uint8Array, length: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done);
}

/** Writes the first `length` bytes of `buf` at the descriptor's current offset, through the thread pool. */
export function writeAll(fd: number, buf: Uint8Array, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const go = (done: number) =>
      fs.write(fd, buf, done, length - done, null, (error, written) => {
        if (error) return reject(error);
        if (done + written < length) go(done + written);
        else resolve();
      });
    go(0);
  });
}

/**
 * Buffers per upload and their size: 2 MiB in flight, however large or slow the upload. 256 KiB writes, not
 * 1 MiB: the kernel backs a write that large with large page-cache folios, and where those come from memory
 * the host has taken back (a VM's free page reporting) each costs a host fault: 1 MiB writes measured ~1 s
 * of system time per GiB there against ~0.3 s at 256 KiB (bench/README.md), and no worse anywhere else.
 */
const SINK_BUFFERS = 8;
const SINK_BUFFER_SIZE = 256 << 10;

/**
 * Upload bytes copied into a few reused 1 MiB buffers and handed to `write` in order, one at a time, each
 * buffer reused once its write has finished. The copy is the point: the ~16 KiB chunks the HTTP parser
 * makes are dropped at once and die young, where holding them until a batched write let them outlive
 * scavenges, and every 64 MB of them retained cost a full mark-compact of the server's heap (V8's external
 * memory pressure): a memcpy per byte is far cheaper than that.
 */
export class UploadSink {
  private readonly write: (buf: Buffer, length: number) => Promise<void>;
  private readonly free: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  private writing: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private error: unknown = null;
  /** bytes taken so far */
  bytes = 0;

  constructor(write: (buf: Buffer, length: number) => Promise<void>) {
    this.write = write;
    for (let i = 0; i < SINK_BUFFERS; i++) this.free.push(Buffer.allocUnsafeSlow(SINK_BUFFER_SIZE));
  }

  /** Takes a chunk; null to go on, or a promise to wait on while every buffer is being written. */
  push(chunk: Uint8Array): Promise<void> | null {
    if (this.error) return Promise.reject(this.error);
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (!this.current) {
        const next = this.free.pop();
        if (!next) {
          const rest = chunk.subarray(offset);
          return new Promise<void>((resolve) => (this.wake = resolve)).then(() => this.push(rest) ?? undefined);
        }
        this.current = next;
        this.used = 0;
      }
      const n = Math.min(chunk.byteLength - offset, this.current.length - this.used);
      this.current.set(n === chunk.byteLength ? chunk : chunk.subarray(offset, offset + n), this.used);
      this.used += n;
      this.bytes += n;
      offset += n;
      if (this.used === this.current.length) this.ship();
    }
    return null;
  }

  private ship(): void {
    const buf = this.current!;
    const length = this.used;
    this.current = null;
    this.writing = this.writing.then(async () => {
      if (this.error) return;
      try {
        await this.write(buf, length);
        this.free.push(buf);
      } catch (error) {
        this.error = error;
      }
      const wake = this.wake;
      this.wake = null;
      wake?.();
    });
  }

  /** Writes everything taken so far; rejects with the first write error. Call it once every push has settled. */
  async flush(): Promise<void> {
    if (this.current && this.used > 0) this.ship();
    await this.writing;
    if (this.error) throw this.error;
  }
}

/** fsync the data, rename over the target, fsync the directory: the new content is durable and appears whole. */
export async function finishUpload(upload: Upload): Promise<{ created: boolean; entry: FileEntry }> {
  try {
    if (upload.keepMode !== null) await new Promise<void>((res, rej) => fs.fchmod(upload.fd, upload.keepMode!, (e) => (e ? rej(e) : res())));
    else {
      // New files get the usual 0666 & ~umask, not the temp file's private 0600.
      const mask = process.umask();
      await new Promise<void>((res, rej) => fs.fchmod(upload.fd, 0o666 & ~mask, (e) => (e ? rej(e) : res())));
    }
    await new Promise<void>((res, rej) => fs.fsync(upload.fd, (e) => (e ? rej(e) : res())));
    await new Promise<void>((res, rej) => fs.close(upload.fd, (e) => (e ? rej(e) : res())));
    upload.fd = -1;
    await fs.promises.rename(upload.tempPath, upload.targetPath);
  } catch (error) {
    await abortUpload(upload);
    throw fromErrno(error, upload.relative);
  }
  await fsyncDir(path.dirname(upload.targetPath));
  const entry = await describe(upload.targetPath, nameOf(upload.relative), upload.boundary);
  return { created: !upload.existed, entry };
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const h = await fs.promises.open(dir, O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // some file systems refuse fsync on directories; the rename itself already happened
  }
}

export async function abortUpload(upload: Upload): Promise<void> {
  if (upload.fd >= 0) {
    try {
      fs.closeSync(upload.fd);
    } catch {}
    upload.fd = -1;
  }
  await fs.promises.unlink(upload.tempPath).catch(() => {});
}
