// Transfer task wire documents (task, task list, event, successful transfer, skipped error, pause info, results) and the query builders the task calls send.
import type { QueryParams } from '../core/transport.ts';

export type TaskStatus = 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';

/** GET /v0.10/task/{task_id}: every field the service documents (nulls where unset). */
export interface TaskDocument {
  DATA_TYPE: 'task';
  task_id: string;
  type: 'TRANSFER' | 'DELETE' | string;
  status: TaskStatus | string;
  label: string | null;
  owner_id: string;
  username?: string;
  command?: string;
  request_time: string;
  /** null while ACTIVE or INACTIVE */
  completion_time: string | null;
  deadline: string;
  source_endpoint?: string | null;
  source_endpoint_id: string | null;
  source_endpoint_display_name?: string | null;
  destination_endpoint?: string | null;
  destination_endpoint_id?: string | null;
  destination_endpoint_display_name?: string | null;
  source_base_path?: string | null;
  destination_base_path?: string | null;
  sync_level?: number | null;
  verify_checksum?: boolean;
  encrypt_data?: boolean;
  preserve_timestamp?: boolean;
  delete_destination_extra?: boolean;
  skip_source_errors?: boolean;
  fail_on_quota_errors?: boolean;
  recursive_symlinks?: string | null;
  filter_rules?: Array<Record<string, unknown>> | null;
  files?: number;
  directories?: number;
  symlinks?: number;
  files_skipped?: number;
  files_transferred?: number;
  bytes_transferred?: number;
  bytes_checksummed?: number;
  effective_bytes_per_second?: number;
  faults?: number;
  subtasks_total?: number;
  subtasks_pending?: number;
  subtasks_retrying?: number;
  subtasks_succeeded?: number;
  subtasks_failed?: number;
  subtasks_canceled?: number;
  subtasks_expired?: number;
  subtasks_skipped_errors?: number;
  /** Set on FAILED tasks: why (`CANCELED`, `EXPIRED`, `FILE_NOT_FOUND`, …). */
  fatal_error: { code: string; description: string } | null;
  /** `Queued`, `OK`, or the recent error's code; null once complete. */
  nice_status: string | null;
  nice_status_short_description?: string | null;
  nice_status_details?: null;
  nice_status_expires_in?: number | null;
  is_ok?: boolean | null;
  is_paused?: boolean;
  canceled_by_admin?: 'SOURCE' | 'DESTINATION' | 'BOTH' | null;
  canceled_by_admin_message?: string | null;
  history_deleted?: boolean;
  [field: string]: unknown;
}

/** GET /v0.10/endpoint_manager/task/{id}: the task document plus what managers see of each side. */
export interface EndpointManagerTaskDocument extends TaskDocument {
  owner_string?: string;
  source_local_user?: string | null;
  source_local_user_status?: string;
  destination_local_user?: string | null;
  destination_local_user_status?: string;
  source_host_endpoint_id?: string | null;
  destination_host_endpoint_id?: string | null;
  source_mapped_collection_id?: string | null;
  destination_mapped_collection_id?: string | null;
}

/** True once a task can no longer change (SUCCEEDED or FAILED). */
export const isTaskDone = (task: Pick<TaskDocument, 'status'>): boolean => task.status === 'SUCCEEDED' || task.status === 'FAILED';

/** GET /v0.10/task_list: offset paging with `total`. */
export interface TaskList {
  DATA_TYPE: 'task_list';
  DATA: TaskDocument[];
  length: number;
  limit: number;
  offset: number;
  total: number;
  has_next_page?: boolean;
  [field: string]: unknown;
}

/** GET /v0.10/endpoint_manager/task_list: `last_key` paging. */
export interface EndpointManagerTaskList {
  DATA_TYPE: 'task_list';
  DATA: EndpointManagerTaskDocument[];
  has_next_page: boolean;
  last_key: string | null;
  [field: string]: unknown;
}

/** One entry of a task's event list, newest first; `details` is text (sometimes JSON text). */
export interface TaskEvent {
  DATA_TYPE: 'event';
  code: string;
  description: string;
  details: string;
  is_error: boolean;
  time: string;
  [field: string]: unknown;
}

export interface TaskEventList {
  DATA_TYPE: 'event_list';
  DATA: TaskEvent[];
  length: number;
  limit: number;
  offset: number;
  total: number;
  [field: string]: unknown;
}

/** A file a task copied (paths are null on a side an endpoint manager has no role on). */
export interface SuccessfulTransfer {
  DATA_TYPE: 'successful_transfer';
  source_path: string | null;
  destination_path: string | null;
  size?: number;
  checksum?: string | null;
  checksum_algorithm?: string | null;
  dynamic?: boolean;
  [field: string]: unknown;
}

export interface SuccessfulTransferList {
  DATA_TYPE: 'successful_transfers';
  DATA: SuccessfulTransfer[];
  marker?: number | string | null;
  /** null or absent on the last page */
  next_marker?: number | string | null;
  [field: string]: unknown;
}

/** A source path a task skipped (`skip_source_errors`). */
export interface SkippedError {
  DATA_TYPE: 'skipped_error';
  source_path: string | null;
  destination_path: string | null;
  error_code: 'PERMISSION_DENIED' | 'FILE_NOT_FOUND' | 'AMBIGUOUS_PATH' | string;
  error_details: string;
  error_time: string;
  is_directory: boolean;
  is_symlink: boolean;
  is_delete_destination_extra: boolean;
  external_checksum?: string | null;
  checksum_algorithm?: string | null;
  [field: string]: unknown;
}

