// Transfer delete tasks: submission ids, `POST /v0.10/delete` (run synchronously, recorded) and `GET /v0.10/task/{id}` for task wait.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import { fromJson, toJson } from '../store/db.ts';
import { requiredAuth } from '../auth/request-caller.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { ConnectorError } from '../data/posix/index.ts';
import { admitPath, operationContext, transferConnectorError, transferPath, type AdmittedOperation } from './operations.ts';
import type { TransferTaskRow } from './task-tables.ts';
import { transferErrors } from './errors.ts';
import { DeleteSubmission, SubmissionId, TaskDocument } from './schemas.ts';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d+Z$/, '+00:00');
}

/** The Transfer `task` document, with the fields `globus task show` / `task wait` read. */
function taskDocument(row: TransferTaskRow, displayName: string | null) {
  const failed = row.status === 'FAILED';
  const fatal = fromJson<{ code: string; description: string } | null>(row.fatal_error, null);
  return {
    DATA_TYPE: 'task',
    task_id: row.task_id,
    type: row.type,
    status: row.status,
    label: row.label,
    owner_id: row.owner_id,
    request_time: iso(row.requested_at),
    completion_time: iso(row.completed_at),
    deadline: iso(row.deadline_at),
    source_endpoint_id: row.source_collection_id,
    source_endpoint_display_name: displayName,
    destination_endpoint_id: null,
    destination_endpoint_display_name: null,
    source_local_user: null,
    destination_local_user: null,
    is_ok: null,
    is_paused: false,
    nice_status: failed ? (fatal?.code ?? 'FAILED') : null,
    nice_status_short_description: failed ? (fatal?.description ?? 'Failed') : null,
    nice_status_details: null,
    nice_status_expires_in: null,
    fatal_error: fatal,
    canceled_by_admin: null,
    canceled_by_admin_message: null,
    command: 'API 0.10',
    history_deleted: row.history_deleted === 1,
    files: row.files,
    directories: row.directories,
    symlinks: row.symlinks,
    files_skipped: row.files_skipped,
    files_transferred: row.files_transferred,
    subtasks_total: row.subtasks_total,
    subtasks_succeeded: row.subtasks_succeeded,
    subtasks_failed: row.subtasks_failed,
    subtasks_pending: row.subtasks_pending,
    subtasks_retrying: row.subtasks_retrying,
    subtasks_canceled: row.subtasks_canceled,
    subtasks_expired: row.subtasks_expired,
    subtasks_skipped_errors: row.subtasks_skipped_errors,
    delete_destination_extra: false,
    recursive_symlinks: null,
    sync_level: null,
    verify_checksum: false,
    encrypt_data: false,
    preserve_timestamp: false,
    skip_source_errors: false,
    fail_on_quota_errors: false,
    filter_rules: null,
    bytes_transferred: row.bytes_transferred,
    bytes_checksummed: row.bytes_checksummed,
    effective_bytes_per_second: 0,
    faults: row.faults,
  };
}

const DeleteItem = Type.Object(
  { DATA_TYPE: Type.Optional(Type.Literal('delete_item')), path: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: true },
);
const DeleteBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.Literal('delete')),
    endpoint: Type.String({ maxLength: 64 }),
    submission_id: Type.Optional(Type.String({ maxLength: 128 })),
    label: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
    recursive: Type.Optional(Type.Boolean()),
    ignore_missing: Type.Optional(Type.Boolean()),
    interpret_globs: Type.Optional(Type.Boolean()),
    DATA: Type.Array(DeleteItem, { minItems: 1, maxItems: 10000 }),
  },
  { additionalProperties: true },
);

