// The POSIX connector contract: operations, their inputs and results, and the one error type they fail with.
import type { Readable, Writable } from 'node:stream';

/** Where a location really is, every link resolved: the target (for a write, its parent's real path and the final name), the boundary (root + base) and the root. */
export interface RealPaths {
  target: string;
  boundary: string;
  root: string;
}

/** Where an operation acts: a collection root (absolute), an optional base under it, and the client's path. */
export interface Location {
  root: string;
  base?: string;
  /** URL-decoded exactly once by the caller */
  path: string;
  /**
   * The real paths the caller's decision was made on (data/access.ts). The operation acts only on what is
   * at exactly those paths when it runs and fails with path_changed otherwise; without them the connector
   * resolves the path itself and only keeps the operation inside the boundary.
   */
  real?: RealPaths;
}

/** One entry as the Transfer `ls` documents it (DATA_TYPE `file`). */
export interface FileEntry {
  name: string;
  type: 'file' | 'dir' | 'invalid_symlink';
  /** bytes (of the link's target for symlinks) */
  size: number;
  /** `YYYY-MM-DD HH:MM:SS+00:00` */
  last_modified: string;
  /** octal, 4 digits: `0644` */
  permissions: string;
  user: string;
  group: string;
  link_target: string | null;
  /** extra, for HTTP validators: mtime in ms and inode-change data */
  mtime_ms: number;
}

export type ListField = 'name' | 'type' | 'size' | 'last_modified' | 'permissions' | 'user' | 'group';

export type ListFilter =
  | { field: 'name'; op: 'glob' | 'not_glob' | 'eq' | 'ne'; value: string }
  | { field: 'type'; op: 'in'; value: Array<FileEntry['type']> }
  | { field: 'size'; op: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne'; value: number }
  | { field: 'last_modified'; op: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne'; value: string };

export interface ListOptions {
  /** include dot files; Transfer's default is true */
  showHidden?: boolean;
  filters?: ListFilter[];
  orderBy?: Array<{ field: ListField; desc?: boolean }>;
  offset?: number;
  limit?: number;
}

export interface ListResult {
  /** the collection-relative path listed */
  path: string;
  /** entries after filtering, before paging */
  total: number;
  entries: FileEntry[];
}

/** RFC 9110 single range, already parsed: `a-b`, `a-`, or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface ReadResult {
  entry: FileEntry;
  size: number;
  /** inclusive byte offsets actually served; end = start - 1 for an empty file */
  start: number;
  end: number;
  /** exactly end - start + 1 bytes; destroy it to stop early */
  stream: Readable;
  /** the same bytes already in memory, when the range was small enough to be read at once: send these and leave `stream` alone */
  data?: Buffer;
  /**
   * Instead of `stream` (never both): writes the range into `out` with a fixed pair of buffers, each reused
   * after `out` has taken it, so memory stays flat however large the file. Resolves when all is written.
   */
  writeTo?(out: Writable): Promise<void>;
  /**
   * Where the file read really is (its open descriptor's path) and the boundary and root it was found under,
   * as the reading account resolved them. Where they show a link the lexical decision did not see, the
   * caller decides again before sending a byte (data/access.ts decideForRead).
   */
  real?: RealPaths;
}

/** An upload body: a request stream, or any (async) iterable of byte chunks. */
export type WriteBody = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface WriteOptions {
  /** when given, a body of any other length is refused and nothing is replaced */
  expectedSize?: number;
  /** `If-None-Match: *`: fail with EEXIST instead of replacing */
  mustNotExist?: boolean;
  signal?: AbortSignal;
}

export interface WriteResult {
  created: boolean;
  bytes: number;
  entry: FileEntry;
}

export type AccessMode = 'exists' | 'read' | 'write';

/**
 * A regular file opened for a Transfer copy: either its bytes (a small file, read at once) or `fd`, this
 * process's own descriptor, owned by the caller (root mode: opened by the account's worker, handed over
 * through /proc). Size and times are the open file's (fstat), at full precision.
 */
export interface CopySource {
  fd: number | null;
  /** the whole file, when it was at most the `inline` size asked for; the file did not change while read */
  data?: Buffer;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  entry: FileEntry;
  /** where the opened file really is, with its boundary and root (as ReadResult.real) */
  real: RealPaths;
}

export interface SmallCopyOptions {
  /** the source's mtime for the destination, or null to leave it */
  mtimeMs: number | null;
  algorithm: string | null;
  /** the source side's checksum in `algorithm`: the written bytes must hash to it, or nothing is renamed */
  expected: string | null;
}

/** A small file written at once (temp, fsync, rename): the entry now in place and the checksum of what was written. */
export interface SmallCopyResult {
  entry: FileEntry;
  checksum: string | null;
}

/** What a copy's temp file was when it was opened: the commit acts only on that same file in that same directory. */
export interface TempIdentity {
  dev: number;
  ino: number;
  dirDev: number;
  dirIno: number;
}

/** A copy's temp file, open read-write in this process (owned by the caller), created or kept by the destination account. */
export interface CopyTemp extends TempIdentity {
  fd: number;
  /** bytes already in it: 0 unless an existing temp file was kept */
  length: number;
}

export interface PosixConnector {
  /** the local account every operation runs as */
  readonly username: string;
  /** `in-process` (personal mode) or `worker` (a child process with the account's credentials) */
  readonly kind: 'in-process' | 'worker';
  stat(at: Location): Promise<FileEntry>;
  list(at: Location, options?: ListOptions): Promise<ListResult>;
  mkdir(at: Location): Promise<FileEntry>;
  rename(from: Location, to: Location): Promise<void>;
  remove(at: Location, options?: { recursive?: boolean }): Promise<void>;
  read(at: Location, range?: ByteRange): Promise<ReadResult>;
  write(at: Location, body: WriteBody, options?: WriteOptions): Promise<WriteResult>;
  /** the kernel's answer to access(2) as this account; never throws for a denial */
  checkAccess(at: Location, mode: AccessMode): Promise<boolean>;
  /** Transfer copies (transfer/engine/copy.ts): the source opened as this account; its bytes instead of a descriptor when at most `inline` */
  openCopySource(at: Location, inline?: number): Promise<CopySource>;
  /** a whole small file written as this account: temp file `tempName`, mode, mtime (when given), fsync, rename, fsync of the directory; hashed as written */
  writeCopySmall(at: Location, tempName: string, data: Buffer, options: SmallCopyOptions): Promise<SmallCopyResult>;
  /** the temp file `tempName` next to `at`, made (or, with `keep`, kept) by this account; the target must be replaceable */
  openCopyTemp(at: Location, tempName: string, keep: boolean): Promise<CopyTemp>;
  /** mode, mtime (when given), fsync, rename onto `at`, fsync of the directory: only that very temp file of exactly `size` bytes */
  commitCopyTemp(at: Location, tempName: string, identity: TempIdentity & { size: number }, mtimeMs: number | null): Promise<FileEntry>;
  removeCopyTemp(at: Location, tempName: string): Promise<void>;
}

/**
 * Every connector failure. `code` is either an errno name from the kernel (ENOENT, EACCES, …) or one of
 * Gatehouse's: path_outside_root, path_changed, invalid_path, account_unavailable, range_not_satisfiable,
 * size_mismatch, aborted, worker_failed; for Transfer copies also source_changed, checksum_mismatch, unsupported_checksum_algorithm. `status` is the HTTP status the data routes should answer with.
 */
export class ConnectorError extends Error {
  readonly code: string;
  readonly status: number;
  /** file size, for range_not_satisfiable (`Content-Range: bytes * /size`) */
  readonly size?: number;
  constructor(code: string, message: string, extra: { size?: number } = {}) {
    super(message);
    this.name = 'ConnectorError';
    this.code = code;
    this.status = statusFor(code);
    if (extra.size !== undefined) this.size = extra.size;
  }
}

const STATUS = {
  ENOENT: 404,
  EACCES: 403,
  EPERM: 403,
  EROFS: 403,
  path_outside_root: 403,
  // a component became something else (a link) between the decision and the operation
  path_changed: 409,
  account_unavailable: 403,
  invalid_path: 400,
  ENAMETOOLONG: 400,
  EINVAL: 400,
  EEXIST: 409,
  ENOTDIR: 409,
  EISDIR: 409,
  ENOTEMPTY: 409,
  EXDEV: 409,
  ELOOP: 409,
  EBUSY: 409,
  range_not_satisfiable: 416,
  source_changed: 409,
  unsupported_checksum_algorithm: 400,
  size_mismatch: 400,
  aborted: 400,
  ENOSPC: 507,
  EDQUOT: 507,
  EFBIG: 413,
  EIO: 500,
  worker_failed: 500,
} as const satisfies Record<string, number>;

/** The codes a ConnectorError carries that the server knows: errno names and Gatehouse's own. */
export type ConnectorCode = keyof typeof STATUS;

export function statusFor(code: string): number {
  return (STATUS as Record<string, number>)[code] ?? 500;
}

const MESSAGES: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOTEMPTY: 'Directory not empty',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  ELOOP: 'Too many levels of symbolic links',
  EROFS: 'Read-only file system',
};

