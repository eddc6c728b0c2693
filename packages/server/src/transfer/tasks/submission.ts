// Task submission: GET /submission_id, POST /transfer and POST /delete — checked in the order of spec transfer-tasks.md §2.4, created in one transaction for the engine.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { toJson } from '../../store/db.ts';
import type { AuthContext } from '../../auth/tokens.ts';
import { requiredAuth } from '../../auth/request-caller.ts';
import { UUID_RE } from '../../auth/uuid.ts';
import { authorizationParameters, TRANSFER_ALL } from '../../authz/data.ts';
import { decideRequest, loadTarget, type DataTarget } from '../../data/access.ts';
import { callerFor } from '../../gcs/caller.ts';
import { viewContext } from '../../gcs/collection-view.ts';
import { loadEndpoint } from '../../gcs/endpoint-repo.ts';
import { consentRequired, endpointNotFound, transferErrors } from '../errors.ts';
import { taskPath } from '../operations.ts';
import { OPEN_STATUSES } from '../task-lifecycle.ts';
import type { FilterRule, ItemSpec, TaskAuthority, TaskOptions, TaskType } from '../task-tables.ts';
import { SubmissionId } from '../schemas.ts';
import { DeleteBody, SubmissionResult, TransferBody, type DeleteBodyT, type TransferBodyT } from './schemas.ts';
import { requireTime } from './timestamps.ts';
import { algorithmName, supportedAlgorithms } from '../../data/posix/checksums.ts';
import { wakeEngine } from '../engine/wake.ts';
import { dataAccessToConsent } from '../live-consents.ts';

const DAY_MS = 86_400_000;
const SYNC_LEVELS = { exists: 0, size: 1, mtime: 2, checksum: 3 } as const;
const ENTRY_BATCH = 500;

const badRequest = (message: string) => transferErrors.error('ClientError.BadRequest', message);

/** §2.2: at most 128 characters (the schema), no line breaks, no surrounding whitespace. */
export function checkLabel(label: string | null | undefined): string | null {
  if (label === undefined || label === null) return null;
  if (/[\r\n]/.test(label)) throw badRequest('Invalid label: it may not contain line breaks');
  if (label !== label.trim()) throw badRequest('Invalid label: it may not begin or end with whitespace');
  return label;
}

/** `SHA-256`, `sha256` → `SHA256`; what the copy cannot compute is refused now rather than failing every file later. */
function checksumAlgorithm(raw: string | null | undefined): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const name = algorithmName(raw);
  if (name === null) throw badRequest(`Unsupported checksum_algorithm '${raw}' (supported: ${supportedAlgorithms().join(', ')})`);
  return name;
}

/** What a submission creates, once its collections are known: entries, options, the task's fields. */
interface Plan {
  type: TaskType;
  sourceId: string;
  destinationId: string | null;
  label: string | null;
  deadline: { at: number; fixed: boolean };
  options: TaskOptions;
  entries: Array<{ source_path: string; destination_path: string | null; kind: 'item' | 'delete'; spec: ItemSpec | null }>;
}

interface TransferShape {
  items: Array<{ source: string; destination: string; spec: ItemSpec }>;
  options: TaskOptions;
  label: string | null;
  deadline: { at: number; fixed: boolean };
}

/** Everything about a transfer document that needs no state: item types, options with defaults, label, deadline (§2.2, §2.3). */
export function readTransfer(body: TransferBodyT, now: number): TransferShape {
  if (body.DATA.length === 0) throw transferErrors.error('ClientError.BadRequest.NoTransferItems', 'A transfer requires at least one item');
  if (body.recursive_symlinks !== undefined && body.recursive_symlinks !== null && body.recursive_symlinks !== 'ignore')
    throw transferErrors.error('NotSupported', `recursive_symlinks '${body.recursive_symlinks}' is not supported by this collection`);
  const items = body.DATA.map((item) => {
    if (item.DATA_TYPE === 'transfer_symlink_item') throw transferErrors.error('NotSupported', 'Symlink items are not supported by this collection');
    const spec: ItemSpec = {};
    if (item.recursive !== undefined && item.recursive !== null) spec.recursive = item.recursive;
    const algorithm = checksumAlgorithm(item.checksum_algorithm);
    if (algorithm) spec.checksum_algorithm = algorithm;
    if (item.external_checksum !== undefined && item.external_checksum !== null) {
      if (item.recursive === true) throw badRequest('external_checksum cannot be used with directories (recursive items)');
      spec.external_checksum = item.external_checksum;
    }
    return { source: item.source_path, destination: item.destination_path, spec };
  });
  const sync = body.sync_level;
  const filterRules: FilterRule[] | null = body.filter_rules?.length
    ? body.filter_rules.map((r) => ({ method: r.method ?? 'exclude', name: r.name, ...(r.type ? { type: r.type } : {}) }))
    : null;
  const options: TaskOptions = {
    sync_level: sync === undefined || sync === null ? null : typeof sync === 'string' ? SYNC_LEVELS[sync] : (sync as 0 | 1 | 2 | 3),
    verify_checksum: body.verify_checksum ?? true,
    preserve_timestamp: body.preserve_timestamp ?? false,
    encrypt_data: body.encrypt_data ?? false,
    skip_source_errors: body.skip_source_errors ?? false,
    fail_on_quota_errors: body.fail_on_quota_errors ?? false,
    delete_destination_extra: body.delete_destination_extra ?? false,
    filter_rules: filterRules,
    source_local_user: body.source_local_user ?? null,
    destination_local_user: body.destination_local_user ?? null,
    store_base_path_info: body.store_base_path_info ?? false,
    notify_on_succeeded: body.notify_on_succeeded ?? true,
    notify_on_failed: body.notify_on_failed ?? true,
    notify_on_inactive: body.notify_on_inactive ?? true,
  };
  return { items, options, label: checkLabel(body.label), deadline: deadlineOf(body.deadline, now) };
}

