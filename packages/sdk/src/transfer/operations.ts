// Transfer file operations (ls, mkdir, rename): wire types and the query builders the TransferClient sends.
import type { QueryParams } from '../core/transport.ts';

/** One directory entry of `operation/endpoint/{id}/ls` (DATA_TYPE `file`). */
export interface TransferFileEntry {
  DATA_TYPE: 'file';
  name: string;
  type: 'file' | 'dir' | 'invalid_symlink' | string;
  /** Target of a symlink, else null. */
  link_target: string | null;
  user: string | null;
  group: string | null;
  /** Octal, e.g. `0644`. */
  permissions: string;
  size: number;
  /** `YYYY-MM-DD HH:MM:SS+00:00` */
  last_modified: string;
  [field: string]: unknown;
}

/** GET …/ls: one page of a listing. */
export interface TransferFileList {
  DATA_TYPE: 'file_list';
  endpoint: string;
  /** The directory listed, as the server resolved it (directories end with `/`). */
  path: string;
  length: number;
  total?: number;
  offset?: number;
  limit?: number;
  has_next_page?: boolean;
  rename_supported?: boolean;
  symlink_supported?: boolean;
  DATA: TransferFileEntry[];
  [field: string]: unknown;
}

export interface OperationLsOptions {
  /** Directory to list; the server's default directory when absent. */
  path?: string;
  /** Include dot files (Transfer's default is true). */
  showHidden?: boolean;
  limit?: number;
  offset?: number;
  /** `name`, `type,name DESC`, or a list of such terms (joined with commas). */
  orderBy?: string | readonly string[];
  /**
   * Transfer filter expressions such as `name:~*.txt`, `type:dir`, `size:>1000`; several are
   * joined with `/` (all must match).
   */
  filter?: string | readonly string[];
  /** Selects which of the caller's mapped accounts lists (mapped collections with several). */
  localUser?: string;
}

/** The query string of an ls request; undefined members are dropped by the transport. */
export function operationLsQuery(options: OperationLsOptions = {}): QueryParams {
  const list = (v: string | readonly string[] | undefined, sep: string) => (v === undefined ? undefined : typeof v === 'string' ? v : v.join(sep));
  return {
    path: options.path,
    show_hidden: options.showHidden,
    limit: options.limit,
    offset: options.offset,
    orderby: list(options.orderBy, ','),
    filter: list(options.filter, '/'),
    local_user: options.localUser,
  };
}

/**
 * globus-cli's `--filter` shorthand for names: a pattern starting with `=`, `~`, `!` or `!~`
 * (equal, glob, not equal, not glob); a bare pattern means `=`. Returns `name:<op><pattern>`.
 */
export function nameFilter(pattern: string): string {
  return /^(!~|=|~|!)/.test(pattern) ? `name:${pattern}` : `name:=${pattern}`;
}

/** POST …/mkdir and …/rename answer with a `mkdir_result` / `result` document. */
export interface OperationResult {
  DATA_TYPE: string;
  /** `DirectoryCreated`, `FileRenamed`, … */
  code: string;
  message: string;
  request_id?: string;
  resource?: string;
  [field: string]: unknown;
}

/** GET /v0.10/submission_id */
export interface SubmissionIdResult {
  DATA_TYPE: 'submission_id';
  value: string;
  [field: string]: unknown;
}
