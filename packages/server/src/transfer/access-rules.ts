// Transfer access-rule routes on guest collections: access_list, and access create / read / update / delete (spec transfer-and-data.md §3).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { nowSeconds } from '../store/db.ts';
import { lockRow } from '../store/locking.ts';
import { type ApiError } from '../http/errors.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { requiredAuth } from '../auth/request-caller.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { newId } from '../auth/secrets.ts';
import { canViewCollection } from '../authz/gcs.ts';
import { anonymousWriteRefusal, canManageAccessRules, canViewAccessRules, imposedExpiration, type AccessRule } from '../authz/access-rules.ts';
import { callerFor, type Caller } from '../gcs/caller.ts';
import { findCollection, type Collection } from '../gcs/collection-repo.ts';
import { findGateway } from '../gcs/gateway-repo.ts';
import { loadEndpoint } from '../gcs/endpoint-repo.ts';
import { mappedView, rootPath } from '../gcs/documents/collection.ts';
import { viewContext } from '../gcs/collection-view.ts';
import { explicitRuleRows, hasAccessRule, implicitRulesFor } from '../gcs/access-rules-lookup.ts';
import {
  AccessCreateBody,
  AccessDocument,
  AccessList,
  AccessListQuery,
  AccessUpdateBody,
  CreateResult,
  EndpointParams,
  MAX_RULES_PER_COLLECTION,
  Result,
  RuleParams,
  checkedRulePath,
  implicitDocument,
  parseExpiration,
  ruleDocument,
  withDirectorySlash,
  type AccessCreateInput,
  type AccessUpdateInput,
} from './access-documents.ts';
import type { AccessRuleRow } from './tables.ts';
import { endpointNotFound, transferErrors } from './errors.ts';

const EMAIL_RE = /^[^@\s]+@[^@\s]+$/;

function ruleNotFound(id: string): ApiError {
  return transferErrors.error('AccessRuleNotFound', `Access rule '${id}' not found`);
}

function badRequest(message: string): ApiError {
  return transferErrors.error('BadRequest', message);
}

/** What the write checks need to know about the guest and the mapped collection it shares from. */
interface GuestContext {
  auth: AuthContext;
  caller: Caller;
  guest: Collection;
  mapped: Collection | undefined;
  highAssurance: boolean;
}

/**
 * Resolves `{endpoint_id}` to a guest collection the caller may see and act on. Unknown and invisible
 * ids are EndpointNotFound (existence does not leak); the endpoint and mapped collections are
 * BadRequest; a visible guest without the needed role is PermissionDenied.
 */
async function guestFor(db: Db, request: FastifyRequest, rawId: string, mode: 'view' | 'manage'): Promise<GuestContext> {
  const auth = requiredAuth(request);
  const id = rawId.toLowerCase();
  if (!UUID_RE.test(id)) throw endpointNotFound(rawId);
  const endpoint = await loadEndpoint(db);
  if (id === endpoint.id) throw badRequest(`Endpoint '${id}' is a GCSv5 endpoint: access rules exist only on GCSv5 guest collections`);
  const collection = await findCollection(db, id);
  if (!collection) throw endpointNotFound(id);
  const caller = await callerFor(db, endpoint, auth);
  if (collection.row.collection_type !== 'guest') {
    if (!(await viewContext(db, caller).visibility(collection)).allowed) throw endpointNotFound(id);
    throw badRequest(`'${id}' is a mapped collection: access rules exist only on GCSv5 guest collections`);
  }
  const roleVisible = canViewCollection({
    held: caller.held,
    collection: collection.ref,
    endpointPublic: endpoint.public,
    gatewayAllowed: false,
    aclHolder: false,
  }).allowed;
  if (!roleVisible && !(await hasAccessRule(db, caller.principals, id))) throw endpointNotFound(id);
  const decision = mode === 'manage' ? canManageAccessRules(caller.held, collection.ref) : canViewAccessRules(caller.held, collection.ref);
  if (!decision.allowed) {
    throw transferErrors.error(
      'PermissionDenied',
      mode === 'manage' ? `You do not have permission to manage access rules on '${id}'` : `You do not have permission to view access rules on '${id}'`,
    );
  }
  const mapped = collection.row.mapped_collection_id ? await findCollection(db, collection.row.mapped_collection_id) : undefined;
  const gateway = await findGateway(db, collection.row.storage_gateway_id);
  return { auth, caller, guest: collection, mapped, highAssurance: gateway?.policy.high_assurance === true };
}

