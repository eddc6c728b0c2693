// TransferClient: the Globus Transfer API v0.10 — endpoint lookup, access rules on guest collections, and file operations (ls, mkdir, rename, delete tasks).
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions } from '../core/base-client.ts';
import { getServiceUrl } from '../core/config.ts';
import { TransferAPIError } from '../core/errors.ts';
import type { TransferEndpoint } from './types.ts';
import type { Paginator } from '../core/paging.ts';
import { deleteDocument, isTaskDone, operationLsQuery } from './operations.ts';
import type {
  DeleteOptions,
  DeleteSubmitResult,
  OperationLsOptions,
  OperationResult,
  SubmissionIdResult,
  TransferFileEntry,
  TransferFileList,
  TransferTask,
} from './operations.ts';
import type { AccessRuleCreateResult, AccessRuleData, AccessRuleDocument, AccessRuleList, AccessRuleResult, AccessRuleUpdateData } from './access-rule.ts';

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

  /** POST /v0.10/delete — submits a delete task built with `deleteDocument`; read `task_id`, then poll `getTask`. */
  submitDelete(document: ReturnType<typeof deleteDocument> | Record<string, unknown>): Promise<DeleteSubmitResult> {
    return this.post('v0.10/delete', document);
  }

  /** GET /v0.10/task/{task_id} — status (`ACTIVE`, `SUCCEEDED`, `FAILED`, …) and `fatal_error` of a task. */
  getTask(taskId: string): Promise<TransferTask> {
    return this.get(urlPath`v0.10/task/${taskId}`);
  }

  /**
   * GET /v0.10/submission_id, then POST /v0.10/delete: deletes `paths` on one collection as a task.
   * Resolves to the submit result; pair with `taskWait` to learn the outcome.
   */
  async deletePaths(endpointId: string, paths: readonly string[], options: DeleteOptions = {}): Promise<DeleteSubmitResult> {
    const { value } = await this.getSubmissionId();
    return this.submitDelete(deleteDocument(value, endpointId, paths, options));
  }

  /**
   * Polls GET /v0.10/task/{task_id} until the task is SUCCEEDED or FAILED, or `timeoutMs` (default 60 s)
   * passes; resolves to the last task document seen either way (check its `status`).
   */
  async taskWait(taskId: string, options: { timeoutMs?: number; pollIntervalMs?: number; signal?: AbortSignal } = {}): Promise<TransferTask> {
    const { timeoutMs = 60_000, pollIntervalMs = 500, signal } = options;
    const deadline = Date.now() + timeoutMs;
    let interval = Math.min(100, pollIntervalMs);
    for (;;) {
      const task = await this.getTask(taskId);
      if (isTaskDone(task) || Date.now() >= deadline) return task;
      await abortableSleep(Math.min(interval, Math.max(0, deadline - Date.now())), signal);
      // Short tasks finish within a poll or two; back off towards pollIntervalMs for long ones.
      interval = Math.min(pollIntervalMs, interval * 2);
    }
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
