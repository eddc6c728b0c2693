// TransferData and DeleteData: the task documents of POST /v0.10/transfer and /delete, built as the Python SDK builds them (absent options are not sent).

export type SyncLevel = 'exists' | 'size' | 'mtime' | 'checksum';
const SYNC_LEVELS: Record<SyncLevel, number> = { exists: 0, size: 1, mtime: 2, checksum: 3 };

/** `sync_level` as sent: the names map to 0–3, integers pass as they are (the Python SDK's `_parse_sync_level`). */
export function parseSyncLevel(level: SyncLevel | number): number {
  if (typeof level === 'number') return level;
  const value = SYNC_LEVELS[level];
  if (value === undefined) throw new TypeError(`Unrecognized sync_level ${String(level)}`);
  return value;
}

/** A deadline as text: strings as given, a Date as `YYYY-MM-DD HH:MM:SS+00:00` (Python's `str(datetime)` of a UTC time). */
export function deadlineText(deadline: string | Date): string {
  if (typeof deadline === 'string') return deadline;
  return deadline
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '+00:00');
}

/** Options shared by transfer and delete documents. */
interface TaskDocumentOptions {
  label?: string;
  /** The idempotency key; submitTransfer/submitDelete fetch one when absent. */
  submissionId?: string;
  deadline?: string | Date;
  notifyOnSucceeded?: boolean;
  notifyOnFailed?: boolean;
  notifyOnInactive?: boolean;
  /** Extra top-level keys, sent as they are. */
  additionalFields?: Record<string, unknown>;
}

export interface TransferDataOptions extends TaskDocumentOptions {
  syncLevel?: SyncLevel | number;
  verifyChecksum?: boolean;
  preserveTimestamp?: boolean;
  encryptData?: boolean;
  skipSourceErrors?: boolean;
  failOnQuotaErrors?: boolean;
  deleteDestinationExtra?: boolean;
  sourceLocalUser?: string;
  destinationLocalUser?: string;
}

export interface TransferItem {
  DATA_TYPE: 'transfer_item';
  source_path: string;
  destination_path: string;
  /** Absent: the server looks at the source and decides. */
  recursive?: boolean;
  external_checksum?: string;
  checksum_algorithm?: string;
  [field: string]: unknown;
}

export interface TransferSymlinkItem {
  DATA_TYPE: 'transfer_symlink_item';
  source_path: string;
  destination_path: string;
}

export interface FilterRule {
  DATA_TYPE: 'filter_rule';
  method: 'include' | 'exclude';
  /** A glob matched against entry names during recursive expansion. */
  name: string;
  /** Absent: files and directories alike. */
  type?: 'file' | 'dir';
}

/** Copies only the defined values, in the order given (JSON leaves undefined members out anyway; this keeps the object tidy). */
function assignDefined(target: Record<string, unknown>, values: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(values)) if (v !== undefined) target[k] = v;
}

/**
 * The body of POST /v0.10/transfer between two collections. Build it, add items, pass it to
 * `TransferClient.submitTransfer` (which fills `submission_id` when it is absent). It serializes as the
 * document itself: `JSON.stringify(data)` is what is sent.
 */
export class TransferData {
  DATA_TYPE = 'transfer' as const;
  DATA: Array<TransferItem | TransferSymlinkItem> = [];
  source_endpoint: string;
  destination_endpoint: string;
  declare submission_id?: string;
  declare filter_rules?: FilterRule[];
  [field: string]: unknown;

