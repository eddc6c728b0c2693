// TransferClient: the Globus Transfer API v0.10 — endpoint lookup and search, access rules on guest collections, file operations, tasks (submission, monitoring, management) and the endpoint-manager task calls.
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions } from '../core/base-client.ts';
import { getServiceUrl } from '../core/config.ts';
import { TransferAPIError } from '../core/errors.ts';
import { paginateMarker, type Paginator } from '../core/paging.ts';
import type { QueryParams } from '../core/transport.ts';
import type { TransferEndpoint } from './types.ts';
import { operationLsQuery } from './operations.ts';
import type { OperationLsOptions, OperationResult, SubmissionIdResult, TransferFileEntry, TransferFileList } from './operations.ts';
import type { AccessRuleCreateResult, AccessRuleData, AccessRuleDocument, AccessRuleList, AccessRuleResult, AccessRuleUpdateData } from './access-rule.ts';
import { DeleteData, type DeleteDataOptions, type TransferData } from './task-data.ts';
import { endpointManagerTaskListQuery, taskListQuery } from './task-types.ts';
import type {
  AdminCancel,
  EndpointManagerTaskDocument,
  EndpointManagerTaskList,
  EndpointManagerTaskListOptions,
  PauseInfo,
  SkippedError,
  SkippedErrorList,
  SubmissionResult,
  SuccessfulTransfer,
  SuccessfulTransferList,
  TaskDocument,
  TaskEvent,
  TaskEventList,
  TaskList,
  TaskListOptions,
  TaskResult,
} from './task-types.ts';
import { endpointSearchQuery, type EndpointSearchOptions, type EndpointSearchRecord, type EndpointSearchResult } from './endpoint-search.ts';

/** The most results Transfer serves for one task list, event list or search (its paginators stop there). */
const MAX_TOTAL = 1000;

/** Marker paging of successful_transfers / skipped_errors: follow `next_marker` until it is null or absent (never send a falsy one). */
const nextMarker = (page: { next_marker?: unknown }) =>
  page.next_marker === null || page.next_marker === undefined || page.next_marker === '' || page.next_marker === 0 ? undefined : String(page.next_marker);

export interface TransferClientOptions extends BaseClientOptions {
  /** A Globus environment name (default GLOBUS_SDK_ENVIRONMENT or production). */
  environment?: string;
}

export class TransferClient extends BaseClient {
  constructor(options: TransferClientOptions = {}) {
    super(options, {
      serviceName: 'transfer',
      baseUrl: getServiceUrl('transfer', { baseUrl: options.baseUrl, environment: options.environment }),
      errorClass: TransferAPIError,
    });
  }

