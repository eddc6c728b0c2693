// The file operations themselves, run by whichever process holds the account's credentials (the server in personal mode, a worker otherwise).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isInside, lexicalTarget, normalizeClientPath, resolveTarget, type PathIntent, type ResolvedPath } from '../paths.ts';
import {
  ConnectorError,
  fromErrno,
  type AccessMode,
  type ByteRange,
  type FileEntry,
  type ListFilter,
  type ListOptions,
  type ListResult,
  type Location,
  type RealPaths,
} from './types.ts';
import { groupName, userName } from './accounts.ts';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_CREAT, O_EXCL, O_RDWR, O_DIRECTORY, O_CLOEXEC } = fs.constants as typeof fs.constants & { O_CLOEXEC?: number };
const CLOEXEC = O_CLOEXEC ?? 0;
/** Linux's O_PATH (the same on every architecture Node supports there): a handle on a name, for fstat and /proc, that needs no read permission. Node does not export it. */
const O_PATH = 0o10000000;

/** Upload temp files: hidden, in the target's directory (same file system, so the final rename is atomic). */
export const TEMP_PATTERN = /^\.gatehouse-upload-[0-9a-f]{32}\.part$/;
/** A Transfer task's copy temp files (transfer/engine/copy.ts): kept across restarts for resume, never swept by the upload journal. */
export const COPY_TEMP_PATTERN = /^\.gatehouse-[0-9A-Za-z]{1,64}-[0-9]{1,12}\.part$/;
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

/**
 * The real paths an operation is to act on: the ones the server checked (`at.real`), else this process's
 * own resolution. Every operation below then opens what it acts on, or the directory holding it, and
 * confirms through /proc/self/fd that the open object sits at exactly that path: a component swapped for a
 * link after the check makes the operation fail, never act elsewhere.
 */
export async function pin(at: Location, intent: PathIntent): Promise<{ relative: string; real: RealPaths }> {
  if (at.real) {
    const n = normalizeClientPath(at.path);
    if (!n.ok) throw new ConnectorError(n.code, n.message);
    const { target, boundary, root } = at.real;
    if (!path.isAbsolute(target) || !isInside(boundary, target) || !isInside(root, boundary)) throw outside(n.relative);
    return { relative: n.relative, real: at.real };
  }
  const r = await resolveOrThrow(at, intent);
  return { relative: r.relative, real: { target: r.path, boundary: r.boundary, root: r.root } };
}

function outside(relative: string): ConnectorError {
  return new ConnectorError('path_outside_root', `Path '${relative}' leaves the collection root`);
}

function changed(relative: string): ConnectorError {
  return new ConnectorError('path_changed', `'${relative}' changed while the request was being processed; try again`);
}