/** Expired rules no longer count; dropping them keeps them out of the duplicate and limit checks. */
async function pruneExpired(db: Db, guestId: string, now: number): Promise<void> {
  await db
    .deleteFrom('transfer_access_rules')
    .where('collection_id', '=', guestId)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now)
    .execute();
}

function expirationFor(ctx: GuestContext, requested: string | null | undefined, createdAt: number, now: number): number | null {
  let expires: number | null = null;
  if (typeof requested === 'string') {
    expires = parseExpiration(requested);
    if (expires <= now) throw badRequest(`expiration_date '${requested}' is in the past`);
  }
  const imposed = imposedExpiration({
    high_assurance: ctx.highAssurance,
    mappedMins: ctx.mapped ? (mappedView(ctx.mapped).acl_expiration_mins as number | null) : null,
    guestMins: ctx.guest.doc.acl_expiration_mins as number | null | undefined,
    from: createdAt,
  });
  if (imposed !== null && (expires === null || imposed < expires)) expires = imposed;
  return expires;
}

function checkAnonymousWrite(ctx: GuestContext, rule: Pick<AccessRule, 'principal_type' | 'permissions'>): void {
  const mapped = ctx.mapped ? mappedView(ctx.mapped) : {};
  const refusal = anonymousWriteRefusal(rule, { disable_anonymous_writes: mapped.disable_anonymous_writes === true, high_assurance: ctx.highAssurance });
  if (refusal) throw badRequest(refusal);
}

/** Identity and group principals must be ids this server knows; the two catch-all types take no principal. */
async function checkedPrincipal(db: Db, type: AccessRule['principal_type'], raw: string | undefined): Promise<string> {
  const principal = (raw ?? '').trim().toLowerCase();
  if (type === 'all_authenticated_users' || type === 'anonymous') {
    if (principal !== '') throw badRequest(`principal must be empty for principal_type '${type}'`);
    return '';
  }
  if (!UUID_RE.test(principal)) throw badRequest(`principal must be a${type === 'identity' ? 'n identity' : ' group'} id (UUID) for principal_type '${type}'`);
  const found =
    type === 'identity'
      ? await db.selectFrom('identities').select('id').where('id', '=', principal).executeTakeFirst()
      : await db.selectFrom('groups').select('id').where('id', '=', principal).executeTakeFirst();
  if (!found) throw badRequest(`No such ${type} '${principal}'`);
  return principal;
}

function checkNotify(email: string | null | undefined, message: string | null | undefined): void {
  if (typeof email === 'string' && !EMAIL_RE.test(email)) throw badRequest(`notify_email '${email}' is not an email address`);
  if (typeof message === 'string' && typeof email !== 'string') throw badRequest('notify_message requires notify_email');
}

async function findRule(db: Db, guestId: string, rawId: string, now: number): Promise<AccessRuleRow> {
  const id = rawId.toLowerCase();
  if (!UUID_RE.test(id)) throw ruleNotFound(rawId);
  const row = await db.selectFrom('transfer_access_rules').selectAll().where('id', '=', id).where('collection_id', '=', guestId).executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= now)) throw ruleNotFound(id);
  return row;
}

