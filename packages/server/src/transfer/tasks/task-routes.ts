// The owner's task routes: task document, task_list, update, cancel, remove, event_list, successful_transfers, skipped_errors, pause_info (spec transfer-tasks.md §4–§11).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { requiredAuth } from '../../auth/request-caller.ts';
import { UUID_RE } from '../../auth/uuid.ts';
import { mayOwnTask } from '../../authz/tasks.ts';
import { taskNotFound, transferErrors } from '../errors.ts';
import { resourceOf } from '../envelope.ts';
import { failTask, isOpen, lockTask } from '../task-lifecycle.ts';
import type { TransferTaskRow } from '../task-tables.ts';
import { documentFacts, project, taskDocument } from './documents.ts';
import { parseFields, parseLimitOffset, parseTaskFilter, parseTaskOrder, truthy } from './query.ts';
import { applyFilter } from './task-select.ts';
import { EventList, PauseInfo, Result, SkippedErrors, SuccessfulTransfers, TaskDocument, TaskIdParams, TaskList, TaskUpdateBody } from './schemas.ts';
import { checkLabel, deadlineOf } from './submission.ts';
import { eventPage, pauseInfo, perFilePage } from './task-details.ts';

const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ maxLength: 16 })),
    offset: Type.Optional(Type.String({ maxLength: 16 })),
    orderby: Type.Optional(Type.String({ maxLength: 1024 })),
    filter: Type.Optional(Type.String({ maxLength: 8192 })),
    fields: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  // Other parameters (the JS SDK's endpoint-manager filter_* sent here, §13.9) are ignored.
  { additionalProperties: Type.String() },
);
const EventQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ maxLength: 16 })),
    offset: Type.Optional(Type.String({ maxLength: 16 })),
    filter: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: Type.String() },
);
const MarkerQuery = Type.Object({ marker: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: Type.String() });

/** The caller's own task by id; anything else — unknown, malformed, another owner's — is the same 404 (§4.4). */
export async function ownTask(db: Db, request: FastifyRequest): Promise<TransferTaskRow> {
  const auth = requiredAuth(request);
  const raw = (request.params as { task_id: string }).task_id;
  const id = raw.toLowerCase();
  const row = UUID_RE.test(id) ? await db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', id).executeTakeFirst() : undefined;
  if (!row || !mayOwnTask(auth, row)) throw taskNotFound(raw);
  return row;
}