export async function deleteTaskRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get('/v0.10/submission_id', { schema: { response: { 200: SubmissionId }, tags: ['transfer'] } }, async (request) => {
    requiredAuth(request);
    return { DATA_TYPE: 'submission_id', value: randomUUID() };
  });

  app.post(
    '/v0.10/delete',
    { schema: { body: DeleteBody, response: { 200: DeleteSubmission, 202: DeleteSubmission }, tags: ['transfer'] } },
    async (request, reply) => {
      const body = request.body as {
        endpoint: string;
        submission_id?: string;
        label?: string | null;
        recursive?: boolean;
        ignore_missing?: boolean;
        DATA: Array<{ path: string }>;
      };
      const op = await operationContext(ctx, request, reply, body.endpoint);
      const submissionId = body.submission_id ?? randomUUID();
      const accepted = (taskId: string, code: 'Accepted' | 'Duplicate') => ({
        DATA_TYPE: 'delete_result',
        code,
        message:
          code === 'Accepted'
            ? 'The delete has been accepted and a task has been created and queued for execution'
            : 'A delete request with this submission id has already been accepted',
        request_id: request.id,
        resource: '/delete',
        submission_id: submissionId,
        task_id: taskId,
        task_link: { DATA_TYPE: 'link', href: `task/${taskId}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
      });
      const previous = await store.db.selectFrom('transfer_tasks').selectAll().where('submission_id', '=', submissionId).executeTakeFirst();
      if (previous) {
        if (!op.auth.identitySet.includes(previous.owner_id)) throw transferErrors.error('Conflict', 'This submission id was used by another user');
        return reply.code(200).send(accepted(previous.task_id, 'Duplicate'));
      }
      // Every item is authorized before anything is removed: a refused item refuses the whole request.
      const admitted: AdmittedOperation[] = [];
      for (const item of body.DATA) {
        const one = await admitPath(op, transferPath(item.path, '/'), 'write');
        if (one.grant.relative === '/') throw transferErrors.error('PermissionDenied', 'The collection root cannot be deleted');
        admitted.push(one);
      }
      const requestedAt = Date.now();
      let deleted = 0;
      let missing = 0;
      let fatal: { code: string; description: string } | null = null;
      for (const one of admitted) {
        try {
          await one.connector.remove(one.at, { recursive: body.recursive === true });
          deleted++;
        } catch (error) {
          if (error instanceof ConnectorError && error.code === 'ENOENT' && body.ignore_missing === true) {
            missing++;
            continue;
          }
          const apiError = transferConnectorError('delete', error);
          fatal = {
            code:
              error instanceof ConnectorError && error.code === 'ENOTEMPTY'
                ? 'DIRECTORY_NOT_EMPTY'
                : apiError.code === 'ClientError.NotFound'
                  ? 'FILE_NOT_FOUND'
                  : apiError.code === 'PermissionDenied'
                    ? 'PERMISSION_DENIED'
                    : 'DELETE_FAILED',
            description: `${one.grant.relative}: ${apiError.message}`,
          };
          break;
        }
      }
      const taskId = randomUUID();
      await store.db
        .insertInto('transfer_tasks')
        .values({
          task_id: taskId,
          submission_id: submissionId,
          owner_id: op.auth.identityId,
          source_collection_id: op.target.collection.row.id,
          destination_collection_id: null,
          type: 'DELETE',
          status: fatal ? 'FAILED' : 'SUCCEEDED',
          label: body.label ?? null,
          requested_at: requestedAt,
          completed_at: Date.now(),
          deadline_at: requestedAt + 86_400_000,
          options: toJson({ recursive: body.recursive === true, ignore_missing: body.ignore_missing === true }),
          authority: toJson({ identitySet: op.auth.identitySet }),
          fatal_error: fatal ? toJson(fatal) : null,
          faults: fatal ? 1 : 0,
          subtasks_total: admitted.length,
          subtasks_succeeded: deleted + missing,
          subtasks_failed: fatal ? 1 : 0,
        })
        .execute();
      return reply.code(202).send(accepted(taskId, 'Accepted'));
    },
  );

  app.get(
    '/v0.10/task/:task_id',
    { schema: { params: Type.Object({ task_id: Type.String({ maxLength: 64 }) }), response: { 200: TaskDocument }, tags: ['transfer'] } },
    async (request) => {
      const auth = requiredAuth(request);
      const id = (request.params as { task_id: string }).task_id.toLowerCase();
      const row = UUID_RE.test(id) ? await store.db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', id).executeTakeFirst() : undefined;
      // Someone else's task is indistinguishable from no task.
      if (!row || !auth.identitySet.includes(row.owner_id)) throw transferErrors.error('TaskNotFound', `Task ${id} not found`);
      const collection = await store.db.selectFrom('collections').select('document').where('id', '=', row.source_collection_id).executeTakeFirst();
      return taskDocument(row, collection ? String(fromJson<Record<string, unknown>>(collection.document, {}).display_name ?? row.source_collection_id) : null);
    },
  );
}
