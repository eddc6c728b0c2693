// GCS rows as domain objects and their wire documents: endpoint, roles, storage gateways, collections, credentials, policies.
import type { Db } from '../store/db.ts';
import { fromJson } from '../store/db.ts';
import { cached, cachedMany, deepFreeze, type CacheSpec } from '../store/cache.ts';
import { forUpdate } from '../store/locking.ts';
import { rememberJson } from '../http/serialize.ts';
import { v5 } from '../auth/uuid.ts';
import type { CollectionRef, GatewayPolicy, RoleAssignment } from '../authz/gcs.ts';
import { joinUnderRoot, type PathRestrictions } from '../authz/paths.ts';
import { knownFields, withDefaults } from './documents.ts';
import { COLLECTION_FIELDS, CREDENTIAL_FIELDS, GATEWAY_FIELDS } from './bodies.ts';
import { gcsError, notFound } from './envelope.ts';
import type { CollectionRow, StorageGatewayRow, UserCredentialRow, SharingPolicyRow, GcsRoleRow } from './tables.ts';

export const POSIX_CONNECTOR = '145812c8-decc-41f1-83cf-bb2a85a2a70b';
export const POSIX_STAGING_CONNECTOR = '052be037-7dda-4d20-b163-3077314dc3e6';
export const CONNECTORS: Array<{ id: string; display_name: string }> = [
  { id: POSIX_CONNECTOR, display_name: 'POSIX' },
  { id: POSIX_STAGING_CONNECTOR, display_name: 'POSIX Staging' },
];
/** The DATA_TYPE prefix of a connector's policies documents. */
export function connectorPrefix(connectorId: string): string {
  return connectorId === POSIX_STAGING_CONNECTOR ? 'posix_staging' : 'posix';
}
export const API_VERSION = '1.32.0';
export const MANAGER_VERSION = '5.4.80-gatehouse';

export const DT = {
  endpoint: 'endpoint#1.2.0',
  role: 'role#1.0.0',
  storageGateway: 'storage_gateway#1.3.0',
  collection: 'collection#1.16.0',
  userCredential: 'user_credential#1.0.0',
  sharingPolicy: 'sharing_policy#1.0.0',
  node: 'node#1.3.0',
} as const;

// ---------------------------------------------------------------------------------------------
// Endpoint

export interface Endpoint {
  id: string;
  owner_id: string;
  doc: Record<string, unknown>;
  public: boolean;
}

export const ENDPOINT_DEFAULTS = {
  display_name: '',
  organization: '',
  department: null,
  description: null,
  contact_email: null,
  contact_info: null,
  info_link: null,
  keywords: null,
  public: true,
  allow_udt: false,
  network_use: 'normal',
  max_concurrency: null,
  max_parallelism: null,
  preferred_concurrency: null,
  preferred_parallelism: null,
  subscription_id: null,
  gridftp_control_channel_port: null,
};

const ENDPOINT_CACHE: CacheSpec = { name: 'endpoint', tables: ['endpoints'], max: 1 };
const GATEWAY_CACHE: CacheSpec = { name: 'storage-gateway', tables: ['storage_gateways'], max: 1_000 };
const COLLECTION_CACHE: CacheSpec = { name: 'collection', tables: ['collections'], max: 10_000 };
const ROLES_CACHE: CacheSpec = { name: 'roles-of-principals', tables: ['gcs_roles', 'endpoints'], max: 10_000 };

/** How a loader reads: `forUpdate` locks the row until the transaction ends (store/locking.ts), for a read that is written back. */
export interface LoadOptions {
  forUpdate?: boolean;
}

/** The cache for plain reads; a locking read always goes to the store (it is in a transaction, which the caches never serve). */
function read<V>(db: Db, spec: CacheSpec, key: string, options: LoadOptions, load: () => Promise<V>): Promise<V> {
  return options.forUpdate ? load() : cached(db, spec, key, load);
}

export async function loadEndpoint(db: Db, options: LoadOptions = {}): Promise<Endpoint> {
  const endpoint = await read(db, ENDPOINT_CACHE, '', options, async () => {
    const query = db.selectFrom('endpoints').selectAll();
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    if (!row) return undefined;
    const doc = fromJson<Record<string, unknown>>(row.document, {});
    return { id: row.id, owner_id: row.owner_id, doc, public: doc.public !== false };
  });
  if (!endpoint) throw gcsError(404, 'This server has no endpoint');
  return endpoint;
}