/** A given deadline is kept as given (a past one is accepted: the task expires); none is 24 hours away (§15.3). */
export function deadlineOf(raw: string | null | undefined, now: number): { at: number; fixed: boolean } {
  if (raw === undefined || raw === null) return { at: now + DAY_MS, fixed: false };
  return { at: requireTime(raw, 'deadline'), fixed: true };
}

/** The directory that holds every one of `paths` (collection-relative): what store_base_path_info echoes. */
function commonDirectory(paths: string[]): string {
  const split = paths.map((p) => p.split('/').filter(Boolean).slice(0, -1));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return `/${first.slice(0, n).join('/')}`;
}

/** The earlier task of this submission id, as the reply to a repeat (§2.6): Duplicate for its owner, Conflict for anyone else. */
async function previousSubmission(db: Db, submissionId: string, auth: AuthContext): Promise<string | undefined> {
  const row = await db.selectFrom('transfer_tasks').select(['task_id', 'owner_id']).where('submission_id', '=', submissionId).executeTakeFirst();
  if (!row) return undefined;
  if (row.owner_id !== auth.identityId) throw transferErrors.error('Conflict', `The submission id '${submissionId}' was used by another identity`);
  return row.task_id;
}

/**
 * The collections named by a submission, as data sources or targets (§2.4 step 4): unknown, invisible to
 * the caller, or on another deployment (cross-deployment transfers are a later step) are all
 * EndpointNotFound; the endpoint itself holds no data. The caller's roles are loaded once for all of them.
 */
async function resolveCollections(ctx: ServiceContext, auth: AuthContext, raws: string[]): Promise<DataTarget[]> {
  const db = ctx.store.db;
  const endpoint = await loadEndpoint(db);
  let view: ReturnType<typeof viewContext> | undefined;
  const targets: DataTarget[] = [];
  for (const raw of raws) {
    const id = raw.toLowerCase();
    if (!UUID_RE.test(id)) throw endpointNotFound(raw);
    if (id === endpoint.id) throw badRequest(`'${raw}' is a GCSv5 endpoint, not a collection: it cannot be a source or destination of a task`);
    const target = await loadTarget(db, id);
    if (!target) throw endpointNotFound(raw);
    view ??= viewContext(db, await callerFor(db, endpoint, auth));
    if (!(await view.visibility(target.collection)).allowed) throw endpointNotFound(raw);
    targets.push(target);
  }
  return targets;
}

/**
 * §2.4 step 5: one ConsentRequired for every data_access consent the task's collections need, as one
 * scope string with each as a dependency — re-consenting to it covers both sides at once.
 */
async function requireConsents(db: Db, auth: AuthContext, targets: DataTarget[]): Promise<void> {
  const scopes = await dataAccessToConsent(db, auth, targets);
  if (scopes) throw consentRequired(`${TRANSFER_ALL}[${scopes.map((s) => `*${s}`).join(' ')}]`);
}

const SESSION_REASONS = new Set(['authentication_timeout', 'auth_policy_not_satisfied', 'not_from_allowed_domain']);

/**
 * §2.4 step 6: the collection's session requirements, decided on its root. Only a denial the caller can
 * cure by logging in again is answered now; permissions on paths are the engine's, file by file.
 */