  constructor(sourceEndpoint: string, destinationEndpoint: string, options: TransferDataOptions = {}) {
    this.source_endpoint = sourceEndpoint;
    this.destination_endpoint = destinationEndpoint;
    assignDefined(this, {
      label: options.label,
      submission_id: options.submissionId,
      deadline: options.deadline === undefined ? undefined : deadlineText(options.deadline),
      source_local_user: options.sourceLocalUser,
      destination_local_user: options.destinationLocalUser,
      verify_checksum: options.verifyChecksum,
      preserve_timestamp: options.preserveTimestamp,
      encrypt_data: options.encryptData,
      skip_source_errors: options.skipSourceErrors,
      fail_on_quota_errors: options.failOnQuotaErrors,
      delete_destination_extra: options.deleteDestinationExtra,
      notify_on_succeeded: options.notifyOnSucceeded,
      notify_on_failed: options.notifyOnFailed,
      notify_on_inactive: options.notifyOnInactive,
      sync_level: options.syncLevel === undefined ? undefined : parseSyncLevel(options.syncLevel),
    });
    if (options.additionalFields) Object.assign(this, options.additionalFields);
  }

  /**
   * One file or directory. A file item's `destinationPath` is the full destination file path; a directory's
   * contents go inside `destinationPath`. `recursive` absent: decided from the source's type.
   */
  addItem(
    sourcePath: string,
    destinationPath: string,
    options: { recursive?: boolean; externalChecksum?: string; checksumAlgorithm?: string; additionalFields?: Record<string, unknown> } = {},
  ): void {
    const item: TransferItem = { DATA_TYPE: 'transfer_item', source_path: sourcePath, destination_path: destinationPath };
    assignDefined(item, { recursive: options.recursive, external_checksum: options.externalChecksum, checksum_algorithm: options.checksumAlgorithm });
    this.DATA.push({ ...item, ...options.additionalFields });
  }

  /** A symbolic link to recreate at the destination (no collection supports it; servers refuse the task). */
  addSymlinkItem(sourcePath: string, destinationPath: string): void {
    this.DATA.push({ DATA_TYPE: 'transfer_symlink_item', source_path: sourcePath, destination_path: destinationPath });
  }

  /** A name filter for recursive expansion; rules apply in the order added, the first match decides. */
  addFilterRule(name: string, options: { method?: 'include' | 'exclude'; type?: 'file' | 'dir' } = {}): void {
    const rule: FilterRule = { DATA_TYPE: 'filter_rule', method: options.method ?? 'exclude', name };
    if (options.type !== undefined) rule.type = options.type;
    (this.filter_rules ??= []).push(rule);
  }

  *iterItems(): Generator<TransferItem | TransferSymlinkItem> {
    yield* this.DATA;
  }
}

export interface DeleteDataOptions extends TaskDocumentOptions {
  /** Needed to delete directories with their contents. */
  recursive?: boolean;
  ignoreMissing?: boolean;
  /** Expand `*?[]` in the last path component. */
  interpretGlobs?: boolean;
  localUser?: string;
}

export interface DeleteItem {
  DATA_TYPE: 'delete_item';
  path: string;
  [field: string]: unknown;
}

/** The body of POST /v0.10/delete on one collection; pass it to `TransferClient.submitDelete`. */
export class DeleteData {
  DATA_TYPE = 'delete' as const;
  DATA: DeleteItem[] = [];
  endpoint: string;
  declare submission_id?: string;
  [field: string]: unknown;

  constructor(endpoint: string, options: DeleteDataOptions = {}) {
    this.endpoint = endpoint;
    assignDefined(this, {
      label: options.label,
      submission_id: options.submissionId,
      deadline: options.deadline === undefined ? undefined : deadlineText(options.deadline),
      local_user: options.localUser,
      recursive: options.recursive,
      ignore_missing: options.ignoreMissing,
      interpret_globs: options.interpretGlobs,
      notify_on_succeeded: options.notifyOnSucceeded,
      notify_on_failed: options.notifyOnFailed,
      notify_on_inactive: options.notifyOnInactive,
    });
    if (options.additionalFields) Object.assign(this, options.additionalFields);
  }

  addItem(path: string, options: { additionalFields?: Record<string, unknown> } = {}): void {
    this.DATA.push({ DATA_TYPE: 'delete_item', path, ...options.additionalFields });
  }

  *iterItems(): Generator<DeleteItem> {
    yield* this.DATA;
  }
}