  /** GET /v0.10/endpoint/{endpoint_id} — a GCS endpoint or one of its collections, as Transfer describes it. */
  getEndpoint(endpointId: string): Promise<TransferEndpoint> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}`);
  }

  // Access rules (ACLs) of a guest collection: `endpointId` is the guest collection id.

  /**
   * GET /v0.10/endpoint/{endpoint_id}/access_list — the rules, including the implicit `rw` on `/` of the
   * collection's administrators and access managers (`id: null`). Without offset/limit: the whole list.
   */
  accessList(endpointId: string, options: { offset?: number; limit?: number } = {}): Promise<AccessRuleList> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}/access_list`, { query: { offset: options.offset, limit: options.limit } });
  }

  /** GET /v0.10/endpoint/{endpoint_id}/access_list page by page (`offset`/`limit`); iterate it for the rules. */
  paginateAccessList(endpointId: string, options: { limit?: number; maxPages?: number } = {}): Paginator<AccessRuleList, AccessRuleDocument, number> {
    return this.paginateOffset<AccessRuleDocument, AccessRuleList>(urlPath`v0.10/endpoint/${endpointId}/access_list`, {
      limit: options.limit,
      maxPages: options.maxPages,
    });
  }

  /** POST /v0.10/endpoint/{endpoint_id}/access (201) — build `rule` with `accessRule` and friends; read `access_id` from the result. */
  addAccessRule(endpointId: string, rule: AccessRuleData | Record<string, unknown>): Promise<AccessRuleCreateResult> {
    return this.post(urlPath`v0.10/endpoint/${endpointId}/access`, rule);
  }

  /** GET /v0.10/endpoint/{endpoint_id}/access/{access_id} — one stored rule (implicit role entries have no id). */
  getAccessRule(endpointId: string, ruleId: string): Promise<AccessRuleDocument> {
    return this.get(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`);
  }

  /** PUT /v0.10/endpoint/{endpoint_id}/access/{access_id} — change `permissions` / `expiration_date` (see `accessRuleUpdate`); code `Updated`. */
  updateAccessRule(endpointId: string, ruleId: string, update: AccessRuleUpdateData | Record<string, unknown>): Promise<AccessRuleResult> {
    return this.put(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`, update);
  }

  /** DELETE /v0.10/endpoint/{endpoint_id}/access/{access_id} — code `Deleted`. */
  deleteAccessRule(endpointId: string, ruleId: string): Promise<AccessRuleResult> {
    return this.delete(urlPath`v0.10/endpoint/${endpointId}/access/${ruleId}`);
  }

  // File operations. `endpointId` is a collection id; paths are collection-relative.

  /** GET /v0.10/operation/endpoint/{endpoint_id}/ls — one page of a directory listing (`offset`/`limit` as given). */
  operationLs(endpointId: string, options: OperationLsOptions = {}): Promise<TransferFileList> {
    return this.get(urlPath`v0.10/operation/endpoint/${endpointId}/ls`, { query: operationLsQuery(options) });
  }

  /**
   * GET /v0.10/operation/endpoint/{endpoint_id}/ls page by page; `for await` yields every entry,
   * `.pages()` the `file_list` documents. `limit` is the page size (default 1000); `offset` is ignored.
   */
  paginateOperationLs(
    endpointId: string,
    options: Omit<OperationLsOptions, 'offset'> & { maxPages?: number } = {},
  ): Paginator<TransferFileList, TransferFileEntry, number> {
    const { limit = 1000, maxPages, ...rest } = options;
    const query = operationLsQuery(rest);
    delete query.limit;
    delete query.offset;
    return this.paginateOffset<TransferFileEntry, TransferFileList>(urlPath`v0.10/operation/endpoint/${endpointId}/ls`, { query, limit, maxPages });
  }

  /** POST /v0.10/operation/endpoint/{endpoint_id}/mkdir — creates one directory (its parent must exist); code `DirectoryCreated`. */
  operationMkdir(endpointId: string, path: string, options: { localUser?: string } = {}): Promise<OperationResult> {
    const body: Record<string, unknown> = { DATA_TYPE: 'mkdir', path };
    if (options.localUser !== undefined) body.local_user = options.localUser;
    return this.post(urlPath`v0.10/operation/endpoint/${endpointId}/mkdir`, body);
  }

  /** POST /v0.10/operation/endpoint/{endpoint_id}/rename — moves a file or directory within the collection; code `FileRenamed`. */
  operationRename(endpointId: string, oldPath: string, newPath: string, options: { localUser?: string } = {}): Promise<OperationResult> {
    const body: Record<string, unknown> = { DATA_TYPE: 'rename', old_path: oldPath, new_path: newPath };
    if (options.localUser !== undefined) body.local_user = options.localUser;
    return this.post(urlPath`v0.10/operation/endpoint/${endpointId}/rename`, body);
  }

  /** GET /v0.10/submission_id — a fresh id that makes a task submission idempotent (resubmitting it is a no-op). */
  getSubmissionId(): Promise<SubmissionIdResult> {
    return this.get('v0.10/submission_id');
  }

  /**
   * POST /v0.10/transfer — submits a transfer task (202 `Accepted`; 200 `Duplicate` for a submission id
   * already used). Without a `submission_id` one is fetched first (GET /v0.10/submission_id) and written into
   * `data`, as the Python SDK does, so that resending the same document cannot create a second task.
   */
  async submitTransfer(data: TransferData | Record<string, unknown>): Promise<SubmissionResult> {
    await this.#ensureSubmissionId(data);
    return this.post('v0.10/transfer', data);
  }

  /** POST /v0.10/delete — submits a delete task (`DeleteData`); fetches a submission id when the document has none. */
  async submitDelete(data: DeleteData | Record<string, unknown>): Promise<SubmissionResult> {
    await this.#ensureSubmissionId(data);
    return this.post('v0.10/delete', data);
  }

  async #ensureSubmissionId(data: Record<string, unknown>): Promise<void> {
    if (data.submission_id === undefined || data.submission_id === null || data.submission_id === '') {
      data.submission_id = (await this.getSubmissionId()).value;
    }
  }

  /**
   * GET /v0.10/submission_id, then POST /v0.10/delete: deletes `paths` on one collection as a task.
   * Resolves to the submission result; pair with `taskWait` to learn the outcome.
   */
  deletePaths(endpointId: string, paths: readonly string[], options: DeleteDataOptions = {}): Promise<SubmissionResult> {
    const data = new DeleteData(endpointId, options);
    for (const p of paths) data.addItem(p);
    return this.submitDelete(data);
  }

  /** GET /v0.10/task_list — one page of the caller's tasks (`filter` as `type:TRANSFER/status:ACTIVE` or clauses). */
  taskList(options: TaskListOptions = {}): Promise<TaskList> {
    return this.get('v0.10/task_list', { query: taskListQuery(options) });
  }

  /** GET /v0.10/task_list page by page (1000 a page, at most 1000 tasks, as the Python SDK): `for await` yields each task. */
  paginateTaskList(options: Omit<TaskListOptions, 'limit' | 'offset'> & { limit?: number; maxPages?: number } = {}): Paginator<TaskList, TaskDocument, number> {
    const { limit = MAX_TOTAL, maxPages, ...rest } = options;
    return this.paginateOffset<TaskDocument, TaskList>('v0.10/task_list', {
      query: taskListQuery(rest),
      limit,
      maxPages,
      maxTotal: MAX_TOTAL,
      omitFirstOffset: true,
    });
  }

  /** GET /v0.10/task/{task_id} — the task document: `status` (ACTIVE, INACTIVE, SUCCEEDED, FAILED), counters, `fatal_error`. */
  getTask(taskId: string, options: { queryParams?: QueryParams } = {}): Promise<TaskDocument> {
    return this.get(urlPath`v0.10/task/${taskId}`, { query: options.queryParams });
  }

  /** PUT /v0.10/task/{task_id} — changes `label` and/or `deadline` of an unfinished task; code `Updated`. */
  updateTask(taskId: string, data: { label?: string; deadline?: string } & Record<string, unknown>): Promise<TaskResult> {
    return this.put(urlPath`v0.10/task/${taskId}`, { DATA_TYPE: 'task', ...data });
  }

  /** POST /v0.10/task/{task_id}/cancel (no body) — code `Canceled`, or `TaskComplete` when it had already finished. */
  cancelTask(taskId: string): Promise<TaskResult> {
    return this.post(urlPath`v0.10/task/${taskId}/cancel`);
  }

  /** GET /v0.10/task/{task_id}/event_list — one page of events, newest first (`filter`: `is_error:1` or `is_error:0`). */
  taskEventList(taskId: string, options: { limit?: number; offset?: number; filter?: string; queryParams?: QueryParams } = {}): Promise<TaskEventList> {
    return this.get(urlPath`v0.10/task/${taskId}/event_list`, {
      query: { limit: options.limit, offset: options.offset, filter: options.filter, ...options.queryParams },
    });
  }

  /** GET /v0.10/task/{task_id}/event_list page by page (1000 a page, at most 1000 events). */
  paginateTaskEventList(taskId: string, options: { limit?: number; filter?: string; maxPages?: number } = {}): Paginator<TaskEventList, TaskEvent, number> {
    return this.paginateOffset<TaskEvent, TaskEventList>(urlPath`v0.10/task/${taskId}/event_list`, {
      query: { filter: options.filter },
      limit: options.limit ?? MAX_TOTAL,
      maxPages: options.maxPages,
      maxTotal: MAX_TOTAL,
      omitFirstOffset: true,
    });
  }

  /** GET /v0.10/task/{task_id}/successful_transfers — one page of the files a completed task copied; continue with `next_marker`. */
  taskSuccessfulTransfers(taskId: string, options: { marker?: string | number; queryParams?: QueryParams } = {}): Promise<SuccessfulTransferList> {
    return this.get(urlPath`v0.10/task/${taskId}/successful_transfers`, { query: { marker: options.marker, ...options.queryParams } });
  }

  /** GET /v0.10/task/{task_id}/successful_transfers following `next_marker`: `for await` yields each file. */
  paginateTaskSuccessfulTransfers(taskId: string, options: { maxPages?: number } = {}): Paginator<SuccessfulTransferList, SuccessfulTransfer, string> {
    return this.#paginateNextMarker<SuccessfulTransferList, SuccessfulTransfer>(urlPath`v0.10/task/${taskId}/successful_transfers`, options.maxPages);
  }

  /** GET /v0.10/task/{task_id}/skipped_errors — one page of the source paths a task skipped (`skip_source_errors`). */
  taskSkippedErrors(taskId: string, options: { marker?: string | number; queryParams?: QueryParams } = {}): Promise<SkippedErrorList> {
    return this.get(urlPath`v0.10/task/${taskId}/skipped_errors`, { query: { marker: options.marker, ...options.queryParams } });
  }

  /** GET /v0.10/task/{task_id}/skipped_errors following `next_marker`. */
  paginateTaskSkippedErrors(taskId: string, options: { maxPages?: number } = {}): Paginator<SkippedErrorList, SkippedError, string> {
    return this.#paginateNextMarker<SkippedErrorList, SkippedError>(urlPath`v0.10/task/${taskId}/skipped_errors`, options.maxPages);
  }

  /** GET /v0.10/task/{task_id}/pause_info — why a task is paused (`pause_rules`, admin pause messages). */
  taskPauseInfo(taskId: string): Promise<PauseInfo> {
    return this.get(urlPath`v0.10/task/${taskId}/pause_info`);
  }

  /**
   * Polls GET /v0.10/task/{task_id} as the Python SDK's `task_wait` does: every `pollingInterval` seconds
   * (default 10, never more than `timeout`) until the task is no longer ACTIVE — SUCCEEDED, FAILED or
   * INACTIVE — or `timeout` seconds (default 10) have been waited. True when it stopped being ACTIVE.
   * `onPoll` sees each task document fetched (for progress displays).
   */
  async taskWait(
    taskId: string,
    options: { timeout?: number; pollingInterval?: number; signal?: AbortSignal; onPoll?: (task: TaskDocument) => void } = {},
  ): Promise<boolean> {
    const { timeout = 10, signal, onPoll } = options;
    if (!(timeout > 0)) throw new RangeError('taskWait timeout must be positive');
    if (!((options.pollingInterval ?? 10) > 0)) throw new RangeError('taskWait pollingInterval must be positive');
    const interval = Math.min(timeout, options.pollingInterval ?? 10);
    let waited = 0;
    for (;;) {
      const task = await this.getTask(taskId);
      onPoll?.(task);
      if (task.status !== 'ACTIVE') return true;
      waited += interval;
      if (waited > timeout) return false;
      await abortableSleep(interval * 1000, signal);
    }
  }

  #paginateNextMarker<R extends { next_marker?: unknown }, T>(path: string, maxPages?: number): Paginator<R, T, string> {
    return paginateMarker<R, T>({
      fetchPage: (marker) => this.get<R>(path, { query: { marker } }),
      items: (page) => ((page as { DATA?: T[] }).DATA ?? []) as T[],
      next: nextMarker,
      maxPages,
    });
  }

  // Endpoint search

  /**
   * GET /v0.10/endpoint_search — one page of the endpoints and collections the caller may see, best match
   * first (`filterScope` `all`, the default, needs a search text).
   */
  endpointSearch(filterFulltext?: string, options: EndpointSearchOptions = {}): Promise<EndpointSearchResult> {
    return this.get('v0.10/endpoint_search', { query: endpointSearchQuery(filterFulltext, options) });
  }

  /** GET /v0.10/endpoint_search page by page (100 a page, at most 1000 results, while `has_next_page`). */
  paginateEndpointSearch(
    filterFulltext?: string,
    options: Omit<EndpointSearchOptions, 'offset'> & { maxPages?: number } = {},
  ): Paginator<EndpointSearchResult, EndpointSearchRecord, number> {
    const { limit = 100, maxPages, ...rest } = options;
    return this.paginateOffset<EndpointSearchRecord, EndpointSearchResult>('v0.10/endpoint_search', {
      query: endpointSearchQuery(filterFulltext, rest),
      limit,
      maxPages,
      maxTotal: MAX_TOTAL,
      omitFirstOffset: true,
    });
  }

  // Endpoint-manager task calls: other users' tasks on collections where the caller holds an activity role.

  /** GET /v0.10/endpoint_manager/task_list — one page of tasks the caller monitors; continue with `lastKey`. */
  endpointManagerTaskList(options: EndpointManagerTaskListOptions = {}): Promise<EndpointManagerTaskList> {
    return this.get('v0.10/endpoint_manager/task_list', { query: endpointManagerTaskListQuery(options) });
  }

  /** GET /v0.10/endpoint_manager/task_list following `last_key` while `has_next_page`. */
  paginateEndpointManagerTaskList(
    options: Omit<EndpointManagerTaskListOptions, 'lastKey'> & { maxPages?: number } = {},
  ): Paginator<EndpointManagerTaskList, EndpointManagerTaskDocument, string> {
    const { maxPages, ...rest } = options;
    return paginateMarker<EndpointManagerTaskList, EndpointManagerTaskDocument>({
      fetchPage: (lastKey) => this.endpointManagerTaskList({ ...rest, lastKey }),
      items: (page) => page.DATA ?? [],
      next: (page) => (page.has_next_page === true && typeof page.last_key === 'string' && page.last_key !== '' ? page.last_key : undefined),
      maxPages,
    });
  }

  /** GET /v0.10/endpoint_manager/task/{task_id} — a task on a collection the caller monitors, with each side's local user. */
  endpointManagerGetTask(taskId: string): Promise<EndpointManagerTaskDocument> {
    return this.get(urlPath`v0.10/endpoint_manager/task/${taskId}`);
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/event_list — `filterIsError` sends `filter_is_error=1`. */
  endpointManagerTaskEventList(taskId: string, options: { limit?: number; offset?: number; filterIsError?: boolean } = {}): Promise<TaskEventList> {
    return this.get(urlPath`v0.10/endpoint_manager/task/${taskId}/event_list`, {
      query: { limit: options.limit, offset: options.offset, filter_is_error: options.filterIsError === undefined ? undefined : options.filterIsError ? 1 : 0 },
    });
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/event_list page by page. */
  paginateEndpointManagerTaskEventList(
    taskId: string,
    options: { limit?: number; filterIsError?: boolean; maxPages?: number } = {},
  ): Paginator<TaskEventList, TaskEvent, number> {
    return this.paginateOffset<TaskEvent, TaskEventList>(urlPath`v0.10/endpoint_manager/task/${taskId}/event_list`, {
      query: { filter_is_error: options.filterIsError === undefined ? undefined : options.filterIsError ? 1 : 0 },
      limit: options.limit ?? MAX_TOTAL,
      maxPages: options.maxPages,
      maxTotal: MAX_TOTAL,
      omitFirstOffset: true,
    });
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/pause_info */
  endpointManagerTaskPauseInfo(taskId: string): Promise<PauseInfo> {
    return this.get(urlPath`v0.10/endpoint_manager/task/${taskId}/pause_info`);
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/successful_transfers — paths are null on a side the caller has no role on. */
  endpointManagerTaskSuccessfulTransfers(taskId: string, options: { marker?: string | number } = {}): Promise<SuccessfulTransferList> {
    return this.get(urlPath`v0.10/endpoint_manager/task/${taskId}/successful_transfers`, { query: { marker: options.marker } });
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/successful_transfers following `next_marker`. */
  paginateEndpointManagerTaskSuccessfulTransfers(
    taskId: string,
    options: { maxPages?: number } = {},
  ): Paginator<SuccessfulTransferList, SuccessfulTransfer, string> {
    return this.#paginateNextMarker<SuccessfulTransferList, SuccessfulTransfer>(
      urlPath`v0.10/endpoint_manager/task/${taskId}/successful_transfers`,
      options.maxPages,
    );
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/skipped_errors */
  endpointManagerTaskSkippedErrors(taskId: string, options: { marker?: string | number } = {}): Promise<SkippedErrorList> {
    return this.get(urlPath`v0.10/endpoint_manager/task/${taskId}/skipped_errors`, { query: { marker: options.marker } });
  }

  /** GET /v0.10/endpoint_manager/task/{task_id}/skipped_errors following `next_marker`. */
  paginateEndpointManagerTaskSkippedErrors(taskId: string, options: { maxPages?: number } = {}): Paginator<SkippedErrorList, SkippedError, string> {
    return this.#paginateNextMarker<SkippedErrorList, SkippedError>(urlPath`v0.10/endpoint_manager/task/${taskId}/skipped_errors`, options.maxPages);
  }

  /** POST /v0.10/endpoint_manager/admin_cancel — cancels tasks as their collections' manager; poll `endpointManagerCancelStatus` for `done`. */
  endpointManagerCancelTasks(taskIds: readonly string[], message: string): Promise<AdminCancel> {
    return this.post('v0.10/endpoint_manager/admin_cancel', { message, task_id_list: [...taskIds] });
  }

  /** GET /v0.10/endpoint_manager/admin_cancel/{admin_cancel_id} — `done` once every task is canceled. */
  endpointManagerCancelStatus(adminCancelId: string | number): Promise<AdminCancel> {
    return this.get(urlPath`v0.10/endpoint_manager/admin_cancel/${adminCancelId}`);
  }

  /** POST /v0.10/endpoint_manager/admin_pause — the tasks show `is_paused` at once; code `PauseAccepted`. */
  endpointManagerPauseTasks(taskIds: readonly string[], message: string): Promise<TaskResult> {
    return this.post('v0.10/endpoint_manager/admin_pause', { message, task_id_list: [...taskIds] });
  }

  /** POST /v0.10/endpoint_manager/admin_resume — code `ResumeAccepted`. */
  endpointManagerResumeTasks(taskIds: readonly string[]): Promise<TaskResult> {
    return this.post('v0.10/endpoint_manager/admin_resume', { task_id_list: [...taskIds] });
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