async function requireSession(db: Db, auth: AuthContext, target: DataTarget, need: 'read' | 'write'): Promise<void> {
  let decision;
  try {
    decision = await decideRequest(db, target, { auth, path: '/', need }, need);
  } catch {
    // The root cannot be resolved now (storage, account): a fault of the task, not of the submission.
    return;
  }
  if (decision.allowed || !SESSION_REASONS.has(decision.reason)) return;
  throw transferErrors.error('AuthPolicyFailed', decision.message, { authorization_parameters: authorizationParameters(decision) });
}

/**
 * The fingerprint of a submission's set of (source path, destination path) items after normalisation: what
 * the identical-paths rule compares, stored with the task so that the check is one indexed lookup.
 */
function itemsDigest(plan: Plan): string {
  const lines = [...new Set(plan.entries.map((e) => `${e.source_path}\0${e.destination_path}`))].sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** §2.4 step 7: the owner's unfinished TRANSFER between the same collections with the same set of items. */
async function identicalOpenTransfer(db: Db, owner: string, plan: Plan, digest: string): Promise<boolean> {
  const row = await db
    .selectFrom('transfer_tasks')
    .select('task_id')
    .where('owner_id', '=', owner)
    .where('items_digest', '=', digest)
    .where('type', '=', 'TRANSFER')
    .where('status', 'in', [...OPEN_STATUSES])
    .where('source_collection_id', '=', plan.sourceId)
    .where('destination_collection_id', '=', plan.destinationId)
    .executeTakeFirst();
  return row !== undefined;
}

function authorityOf(auth: AuthContext): TaskAuthority {
  return {
    identityId: auth.identityId,
    identitySet: auth.identitySet,
    clientId: auth.clientId,
    grantId: auth.grantId,
    authenticatedAt: auth.authenticatedAt,
    issuedAt: auth.issuedAt,
  };
}

type Outcome = { code: 'Accepted' | 'Duplicate'; taskId: string };

/**
 * Creates the task and its entries in one transaction (docs/transfer-tasks.md, "The contract"), the
 * submission id recorded with it: a concurrent repeat of the same id waits on its lock and sees the task.
 */
async function createTask(ctx: ServiceContext, auth: AuthContext, submissionId: string, plan: Plan, now: number): Promise<Outcome> {
  const { store } = ctx;
  const digest = itemsDigest(plan);
  const outcome = await store.tx(async (trx): Promise<Outcome> => {
    await store.lockInTransaction(trx, `transfer-submission:${submissionId}`);
    await store.lockInTransaction(trx, `transfer-submitter:${auth.identityId}`);
    const previous = await previousSubmission(trx, submissionId, auth);
    if (previous) return { code: 'Duplicate', taskId: previous };
    if (plan.type === 'TRANSFER' && (await identicalOpenTransfer(trx, auth.identityId, plan, digest)))
      throw transferErrors.error('Conflict', 'A transfer with identical paths has not yet completed');
    const taskId = randomUUID();
    const subtasks = plan.type === 'TRANSFER' ? 1 : plan.entries.length;
    await trx
      .insertInto('transfer_tasks')
      .values({
        task_id: taskId,
        submission_id: submissionId,
        owner_id: auth.identityId,
        type: plan.type,
        status: 'ACTIVE',
        label: plan.label,
        source_collection_id: plan.sourceId,
        destination_collection_id: plan.destinationId,
        requested_at: now,
        deadline_at: plan.deadline.at,
        deadline_fixed: plan.deadline.fixed ? 1 : 0,
        options: toJson(plan.options),
        authority: toJson(authorityOf(auth)),
        subtasks_total: subtasks,
        subtasks_pending: subtasks,
        items_digest: plan.type === 'TRANSFER' ? digest : null,
      })
      .execute();
    for (let i = 0; i < plan.entries.length; i += ENTRY_BATCH) {
      await trx
        .insertInto('transfer_task_entries')
        .values(
          plan.entries.slice(i, i + ENTRY_BATCH).map((e, j) => ({
            task_id: taskId,
            item: i + j,
            kind: e.kind,
            source_path: e.source_path,
            destination_path: e.destination_path,
            state: 'pending' as const,
            spec: e.spec ? toJson(e.spec) : null,
          })),
        )
        .execute();
    }
    return { code: 'Accepted', taskId };
  });
  // After the commit: this process's engine starts it now; other processes find it by their poll.
  if (outcome.code === 'Accepted') wakeEngine(ctx.store);
  return outcome;
}

function submissionReply(request: FastifyRequest, reply: FastifyReply, kind: 'transfer' | 'delete', submissionId: string, outcome: Outcome) {
  const accepted = outcome.code === 'Accepted';
  return reply.code(accepted ? 202 : 200).send({
    DATA_TYPE: `${kind}_result`,
    code: outcome.code,
    message: accepted
      ? `The ${kind} has been accepted and a task has been created and queued for execution`
      : `A ${kind} request with submission id '${submissionId}' has already been accepted`,
    request_id: request.id,
    resource: `/${kind}`,
    submission_id: submissionId,
    task_id: outcome.taskId,
    task_link: { DATA_TYPE: 'link', href: `task/${outcome.taskId}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
  });
}

export async function submissionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const duplicateOf = (submissionId: string, auth: AuthContext): Promise<Outcome | undefined> =>
    previousSubmission(store.db, submissionId, auth).then((taskId) => (taskId ? { code: 'Duplicate', taskId } : undefined));

  app.get('/v0.10/submission_id', { schema: { response: { 200: SubmissionId }, tags: ['transfer'] } }, async (request) => {
    requiredAuth(request);
    return { DATA_TYPE: 'submission_id', value: randomUUID() };
  });

  app.post(
    '/v0.10/transfer',
    { schema: { body: TransferBody, response: { 200: SubmissionResult, 202: SubmissionResult }, tags: ['transfer'] } },
    async (request, reply) => {
      const auth = requiredAuth(request);
      const body = request.body as TransferBodyT;
      const now = ctx.clock();
      const shape = readTransfer(body, now);
      const duplicate = await duplicateOf(body.submission_id, auth);
      if (duplicate) return submissionReply(request, reply, 'transfer', body.submission_id, duplicate);
      const [source, destination] = await resolveCollections(ctx, auth, [body.source_endpoint, body.destination_endpoint]);
      await requireConsents(store.db, auth, [source, destination]);
      await requireSession(store.db, auth, source, 'read');
      await requireSession(store.db, auth, destination, 'write');
      const entries = shape.items.map((item) => ({
        source_path: taskPath(item.source, source),
        destination_path: taskPath(item.destination, destination),
        kind: 'item' as const,
        spec: item.spec,
      }));
      const forced = source.settings.force_encryption === true || destination.settings.force_encryption === true;
      const options: TaskOptions = { ...shape.options, encrypt_data: shape.options.encrypt_data || forced };
      if (options.store_base_path_info) {
        options.source_base_path = commonDirectory(entries.map((e) => e.source_path));
        options.destination_base_path = commonDirectory(entries.map((e) => e.destination_path));
      }
      const plan: Plan = {
        type: 'TRANSFER',
        sourceId: source.collection.row.id,
        destinationId: destination.collection.row.id,
        label: shape.label,
        deadline: shape.deadline,
        options,
        entries,
      };
      return submissionReply(request, reply, 'transfer', body.submission_id, await createTask(ctx, auth, body.submission_id, plan, now));
    },
  );

  app.post(
    '/v0.10/delete',
    { schema: { body: DeleteBody, response: { 200: SubmissionResult, 202: SubmissionResult }, tags: ['transfer'] } },
    async (request, reply) => {
      const auth = requiredAuth(request);
      const body = request.body as DeleteBodyT;
      const now = ctx.clock();
      if (body.DATA.length === 0) throw transferErrors.error('ClientError.BadRequest.NoDeleteItems', 'A delete requires at least one item');
      const label = checkLabel(body.label);
      const deadline = deadlineOf(body.deadline, now);
      const duplicate = await duplicateOf(body.submission_id, auth);
      if (duplicate) return submissionReply(request, reply, 'delete', body.submission_id, duplicate);
      const [target] = await resolveCollections(ctx, auth, [body.endpoint]);
      await requireConsents(store.db, auth, [target]);
      await requireSession(store.db, auth, target, 'write');
      const entries = body.DATA.map((item) => {
        const path = taskPath(item.path, target);
        // Not a permission question: no delete task removes the collection itself.
        if (path === '/') throw transferErrors.error('PermissionDenied', 'The collection root cannot be deleted');
        return { source_path: path, destination_path: null, kind: 'delete' as const, spec: null };
      });
      const options: TaskOptions = {
        recursive: body.recursive ?? false,
        ignore_missing: body.ignore_missing ?? false,
        interpret_globs: body.interpret_globs ?? false,
        local_user: body.local_user ?? null,
        notify_on_succeeded: body.notify_on_succeeded ?? true,
        notify_on_failed: body.notify_on_failed ?? true,
        notify_on_inactive: body.notify_on_inactive ?? true,
      };
      const plan: Plan = { type: 'DELETE', sourceId: target.collection.row.id, destinationId: null, label, deadline, options, entries };
      return submissionReply(request, reply, 'delete', body.submission_id, await createTask(ctx, auth, body.submission_id, plan, now));
    },
  );
}