/** `/proc/self/fd/<fd>[/<name>]`: the kernel resolves it to the open directory itself, whatever its path has become. */
export function viaFd(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** Where an open descriptor is now; null when /proc cannot say (the object was removed, or no /proc). */
export function whereIs(fd: number): string | null {
  try {
    return fs.readlinkSync(viaFd(fd));
  } catch {
    return null;
  }
}

export function openAsync(file: string, flags: number, mode?: number): Promise<number> {
  return new Promise<number>((resolve, reject) => fs.open(file, flags, mode, (e, f) => (e ? reject(e) : resolve(f))));
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {}
}

/** An open directory, confirmed to be the one at `path`, and the name an operation acts on inside it. */
export interface HeldDir {
  fd: number;
  /** the directory's real path when it was confirmed */
  path: string;
  name: string;
}

/**
 * Opens the directory that holds `real.target` and confirms it is that very directory. A missing one is
 * ENOENT "Parent directory does not exist"; one that is somewhere else now (a component became a link) is
 * path_changed. The caller owns the descriptor.
 */
export async function holdParent(relative: string, real: RealPaths): Promise<HeldDir> {
  const dir = path.dirname(real.target);
  const name = path.basename(real.target);
  if (real.target === real.boundary || !isInside(real.boundary, dir)) throw outside(relative);
  let fd: number;
  try {
    fd = await openAsync(dir, O_RDONLY | O_DIRECTORY | CLOEXEC);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ConnectorError('ENOENT', `Parent directory does not exist: '${path.posix.dirname(relative)}'`);
    throw fromErrno(error, relative);
  }
  if (whereIs(fd) !== dir) {
    closeQuietly(fd);
    throw changed(relative);
  }
  return { fd, path: dir, name };
}

/**
 * Opens `real.target` itself (never through a link: it is a real path) with `flags`, and confirms it sits
 * there. `O_PATH` opens what only needs fstat; then a link found in the final place is path_changed too.
 */
async function holdTarget(relative: string, real: RealPaths, flags: number): Promise<number> {
  let fd: number;
  try {
    fd = await openAsync(real.target, flags | O_NOFOLLOW | CLOEXEC);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw changed(relative);
    throw fromErrno(error, relative);
  }
  if (whereIs(fd) !== real.target || ((flags & O_PATH) !== 0 && fs.fstatSync(fd).isSymbolicLink())) {
    closeQuietly(fd);
    throw changed(relative);
  }
  return fd;
}

async function withParent<T>(relative: string, real: RealPaths, work: (dir: HeldDir) => Promise<T>): Promise<T> {
  const dir = await holdParent(relative, real);
  try {
    return await work(dir);
  } finally {
    closeQuietly(dir.fd);
  }
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

export async function entryOf(name: string, st: fs.Stats, linkTarget: string | null = null): Promise<FileEntry> {
  return baseEntry(name, st, st.isDirectory() ? 'dir' : 'file', linkTarget, await userName(st.uid), await groupName(st.gid));
}

/**
 * The entry `name` of an open directory. A link is described by what it leads to when that is inside the
 * boundary — found by opening through it and asking where the descriptor landed, so the answer is about the
 * object opened, not a path looked up again — and as `invalid_symlink` otherwise.
 */
export async function describeIn(dirFd: number, name: string, boundary: string): Promise<FileEntry> {
  const at = viaFd(dirFd, name);
  const l = await fs.promises.lstat(at);
  if (!l.isSymbolicLink()) return entryOf(name, l);
  const target = await fs.promises.readlink(at).catch(() => null);
  const fd = await openAsync(at, O_PATH | CLOEXEC).catch(() => null);
  if (fd !== null) {
    try {
      const real = whereIs(fd);
      if (real !== null && isInside(boundary, real)) return await entryOf(name, fs.fstatSync(fd), target);
    } finally {
      closeQuietly(fd);
    }
  }
  return baseEntry(name, l, 'invalid_symlink', target, await userName(l.uid), await groupName(l.gid));
}

function nameOf(relative: string): string {
  return relative === '/' ? '/' : path.posix.basename(relative);
}

export async function statEntry(at: Location): Promise<FileEntry> {
  const { relative, real } = await pin(at, 'read');
  const fd = await holdTarget(relative, real, O_PATH);
  try {
    return await entryOf(nameOf(relative), fs.fstatSync(fd));
  } catch (error) {
    throw fromErrno(error, relative);
  } finally {
    closeQuietly(fd);
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
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    default:
      return false;
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
  const { relative, real } = await pin(at, 'read');
  const dirFd = await holdTarget(relative, real, O_RDONLY | O_DIRECTORY);
  try {
    let names: string[];
    try {
      names = await fs.promises.readdir(viaFd(dirFd));
    } catch (error) {
      throw fromErrno(error, relative);
    }
    const showHidden = options.showHidden ?? true;
    names = names.filter((n) => (showHidden || !n.startsWith('.')) && !TEMP_PATTERN.test(n) && !COPY_TEMP_PATTERN.test(n));
    const entries: FileEntry[] = [];
    // Bounded parallel lstat: a directory of 100k entries must not open 100k requests at once.
    let next = 0;
    const workers = Array.from({ length: Math.min(32, names.length) }, async () => {
      while (next < names.length) {
        const name = names[next++];
        try {
          entries.push(await describeIn(dirFd, name, real.boundary));
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
    return { path: relative, total: kept.length, entries: kept.slice(offset, offset + limit) };
  } finally {
    closeQuietly(dirFd);
  }
}

export async function makeDir(at: Location): Promise<FileEntry> {
  const { relative, real } = await pin(at, 'write');
  if (relative === '/') throw new ConnectorError('EEXIST', `File exists: '/'`);
  return withParent(relative, real, async (dir) => {
    try {
      await fs.promises.mkdir(viaFd(dir.fd, dir.name), 0o777);
      return await describeIn(dir.fd, dir.name, real.boundary);
    } catch (error) {
      throw fromErrno(error, relative);
    }
  });
}

function lexists(file: string): Promise<boolean> {
  return fs.promises.lstat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

export async function renamePath(from: Location, to: Location): Promise<void> {
  const a = await pin(from, 'write');
  const b = await pin(to, 'write');
  if (a.relative === '/' || b.relative === '/') throw new ConnectorError('invalid_path', 'The collection root cannot be renamed');
  await withParent(a.relative, a.real, (source) =>
    withParent(b.relative, b.real, async (destination) => {
      const old = viaFd(source.fd, source.name);
      const replacement = viaFd(destination.fd, destination.name);
      try {
        if (!(await lexists(old))) throw new ConnectorError('ENOENT', `No such file or directory: '${a.relative}'`);
        // Transfer's rename does not replace; renameat2(RENAME_NOREPLACE) is not reachable from Node, so check first.
        if (await lexists(replacement)) throw new ConnectorError('EEXIST', `File exists: '${b.relative}'`);
        await fs.promises.rename(old, replacement);
      } catch (error) {
        throw fromErrno(error, a.relative);
      }
    }),
  );
}

export async function removePath(at: Location, recursive: boolean): Promise<void> {
  const { relative, real } = await pin(at, 'write');
  if (relative === '/') throw new ConnectorError('invalid_path', 'The collection root cannot be deleted');
  await withParent(relative, real, async (dir) => {
    try {
      // lstat: removing a symlink removes the link, never what it points to.
      const st = await fs.promises.lstat(viaFd(dir.fd, dir.name));
      if (!st.isDirectory()) await fs.promises.unlink(viaFd(dir.fd, dir.name));
      else if (recursive) await removeTree(dir.fd, dir.name);
      else await fs.promises.rmdir(viaFd(dir.fd, dir.name));
    } catch (error) {
      throw fromErrno(error, relative);
    }
  });
}

/**
 * Removes directory `name` of the open directory `parentFd` and everything in it, one open directory per
 * level: each level is opened without following a link (a link swapped in fails with ELOOP/ENOTDIR), and
 * every entry is removed relative to its directory's descriptor, so no name is ever looked up along a path
 * that could have been changed.
 */
async function removeTree(parentFd: number, name: string): Promise<void> {
  const fd = await openAsync(viaFd(parentFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | CLOEXEC);
  try {
    for (const entry of await fs.promises.readdir(viaFd(fd))) {
      const st = await fs.promises.lstat(viaFd(fd, entry));
      if (st.isDirectory()) await removeTree(fd, entry);
      else await fs.promises.unlink(viaFd(fd, entry));
    }
  } finally {
    closeQuietly(fd);
  }
  await fs.promises.rmdir(viaFd(parentFd, name));
}

export async function accessCheck(at: Location, mode: AccessMode): Promise<boolean> {
  const bits = mode === 'read' ? fs.constants.R_OK : mode === 'write' ? fs.constants.W_OK : fs.constants.F_OK;
  const can = (file: string, want: number) =>
    fs.promises.access(file, want).then(
      () => true,
      () => false,
    );
  try {
    const { relative, real } = await pin(at, mode === 'write' ? 'write' : 'read');
    if (mode !== 'write' || relative === '/') {
      const fd = await holdTarget(relative, real, O_PATH);
      try {
        return await can(viaFd(fd), bits);
      } finally {
        closeQuietly(fd);
      }
    }
    return await withParent(relative, real, async (dir) => {
      const st = await fs.promises.lstat(viaFd(dir.fd, dir.name)).catch(() => null);
      // Creating a file needs write and search on the directory that will hold it.
      if (!st) return can(viaFd(dir.fd), fs.constants.W_OK | fs.constants.X_OK);
      return !st.isSymbolicLink() && can(viaFd(dir.fd, dir.name), bits);
    });
  } catch {
    return false;
  }
}

export interface OpenedRead {
  fd: number;
  entry: FileEntry;
  size: number;
  start: number;
  end: number;
  dev: number;
  ino: number;
  /** where the opened file really is (its descriptor's own path), with the boundary and root it was found under: a read decided on the lexical path re-decides when they show a link */
  real: RealPaths;
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

/** The lexical location of a read, unless it is the boundary itself (a directory) or refused. */
function directTarget(at: Location): { target: string; boundary: string; root: string; relative: string } | null {
  const lex = lexicalTarget(at.root, at.base, at.path);
  return 'ok' in lex || lex.target === lex.boundary ? null : { ...lex, root: path.resolve(at.root) };
}

/** fstat result → the read's description, or the error for what is not a regular file. */
async function describeOpened(fd: number, st: fs.Stats, relative: string, real: RealPaths, range: ByteRange | undefined): Promise<OpenedRead> {
  if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${relative}'`);
  if (!st.isFile()) throw new ConnectorError('EINVAL', `Not a regular file: '${relative}'`);
  const entry = await entryOf(nameOf(relative), st);
  const { start, end } = applyRange(st.size, range);
  return { fd, entry, size: st.size, start, end, dev: st.dev, ino: st.ino, real };
}

/**
 * Opens a regular file for reading. The common case takes one open: the lexical path with O_NOFOLLOW,
 * whose descriptor turns out to be that very path — no component, the boundary's included, is a link, and
 * the file is inside. Otherwise (missing, a link anywhere, no /proc) the path is resolved in full, its real
 * path opened with O_NOFOLLOW (a link swapped in meanwhile fails with ELOOP), and the descriptor's own path
 * is what the read reports and must lie inside the boundary. The kernel's permission answer is the same either way.
 */
export async function openRead(at: Location, range?: ByteRange): Promise<OpenedRead> {
  const lex = at.real ? null : directTarget(at);
  if (lex) {
    const fd = await openAsync(lex.target, READ_FLAGS).catch(() => null);
    if (fd !== null) {
      if (whereIs(fd) === lex.target) return finishOpen(fd, lex.relative, { target: lex.target, boundary: lex.boundary, root: lex.root }, range);
      closeQuietly(fd);
    }
  }
  const { relative, real } = await pin(at, 'read');
  let fd: number;
  try {
    fd = await openAsync(real.target, READ_FLAGS);
  } catch (error) {
    throw fromErrno(error, relative);
  }
  const opened = whereIs(fd);
  if (opened === null || !isInside(real.boundary, opened)) {
    closeQuietly(fd);
    throw outside(relative);
  }
  return finishOpen(fd, relative, { ...real, target: opened }, range);
}

/** After an (asynchronous) open: fstat of the open descriptor, a blocking call that waits on no path lookup. */
async function finishOpen(fd: number, relative: string, real: RealPaths, range: ByteRange | undefined): Promise<OpenedRead> {
  try {
    return await describeOpened(fd, fs.fstatSync(fd), relative, real, range);
  } catch (error) {
    closeQuietly(fd);
    throw fromErrno(error, relative);
  }
}

/**
 * openRead's common case with blocking calls, for worker processes (one account's process: a slow disk
 * stalls only its own requests, and no thread hand-offs are paid). Null when the full resolution is needed.
 */
export async function openReadDirectSync(at: Location, range?: ByteRange): Promise<OpenedRead | null> {
  const lex = at.real ? null : directTarget(at);
  if (!lex) return null;
  let fd: number;
  try {
    fd = fs.openSync(lex.target, READ_FLAGS);
  } catch {
    return null;
  }
  if (whereIs(fd) !== lex.target) {
    closeQuietly(fd);
    return null;
  }
  try {
    return await describeOpened(fd, fs.fstatSync(fd), lex.relative, { target: lex.target, boundary: lex.boundary, root: lex.root }, range);
  } catch (error) {
    closeQuietly(fd);
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
  /** the directory that will hold the file, open from beginUpload to the end: the temp file and the final rename are relative to it */
  dir: HeldDir;
  tempName: string;
  /** the temp file's real path and its directory's identity, for the crash journal */
  tempPath: string;
  dirDev: number;
  dirIno: number;
  relative: string;
  boundary: string;
  existed: boolean;
  /** the replaced file's permission bits, kept across the replace */
  keepMode: number | null;
}

/** Creates the temp file next to the target. Nothing at the target changes until finishUpload renames. */
export async function beginUpload(at: Location, tempName: string, mustNotExist = false): Promise<Upload> {
  if (!TEMP_PATTERN.test(tempName)) throw new ConnectorError('invalid_path', 'Bad temp name');
  const { relative, real } = await pin(at, 'write');
  if (relative === '/') throw new ConnectorError('EISDIR', `Is a directory: '/'`);
  const dir = await holdParent(relative, real);
  try {
    let keepMode: number | null = null;
    let existed = false;
    const target = viaFd(dir.fd, dir.name);
    try {
      const st = await fs.promises.lstat(target);
      existed = true;
      if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${relative}'`);
      if (mustNotExist) throw new ConnectorError('EEXIST', `File exists: '${relative}'`);
      if (st.isFile()) {
        keepMode = st.mode & 0o7777;
        // Replacing by rename only needs the directory's write bit; an in-place write would need the file's.
        // Ask for both, so a read-only file is not replaceable just because its directory is writable.
        await fs.promises.access(target, fs.constants.W_OK);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(error, relative);
    }
    let fd: number;
    try {
      fd = await openAsync(viaFd(dir.fd, tempName), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | CLOEXEC, 0o600);
    } catch (error) {
      throw fromErrno(error, relative);
    }
    const st = fs.fstatSync(dir.fd);
    return { fd, dir, tempName, tempPath: path.join(dir.path, tempName), dirDev: st.dev, dirIno: st.ino, relative, boundary: real.boundary, existed, keepMode };
  } catch (error) {
    closeQuietly(dir.fd);
    throw error;
  }
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
  const { dir } = upload;
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
    await fs.promises.rename(viaFd(dir.fd, upload.tempName), viaFd(dir.fd, dir.name));
  } catch (error) {
    await abortUpload(upload);
    throw fromErrno(error, upload.relative);
  }
  try {
    await new Promise<void>((res) => fs.fsync(dir.fd, () => res()));
    const entry = await describeIn(dir.fd, dir.name, upload.boundary);
    return { created: !upload.existed, entry };
  } finally {
    closeDir(upload);
  }
}

function closeDir(upload: Upload): void {
  if (upload.dir.fd >= 0) closeQuietly(upload.dir.fd);
  upload.dir.fd = -1;
}

export async function abortUpload(upload: Upload): Promise<void> {
  if (upload.fd >= 0) closeQuietly(upload.fd);
  upload.fd = -1;
  if (upload.dir.fd >= 0) await fs.promises.unlink(viaFd(upload.dir.fd, upload.tempName)).catch(() => {});
  closeDir(upload);
}
