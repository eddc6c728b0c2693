// The file operations of a Transfer copy's destination, run as the destination account: its temp file (created or kept for resume), the commit into place, and its removal.
import fs from 'node:fs';
import path from 'node:path';
import { newHasher } from './checksums.ts';
import { closeQuietly, COPY_TEMP_PATTERN, describeIn, entryOf, holdParent, openAsync, openRead, pin, viaFd, type HeldDir } from './ops.ts';
import {
  ConnectorError,
  fromErrno,
  type CopySource,
  type CopyTemp,
  type FileEntry,
  type Location,
  failed,
  settledValue,
  type Settled,
  type SmallCopyOptions,
  type SmallCopyResult,
  type TempIdentity,
} from './types.ts';

const { O_CREAT, O_EXCL, O_RDWR, O_NOFOLLOW, O_CLOEXEC } = fs.constants as typeof fs.constants & { O_CLOEXEC?: number };
const CLOEXEC = O_CLOEXEC ?? 0;

function checkName(tempName: string): void {
  if (!COPY_TEMP_PATTERN.test(tempName)) throw new ConnectorError('invalid_path', `Bad copy temp name '${tempName}'`);
}

/** The target as it is now: refused when a directory, or a file this account may not replace; its mode when a file. */
async function targetMode(dir: HeldDir, relative: string): Promise<number | null> {
  const target = viaFd(dir.fd, dir.name);
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromErrno(error, relative);
  }
  if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${relative}'`);
  if (!st.isFile()) return null;
  // As for uploads: a read-only file is not replaceable just because its directory is writable.
  await fs.promises.access(target, fs.constants.W_OK).catch((error) => {
    throw fromErrno(error, relative);
  });
  return st.mode & 0o7777;
}

/** A temp file of ours worth keeping: a regular file this account owns, with no other name. */
function keepable(st: fs.Stats): boolean {
  return st.isFile() && st.nlink === 1 && st.uid === (process.geteuid?.() ?? st.uid);
}

