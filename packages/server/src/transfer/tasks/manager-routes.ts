// The endpoint-manager task routes (spec transfer-tasks.md §13): other users' tasks on the caller's collections — list, documents, events, per-file records, admin cancel, pause and resume — with GCS roles deciding (authz/tasks.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { fromJson, toJson } from '../../store/db.ts';
import { requiredAuth } from '../../auth/request-caller.ts';
import type { AuthContext } from '../../auth/tokens.ts';
import { UUID_RE } from '../../auth/uuid.ts';
import { findById } from '../../auth/identities.ts';
import type { RoleAssignment } from '../../authz/gcs.ts';
import {
  canceledBySide,
  decideTaskManager,
  managedCollections,
  mayReadAdminCancel,
  type ManagerDecision,
  type TaskCollection,
  type TaskNeed,
} from '../../authz/tasks.ts';
import { callerFor } from '../../gcs/caller.ts';
import { loadEndpoint } from '../../gcs/endpoint-repo.ts';
import { findCollections, type Collection } from '../../gcs/collection-repo.ts';
import { transferErrors } from '../errors.ts';
import { resourceOf } from '../envelope.ts';
import { failTask, OPEN_STATUSES, setPaused } from '../task-lifecycle.ts';
import type { TaskOptions, TaskStatus, TransferTaskRow } from '../task-tables.ts';
import { documentFacts, taskDocument, type DocumentFacts } from './documents.ts';
import { parseLimitOffset, parseRange, truthy } from './query.ts';
import {
  AdminCancel,
  AdminCancelBody,
  AdminPauseBody,
  EventList,
  ManagerTaskDocument,
  ManagerTaskList,
  PauseInfo,
  Result,
  SkippedErrors,
  SuccessfulTransfers,
  TaskIdParams,
} from './schemas.ts';
import { eventPage, pauseInfo, perFilePage } from './task-details.ts';
import { wakeEngine } from '../engine/wake.ts';

const badRequest = (message: string) => transferErrors.error('ClientError.BadRequest', message);
const denied = (message = 'You do not have an activity monitor or manager role on the collections of this task') =>
  transferErrors.error('PermissionDenied', message);

const S = (max = 256) => Type.Optional(Type.String({ maxLength: max }));
const ManagerListQuery = Type.Object(
  {
    filter_status: S(),
    filter_task_id: S(4096),
    filter_owner_id: S(),
    filter_endpoint: S(),
    filter_endpoint_use: S(),
    filter_is_paused: S(),
    filter_completion_time: S(),
    filter_min_faults: S(),
    filter_local_user: S(),
    last_key: S(1024),
    limit: S(16),
  },
  { additionalProperties: Type.String() },
);
const ManagerEventQuery = Type.Object({ limit: S(16), offset: S(16), filter_is_error: S(16) }, { additionalProperties: Type.String() });
const MarkerQuery = Type.Object({ marker: S(32) }, { additionalProperties: Type.String() });
const AdminCancelParams = Type.Object({ admin_cancel_id: Type.String({ maxLength: 32 }) });

/** What a manager decision needs about the caller: their role assignments (groups included). */
async function heldRoles(db: Db, auth: AuthContext): Promise<RoleAssignment[]> {
  const endpoint = await loadEndpoint(db);
  return (await callerFor(db, endpoint, auth)).held;
}

function asTaskCollection(c: Collection | undefined): TaskCollection | undefined {
  return c ? { id: c.row.id, mapped_collection_id: c.row.mapped_collection_id } : undefined;
}

function sidesOf(task: TransferTaskRow, collections: ReadonlyMap<string, Collection>) {
  return {
    source: asTaskCollection(collections.get(task.source_collection_id)) ?? { id: task.source_collection_id, mapped_collection_id: null },
    destination: task.destination_collection_id
      ? (asTaskCollection(collections.get(task.destination_collection_id)) ?? { id: task.destination_collection_id, mapped_collection_id: null })
      : null,
  };
}