/**
 * Endpoint-record fields kept beside the document but set through their own routes: the advertised
 * owner (read by the Transfer record) and the domain (its private key must never be rendered).
 */
export const ENDPOINT_SIDE_FIELDS = ['owner_string', 'domain'] as const;

export function endpointDocument(endpoint: Endpoint, publicUrl: string) {
  const doc: Record<string, unknown> = { ...withDefaults(ENDPOINT_DEFAULTS, endpoint.doc), DATA_TYPE: DT.endpoint, id: endpoint.id, gcs_manager_url: publicUrl, earliest_last_access: null };
  for (const f of ENDPOINT_SIDE_FIELDS) delete doc[f];
  return doc;
}

/** A stored `domain#1.0.0`; certificate material and paths are private. */
export interface DomainRecord {
  domain_name: string;
  wildcard: boolean;
  [privateField: string]: unknown;
}

export function domainDocument(domain: DomainRecord) {
  return { DATA_TYPE: 'domain#1.0.0', domain_name: domain.domain_name, wildcard: domain.wildcard };
}

function domainOf(doc: Record<string, unknown>): DomainRecord | undefined {
  const d = doc.domain as DomainRecord | undefined;
  return d && typeof d.domain_name === 'string' ? d : undefined;
}

/** The endpoint's custom domain, if one is set. */
export function endpointDomain(endpoint: Endpoint): DomainRecord | undefined {
  return domainOf(endpoint.doc);
}

// ---------------------------------------------------------------------------------------------
// Roles: rows plus the endpoint owner, which lives on the endpoint record (it moves with PUT endpoint/owner).

const ownerRoleIds = new Map<string, string>();

export function ownerRoleId(endpointId: string): string {
  let id = ownerRoleIds.get(endpointId);
  if (id === undefined) ownerRoleIds.set(endpointId, (id = v5(`gatehouse:endpoint-owner-role:${endpointId}`)));
  return id;
}

function ownerRole(endpoint: Endpoint): RoleAssignment {
  return { id: ownerRoleId(endpoint.id), collection_id: null, principal: `urn:globus:auth:identity:${endpoint.owner_id}`, role: 'owner', protected: true };
}

function roleFromRow(row: GcsRoleRow): RoleAssignment {
  return { id: row.id, collection_id: row.collection_id, principal: row.principal, role: row.role, protected: row.protected === 1 };
}

/** The roles held by these principals (endpoint-wide and on every collection): asked on every request, so cached. */
export function rolesOfPrincipals(db: Db, endpoint: Endpoint, principals: string[]): Promise<RoleAssignment[]> {
  return cached(db, ROLES_CACHE, principals.join(' '), () => allRoleAssignments(db, endpoint, { principals }));
}

export async function allRoleAssignments(db: Db, endpoint: Endpoint, filter: { principals?: string[]; collectionId?: string | null } = {}): Promise<RoleAssignment[]> {
  let q = db.selectFrom('gcs_roles').selectAll();
  if (filter.principals) q = q.where('principal', 'in', filter.principals);
  if (filter.collectionId !== undefined) q = q.where('scope_key', '=', filter.collectionId ?? '');
  const rows = (await q.orderBy('id').execute()).map(roleFromRow);
  const owner = ownerRole(endpoint);
  const ownerMatches = (!filter.principals || filter.principals.includes(owner.principal)) && (filter.collectionId === undefined || filter.collectionId === null);
  return ownerMatches ? [owner, ...rows] : rows;
}

export async function findRole(db: Db, endpoint: Endpoint, id: string): Promise<RoleAssignment | undefined> {
  if (id === ownerRoleId(endpoint.id)) return ownerRole(endpoint);
  const row = await db.selectFrom('gcs_roles').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? roleFromRow(row) : undefined;
}

export function roleDocument(role: RoleAssignment) {
  return { DATA_TYPE: DT.role, id: role.id, collection: role.collection_id, principal: role.principal, role: role.role };
}

// ---------------------------------------------------------------------------------------------
// Storage gateways

export interface Gateway {
  row: StorageGatewayRow;
  doc: Record<string, unknown>;
  policy: GatewayPolicy;
}