/** A new temp file `tempName` (replacing a previous attempt's), created with `mode` (less the umask): 0600 unless it is complete once written. */
async function createFresh(dir: HeldDir, tempName: string, relative: string, mode = 0o600): Promise<number> {
  const file = viaFd(dir.fd, tempName);
  for (let attempt = 0; ; attempt++) {
    try {
      return await openAsync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | CLOEXEC, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw fromErrno(error, relative);
    }
    // A previous attempt's temp file (or whatever took its name): unlink never follows a link, and a directory refuses.
    const st = await fs.promises.lstat(file).catch(() => null);
    if (st?.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: temp file of '${relative}'`);
    await fs.promises.unlink(file).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(error, relative);
    });
  }
}

/**
 * Opens the temp file `tempName` next to `at`: the existing one when `keep` and it is one of ours (its
 * length says how much of it there is), else a new empty one (0600 until the commit). The target is
 * checked as a replace would be, so a copy that could never be committed fails before it reads a byte.
 */
export async function openCopyTemp(at: Location, tempName: string, keep: boolean): Promise<CopyTemp> {
  checkName(tempName);
  const { relative, real } = await pin(at, 'write');
  if (relative === '/') throw new ConnectorError('EISDIR', `Is a directory: '/'`);
  const dir = await holdParent(relative, real);
  try {
    await targetMode(dir, relative);
    let fd: number | null = null;
    if (keep) {
      fd = await openAsync(viaFd(dir.fd, tempName), O_RDWR | O_NOFOLLOW | CLOEXEC).catch(() => null);
      if (fd !== null && !keepable(fs.fstatSync(fd))) {
        closeQuietly(fd);
        fd = null;
      }
    }
    fd ??= await createFresh(dir, tempName, relative);
    const st = fs.fstatSync(fd);
    const d = fs.fstatSync(dir.fd);
    return { fd, length: st.size, dev: st.dev, ino: st.ino, dirDev: d.dev, dirIno: d.ino };
  } finally {
    closeQuietly(dir.fd);
  }
}

/** The directory of `at`, confirmed to be the one the temp file was made in. */
async function holdSameDir(at: Location, identity: TempIdentity): Promise<{ dir: HeldDir; relative: string; boundary: string }> {
  const { relative, real } = await pin(at, 'write');
  const dir = await holdParent(relative, real);
  const d = fs.fstatSync(dir.fd);
  if (d.dev !== identity.dirDev || d.ino !== identity.dirIno) {
    closeQuietly(dir.fd);
    throw new ConnectorError('path_changed', `The directory of '${relative}' changed during the copy`);
  }
  return { dir, relative, boundary: real.boundary };
}

/**
 * Puts a complete temp file in place: its mode (the replaced file's, else 0666 & ~umask), its mtime when
 * given, fsync, rename over the target, fsync of the directory. Only the very file opened (dev, ino) of
 * exactly `size` bytes, in the very directory, is committed.
 */
export async function commitCopyTemp(at: Location, tempName: string, identity: TempIdentity & { size: number }, mtimeMs: number | null): Promise<FileEntry> {
  checkName(tempName);
  const { dir, relative, boundary } = await holdSameDir(at, identity);
  try {
    const temp = viaFd(dir.fd, tempName);
    let fd: number;
    try {
      fd = await openAsync(temp, O_RDWR | O_NOFOLLOW | CLOEXEC);
    } catch (error) {
      throw fromErrno(error, relative);
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.dev !== identity.dev || st.ino !== identity.ino)
        throw new ConnectorError('path_changed', `The temp file of '${relative}' was replaced during the copy`);
      if (st.size !== identity.size)
        throw new ConnectorError('size_mismatch', `The temp file of '${relative}' has ${st.size} bytes, expected ${identity.size}`);
      const keepMode = await targetMode(dir, relative);
      await fs.promises.chmod(viaFd(fd), keepMode ?? 0o666 & ~process.umask());
      if (mtimeMs !== null) await new Promise<void>((res, rej) => fs.futimes(fd, Date.now() / 1000, mtimeMs / 1000, (e) => (e ? rej(e) : res())));
      await new Promise<void>((res, rej) => fs.fsync(fd, (e) => (e ? rej(e) : res())));
    } catch (error) {
      throw fromErrno(error, relative);
    } finally {
      closeQuietly(fd);
    }
    try {
      await fs.promises.rename(temp, viaFd(dir.fd, dir.name));
    } catch (error) {
      throw fromErrno(error, relative);
    }
    await syncDirectory(dir.fd);
    return await describeIn(dir.fd, dir.name, boundary);
  } finally {
    closeQuietly(dir.fd);
  }
}

/** Removes the temp file `tempName` next to `at`, if there is one; never follows a link, never removes a directory. */
export async function removeCopyTemp(at: Location, tempName: string): Promise<void> {
  checkName(tempName);
  const { relative, real } = await pin(at, 'write');
  let dir: HeldDir;
  try {
    dir = await holdParent(relative, real);
  } catch (error) {
    if (error instanceof ConnectorError && error.code === 'ENOENT') return;
    throw error;
  }
  try {
    const temp = viaFd(dir.fd, tempName);
    const st = await fs.promises.lstat(temp).catch(() => null);
    if (!st || st.isDirectory()) return;
    await fs.promises.unlink(temp).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromErrno(error, relative);
    });
  } finally {
    closeQuietly(dir.fd);
  }
}

/** The source of a copy, opened as this account; a file of at most `inline` bytes is read at once (blocking: it is small and already open) and closed. */
export async function openCopySource(at: Location, inline: number): Promise<CopySource & { dev: number; ino: number }> {
  const { fd, entry, real, dev, ino } = await openRead(at);
  try {
    const st = fs.fstatSync(fd);
    const base = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, entry, real, dev, ino };
    if (st.size > inline) return { ...base, fd };
    const data = Buffer.allocUnsafe(st.size);
    for (let got = 0; got < st.size;) {
      const n = fs.readSync(fd, data, got, st.size - got, got);
      if (n === 0) throw new ConnectorError('source_changed', `'${at.path}' changed while being copied (it shrank)`);
      got += n;
    }
    const after = fs.fstatSync(fd);
    if (after.size !== st.size || after.mtimeMs !== st.mtimeMs || after.ctimeMs !== st.ctimeMs)
      throw new ConnectorError('source_changed', `'${at.path}' changed while being copied`);
    closeQuietly(fd);
    return { ...base, fd: null, data };
  } catch (error) {
    closeQuietly(fd);
    throw fromErrno(error, at.path);
  }
}

function writeAllAt(fd: number, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const go = (done: number) =>
      done >= data.length ? resolve() : fs.write(fd, data, done, data.length - done, done, (error, n) => (error ? reject(error) : go(done + n)));
    go(0);
  });
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise<void>((res, rej) => fs.fsync(fd, (e) => (e ? rej(e) : res())));
}

interface DirectorySync {
  running: Promise<void> | null;
  next: Promise<void> | null;
}
/** Per directory (dev:ino): the fsync running now, and the one queued behind it. */
const directorySyncs = new Map<string, DirectorySync>();

/**
 * fsync of a directory, shared: a rename waits for an fsync of its directory that began after it. One
 * already running began too early, so the caller joins the one queued behind it (started when the running
 * one ends); every rename made meanwhile is covered by that same fsync. Files copied into one directory at
 * once then pay about one directory fsync between them, not one each. `fd` stays open until the promise
 * settles (the caller awaits it before closing).
 */
function syncDirectory(fd: number): Promise<void> {
  const st = fs.fstatSync(fd);
  const key = `${st.dev}:${st.ino}`;
  let state = directorySyncs.get(key);
  if (!state) directorySyncs.set(key, (state = { running: null, next: null }));
  const s = state;
  const start = (): Promise<void> => {
    const running: Promise<void> = fsyncAsync(fd)
      .catch(() => {}) // some file systems refuse fsync on a directory; the rename stands regardless
      .then(() => {
        if (s.running !== running) return;
        s.running = null;
        if (!s.next) directorySyncs.delete(key);
      });
    s.running = running;
    return running;
  };
  if (!s.running) return start();
  s.next ??= s.running.then(() => {
    s.next = null;
    return start();
  });
  return s.next;
}

/** targetMode with blocking calls, for a worker process. */
function targetModeSync(dir: HeldDir, relative: string): number | null {
  const target = viaFd(dir.fd, dir.name);
  try {
    const st = fs.lstatSync(target);
    if (st.isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: '${relative}'`);
    if (!st.isFile()) return null;
    fs.accessSync(target, fs.constants.W_OK);
    return st.mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromErrno(error, relative);
  }
}