export async function ownerTaskRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const params = TaskIdParams;
  const result = (request: FastifyRequest, code: string, message: string) => ({
    DATA_TYPE: 'result' as const,
    code,
    message,
    request_id: request.id,
    resource: resourceOf(request.url),
  });

  app.get('/v0.10/task/:task_id', { schema: { params, response: { 200: TaskDocument }, tags: ['transfer'] } }, async (request) => {
    const row = await ownTask(store.db, request);
    return taskDocument(row, await documentFacts(store.db, [row], ctx.clock()));
  });

  app.get('/v0.10/task_list', { schema: { querystring: ListQuery, response: { 200: TaskList }, tags: ['transfer'] } }, async (request) => {
    const auth = requiredAuth(request);
    const q = request.query as Record<string, string | undefined>;
    const { limit, offset } = parseLimitOffset(q.limit, q.offset, { defaultLimit: 10, maxLimit: 1000 });
    const filter = parseTaskFilter(q.filter);
    const order = parseTaskOrder(q.orderby);
    const fields = parseFields(q.fields);
    const base = applyFilter(store.db.selectFrom('transfer_tasks').where('owner_id', '=', auth.identityId), filter);
    const [{ total }] = await base.select((eb) => eb.fn.countAll<number | string>().as('total')).execute();
    let page = base.selectAll();
    for (const o of order) page = page.orderBy(o.column, o.desc ? 'desc' : 'asc');
    const rows = await page.orderBy('task_id').limit(limit).offset(offset).execute();
    const count = Number(total);
    const facts = await documentFacts(store.db, rows, ctx.clock());
    return {
      DATA_TYPE: 'task_list',
      DATA: rows.map((r) => project(taskDocument(r, facts), fields)),
      length: rows.length,
      limit,
      offset,
      total: count,
      has_next_page: offset + rows.length < count,
    };
  });

  app.put('/v0.10/task/:task_id', { schema: { params, body: TaskUpdateBody, response: { 200: Result }, tags: ['transfer'] } }, async (request) => {
    const found = await ownTask(store.db, request);
    const body = request.body as { label?: string | null; deadline?: string | null };
    const now = ctx.clock();
    const label = body.label === undefined ? undefined : checkLabel(body.label);
    const deadline = body.deadline === undefined || body.deadline === null ? undefined : deadlineOf(body.deadline, now);
    if (label === undefined && deadline === undefined) throw transferErrors.error('ClientError.BadRequest', 'Nothing to update: give label or deadline');
    await store.tx(async (trx) => {
      const row = await lockTask(trx, found.task_id);
      if (!row || !isOpen(row.status)) throw transferErrors.error('Conflict', `Task '${found.task_id}' is complete and can no longer be updated`);
      await trx
        .updateTable('transfer_tasks')
        .set({
          ...(label !== undefined ? { label } : {}),
          // A deadline the owner sets is never extended; the engine notices it by revision.
          ...(deadline ? { deadline_at: deadline.at, deadline_fixed: 1, revision: sql`revision + 1` } : {}),
        })
        .where('task_id', '=', row.task_id)
        .execute();
    });
    const what = [deadline ? 'deadline' : null, label !== undefined ? 'label' : null].filter(Boolean).join(' and ');
    return result(request, 'Updated', `Updated task ${what} successfully`);
  });

  app.post('/v0.10/task/:task_id/cancel', { schema: { params, response: { 200: Result }, tags: ['transfer'] } }, async (request) => {
    const found = await ownTask(store.db, request);
    const canceled = await store.tx((trx) => failTask(trx, found.task_id, { kind: 'canceled', by: 'owner' }, ctx.clock()));
    return canceled
      ? result(request, 'Canceled', 'The task has been cancelled successfully.')
      : result(request, 'TaskComplete', 'The task completed before the cancel request was processed.');
  });

  app.post('/v0.10/task/:task_id/remove', { schema: { params, response: { 200: Result }, tags: ['transfer'] } }, async (request) => {
    const found = await ownTask(store.db, request);
    await store.tx(async (trx) => {
      const row = await lockTask(trx, found.task_id);
      if (!row || isOpen(row.status)) throw transferErrors.error('Conflict', `Task '${found.task_id}' is still in progress and cannot be removed`);
      // Entries and events go with it (foreign keys cascade).
      await trx.deleteFrom('transfer_task_entries').where('task_id', '=', row.task_id).execute();
      await trx.deleteFrom('transfer_task_events').where('task_id', '=', row.task_id).execute();
      await trx.deleteFrom('transfer_tasks').where('task_id', '=', row.task_id).execute();
    });
    return result(request, 'Removed', 'The task has been removed from the task history.');
  });

  app.get(
    '/v0.10/task/:task_id/event_list',
    { schema: { params, querystring: EventQuery, response: { 200: EventList }, tags: ['transfer'] } },
    async (request) => {
      const row = await ownTask(store.db, request);
      const q = request.query as Record<string, string | undefined>;
      const isError = parseEventFilter(q.filter);
      return eventPage(store.db, row, q.limit, q.offset, isError);
    },
  );

  for (const kind of ['successful_transfers', 'skipped_errors'] as const) {
    app.get(
      `/v0.10/task/:task_id/${kind}`,
      {
        schema: {
          params,
          querystring: MarkerQuery,
          response: { 200: kind === 'successful_transfers' ? SuccessfulTransfers : SkippedErrors },
          tags: ['transfer'],
        },
      },
      async (request) => {
        const row = await ownTask(store.db, request);
        return perFilePage(store.db, row, kind, (request.query as { marker?: string }).marker, { source: true, destination: true });
      },
    );
  }

  app.get('/v0.10/task/:task_id/pause_info', { schema: { params, response: { 200: PauseInfo }, tags: ['transfer'] } }, async (request) => {
    return pauseInfo(await ownTask(store.db, request));
  });
}

/** event_list's `filter`: `is_error:1` / `is_error:0` (any boolean spelling), or empty for every event (§8). */
function parseEventFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^is_error:(.*)$/.exec(raw);
  if (!m) throw transferErrors.error('ClientError.BadRequest', `Invalid event filter '${raw}': only is_error is supported`);
  return truthy(m[1], 'is_error');
}