const OWN_MESSAGES: Record<string, string> = {
  path_outside_root: 'The path leaves the collection root',
  path_changed: 'The path changed while it was being used',
  invalid_path: 'Invalid path',
  account_unavailable: 'The local account is not available',
  range_not_satisfiable: 'Range not satisfiable',
  size_mismatch: 'The body is not as long as announced',
  aborted: 'The operation was aborted',
  worker_failed: 'The storage operation failed',
};

/** Every code a ConnectorError may carry, with its status and default message: what a service's error catalogue lists for them. */
export const CONNECTOR_ERRORS = Object.fromEntries(
  Object.entries(STATUS).map(([code, status]) => [code, { status, message: MESSAGES[code] ?? OWN_MESSAGES[code] ?? code }]),
) as Readonly<Record<ConnectorCode, { status: number; message: string }>>;

/** Kernel errors keep their errno name; messages name the collection-relative path, never the storage path. */
export function fromErrno(error: unknown, relative: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new ConnectorError(code, `${MESSAGES[code] ?? code}: '${relative}'`);
  return new ConnectorError('worker_failed', (error as Error)?.message ?? String(error));
}

/** A result per item of a batch, or that item's own error: one file of a batch failing fails only that file. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** An item's failure as a Settled: its ConnectorError (an errno error named for `relative`). */
export function failed(error: unknown, relative: string): Settled<never> {
  const e = error instanceof ConnectorError ? error : fromErrno(error, relative);
  return { ok: false, error: { code: e.code, message: e.message } };
}

/** Each item of a batch worked at once, each settled on its own. */
export function settleEach<T, R>(items: T[], work: (item: T) => Promise<R>, relative: (item: T) => string): Promise<Array<Settled<R>>> {
  return Promise.all(
    items.map((item) =>
      work(item).then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown) => failed(error, relative(item)),
      ),
    ),
  );
}

/** The value of a Settled, or its error thrown as the ConnectorError it was. */
export function settledValue<T>(result: Settled<T>): T {
  if (!result.ok) throw new ConnectorError(result.error.code, result.error.message);
  return result.value;
}