/** createFresh with blocking calls, for a worker process. */
function createFreshSync(dir: HeldDir, tempName: string, relative: string, mode: number): number {
  const file = viaFd(dir.fd, tempName);
  try {
    return fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | CLOEXEC, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fromErrno(error, relative);
  }
  try {
    if (fs.lstatSync(file).isDirectory()) throw new ConnectorError('EISDIR', `Is a directory: temp file of '${relative}'`);
    fs.unlinkSync(file);
    return fs.openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | CLOEXEC, mode);
  } catch (error) {
    throw fromErrno(error, relative);
  }
}

/** Small files put in place by one writeCopySmallBatch at most: a batch's temp files are open together until their fsyncs. */
export const SMALL_COPY_BATCH = 64;

/** One small file for writeCopySmallBatch: where it goes, its temp name, its bytes. */
export interface SmallCopyFile {
  at: Location;
  tempName: string;
  data: Buffer;
  options: SmallCopyOptions;
}

interface Staged {
  index: number;
  fd: number;
  dir: HeldDir;
  relative: string;
  tempName: string;
  checksum: string | null;
  stat?: fs.Stats;
}

/**
 * Small files put in place, each as commitCopyTemp would after a streamed copy: a fresh temp file next to
 * its target, the bytes, mode, mtime, fsync, rename, fsync of the directory. The checksum is of the bytes as
 * handed to write(2) here, by the destination account's process; one that is not `expected` is a
 * checksum_mismatch before anything is renamed. The costly steps are shared by the batch: every temp file is
 * written before any is synced, their fsyncs run together (one journal commit covers them all on ext4 or
 * XFS), then the renames, then one fsync per directory; each directory is opened once. `blocking` (a worker
 * process, which serves one account): every step but the fsyncs is a blocking call on an open descriptor or
 * one name in an open directory, sparing a thread-pool round trip each — per file, those are most of its cost.
 */