export const GATEWAY_DEFAULTS = {
  display_name: '',
  high_assurance: false,
  require_mfa: false,
  admin_managed_credentials: false,
  allowed_domains: [] as string[],
  authentication_timeout_mins: 15840,
  identity_mappings: [] as unknown[],
  restrict_paths: null,
  users_allow: [] as string[],
  users_deny: [] as string[],
  process_user: null,
  load_dsi_module: null,
  network_use: 'normal',
  max_concurrency: null,
  max_parallelism: null,
  preferred_concurrency: null,
  preferred_parallelism: null,
};
const GATEWAY_PRIVATE = ['identity_mappings', 'restrict_paths', 'users_allow', 'users_deny'];

export function toGateway(row: StorageGatewayRow): Gateway {
  // Only the document's own fields, whatever an earlier version stored beside them.
  const doc = withDefaults(GATEWAY_DEFAULTS, knownFields(fromJson<Record<string, unknown>>(row.document, {}), GATEWAY_FIELDS));
  return { row, doc, policy: { ...(doc as unknown as GatewayPolicy), connector_id: row.connector_id } };
}

export function findGateway(db: Db, id: string, options: LoadOptions = {}): Promise<Gateway | undefined> {
  const key = id.toLowerCase();
  return read(db, GATEWAY_CACHE, key, options, async () => {
    const query = db.selectFrom('storage_gateways').selectAll().where('id', '=', key);
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    return row ? toGateway(row) : undefined;
  });
}

export async function loadGateway(db: Db, id: string, options: LoadOptions = {}): Promise<Gateway> {
  const gateway = await findGateway(db, id, options);
  if (!gateway) throw notFound('Storage gateway', id);
  return gateway;
}

export function defaultStoragePolicies(connectorId: string) {
  return connectorId === POSIX_STAGING_CONNECTOR
    ? { DATA_TYPE: 'posix_staging_storage_policies#1.0.0', groups_allow: [], groups_deny: [] }
    : { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_allow: [], groups_deny: [] };
}