export interface SkippedErrorList {
  DATA_TYPE: 'skipped_errors';
  DATA: SkippedError[];
  next_marker?: number | string | null;
  [field: string]: unknown;
}

export interface PauseRuleLimited {
  DATA_TYPE: 'pause_rule_limited';
  id: string;
  message: string | null;
  start_time: string | null;
  endpoint_id: string;
  endpoint_display_name?: string | null;
  /** null: the rule pauses everyone's tasks */
  identity_id: string | null;
  pause_ls: boolean;
  pause_mkdir: boolean;
  pause_rename: boolean;
  pause_task_delete: boolean;
  pause_task_transfer_write: boolean;
  pause_task_transfer_read: boolean;
  [field: string]: unknown;
}

/** GET /v0.10/task/{task_id}/pause_info: `pause_rules` is always present (empty when nothing pauses the task). */
export interface PauseInfo {
  DATA_TYPE: 'pause_info_limited';
  source_pause_message: string | null;
  source_pause_message_share: string | null;
  destination_pause_message: string | null;
  destination_pause_message_share: string | null;
  pause_rules: PauseRuleLimited[];
  [field: string]: unknown;
}

/** POST /v0.10/transfer and /delete: `Accepted` (202) or `Duplicate` (200, the original task). */
export interface SubmissionResult {
  DATA_TYPE: 'transfer_result' | 'delete_result';
  code: 'Accepted' | 'Duplicate' | string;
  message: string;
  task_id: string;
  submission_id: string;
  request_id?: string;
  resource?: string;
  task_link?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A `result` document: PUT /task (`Updated`), cancel (`Canceled`, `TaskComplete`, `CancelAccepted`), admin pause/resume. */
export interface TaskResult {
  DATA_TYPE: 'result' | string;
  code: string;
  message: string;
  request_id?: string;
  resource?: string;
  [field: string]: unknown;
}

/** POST /v0.10/endpoint_manager/admin_cancel and GET …/admin_cancel/{id}. */
export interface AdminCancel {
  DATA_TYPE: 'admin_cancel';
  id: number | string;
  done: boolean;
  message: string;
  task_id_list: string[];
  [field: string]: unknown;
}

/** A `filter` as a string (`type:TRANSFER/status:ACTIVE,INACTIVE`) or as clauses (lists joined with commas), like the Python SDK's. */
export type TaskFilter = string | Record<string, string | readonly string[]>;

/** The `filter` text: clauses joined with `/`, values with `,`. */
export function formatTaskFilter(filter: TaskFilter | undefined): string | undefined {
  if (filter === undefined || typeof filter === 'string') return filter;
  return Object.entries(filter)
    .map(([k, v]) => `${k}:${typeof v === 'string' ? v : v.join(',')}`)
    .join('/');
}

const commaJoin = (v: string | readonly string[] | undefined) => (v === undefined || typeof v === 'string' ? v : v.join(','));

export interface TaskListOptions {
  limit?: number;
  offset?: number;
  /** `request_time DESC`, or several such terms. */
  orderby?: string | readonly string[];
  filter?: TaskFilter;
  /** only these fields of each task */
  fields?: string | readonly string[];
  queryParams?: QueryParams;
}

export function taskListQuery(options: TaskListOptions): QueryParams {
  return {
    limit: options.limit,
    offset: options.offset,
    orderby: commaJoin(options.orderby),
    filter: formatTaskFilter(options.filter),
    fields: commaJoin(options.fields),
    ...options.queryParams,
  };
}

export interface EndpointManagerTaskListOptions {
  filterStatus?: string | readonly string[];
  filterTaskId?: string | readonly string[];
  filterOwnerId?: string;
  filterEndpoint?: string;
  filterEndpointUse?: 'source' | 'destination';
  filterIsPaused?: boolean;
  /** `START,END` (either may be empty), or the two ends */
  filterCompletionTime?: string | readonly [string | Date, string | Date];
  filterMinFaults?: number;
  filterLocalUser?: string;
  lastKey?: string;
  queryParams?: QueryParams;
}

const dateText = (d: string | Date) => (typeof d === 'string' ? d : d.toISOString().replace(/\.\d+Z$/, '+00:00'));

export function endpointManagerTaskListQuery(options: EndpointManagerTaskListOptions): QueryParams {
  if (options.filterEndpointUse !== undefined && options.filterEndpoint === undefined) {
    throw new TypeError('filterEndpointUse is only valid when filterEndpoint is also given');
  }
  const completion = options.filterCompletionTime;
  return {
    filter_status: commaJoin(options.filterStatus),
    filter_task_id: commaJoin(options.filterTaskId),
    filter_owner_id: options.filterOwnerId,
    filter_endpoint: options.filterEndpoint,
    filter_endpoint_use: options.filterEndpointUse,
    filter_is_paused: options.filterIsPaused,
    filter_completion_time: completion === undefined || typeof completion === 'string' ? completion : `${dateText(completion[0])},${dateText(completion[1])}`,
    filter_min_faults: options.filterMinFaults,
    filter_local_user: options.filterLocalUser,
    last_key: options.lastKey,
    ...options.queryParams,
  };
}