export async function writeCopySmallBatch(files: SmallCopyFile[], blocking = false): Promise<Array<Settled<SmallCopyResult>>> {
  const results: Array<Settled<SmallCopyResult>> = new Array(files.length);
  const fail = (index: number, error: unknown, relative: string) => {
    results[index] = failed(error, relative);
  };
  // Directories by real path, each held once for the batch; a file's HeldDir is that descriptor and its own name.
  const held = new Map<string, Promise<number>>();
  const umask = process.umask();
  const staged: Staged[] = [];
  const stage = async (file: SmallCopyFile, index: number): Promise<void> => {
    let relative = file.at.path;
    let fd = -1;
    try {
      checkName(file.tempName);
      const pinned = await pin(file.at, 'write');
      relative = pinned.relative;
      if (relative === '/') throw new ConnectorError('EISDIR', `Is a directory: '/'`);
      const parent = path.dirname(pinned.real.target);
      let dirFd = held.get(parent);
      if (!dirFd) {
        dirFd = holdParent(relative, pinned.real).then((d) => d.fd);
        dirFd.catch(() => held.delete(parent));
        held.set(parent, dirFd);
      }
      const dir: HeldDir = { fd: await dirFd, path: parent, name: path.basename(pinned.real.target) };
      const keepMode = blocking ? targetModeSync(dir, relative) : await targetMode(dir, relative);
      // Created with its final mode (the replaced file's, else 0666 less the umask): its bytes are all written
      // before anything else happens to it, so there is no partial content to keep private.
      const mode = keepMode ?? 0o666 & ~umask;
      fd = blocking ? createFreshSync(dir, file.tempName, relative, mode) : await createFresh(dir, file.tempName, relative, mode);
      const { data, options } = file;
      if (blocking) for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done, done);
      else await writeAllAt(fd, data);
      const hasher = options.algorithm === null ? null : newHasher(options.algorithm);
      hasher?.update(data);
      const checksum = hasher?.peek() ?? null;
      if (options.expected !== null && checksum !== options.expected)
        throw new ConnectorError('checksum_mismatch', `Checksum mismatch for '${relative}': source ${options.expected}, destination ${checksum}`);
      // open(2) took the umask off; only bits it took need setting again.
      if ((mode & ~umask) !== mode) {
        if (blocking) fs.fchmodSync(fd, mode);
        else await new Promise<void>((res, rej) => fs.fchmod(fd, mode, (e) => (e ? rej(e) : res())));
      }
      if (options.mtimeMs !== null) fs.futimesSync(fd, Date.now() / 1000, options.mtimeMs / 1000);
      staged.push({ index, fd, dir, relative, tempName: file.tempName, checksum });
    } catch (error) {
      if (fd >= 0) closeQuietly(fd);
      fail(index, error, relative);
    }
  };
  try {
    if (blocking) for (const [i, f] of files.entries()) await stage(f, i);
    else await Promise.all(files.map(stage));
    const synced = await Promise.all(
      staged.map((s) =>
        fsyncAsync(s.fd).then(
          () => true,
          (error: unknown) => (fail(s.index, error, s.relative), false),
        ),
      ),
    );
    // The entry is the open file's, as it will be under its final name (a rename changes neither).
    for (const s of staged) {
      s.stat = fs.fstatSync(s.fd);
      closeQuietly(s.fd);
    }
    const renamed: Staged[] = [];
    for (const [k, s] of staged.entries()) {
      if (!synced[k]) continue;
      try {
        if (blocking) fs.renameSync(viaFd(s.dir.fd, s.tempName), viaFd(s.dir.fd, s.dir.name));
        else await fs.promises.rename(viaFd(s.dir.fd, s.tempName), viaFd(s.dir.fd, s.dir.name));
        renamed.push(s);
      } catch (error) {
        fail(s.index, error, s.relative);
      }
    }
    await Promise.all([...new Set(renamed.map((s) => s.dir.fd))].map((fd) => syncDirectory(fd)));
    await Promise.all(
      renamed.map(async (s) => {
        results[s.index] = { ok: true, value: { entry: await entryOf(s.dir.name, s.stat!), checksum: s.checksum } };
      }),
    );
    return results;
  } finally {
    for (const dirFd of held.values()) void dirFd.then(closeQuietly, () => {});
  }
}

/** One small file, as writeCopySmallBatch puts a batch in place. */
export async function writeCopySmall(at: Location, tempName: string, data: Buffer, options: SmallCopyOptions, blocking = false): Promise<SmallCopyResult> {
  const [result] = await writeCopySmallBatch([{ at, tempName, data, options }], blocking);
  return settledValue(result);
}