export function gatewayDocument(gateway: Gateway, includePrivate: boolean) {
  const doc: Record<string, unknown> = { ...gateway.doc, DATA_TYPE: DT.storageGateway, id: gateway.row.id, connector_id: gateway.row.connector_id, deleted: false };
  doc.policies = doc.policies ?? defaultStoragePolicies(gateway.row.connector_id);
  if (!includePrivate) {
    for (const f of GATEWAY_PRIVATE) delete doc[f];
    const policies = { ...(doc.policies as Record<string, unknown>) };
    delete policies.groups_allow;
    delete policies.groups_deny;
    delete policies.environment;
    doc.policies = policies;
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Collections

export interface Collection {
  row: CollectionRow;
  doc: Record<string, unknown>;
  ref: CollectionRef;
}

/**
 * Collection fields set by their own routes or at creation, never by PUT/PATCH: PUT keeps them. The
 * first five are internal and not rendered.
 */
export const COLLECTION_SIDE_FIELDS = ['owner_string', 'domain', 'assigned_domain_name', 'custom_domain', 'requested_domain', 'created_at', 'last_access', 'subscription_admin_verified'] as const;
const COLLECTION_HIDDEN = ['owner_string', 'domain', 'assigned_domain_name', 'custom_domain', 'requested_domain'];

/** The collection's custom domain document (PUT /api/collections/{id}/domain), if one is set. */
export function collectionDomain(collection: Collection): DomainRecord | undefined {
  return domainOf(collection.doc);
}

/**
 * The host name a collection answers to: a custom name as stored; otherwise its assigned label under
 * the nearest wildcard domain (the mapped collection's for a guest, then the endpoint's), else as assigned.
 */
export function effectiveDomainName(collection: Collection, mapped: Collection | undefined, endpointWildcard: DomainRecord | undefined): string {
  const stored = collection.row.domain_name;
  if (collection.doc.custom_domain === true || collection.doc.requested_domain === true) return stored;
  const label = stored.split('.')[0];
  const mappedDomain = mapped ? collectionDomain(mapped) : undefined;
  if (collection.row.collection_type === 'guest' && mappedDomain?.wildcard) return `${label}.${mappedDomain.domain_name}`;
  if (endpointWildcard?.wildcard) return `${label}.${endpointWildcard.domain_name}`;
  return stored;
}

export function toCollection(row: CollectionRow): Collection {
  return {
    row,
    doc: fromJson<Record<string, unknown>>(row.document, {}),
    ref: { id: row.id, collection_type: row.collection_type, mapped_collection_id: row.mapped_collection_id, storage_gateway_id: row.storage_gateway_id, public: row.public === 1, identity_id: row.identity_id },
  };
}

export function findCollection(db: Db, id: string, options: LoadOptions = {}): Promise<Collection | undefined> {
  const key = id.toLowerCase();
  return read(db, COLLECTION_CACHE, key, options, async () => {
    const query = db.selectFrom('collections').selectAll().where('id', '=', key);
    const row = await (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
    return row ? toCollection(row) : undefined;
  });
}

/** Collections by id, in the order asked (absent ones left out): a page's rows from the cache, misses in one query. */
export async function findCollections(db: Db, ids: string[]): Promise<Collection[]> {
  const found = await cachedMany(db, COLLECTION_CACHE, ids, async (missing) => {
    const rows = await db.selectFrom('collections').selectAll().where('id', 'in', missing).execute();
    return new Map(rows.map((r) => [r.id, toCollection(r)]));
  });
  return ids.map((id) => found.get(id)).filter((c): c is Collection => c !== undefined);
}

export async function loadCollection(db: Db, id: string, options: LoadOptions = {}): Promise<Collection> {
  const c = await findCollection(db, id, options);
  if (!c) throw notFound('Collection', id);
  return c;
}

const COMMON_DEFAULTS = {
  default_directory: null,
  organization: null,
  department: null,
  description: null,
  contact_email: null,
  contact_info: null,
  info_link: null,
  keywords: null,
  force_encryption: false,
  disable_verify: false,
  force_verify: false,
  enable_https: true,
  https_methods: ['GET', 'PUT', 'DELETE'],
  associated_flow_policy: null,
  preserve_modtime: null,
  acl_expiration_mins: null,
  subscription_admin_verified: false,
  last_access: null,
  deleted: false,
};
export const MAPPED_DEFAULTS = {
  ...COMMON_DEFAULTS,
  allow_guest_collections: false,
  sharing_restrict_paths: null,
  sharing_users_allow: null,
  sharing_users_deny: null,
  disable_anonymous_writes: false,
  guest_auth_policy_id: null,
  user_message: null,
  user_message_link: null,
  delete_protected: true,
  restrict_transfers_to_high_assurance: null,
  auto_delete_timeout: null,
};
export const GUEST_DEFAULTS = { ...COMMON_DEFAULTS, skip_auto_delete: false, activity_notification_policy: null };

export function defaultCollectionPolicies(connectorId: string) {
  return connectorId === POSIX_STAGING_CONNECTOR
    ? { DATA_TYPE: 'posix_staging_collection_policies#1.0.0', sharing_groups_allow: [], sharing_groups_deny: [] }
    : { DATA_TYPE: 'posix_collection_policies#1.1.0', sharing_groups_allow: [], sharing_groups_deny: [] };
}

/** The mapped collection's settings as a guest sees them. */
export function mappedView(mapped: Collection): Record<string, unknown> {
  return withDefaults(MAPPED_DEFAULTS, mapped.doc);
}

/** Absolute root: mapped = its base path (after `~`), guest = mapped root + its base path. */
export function rootPath(collection: Collection, mapped: Collection | undefined): string {
  const base = String(collection.doc.collection_base_path ?? '/');
  if (collection.row.collection_type !== 'guest' || !mapped) return base;
  return joinUnderRoot(rootPath(mapped, undefined), base) ?? base;
}

function absoluteRestrictions(doc: PathRestrictions | null | undefined, root: string): PathRestrictions | null {
  if (!doc) return null;
  const abs = (list: string[] | null | undefined) => (list ?? []).map((p) => joinUnderRoot(root, p) ?? p);
  return { DATA_TYPE: 'path_restrictions#1.0.0', none: abs(doc.none), read: abs(doc.read), read_write: abs(doc.read_write) };
}

/** `https://<host>` on the port clients use for the public URL (the one listener serves every host name). */
export function hostOrigin(host: string, publicUrl: string): string {
  const port = new URL(publicUrl).port;
  return `https://${host}${port ? `:${port}` : ''}`;
}

/** The endpoint's host name (`/api/info` `domain_name`): its custom domain unless that is a wildcard one, else the configured domain. */
export function endpointHostName(endpoint: Endpoint, defaultDomain: string): string {
  const domain = endpointDomain(endpoint);
  return domain && !domain.wildcard ? domain.domain_name : defaultDomain;
}

/** The GCS Manager's origin: a custom (non-wildcard) endpoint domain "is used for the endpoint itself", else the public URL. */
export function managerOrigin(publicUrl: string, endpointDomain: DomainRecord | undefined): string {
  return endpointDomain && !endpointDomain.wildcard ? hostOrigin(endpointDomain.domain_name, publicUrl) : publicUrl;
}

/**
 * Whether a collection is reached at its own host name rather than under /data on the main origin: only
 * when its name comes from a domain an administrator configured (and so has DNS for) — its custom domain,
 * its mapped collection's wildcard domain (guests), or the endpoint's wildcard domain.
 */
export function hasOwnHost(collection: Collection, mapped: Collection | undefined, endpointDomain: DomainRecord | undefined): boolean {
  if (collection.doc.custom_domain === true) return true;
  if (collection.row.collection_type === 'guest' && mapped && collectionDomain(mapped)?.wildcard) return true;
  return endpointDomain?.wildcard === true;
}

/**
 * The collection's `https_url`: the origin of its own host name, or the /data prefix of the main origin.
 * Whatever names the collection's HTTPS location to a client (its document, a browser's way back from Auth) says this.
 */
export function collectionHttpsUrl(collection: Collection, mapped: Collection | undefined, endpointDomain: DomainRecord | undefined, publicUrl: string, domainName = effectiveDomainName(collection, mapped, endpointDomain)): string {
  return hasOwnHost(collection, mapped, endpointDomain) ? hostOrigin(domainName, publicUrl) : `${publicUrl}/data/${collection.row.id}`;
}

export function collectionUrls(collection: Collection, mapped: Collection | undefined, endpointDomain: DomainRecord | undefined, publicUrl: string) {
  const domainName = effectiveDomainName(collection, mapped, endpointDomain);
  return {
    domain_name: domainName,
    manager_url: managerOrigin(publicUrl, endpointDomain),
    https_url: collectionHttpsUrl(collection, mapped, endpointDomain, publicUrl, domainName),
    tlsftp_url: `tlsftp://${domainName}:443`,
  };
}

export interface CollectionViewOptions {
  gateway: Gateway | undefined;
  mapped?: Collection;
  publicUrl: string;
  /** administrator of this collection: private policies and sharing lists */
  showPrivate: boolean;
  showRootPath: boolean;
  /** the endpoint's custom domain: a wildcard one renames collections without a custom domain */
  endpointDomain?: DomainRecord;
}

const rendered = new WeakMap<Collection, Array<{ o: CollectionViewOptions; doc: Record<string, unknown> }>>();

const sameView = (a: CollectionViewOptions, b: CollectionViewOptions) =>
  a.gateway === b.gateway && a.mapped === b.mapped && a.endpointDomain === b.endpointDomain && a.publicUrl === b.publicUrl && a.showPrivate === b.showPrivate && a.showRootPath === b.showRootPath;

/**
 * The collection document a caller sees. Inputs that come from the caches are frozen and replaced, not
 * changed, when their rows change, so the same objects render the same document: it is built once
 * (and frozen, since it is shared) and a list page mostly reuses them.
 */
export function collectionDocument(collection: Collection, o: CollectionViewOptions): Record<string, unknown> {
  const frozen = Object.isFrozen(collection) && [o.gateway, o.mapped, o.endpointDomain].every((x) => x === undefined || Object.isFrozen(x));
  if (!frozen) return renderCollection(collection, o);
  let views = rendered.get(collection);
  if (!views) rendered.set(collection, (views = []));
  const known = views.find((v) => sameView(v.o, o));
  if (known) return known.doc;
  const doc = rememberJson(deepFreeze(renderCollection(collection, o)));
  // A handful of variants per collection (private or not, root path or not); bounded all the same.
  if (views.length >= 8) views.shift();
  views.push({ o: { ...o }, doc });
  return doc;
}

function renderCollection(collection: Collection, o: CollectionViewOptions) {
  const guest = collection.row.collection_type === 'guest';
  const gw = o.gateway?.doc ?? GATEWAY_DEFAULTS;
  // Only the document's own fields (and those set beside it), whatever an earlier version stored.
  const stored = knownFields(collection.doc, COLLECTION_FIELDS, COLLECTION_SIDE_FIELDS);
  const doc: Record<string, unknown> = guest ? withDefaults(GUEST_DEFAULTS, stored) : withDefaults(MAPPED_DEFAULTS, stored);
  Object.assign(doc, {
    DATA_TYPE: DT.collection,
    id: collection.row.id,
    collection_type: collection.row.collection_type,
    public: collection.row.public === 1,
    identity_id: collection.row.identity_id,
    storage_gateway_id: collection.row.storage_gateway_id,
    connector_id: o.gateway?.row.connector_id ?? POSIX_CONNECTOR,
    high_assurance: gw.high_assurance === true,
    require_mfa: gw.require_mfa === true,
    authentication_timeout_mins: gw.authentication_timeout_mins ?? 15840,
    ...collectionUrls(collection, o.mapped, o.endpointDomain, o.publicUrl),
    root_path: rootPath(collection, o.mapped),
    created_at: collection.doc.created_at ?? new Date(collection.row.created_at * 1000).toISOString().slice(0, 10),
  });
  doc.policies = doc.policies ?? defaultCollectionPolicies(o.gateway?.row.connector_id ?? POSIX_CONNECTOR);
  for (const f of COLLECTION_HIDDEN) delete doc[f];
  if (guest) {
    const m = o.mapped ? mappedView(o.mapped) : MAPPED_DEFAULTS;
    doc.mapped_collection_id = collection.row.mapped_collection_id;
    doc.user_credential_id = collection.row.user_credential_id;
    doc.allow_guest_collections = false;
    for (const f of ['user_message', 'user_message_link', 'guest_auth_policy_id', 'restrict_transfers_to_high_assurance'] as const) doc[f] = m[f];
    doc.sharing_restrict_paths = o.mapped ? absoluteRestrictions(m.sharing_restrict_paths as PathRestrictions | null, rootPath(o.mapped, undefined)) : null;
    if (m.force_encryption === true) doc.force_encryption = true;
    if (m.enable_https === false) doc.enable_https = false;
    const allowed = (m.https_methods as string[] | null) ?? COMMON_DEFAULTS.https_methods;
    doc.https_methods = ((doc.https_methods as string[] | null) ?? allowed).filter((x) => allowed.includes(x));
    if (!o.showRootPath) delete doc.root_path;
  }
  if (!o.showPrivate) {
    delete doc.sharing_users_allow;
    delete doc.sharing_users_deny;
    const policies = { ...(doc.policies as Record<string, unknown>) };
    delete policies.sharing_groups_allow;
    delete policies.sharing_groups_deny;
    doc.policies = policies;
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// User credentials and sharing policies

export function userCredentialDocument(row: UserCredentialRow, connectorId: string, gatewayName: string) {
  const doc = knownFields(fromJson<Record<string, unknown>>(row.document, {}), CREDENTIAL_FIELDS);
  return {
    display_name: `${row.username} on ${gatewayName}`,
    policies: { DATA_TYPE: connectorId === POSIX_STAGING_CONNECTOR ? 'posix_staging_user_credential_policies#1.0.0' : 'posix_user_credential_policies#1.0.0' },
    invalid: false,
    provisioned: false,
    home_directory: null,
    ...doc,
    deleted: false,
    DATA_TYPE: DT.userCredential,
    id: row.id,
    identity_id: row.identity_id,
    storage_gateway_id: row.storage_gateway_id,
    connector_id: connectorId,
    username: row.username,
  };
}

export interface SharingPolicy {
  row: SharingPolicyRow;
  users: string[] | null;
  sharing_restrict_paths: PathRestrictions | null;
}

export function toSharingPolicy(row: SharingPolicyRow): SharingPolicy {
  const doc = fromJson<{ users?: string[] | null; sharing_restrict_paths?: PathRestrictions | null }>(row.document, {});
  return { row, users: doc.users ?? null, sharing_restrict_paths: doc.sharing_restrict_paths ?? null };
}

export async function sharingPoliciesOf(db: Db, collectionId: string): Promise<SharingPolicy[]> {
  return (await db.selectFrom('sharing_policies').selectAll().where('collection_id', '=', collectionId).orderBy('id').execute()).map(toSharingPolicy);
}

export function sharingPolicyDocument(p: SharingPolicy) {
  return { DATA_TYPE: DT.sharingPolicy, id: p.row.id, collection_id: p.row.collection_id, users: p.users, sharing_restrict_paths: { DATA_TYPE: 'path_restrictions#1.0.0', ...(p.sharing_restrict_paths ?? {}) } };
}