/** The extra fields of the endpoint-manager document (§13.3), side by side. */
function managerFields(task: TransferTaskRow, facts: DocumentFacts, decision: ManagerDecision, ownerString: string) {
  const options = fromJson<TaskOptions>(task.options, {});
  const side = (name: 'source' | 'destination', id: string | null, allowed: boolean, localUser: string | null | undefined) => {
    const c = id ? facts.collections.get(id) : undefined;
    const mapped = c?.row.collection_type === 'guest' && c.row.mapped_collection_id ? facts.collections.get(c.row.mapped_collection_id) : undefined;
    const mappedId = c?.row.collection_type === 'guest' ? c.row.mapped_collection_id : null;
    const mappedName = mapped && typeof mapped.doc.display_name === 'string' ? mapped.doc.display_name : mappedId;
    return {
      [`${name}_local_user`]: allowed ? (localUser ?? null) : null,
      [`${name}_local_user_status`]: id === null ? 'NO_ENDPOINT' : allowed ? 'OK' : 'NO_PERMISSION',
      [`${name}_host_endpoint`]: mappedId ? `${facts.endpointId}#${mappedId}` : null,
      [`${name}_host_endpoint_id`]: mappedId,
      [`${name}_host_endpoint_display_name`]: mappedName,
      [`${name}_mapped_collection_id`]: mappedId,
      [`${name}_mapped_collection_display_name`]: mappedName,
      [`${name}_host_path`]: mappedId && allowed ? String(c!.doc.collection_base_path ?? '/') : null,
    };
  };
  return {
    owner_string: ownerString,
    ...side('source', task.source_collection_id, decision.source, task.type === 'DELETE' ? options.local_user : options.source_local_user),
    ...side('destination', task.destination_collection_id, decision.destination, options.destination_local_user),
  };
}

/** Mapped collections of a page's guests, so host fields can name them. */
async function withMappedCollections(db: Db, facts: DocumentFacts): Promise<DocumentFacts> {
  const missing = [...facts.collections.values()].map((c) => c.row.mapped_collection_id).filter((id): id is string => !!id && !facts.collections.has(id));
  if (missing.length === 0) return facts;
  const more = await findCollections(db, [...new Set(missing)]);
  return { ...facts, collections: new Map([...facts.collections, ...more.map((c) => [c.row.id, c] as const)]) };
}

async function ownerStrings(db: Db, facts: DocumentFacts, rows: TransferTaskRow[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of rows) out.set(r.owner_id, facts.usernames.get(r.owner_id) ?? (await findById(db, r.owner_id))?.username ?? r.owner_id);
  return out;
}

/** Last-key order: open tasks first, then the completed; newest first in each (by request, then completion time). */
const GROUP = sql<number>`case when status in ('ACTIVE', 'INACTIVE') then 0 else 1 end`;
const WHEN = sql<number>`coalesce(completed_at, requested_at)`;

interface LastKey {
  g: number;
  t: number;
  id: string;
}