/** Members a PUT may carry unchanged; any difference from the stored rule is refused. */
function checkImmutable(body: AccessUpdateInput, row: AccessRuleRow): void {
  const differs: string[] = [];
  if (body.id !== undefined && (body.id ?? '').toLowerCase() !== row.id) differs.push('id');
  if (body.principal_type !== undefined && body.principal_type !== row.principal_type) differs.push('principal_type');
  if (body.principal !== undefined && body.principal.trim().toLowerCase() !== row.principal) differs.push('principal');
  if (body.path !== undefined) {
    const given = checkedRulePath(body.path);
    // The stored path may have gained its directory `/` at creation.
    if (given !== row.path && `${given}/` !== row.path) differs.push('path');
  }
  if (body.create_time !== undefined && body.create_time !== null && parseExpiration(body.create_time, 'create_time') !== row.created_at)
    differs.push('create_time');
  if (body.notify_email !== undefined && (body.notify_email ?? null) !== row.notify_email) differs.push('notify_email');
  if (body.notify_message !== undefined && (body.notify_message ?? null) !== row.notify_message) differs.push('notify_message');
  if (differs.length) throw badRequest(`Only permissions and expiration_date of an access rule can be changed (not ${differs.join(', ')})`);
}

export async function accessRuleRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const endpointOf = (request: FastifyRequest) => (request.params as { endpoint_id: string }).endpoint_id;
  const ruleOf = (request: FastifyRequest) => (request.params as { access_id: string }).access_id;

  app.get(
    '/v0.10/endpoint/:endpoint_id/access_list',
    { schema: { params: EndpointParams, querystring: AccessListQuery, response: { 200: AccessList }, tags: ['transfer'] } },
    async (request) => {
      const query = request.query as { offset?: number; limit?: number };
      const gctx = await guestFor(store.db, request, endpointOf(request), 'view');
      const id = gctx.guest.row.id;
      const [implicit, rows] = await Promise.all([implicitRulesFor(store.db, id), explicitRuleRows(store.db, id)]);
      const all = [...implicit.map(implicitDocument), ...rows.map(ruleDocument)];
      const offset = query.offset ?? 0;
      const limit = query.limit ?? all.length + MAX_RULES_PER_COLLECTION;
      const page = all.slice(offset, offset + limit);
      return {
        DATA_TYPE: 'access_list' as const,
        endpoint: id,
        length: page.length,
        offset,
        limit,
        total: all.length,
        has_next_page: offset + page.length < all.length,
        DATA: page,
      };
    },
  );

  app.get(
    '/v0.10/endpoint/:endpoint_id/access/:access_id',
    { schema: { params: RuleParams, response: { 200: AccessDocument }, tags: ['transfer'] } },
    async (request) => {
      const gctx = await guestFor(store.db, request, endpointOf(request), 'view');
      return ruleDocument(await findRule(store.db, gctx.guest.row.id, ruleOf(request), nowSeconds()));
    },
  );

  app.post(
    '/v0.10/endpoint/:endpoint_id/access',
    { schema: { params: EndpointParams, body: AccessCreateBody, response: { 201: CreateResult }, tags: ['transfer'] } },
    async (request, reply) => {
      const body = request.body as AccessCreateInput;
      const created = await store.tx(async (db) => {
        const gctx = await guestFor(db, request, endpointOf(request), 'manage');
        const guestId = gctx.guest.row.id;
        const now = nowSeconds();
        // Rule writes on one guest serialize on its row, so the duplicate and limit checks cannot race.
        await lockRow(db, 'collections', guestId);
        await pruneExpired(db, guestId, now);
        let path = checkedRulePath(body.path);
        const principal = await checkedPrincipal(db, body.principal_type, body.principal);
        checkAnonymousWrite(gctx, { principal_type: body.principal_type, permissions: body.permissions });
        checkNotify(body.notify_email, body.notify_message);
        const expiresAt = expirationFor(gctx, body.expiration_date, now, now);
        path = await withDirectorySlash(rootPath(gctx.guest, gctx.mapped), path);
        const duplicate = await db
          .selectFrom('transfer_access_rules')
          .select('id')
          .where('collection_id', '=', guestId)
          .where('principal_type', '=', body.principal_type)
          .where('principal', '=', principal)
          .where('path', '=', path)
          .executeTakeFirst();
        if (duplicate) throw transferErrors.error('Exists', `An access rule for this principal on '${path}' already exists (${duplicate.id})`);
        const count = await db
          .selectFrom('transfer_access_rules')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('collection_id', '=', guestId)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= MAX_RULES_PER_COLLECTION)
          throw transferErrors.error('LimitExceeded', `A guest collection may have at most ${MAX_RULES_PER_COLLECTION} access rules`);
        const row: AccessRuleRow = {
          id: newId(),
          collection_id: guestId,
          principal_type: body.principal_type,
          principal,
          path,
          permissions: body.permissions,
          notify_email: body.notify_email ?? null,
          notify_message: body.notify_message ?? null,
          created_at: now,
          expires_at: expiresAt,
        };
        await db.insertInto('transfer_access_rules').values(row).execute();
        return row;
      });
      // Gatehouse sends no mail: the notification is recorded for the operator instead.
      if (created.notify_email)
        request.log.info(
          { access_id: created.id, notify_email: created.notify_email, notify_message: created.notify_message },
          'access rule notification (not sent)',
        );
      reply.status(201);
      return {
        DATA_TYPE: 'access_create_result' as const,
        code: 'Created' as const,
        resource: `/endpoint/${created.collection_id}/access`,
        request_id: request.id,
        access_id: created.id,
        message: 'Access rule created successfully.',
      };
    },
  );

  app.put(
    '/v0.10/endpoint/:endpoint_id/access/:access_id',
    { schema: { params: RuleParams, body: AccessUpdateBody, response: { 200: Result }, tags: ['transfer'] } },
    async (request) => {
      const body = request.body as AccessUpdateInput;
      const row = await store.tx(async (db) => {
        const gctx = await guestFor(db, request, endpointOf(request), 'manage');
        const now = nowSeconds();
        await lockRow(db, 'collections', gctx.guest.row.id);
        const rule = await findRule(db, gctx.guest.row.id, ruleOf(request), now);
        checkImmutable(body, rule);
        const permissions = body.permissions ?? (rule.permissions as AccessRule['permissions']);
        checkAnonymousWrite(gctx, { principal_type: rule.principal_type as AccessRule['principal_type'], permissions });
        // An HA limit counts from the rule's creation, so an update can never extend it.
        const expiresAt = body.expiration_date === undefined ? rule.expires_at : expirationFor(gctx, body.expiration_date, rule.created_at, now);
        await db.updateTable('transfer_access_rules').set({ permissions, expires_at: expiresAt }).where('id', '=', rule.id).execute();
        return rule;
      });
      return {
        DATA_TYPE: 'result' as const,
        code: 'Updated',
        message: `Access rule '${row.id}' updated successfully`,
        request_id: request.id,
        resource: `/endpoint/${row.collection_id}/access/${row.id}`,
      };
    },
  );

  app.delete(
    '/v0.10/endpoint/:endpoint_id/access/:access_id',
    { schema: { params: RuleParams, response: { 200: Result }, tags: ['transfer'] } },
    async (request) => {
      const row = await store.tx(async (db) => {
        const gctx = await guestFor(db, request, endpointOf(request), 'manage');
        const rule = await findRule(db, gctx.guest.row.id, ruleOf(request), nowSeconds());
        await db.deleteFrom('transfer_access_rules').where('id', '=', rule.id).execute();
        return rule;
      });
      return {
        DATA_TYPE: 'result' as const,
        code: 'Deleted',
        message: `Access rule '${row.id}' deleted successfully`,
        request_id: request.id,
        resource: `/endpoint/${row.collection_id}/access/${row.id}`,
      };
    },
  );
}
