// Messages between the server and a worker: requests and replies over the IPC channel (structured clone: small files' bytes travel in them as bytes); streams travel on a separate socket (fd 4).
import type { AccessMode, ByteRange, CopySource, CopyTemp, ListOptions, Location, SmallCopyOptions, TempIdentity } from './types.ts';
import type { OpenedRead } from './ops.ts';

/** The worker's data socket: fd 4 in the child (stdio: ignore, inherit, inherit, ipc, pipe). */
export const DATA_FD = 4;

export type MetaRequest =
  | { t: 'stat'; id: number; at: Location }
  | { t: 'list'; id: number; at: Location; options?: ListOptions }
  | { t: 'mkdir'; id: number; at: Location }
  | { t: 'rename'; id: number; from: Location; to: Location }
  | { t: 'remove'; id: number; at: Location; recursive: boolean }
  | { t: 'access'; id: number; at: Location; mode: AccessMode };

export type ToWorker =
  | MetaRequest
  /**
   * reply: an OpenReply. A range of at most `inline` bytes comes back in it and nothing stays open;
   * otherwise the worker holds fd open until `close` (the parent reopens it via /proc).
   */
  | { t: 'open'; id: number; at: Location; range?: ByteRange; inline?: number }
  | { t: 'close'; fd: number }
  /** reply: res with {entry,size,start,end}; then end-start+1 bytes on the socket; then a read-end event */
  | { t: 'read'; id: number; at: Location; range?: ByteRange }
  /** stop sending; read-end still follows, with the count actually sent */
  | { t: 'read-cancel'; id: number }
  /** reply: res with the temp file's place (journal.ts TempPlace) and `existed`; then the parent sends body bytes on the socket */
  | { t: 'write-begin'; id: number; at: Location; tempName: string; mustNotExist: boolean }
  /** `bytes` is the total sent on the socket for this upload: the worker consumes exactly that many, then commits or aborts */
  | { t: 'write-end'; id: number; commit: boolean; bytes: number }
  /**
   * reply: a Settled<OpenCopyReply> per file, in order: its bytes when at most `inline`, else the worker
   * holds its fd open until `close` (the parent reopens it via /proc)
   */
  | { t: 'copy-open-batch'; id: number; files: Array<{ at: Location; inline: number }> }
  /** reply: a Settled<SmallCopyResult> per file, in order (copy-ops.ts writeCopySmallBatch) */
  | { t: 'copy-small-batch'; id: number; files: Array<{ at: Location; tempName: string; data: Uint8Array } & SmallCopyOptions> }
  /** reply: an OpenTempReply; the worker holds the temp file's fd open until `close` (the parent reopens it via /proc) */
  | { t: 'copy-temp-open'; id: number; at: Location; tempName: string; keep: boolean }
  /** reply: the FileEntry now at `at` */
  | { t: 'copy-temp-commit'; id: number; at: Location; tempName: string; identity: TempIdentity & { size: number }; mtimeMs: number | null }
  | { t: 'copy-temp-remove'; id: number; at: Location; tempName: string }
  | { t: 'exit' };

/** A copy's source as the worker opened it: `fd` is the worker's descriptor (null with `data`). */
export type OpenCopyReply = Omit<CopySource, 'data'> & { dev: number; ino: number; data?: Uint8Array };

/** A copy's temp file as the worker opened it; `fd` is the worker's descriptor. */
export type OpenTempReply = CopyTemp;

/**
 * Reads up to this size travel inside the reply to `open`: one IPC round trip, where a descriptor handoff
 * costs a /proc reopen, an fstat, a read and a close message on top.
 */
export const INLINE_READ = 64 << 10;

/** An opened read as the worker reports it; `fd` is the worker's descriptor, meaningless when `data` is set. */
export interface OpenReply extends OpenedRead {
  /** the whole range */
  data?: Uint8Array;
}

export interface WireError {
  code: string;
  message: string;
  size?: number;
}

export type FromWorker =
  | { t: 'ready'; uid: number; gid: number; groups: number[] }
  | { t: 'res'; id: number; ok: true; value: unknown }
  | { t: 'res'; id: number; ok: false; error: WireError }
  | { t: 'read-end'; id: number; sent: number; error?: WireError }
  /** the upload failed early (disk full…): the parent should stop sending and end it */
  | { t: 'write-failed'; id: number; error: WireError };

/** Bytes out of a message (structured clone hands them over as a Uint8Array), as a Buffer over the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