function encodeKey(row: TransferTaskRow): string {
  const key: LastKey = { g: OPEN_STATUSES.includes(row.status) ? 0 : 1, t: Number(row.completed_at ?? row.requested_at), id: row.task_id };
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeKey(raw: string): LastKey {
  try {
    const key = JSON.parse(Buffer.from(raw, 'base64url').toString()) as LastKey;
    if ((key.g === 0 || key.g === 1) && Number.isSafeInteger(key.t) && typeof key.id === 'string' && UUID_RE.test(key.id)) return key;
  } catch {
    // falls through to the refusal
  }
  throw badRequest(`Invalid last_key '${raw}'`);
}

const STATUSES: readonly TaskStatus[] = ['ACTIVE', 'INACTIVE', 'SUCCEEDED', 'FAILED'];

/** The parameters of endpoint_manager/task_list with the rules between them (§13.2). */
function readManagerFilters(q: Record<string, string | undefined>) {
  const given = (name: string) => q[name] !== undefined && q[name] !== '';
  const statuses = given('filter_status')
    ? q.filter_status!.split(',').map((s) => {
        const v = s.trim().toUpperCase() as TaskStatus;
        if (!STATUSES.includes(v)) throw badRequest(`Invalid filter_status '${s}'`);
        return v;
      })
    : undefined;
  const onlyOpen = statuses !== undefined && statuses.every((s) => OPEN_STATUSES.includes(s));
  const others = [
    'filter_status',
    'filter_owner_id',
    'filter_endpoint',
    'filter_endpoint_use',
    'filter_is_paused',
    'filter_completion_time',
    'filter_min_faults',
    'filter_local_user',
  ];
  let taskIds: string[] | undefined;
  if (given('filter_task_id')) {
    if (others.some(given)) throw badRequest('filter_task_id cannot be combined with other filters');
    taskIds = q.filter_task_id!.split(',').map((s) => s.trim().toLowerCase());
    if (taskIds.length > 50 || taskIds.some((id) => !UUID_RE.test(id))) throw badRequest('filter_task_id takes at most 50 task ids');
  }
  const endpoint = given('filter_endpoint') ? q.filter_endpoint!.toLowerCase() : undefined;
  if (endpoint !== undefined && !UUID_RE.test(endpoint)) throw badRequest(`Invalid filter_endpoint '${q.filter_endpoint}'`);
  if (!onlyOpen && !taskIds && !endpoint) throw badRequest('filter_task_id or filter_endpoint is required unless filter_status is a subset of ACTIVE,INACTIVE');
  const use = q.filter_endpoint_use;
  if (given('filter_endpoint_use') && (!endpoint || (use !== 'source' && use !== 'destination')))
    throw badRequest('filter_endpoint_use is source or destination, and only with filter_endpoint');
  if (given('filter_owner_id') && !endpoint && !onlyOpen)
    throw badRequest('filter_owner_id needs filter_endpoint unless filter_status is a subset of ACTIVE,INACTIVE');
  if (given('filter_owner_id') && !UUID_RE.test(q.filter_owner_id!)) throw badRequest(`Invalid filter_owner_id '${q.filter_owner_id}'`);
  if (given('filter_is_paused') && !onlyOpen) throw badRequest('filter_is_paused needs filter_status to be a subset of ACTIVE,INACTIVE');
  if (given('filter_local_user') && !endpoint) throw badRequest('filter_local_user needs filter_endpoint');
  let minFaults: number | undefined;
  if (given('filter_min_faults')) {
    if (!/^\d{1,9}$/.test(q.filter_min_faults!)) throw badRequest(`Invalid filter_min_faults '${q.filter_min_faults}'`);
    minFaults = Number(q.filter_min_faults);
  }
  return {
    statuses,
    taskIds,
    endpoint,
    use: given('filter_endpoint_use') ? (use as 'source' | 'destination') : undefined,
    ownerId: given('filter_owner_id') ? q.filter_owner_id!.toLowerCase() : undefined,
    paused: given('filter_is_paused') ? truthy(q.filter_is_paused!, 'filter_is_paused') : undefined,
    completion: given('filter_completion_time') ? parseRange(q.filter_completion_time!, 'filter_completion_time') : undefined,
    minFaults,
    localUser: given('filter_local_user') ? q.filter_local_user! : undefined,
  };
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function managerTaskRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const base = '/v0.10/endpoint_manager';

  /** A task the caller has `need` on; an unknown task is as refused as one without a role (§13.3). */
  async function managedTask(request: FastifyRequest, need: TaskNeed) {
    const auth = requiredAuth(request);
    const id = (request.params as { task_id: string }).task_id.toLowerCase();
    const row = UUID_RE.test(id) ? await store.db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw denied();
    const [held, facts] = await Promise.all([heldRoles(store.db, auth), documentFacts(store.db, [row], ctx.clock())]);
    const decision = decideTaskManager(held, sidesOf(row, facts.collections), need);
    if (!decision.allowed) throw denied();
    return { row, decision, facts };
  }

  async function managerDocument(row: TransferTaskRow, decision: ManagerDecision, facts: DocumentFacts) {
    const full = await withMappedCollections(store.db, facts);
    const owners = await ownerStrings(store.db, full, [row]);
    return { ...taskDocument(row, full), ...managerFields(row, full, decision, owners.get(row.owner_id)!) };
  }

  app.get(`${base}/task_list`, { schema: { querystring: ManagerListQuery, response: { 200: ManagerTaskList }, tags: ['transfer'] } }, async (request) => {
    const auth = requiredAuth(request);
    const q = request.query as Record<string, string | undefined>;
    const f = readManagerFilters(q);
    const { limit } = parseLimitOffset(q.limit, undefined, { defaultLimit: 1000, maxLimit: 1000 });
    const held = await heldRoles(store.db, auth);
    const db = store.db;

    // Which collections the caller watches: every one with an endpoint-wide role, else those its roles cover.
    const roleCollections = [...new Set(held.map((a) => a.collection_id).filter((id): id is string => id !== null))];
    const candidates = roleCollections.length
      ? await db
          .selectFrom('collections')
          .select(['id', 'mapped_collection_id'])
          .where((eb) => eb.or([eb('id', 'in', roleCollections), eb('mapped_collection_id', 'in', roleCollections)]))
          .execute()
      : [];
    const managed = managedCollections(held, candidates, 'monitor');

    if (f.taskIds) {
      const rows = await db.selectFrom('transfer_tasks').selectAll().where('task_id', 'in', f.taskIds).execute();
      const facts = await documentFacts(db, rows, ctx.clock());
      for (const r of rows) if (!decideTaskManager(held, sidesOf(r, facts.collections), 'monitor').allowed) throw denied();
    } else if (!managed.all && managed.ids.length === 0) {
      return { DATA_TYPE: 'task_list', DATA: [], has_next_page: false, last_key: null, limit };
    }

    let query = db.selectFrom('transfer_tasks').selectAll();
    if (!managed.all && !f.taskIds) {
      const ids = managed.ids;
      query = query.where((eb) => eb.or([eb('source_collection_id', 'in', ids), eb('destination_collection_id', 'in', ids)]));
    }
    if (f.taskIds) query = query.where('task_id', 'in', f.taskIds);
    if (f.statuses) query = query.where('status', 'in', f.statuses);
    if (f.endpoint) {
      const endpointId = (await loadEndpoint(db)).id;
      if (f.endpoint !== endpointId) {
        // A mapped collection also stands for its guests (their host).
        const guests = await db.selectFrom('collections').select('id').where('mapped_collection_id', '=', f.endpoint).execute();
        const ids = [f.endpoint, ...guests.map((g) => g.id)];
        if (f.use === 'source') query = query.where('source_collection_id', 'in', ids);
        else if (f.use === 'destination') query = query.where('destination_collection_id', 'in', ids);
        else query = query.where((eb) => eb.or([eb('source_collection_id', 'in', ids), eb('destination_collection_id', 'in', ids)]));
      }
    }
    if (f.ownerId) {
      if (!(await findById(db, f.ownerId))) throw transferErrors.error('UserNotFound', `No identity with id '${f.ownerId}'`);
      query = query.where('owner_id', '=', f.ownerId);
    }
    if (f.paused !== undefined) query = query.where('is_paused', '=', f.paused ? 1 : 0);
    if (f.minFaults !== undefined) query = query.where('faults', '>=', f.minFaults);
    if (f.completion) {
      const { start, end } = f.completion;
      if (end === undefined) {
        if (start !== undefined) query = query.where((eb) => eb.or([eb('completed_at', 'is', null), eb('completed_at', '>=', start)]));
      } else {
        query = query.where('completed_at', '<=', end);
        if (start !== undefined) query = query.where('completed_at', '>=', start);
      }
    }
    if (f.localUser !== undefined) {
      // Options are written by toJson: the account appears exactly as JSON.stringify spells it.
      const value = likeEscape(JSON.stringify(f.localUser));
      query = query.where((eb) => eb.or(['source_local_user', 'destination_local_user', 'local_user'].map((k) => eb('options', 'like', `%"${k}":${value}%`))));
    }
    if (q.last_key) {
      const k = decodeKey(q.last_key);
      query = query.where(sql<boolean>`(${GROUP} > ${k.g} or (${GROUP} = ${k.g} and (${WHEN} < ${k.t} or (${WHEN} = ${k.t} and task_id < ${k.id}))))`);
    }
    const rows = await query
      .orderBy(GROUP)
      .orderBy(WHEN, 'desc')
      .orderBy('task_id', 'desc')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const facts = await withMappedCollections(db, await documentFacts(db, page, ctx.clock()));
    const owners = await ownerStrings(db, facts, page);
    return {
      DATA_TYPE: 'task_list',
      DATA: page.map((r) => {
        const decision = decideTaskManager(held, sidesOf(r, facts.collections), 'monitor');
        return { ...taskDocument(r, facts), ...managerFields(r, facts, decision, owners.get(r.owner_id)!) };
      }),
      has_next_page: more,
      last_key: more ? encodeKey(page[page.length - 1]) : null,
      limit,
    };
  });

  app.get(`${base}/task/:task_id`, { schema: { params: TaskIdParams, response: { 200: ManagerTaskDocument }, tags: ['transfer'] } }, async (request) => {
    const { row, decision, facts } = await managedTask(request, 'monitor');
    return managerDocument(row, decision, facts);
  });

  app.get(
    `${base}/task/:task_id/event_list`,
    { schema: { params: TaskIdParams, querystring: ManagerEventQuery, response: { 200: EventList }, tags: ['transfer'] } },
    async (request) => {
      const { row } = await managedTask(request, 'monitor');
      const q = request.query as Record<string, string | undefined>;
      let isError: boolean | undefined;
      if (q.filter_is_error !== undefined && q.filter_is_error !== '') {
        isError = truthy(q.filter_is_error, 'filter_is_error');
        if (!isError) throw badRequest('filter_is_error=0 (only non-errors) is not supported');
      }
      return eventPage(store.db, row, q.limit, q.offset, isError);
    },
  );

  app.get(`${base}/task/:task_id/pause_info`, { schema: { params: TaskIdParams, response: { 200: PauseInfo }, tags: ['transfer'] } }, async (request) => {
    return pauseInfo((await managedTask(request, 'monitor')).row);
  });

  for (const kind of ['successful_transfers', 'skipped_errors'] as const) {
    app.get(
      `${base}/task/:task_id/${kind}`,
      {
        schema: {
          params: TaskIdParams,
          querystring: MarkerQuery,
          response: { 200: kind === 'successful_transfers' ? SuccessfulTransfers : SkippedErrors },
          tags: ['transfer'],
        },
      },
      async (request) => {
        const { row, decision } = await managedTask(request, 'monitor');
        // A side the caller has no role on shows null paths (§13.5).
        return perFilePage(store.db, row, kind, (request.query as { marker?: string }).marker, decision);
      },
    );
  }

  /** The tasks of an admin request, each with the caller's decision: any the caller may not manage refuses the whole request (§13.6). */
  async function manageable(auth: AuthContext, ids: string[]) {
    const wanted = [...new Set(ids.map((id) => id.toLowerCase()))];
    if (wanted.some((id) => !UUID_RE.test(id))) throw denied();
    const rows = await store.db.selectFrom('transfer_tasks').selectAll().where('task_id', 'in', wanted).execute();
    if (rows.length !== wanted.length) throw denied();
    const [held, facts] = await Promise.all([heldRoles(store.db, auth), documentFacts(store.db, rows, ctx.clock())]);
    return rows.map((row) => {
      const decision = decideTaskManager(held, sidesOf(row, facts.collections), 'manage');
      if (!decision.allowed) throw denied('You do not have an activity manager role on the collections of every listed task');
      return { row, decision };
    });
  }

  const cancelDocument = async (db: Db, row: { id: number; message: string; task_ids: string }, done?: boolean) => {
    const ids = fromJson<string[]>(row.task_ids, []);
    const open =
      done ??
      (
        await db
          .selectFrom('transfer_tasks')
          .select('task_id')
          .where('task_id', 'in', ids)
          .where('status', 'in', [...OPEN_STATUSES])
          .execute()
      ).length === 0;
    return { DATA_TYPE: 'admin_cancel' as const, id: Number(row.id), done: open, message: row.message, task_id_list: ids };
  };

  app.post(`${base}/admin_cancel`, { schema: { body: AdminCancelBody, response: { 200: AdminCancel }, tags: ['transfer'] } }, async (request) => {
    const auth = requiredAuth(request);
    const body = request.body as { message: string; task_id_list: string[] };
    const tasks = await manageable(auth, body.task_id_list);
    const now = ctx.clock();
    const created = await store.tx(async (trx) => {
      const row = await trx
        .insertInto('transfer_admin_cancels')
        .values({ created_by: auth.identityId, message: body.message, task_ids: toJson(tasks.map((t) => t.row.task_id)), created_at: now })
        .returning(['id', 'message', 'task_ids'])
        .executeTakeFirstOrThrow();
      for (const t of tasks)
        await failTask(trx, t.row.task_id, { kind: 'canceled', by: 'admin', message: body.message, side: canceledBySide(t.decision) }, now);
      return row;
    });
    // As recorded: the answer to the request says not done; its status (GET) says done once no listed task is open.
    return cancelDocument(store.db, created, false);
  });

  const adminCancelStatus = async (request: FastifyRequest) => {
    const auth = requiredAuth(request);
    const raw = (request.params as { admin_cancel_id: string }).admin_cancel_id;
    const row = /^\d{1,15}$/.test(raw)
      ? await store.db.selectFrom('transfer_admin_cancels').selectAll().where('id', '=', Number(raw)).executeTakeFirst()
      : undefined;
    if (!row) throw transferErrors.error('ClientError.NotFound', `No admin cancel found with id '${raw}'`);
    if (!mayReadAdminCancel(auth, row)) throw denied('Only the identity that made an admin cancel may see it');
    return cancelDocument(store.db, row);
  };
  const statusSchema = { schema: { params: AdminCancelParams, response: { 200: AdminCancel }, tags: ['transfer'] } };
  app.get(`${base}/admin_cancel/:admin_cancel_id`, statusSchema, adminCancelStatus);
  // @globus/sdk 6.2 asks for an admin cancel's status with POST (§13.9).
  app.post(`${base}/admin_cancel/:admin_cancel_id`, statusSchema, adminCancelStatus);

  for (const action of ['admin_pause', 'admin_resume'] as const) {
    app.post(`${base}/${action}`, { schema: { body: AdminPauseBody, response: { 200: Result }, tags: ['transfer'] } }, async (request) => {
      const auth = requiredAuth(request);
      const body = request.body as { message?: string | null; task_id_list: string[] };
      const tasks = await manageable(auth, body.task_id_list);
      const now = ctx.clock();
      const pause = action === 'admin_pause';
      await store.tx(async (trx) => {
        for (const t of tasks) await setPaused(trx, t.row.task_id, pause, pause ? (body.message ?? null) : null, now);
      });
      if (!pause) wakeEngine(store);
      return {
        DATA_TYPE: 'result' as const,
        code: pause ? 'PauseAccepted' : 'ResumeAccepted',
        message: pause ? 'The tasks have been paused.' : 'The tasks have been resumed.',
        request_id: request.id,
        resource: resourceOf(request.url),
      };
    });
  }
}
