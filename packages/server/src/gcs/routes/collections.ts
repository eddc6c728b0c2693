// /api/collections: mapped and guest collections, with the guest-creation checks of spec semantics.md §7.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds, toJson } from '../../store/db.ts';
import { lockRow } from '../../store/locking.ts';
import { newId } from '../../auth/secrets.ts';
import { hasDependency } from '../../auth/tokens.ts';
import { type ApiError } from '../../http/errors.ts';
import {
  canAdministerCollection,
  canManageEndpoint,
  canManageDomains,
  endpointSubscribed,
  gatewayAccounts,
  gatewayIdentityDenial,
  gatewayUsesGroups,
  guestBasePathShareable,
  guestInheritanceErrors,
  guestLimitExceeded,
  sharingUsesGroups,
  sharingUserAllowed,
  usableUsername,
  type GatewayIdentityDenial,
} from '../../authz/gcs.ts';
import { interpolatePath, joinUnderRoot, normalizePath, invalidRestrictionPaths, type PathRestrictions } from '../../authz/paths.ts';
import { realBasePath } from '../../data/paths.ts';
import { lookupAccount } from '../../data/posix/accounts.ts';
import { enforce, GCS_VIEWER, loadCaller, manageScope, type Caller } from '../caller.ts';
import { CollectionBody, COLLECTION_FIELDS } from '../bodies.ts';
import { IdParams, Uuid, checkConnectorPolicies, checkDataType, createDocument, mergeDocument, requireFields, toBool, today, type FieldRules, ListParam, csvValues } from '../documents.ts';
import { PagingQuery, gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { COLLECTION_SIDE_FIELDS, findCollections, connectorPrefix, endpointDomain, findCollection, findGateway, loadCollection, mappedView, rootPath, sharingPoliciesOf, toCollection, type Collection } from '../model.ts';
import { viewContext } from '../collection-view.ts';
import { applyCollectionDomain, domainRecord } from './domains.ts';
import { findPolicy } from '../../auth/policies.ts';
import { gcsErrors } from '../errors.ts';


const BOOLEANS = ['public', 'allow_guest_collections', 'enable_https', 'force_encryption', 'disable_verify', 'force_verify', 'disable_anonymous_writes', 'delete_protected', 'skip_auto_delete'];
const READ_ONLY = [
  'id', 'manager_url', 'https_url', 'tlsftp_url', 'root_path', 'connector_id', 'high_assurance', 'require_high_assurance', 'require_mfa',
  'authentication_timeout_mins', 'authentication_assurance_timeout', 'created_at', 'last_access', 'deleted', 'subscription_admin_verified',
  'identity_id', 'domain', 'domain_name', 'owner_string', 'assigned_domain_name', 'custom_domain', 'requested_domain',
];
/** Settings a guest inherits from its mapped collection: never stored on the guest. */
const INHERITED = ['allow_guest_collections', 'sharing_restrict_paths', 'sharing_users_allow', 'sharing_users_deny', 'user_message', 'user_message_link', 'guest_auth_policy_id', 'restrict_transfers_to_high_assurance', 'disable_anonymous_writes', 'delete_protected', 'auto_delete_timeout'];
const MAPPED_ONLY_INPUT = ['mapped_collection_id', 'user_credential_id', 'skip_auto_delete', 'activity_notification_policy'];
const IMMUTABLE = ['collection_type', 'collection_base_path', 'storage_gateway_id', 'mapped_collection_id'];

function rulesFor(type: string): FieldRules {
  return { fields: COLLECTION_FIELDS, readOnly: type === 'guest' ? [...READ_ONLY, ...INHERITED] : [...READ_ONLY, ...MAPPED_ONLY_INPUT], immutable: IMMUTABLE, booleans: BOOLEANS };
}

const DATE_FILTER = /^(last_access|created_at)(<=|>=|<|>|=)(\d{4}-\d{2}-\d{2})$/;
const NAMED_FILTERS = new Set(['mapped_collections', 'guest_collections', 'managed_by_me', 'created_by_me']);

export function parseFilters(values: string[]): { named: Set<string>; dates: Array<{ field: string; op: string; value: string }> } {
  const named = new Set<string>();
  const dates: Array<{ field: string; op: string; value: string }> = [];
  for (const raw of values) {
    const date = DATE_FILTER.exec(raw);
    if (date) dates.push({ field: date[1], op: date[2], value: date[3] });
    else if (NAMED_FILTERS.has(raw.replace(/-/g, '_'))) named.add(raw.replace(/-/g, '_'));
    else throw gcsError(400, `Unknown filter ${raw}`);
  }
  return { named, dates };
}

export function compareDate(actual: unknown, op: string, value: string): boolean {
  if (typeof actual !== 'string') return false;
  if (op === '<') return actual < value;
  if (op === '<=') return actual <= value;
  if (op === '>') return actual > value;
  if (op === '>=') return actual >= value;
  return actual === value;
}

export function subscriptionRequired(message: string): ApiError {
  return gcsErrors.error('subscription_required', message, { detail: { DATA_TYPE: 'subscription_required#1.0.0', subscription_level: 'standard', add_ons: [] } });
}

function denialError(denial: GatewayIdentityDenial): ApiError {
  if (denial.kind === 'not_from_allowed_domain') return gcsError(403, 'Caller has no identity from an allowed domain', { DATA_TYPE: 'not_from_allowed_domain#1.0.0', allowed_domains: denial.allowed_domains });
  if (denial.kind === 'authentication_timeout') {
    return gcsError(
      403,
      'Authentication timeout',
      { DATA_TYPE: 'authentication_timeout#1.1.0', identities: denial.identities, high_assurance: denial.high_assurance, require_mfa: denial.require_mfa },
      { authorization_parameters: { session_message: 'Re-authenticate to use this storage gateway', session_required_identities: denial.identities, session_required_mfa: denial.require_mfa } },
    );
  }
  return gcsError(403, 'Invalid user', { DATA_TYPE: 'invalid_user#1.0.0', usernames: denial.usernames });
}

/** The collection types a list's `filter=` leaves (mapped_collections / guest_collections narrow it). */
export function collectionTypes(named: Set<string>): string[] {
  return ['mapped', 'guest'].filter((t) => !named.has(t === 'mapped' ? 'guest_collections' : 'mapped_collections'));
}

/** Keyset pages of collections by id, narrowed by type, mapped collection, gateway and creator. */
export function collectionFetcher(db: Db, types: string[], q: { mapped_collection_id?: string; storage_gateway_id?: string }, createdBy?: string[]) {
  return async (after: string | null, limit: number): Promise<Collection[]> => {
    // Only the ids come from the keyset query; the documents from the collection cache (parsed once).
    let query = db.selectFrom('collections').select('id').orderBy('id').limit(limit);
    if (after !== null) query = query.where('id', '>', after);
    if (types.length === 1) query = query.where('collection_type', '=', types[0]);
    if (q.mapped_collection_id) query = query.where('mapped_collection_id', '=', q.mapped_collection_id.toLowerCase());
    if (q.storage_gateway_id) query = query.where('storage_gateway_id', '=', q.storage_gateway_id.toLowerCase());
    if (createdBy) query = query.where('identity_id', 'in', createdBy);
    return findCollections(db, (await query.execute()).map((r) => r.id));
  };
}

/** A fresh `m-`/`g-` host name: random labels, re-drawn on the rare clash the unique index would refuse. */
async function assignedDomain(db: Db, prefix: 'm' | 'g', domain: string): Promise<string> {
  for (;;) {
    const name = `${prefix}-${randomBytes(3).toString('hex')}.${domain.toLowerCase()}`;
    if (!(await db.selectFrom('collections').select('id').where('domain_name', '=', name).executeTakeFirst())) return name;
  }
}

async function insertCollection(db: Db, c: { id: string; type: string; gatewayId: string; mappedId: string | null; identityId: string; credentialId: string | null; domainName: string; doc: Record<string, unknown> }): Promise<Collection> {
  const row = {
    id: c.id,
    domain_name: c.domainName,
    collection_type: c.type,
    storage_gateway_id: c.gatewayId,
    mapped_collection_id: c.mappedId,
    identity_id: c.identityId,
    user_credential_id: c.credentialId,
    public: c.doc.public === false ? 0 : 1,
    document: toJson(c.doc),
    created_at: nowSeconds(),
  };
  await db.insertInto('collections').values(row).execute();
  // The creator's administrator role: it goes only with the collection.
  await db
    .insertInto('gcs_roles')
    .values({ id: newId(), collection_id: c.id, scope_key: c.id, principal: `urn:globus:auth:identity:${c.identityId}`, role: 'administrator', protected: 1, created_at: nowSeconds() })
    .execute();
  return toCollection(row);
}

/** A mapped collection's guest_auth_policy_id must name an Auth policy when it is set; stored lower-case. */
async function checkGuestAuthPolicy(db: Db, doc: Record<string, unknown>): Promise<void> {
  if (typeof doc.guest_auth_policy_id !== 'string') return;
  const policy = await findPolicy(db, doc.guest_auth_policy_id);
  if (!policy) throw invalidInput(`guest_auth_policy_id ${doc.guest_auth_policy_id} names no Auth policy`, 'guest_auth_policy_id');
  doc.guest_auth_policy_id = policy.id;
}

function checkBasePathSyntax(path: string, relative: boolean): string {
  const expanded = relative ? (path.startsWith('/') ? path : `/${path}`) : path;
  if (!relative && (path === '~' || path.startsWith('~/'))) return path;
  const normal = normalizePath(expanded);
  if (normal === null) throw invalidInput(relative ? 'collection_base_path must stay inside the mapped collection' : 'collection_base_path must be an absolute path', 'collection_base_path');
  return normal;
}

export async function collectionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  async function createMapped(db: Db, caller: Caller, body: Record<string, unknown>): Promise<Collection> {
    enforce(canManageEndpoint(caller.held));
    requireFields(body, ['storage_gateway_id']);
    const gateway = await findGateway(db, String(body.storage_gateway_id));
    if (!gateway) throw gcsError(403, `Storage gateway ${String(body.storage_gateway_id)} not found`, { DATA_TYPE: 'storage_gateway_not_found#1.0.0', storage_gateway_id: body.storage_gateway_id });
    if (typeof gateway.doc.root === 'string' && normalizePath(gateway.doc.root) === null) throw invalidInput('The storage gateway root is not an absolute path');
    const doc = createDocument(body, rulesFor('mapped'));
    checkConnectorPolicies(doc.policies, 'collection', connectorPrefix(gateway.row.connector_id));
    doc.collection_base_path = checkBasePathSyntax(String(body.collection_base_path), false);
    const bad = invalidRestrictionPaths(doc.sharing_restrict_paths as PathRestrictions | undefined);
    if (bad.length) throw invalidInput(bad.map((p) => `sharing_restrict_paths entry ${p} must be absolute`));
    await checkGuestAuthPolicy(db, doc);
    const requested = typeof body.domain_name === 'string' ? body.domain_name.toLowerCase() : undefined;
    if (requested !== undefined && (!requested.endsWith(`.${config.domain.toLowerCase()}`) || /^[mg]-/.test(requested) || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(requested))) {
      throw invalidInput(`domain_name must be a subdomain of ${config.domain} not starting with m- or g-`, 'domain_name');
    }
    if (requested !== undefined) {
      const clash = await db.selectFrom('collections').select('id').where('domain_name', '=', requested).execute();
      if (clash.length) throw gcsError(409, `domain_name ${requested} is in use`, { DATA_TYPE: 'resource_conflict#1.0.0', resources: clash.map((r) => r.id) });
      // A name chosen by the administrator stays put when a wildcard domain renames assigned ones.
      doc.requested_domain = true;
    }
    // A custom domain document (collection#1.3.0 `domain`) is an endpoint administrator's choice, as with the domain route.
    const customDomain = body.domain && typeof body.domain === 'object' ? await domainRecord(body.domain as Record<string, unknown>, config.tlsDomainCertDir) : undefined;
    if (customDomain) enforce(canManageDomains(caller.held));
    doc.created_at = today();
    delete doc.storage_gateway_id;
    const created = await insertCollection(db, { id: newId(), type: 'mapped', gatewayId: gateway.row.id, mappedId: null, identityId: caller.auth!.identityId, credentialId: null, domainName: requested ?? (await assignedDomain(db, 'm', config.domain)), doc });
    if (!customDomain) return created;
    const endpointName = endpointDomain(caller.endpoint);
    await applyCollectionDomain(db, created, customDomain, endpointName && !endpointName.wildcard ? endpointName.domain_name : undefined);
    return loadCollection(db, created.row.id);
  }

  /** The checks of semantics.md §7 in order; the first failure answers. */
  async function createGuest(db: Db, caller: Caller, body: Record<string, unknown>): Promise<Collection> {
    const auth = caller.auth!;
    requireFields(body, ['mapped_collection_id']);
    const mappedId = String(body.mapped_collection_id).toLowerCase();
    // The mapped collection is locked for the whole creation: its settings hold, and its guests are counted, until this guest is in.
    const mapped = await findCollection(db, mappedId, { forUpdate: true });
    if (!mapped || mapped.row.collection_type !== 'mapped') throw gcsError(403, `Mapped collection ${mappedId} not found`, { DATA_TYPE: 'collection_not_found#1.0.0', collection_id: mappedId });
    if (!endpointSubscribed(caller.endpoint.doc.subscription_id as string | null | undefined)) throw subscriptionRequired('Guest collections require a managed endpoint (one with a subscription_id)');
    const m = mappedView(mapped);
    if (m.allow_guest_collections !== true) throw gcsError(403, 'Guest collections are not allowed on this mapped collection');
    const gateway = await findGateway(db, mapped.row.storage_gateway_id);
    if (!gateway) throw gcsError(403, 'The mapped collection has no storage gateway', { DATA_TYPE: 'storage_gateway_not_found#1.0.0', storage_gateway_id: mapped.row.storage_gateway_id });
    const dataAccess = `https://auth.globus.org/scopes/${mappedId}/data_access`;
    if (gateway.doc.high_assurance !== true && !hasDependency(auth, dataAccess)) {
      const required = [`${manageScope(caller.endpoint.id)}[${dataAccess}]`];
      throw gcsError(403, 'Missing required data_access consent', { DATA_TYPE: 'missing_required_scopes#1.0.0', required_scopes: required }, { authorization_parameters: { session_message: 'Consent to data access on the mapped collection is required', required_scopes: required } });
    }
    const identityId = typeof body.identity_id === 'string' ? body.identity_id.toLowerCase() : auth.identityId;
    if (!auth.identitySet.includes(identityId)) throw gcsError(403, 'identity_id is not one of the caller identities', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id: identityId });
    const identity = (await caller.identities()).find((i) => i.id === identityId);
    if (!identity) throw gcsError(403, 'identity_id is not one of the caller identities', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id: identityId });
    // A client identity "authenticates" when its token is issued.
    const authenticatedAt = identity.identity_type === 'client' ? auth.issuedAt : auth.authenticatedAt;
    const denial = gatewayIdentityDenial({ gateway: gateway.policy, identity, authenticatedAt, now: nowSeconds() });
    if (denial) throw denialError(denial);
    const credentials = await db.selectFrom('user_credentials').selectAll().where('storage_gateway_id', '=', gateway.row.id).where('identity_id', '=', identityId).execute();
    let credential = credentials[0];
    if (typeof body.user_credential_id === 'string') {
      credential = credentials.find((c) => c.id === (body.user_credential_id as string).toLowerCase())!;
      if (!credential || JSON.parse(credential.document).invalid === true) throw gcsError(403, 'Invalid user credential', { DATA_TYPE: 'invalid_credential#1.0.0', user_credential_id: body.user_credential_id });
    } else if (credentials.length === 0) {
      const accounts = gatewayAccounts(gateway.policy, [identity]).map((a) => ({ DATA_TYPE: 'account#1.0.0', identity_id: a.identity_id, storage_gateway_id: gateway.row.id, username: a.username }));
      throw gcsError(403, 'No user credential for this storage gateway', { DATA_TYPE: 'credential_not_found#1.0.0', accounts });
    } else if (credentials.length > 1) throw invalidInput('Several user credentials match: give user_credential_id', 'user_credential_id');
    const accountGroups = gatewayUsesGroups(gateway.policy) || sharingUsesGroups(m) ? (await caller.accountGroups([credential.username])).get(credential.username) : undefined;
    const username = usableUsername(gateway.policy, identity, credential.username, accountGroups);
    if (username === null) throw gcsError(403, 'Invalid user', { DATA_TYPE: 'invalid_user#1.0.0', usernames: [credential.username] });
    if (!sharingUserAllowed(m, username, accountGroups)) throw gcsError(403, 'This account may not share from the mapped collection', { DATA_TYPE: 'invalid_user#1.0.0', usernames: [username] });
    const relative = checkBasePathSyntax(String(body.collection_base_path), true);
    const mappedRoot = rootPath(mapped, undefined);
    const absolute = joinUnderRoot(mappedRoot, relative);
    if (absolute === null) throw invalidInput('collection_base_path escapes the mapped collection', 'collection_base_path');
    const policies = await sharingPoliciesOf(db, mappedId);
    const notShareable = () => gcsError(403, `Path ${relative} may not be shared from this mapped collection`);
    if (!guestBasePathShareable({ gateway: gateway.policy, mapped: m, policies, username, relative, absolute })) throw notShareable();
    // A base path that is (or runs through) a link is judged again where it leads, as every access will be.
    const account = await lookupAccount(username);
    const real = await realBasePath(interpolatePath(mappedRoot, { user: username, home: account?.home }), relative);
    if (!real.ok) throw notShareable();
    if (real.base !== null && real.base !== relative && !guestBasePathShareable({ gateway: gateway.policy, mapped: m, policies, username, relative: real.base, absolute: joinUnderRoot(mappedRoot, real.base)! })) throw notShareable();
    const doc = createDocument(body, rulesFor('guest'));
    checkConnectorPolicies(doc.policies, 'collection', connectorPrefix(gateway.row.connector_id));
    const inheritance = guestInheritanceErrors(m as { enable_https?: boolean; https_methods?: string[] }, { enable_https: toBool(doc.enable_https), https_methods: doc.https_methods as string[] | undefined });
    if (inheritance.length) throw invalidInput(inheritance);
    // The identity's guests span mapped collections: its row is locked too (after the mapped one, the order every creation takes).
    await lockRow(db, 'identities', identityId);
    const owned = await db.selectFrom('collections').select((eb) => eb.fn.countAll<number>().as('n')).where('identity_id', '=', identityId).where('collection_type', '=', 'guest').executeTakeFirstOrThrow();
    const onMapped = await db.selectFrom('collections').select((eb) => eb.fn.countAll<number>().as('n')).where('mapped_collection_id', '=', mappedId).executeTakeFirstOrThrow();
    if (guestLimitExceeded({ ownedByIdentity: Number(owned.n), onMappedCollection: Number(onMapped.n) })) throw gcsError(403, 'Guest collection limit reached', { DATA_TYPE: 'limit_exceeded#1.0.0' });
    for (const f of ['mapped_collection_id', 'user_credential_id', 'storage_gateway_id']) delete doc[f];
    Object.assign(doc, { collection_base_path: relative, created_at: today() });
    return insertCollection(db, { id: newId(), type: 'guest', gatewayId: gateway.row.id, mappedId, identityId, credentialId: credential.id, domainName: await assignedDomain(db, 'g', config.domain), doc });
  }

  const ListQuery = Type.Object({
    filter: ListParam(),
    include: ListParam(),
    mapped_collection_id: Type.Optional(Uuid()),
    storage_gateway_id: Type.Optional(Uuid()),
    ...PagingQuery,
  });

  app.get('/api/collections', { config: { caller: GCS_VIEWER }, schema: { querystring: ListQuery, response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const q = request.query as { filter?: string[]; include?: string[]; mapped_collection_id?: string; storage_gateway_id?: string; page_size?: number; marker?: string };
    const { named, dates } = parseFilters(csvValues(q.filter));
    const caller = await loadCaller(store.db, request);
    const view = viewContext(store.db, caller);
    const identities = caller.auth?.identitySet ?? [];
    if (named.has('created_by_me') && identities.length === 0) return result(reply, []);
    const types = collectionTypes(named);
    if (types.length === 0) return result(reply, []);
    const page = await keysetPage({
      fetch: collectionFetcher(store.db, types, q, named.has('created_by_me') ? identities : undefined),
      keep: async (c) => {
        if (named.has('managed_by_me') && !caller.held.some((r) => r.collection_id === c.row.id)) return false;
        if (!dates.every((d) => compareDate(d.field === 'created_at' ? (c.doc.created_at ?? null) : (c.doc.last_access ?? null), d.op, d.value))) return false;
        return (await view.visibility(c)).allowed;
      },
      key: (c) => c.row.id,
      pageSize: q.page_size ?? 100,
      marker: q.marker,
    });
    const includePrivate = csvValues(q.include).includes('private_policies');
    await view.prefetch(page.items);
    return result(reply, await Promise.all(page.items.map((c) => view.render(c, includePrivate, config.publicUrl))), { marker: page.marker });
  });

  app.post('/api/collections', { schema: { body: CollectionBody, response: responses(201), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    checkDataType(body, 'collection');
    const created = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      requireFields(body, ['collection_type', 'display_name', 'collection_base_path', 'public']);
      const c = body.collection_type === 'guest' ? await createGuest(db, caller, body) : await createMapped(db, caller, body);
      return { c, caller };
    });
    const doc = await viewContext(store.db, { ...created.caller, held: [...created.caller.held, { id: '', collection_id: created.c.row.id, principal: '', role: 'administrator' }] }).render(created.c, true, config.publicUrl);
    return result(reply, [doc], { status: 201 });
  });

  const one = (request: FastifyRequest) => (request.params as { collection_id: string }).collection_id;

  app.get(
    '/api/collections/:collection_id',
    { config: { caller: GCS_VIEWER }, schema: { params: IdParams('collection_id'), querystring: Type.Object({ include: ListParam() }), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      const collection = await loadCollection(store.db, one(request));
      const view = viewContext(store.db, caller);
      enforce(await view.visibility(collection));
      const includePrivate = csvValues((request.query as { include?: string[] }).include).includes('private_policies');
      return result(reply, [await view.render(collection, includePrivate, config.publicUrl)]);
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/collections/:collection_id',
      schema: { params: IdParams('collection_id'), body: CollectionBody, querystring: Type.Object({ include: ListParam() }), response: responses(200), tags: ['gcs'] },
      handler: async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        checkDataType(body, 'collection');
        const { updated, caller } = await store.tx(async (db) => {
          const caller = await loadCaller(db, request);
          const collection = await loadCollection(db, one(request), { forUpdate: true });
          enforce(canAdministerCollection(caller.held, collection.ref));
          const type = collection.row.collection_type;
          const stored = { ...collection.doc, collection_type: type, storage_gateway_id: collection.row.storage_gateway_id, mapped_collection_id: collection.row.mapped_collection_id ?? undefined };
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', stored, body, rulesFor(type));
          // Set at creation or by their own routes, kept through PUT.
          for (const f of COLLECTION_SIDE_FIELDS) if (collection.doc[f] !== undefined) next[f] = collection.doc[f];
          if (method === 'PUT') requireFields(next, ['display_name', 'public']);
          const gateway = await findGateway(db, collection.row.storage_gateway_id);
          checkConnectorPolicies(next.policies, 'collection', connectorPrefix(gateway?.row.connector_id ?? ''));
          let credentialId = collection.row.user_credential_id;
          if (type === 'guest') {
            const mapped = await findCollection(db, collection.row.mapped_collection_id!);
            const inheritance = guestInheritanceErrors(mapped ? mappedView(mapped) : {}, { enable_https: next.enable_https as boolean | undefined, https_methods: next.https_methods as string[] | undefined });
            if (inheritance.length) throw invalidInput(inheritance);
            if (typeof next.user_credential_id === 'string' && next.user_credential_id.toLowerCase() !== credentialId) {
              const cred = await db.selectFrom('user_credentials').selectAll().where('id', '=', next.user_credential_id.toLowerCase()).executeTakeFirst();
              if (!cred || cred.identity_id !== collection.row.identity_id || cred.storage_gateway_id !== collection.row.storage_gateway_id) {
                throw gcsError(403, 'Invalid user credential', { DATA_TYPE: 'invalid_credential#1.0.0', user_credential_id: next.user_credential_id });
              }
              credentialId = cred.id;
            }
          } else {
            const bad = invalidRestrictionPaths(next.sharing_restrict_paths as PathRestrictions | undefined);
            if (bad.length) throw invalidInput(bad.map((p) => `sharing_restrict_paths entry ${p} must be absolute`));
            if (next.guest_auth_policy_id !== collection.doc.guest_auth_policy_id) await checkGuestAuthPolicy(db, next);
          }
          for (const f of ['collection_type', 'storage_gateway_id', 'mapped_collection_id', 'user_credential_id']) delete next[f];
          const isPublic = next.public === false ? 0 : 1;
          await db.updateTable('collections').set({ document: toJson(next), public: isPublic, user_credential_id: credentialId }).where('id', '=', collection.row.id).execute();
          return { updated: toCollection({ ...collection.row, document: toJson(next), public: isPublic, user_credential_id: credentialId }), caller };
        });
        return result(reply, [await viewContext(store.db, caller).render(updated, true, config.publicUrl)], { message: `Updated collection ${updated.row.id}` });
      },
    });
  }

  app.delete('/api/collections/:collection_id', { schema: { params: IdParams('collection_id'), response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const id = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      const collection = await loadCollection(db, one(request), { forUpdate: true });
      enforce(canAdministerCollection(caller.held, collection.ref));
      if (collection.row.collection_type === 'mapped' && mappedView(collection).delete_protected !== false) {
        throw gcsError(409, `Collection ${collection.row.id} is delete protected`, { DATA_TYPE: 'resource_conflict#1.0.0', resources: [collection.row.id] });
      }
      await deleteCollection(db, collection);
      return collection.row.id;
    });
    return result(reply, [], { message: `Deleted collection ${id}` });
  });

}

/** Removes a collection with its roles, its sharing policies and (mapped) its guests. */
export async function deleteCollection(db: Db, collection: Collection): Promise<void> {
  const guests = await db.selectFrom('collections').select('id').where('mapped_collection_id', '=', collection.row.id).execute();
  const ids = [collection.row.id, ...guests.map((g) => g.id)];
  await db.deleteFrom('gcs_roles').where('collection_id', 'in', ids).execute();
  await db.deleteFrom('sharing_policies').where('collection_id', '=', collection.row.id).execute();
  await db.deleteFrom('collections').where('id', 'in', ids).execute();
}
