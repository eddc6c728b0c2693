// Row types of the Transfer task engine's tables (migration 0010): tasks, their entries, events, admin cancels.
import type { ColumnType, Generated, Selectable } from 'kysely';

/** A column with a default: optional on insert. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export type TaskType = 'TRANSFER' | 'DELETE';
/** The only four statuses a task ever has (spec transfer-tasks.md §15.1): canceled and expired tasks are FAILED. */
export type TaskStatus = 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';

/** The per-task counters of the task document (§4.2, §15.9), kept as columns so that they add up under concurrency. */
export interface TaskCounterColumns {
  files: Defaulted<number>;
  directories: Defaulted<number>;
  symlinks: Defaulted<number>;
  files_skipped: Defaulted<number>;
  files_transferred: Defaulted<number>;
  bytes_transferred: Defaulted<number>;
  bytes_checksummed: Defaulted<number>;
  faults: Defaulted<number>;
  subtasks_total: Defaulted<number>;
  subtasks_pending: Defaulted<number>;
  subtasks_retrying: Defaulted<number>;
  subtasks_succeeded: Defaulted<number>;
  subtasks_failed: Defaulted<number>;
  subtasks_canceled: Defaulted<number>;
  subtasks_expired: Defaulted<number>;
  subtasks_skipped_errors: Defaulted<number>;
}

export interface TransferTaskTable extends TaskCounterColumns {
  task_id: string;
  /** the client's idempotency key: a second submission with it returns the same task */
  submission_id: string;
  /** the primary identity at submission; the task is visible to a caller whose identity it is */
  owner_id: string;
  type: TaskType;
  status: TaskStatus;
  label: string | null;
  /** TRANSFER: the source; DELETE: the collection deleted on */
  source_collection_id: string;
  destination_collection_id: string | null;
  /** milliseconds since the epoch */
  requested_at: number;
  completed_at: number | null;
  deadline_at: number;
  /** 1 when the submitter set the deadline (never extended) */
  deadline_fixed: Defaulted<number>;
  /** JSON TaskOptions */
  options: string;
  /** JSON TaskAuthority */
  authority: string;
  /** JSON {code, description} once FAILED */
  fatal_error: string | null;
  /** the latest error's code while it counts (15 minutes), else null (Queued/OK are derived) */
  nice_status: string | null;
  nice_status_at: number | null;
  is_paused: Defaulted<number>;
  pause_message: string | null;
  canceled_by_admin: 'SOURCE' | 'DESTINATION' | 'BOTH' | null;
  canceled_by_admin_message: string | null;
  history_deleted: Defaulted<number>;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** TRANSFER: SHA-256 of the sorted, distinct `source\0destination` lines of its submitted items (the identical-paths rule) */
  items_digest: ColumnType<string | null, string | null | undefined, string | null>;
  /** bumped by every change the engine must notice while it works the task (cancel, pause, deadline) */
  revision: Defaulted<number>;
}

/** A task as read. */
export type TransferTaskRow = Selectable<TransferTaskTable>;
/** The counters of a task as read. */
export type TaskCounters = Selectable<TaskCounterColumns>;

export type EntryKind = 'item' | 'file' | 'dir' | 'symlink_item' | 'delete' | 'extra';
export type EntryState = 'pending' | 'active' | 'retrying' | 'succeeded' | 'skipped' | 'skipped_error' | 'failed' | 'canceled' | 'expired';

export interface TransferTaskEntryTable {
  seq: Generated<number>;
  task_id: string;
  /** index of the submitted item (DATA[i]) this entry belongs to */
  item: number;
  kind: EntryKind;
  /** collection-relative and normalised, may start with `/~` */
  source_path: string;
  destination_path: string | null;
  state: EntryState;
  /** JSON: for kind item, the item's own fields (recursive, external_checksum, checksum_algorithm) */
  spec: string | null;
  size: number | null;
  /**
   * kind file: the source's mtime. kind delete: set (to the first target's mtime) before anything is
   * removed, so that a retry finding nothing knows an earlier attempt removed it: done, not FILE_NOT_FOUND.
   */
  mtime_ms: number | null;
  attempts: Defaulted<number>;
  next_attempt_at: number | null;
  /** resume: bytes of the destination temp file known durable, and the digest of the source's bytes up to there */
  checkpoint_offset: number | null;
  checkpoint_digest: string | null;
  checksum: string | null;
  checksum_algorithm: string | null;
  error_code: string | null;
  error_details: string | null;
  error_at: number | null;
  completed_at: number | null;
  /** kind dir: how many entries of its name-ordered listing are already expanded (migration 0011) */
  listed: number | null;
}

export interface TransferTaskEventTable {
  seq: Generated<number>;
  task_id: string;
  time: number;
  code: string;
  description: string;
  details: string;
  is_error: number;
}

export interface TransferAdminCancelTable {
  id: Generated<number>;
  created_by: string;
  message: string;
  /** JSON array of task ids */
  task_ids: string;
  created_at: number;
}

export type TransferTaskEntryRow = Selectable<TransferTaskEntryTable>;
export type TransferTaskEventRow = Selectable<TransferTaskEventTable>;
export type TransferAdminCancelRow = Selectable<TransferAdminCancelTable>;

export interface TransferTaskTables {
  transfer_tasks: TransferTaskTable;
  transfer_task_entries: TransferTaskEntryTable;
  transfer_task_events: TransferTaskEventTable;
  transfer_admin_cancels: TransferAdminCancelTable;
}

/** A `filter_rule` of a transfer document (spec §2.3): first match decides, no match includes. */
export interface FilterRule {
  method: 'include' | 'exclude';
  name: string;
  /** absent: files and directories */
  type?: 'file' | 'dir';
}

/** The effective options of a submission (defaults applied), as the task document echoes them. */
export interface TaskOptions {
  /** TRANSFER */
  sync_level?: 0 | 1 | 2 | 3 | null;
  verify_checksum?: boolean;
  preserve_timestamp?: boolean;
  encrypt_data?: boolean;
  skip_source_errors?: boolean;
  fail_on_quota_errors?: boolean;
  delete_destination_extra?: boolean;
  filter_rules?: FilterRule[] | null;
  source_local_user?: string | null;
  destination_local_user?: string | null;
  store_base_path_info?: boolean;
  /** with store_base_path_info: the directory every item's path lies in, on each side (task document echo) */
  source_base_path?: string | null;
  destination_base_path?: string | null;
  /** DELETE */
  recursive?: boolean;
  ignore_missing?: boolean;
  interpret_globs?: boolean;
  local_user?: string | null;
  /** both: stored and echoed; no mail is sent */
  notify_on_succeeded?: boolean;
  notify_on_failed?: boolean;
  notify_on_inactive?: boolean;
}

/**
 * What every file of the task is decided with when it is processed: the submitter's identities and the
 * Auth grant (consent) behind the submission. A revoked grant makes the task INACTIVE.
 */
export interface TaskAuthority {
  identityId: string;
  identitySet: string[];
  clientId?: string;
  grantId?: string;
  /** seconds since the epoch, from the submitting token */
  authenticatedAt?: number;
  issuedAt?: number;
}

/** A submitted transfer item's own fields (entry kind `item`, column `spec`). */
export interface ItemSpec {
  /** absent: decided by the source's type */
  recursive?: boolean;
  external_checksum?: string;
  checksum_algorithm?: string;
}
