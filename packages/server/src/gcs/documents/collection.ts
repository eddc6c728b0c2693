// The collection#1.16.0 document: defaults, side and hidden fields, a guest's inherited settings and root path, and its (memoised) rendering.
import { deepFreeze } from '../../store/cache.ts';
import { rememberJson } from '../../http/serialize.ts';
import { joinUnderRoot, type PathRestrictions } from '../../authz/paths.ts';
import type { Collection } from '../collection-repo.ts';
import type { Gateway } from '../gateway-repo.ts';
import { COLLECTION_FIELDS } from '../bodies.ts';
import { DT, POSIX_CONNECTOR, POSIX_STAGING_CONNECTOR } from '../constants.ts';
import { collectionUrls } from '../urls.ts';
import type { DomainRecord } from './domain.ts';
import { GATEWAY_DEFAULTS } from './storage-gateway.ts';
import { knownFields, withDefaults } from './request.ts';

/**
 * Collection fields set by their own routes or at creation, never by PUT/PATCH: PUT keeps them. The
 * first five are internal and not rendered.
 */
export const COLLECTION_SIDE_FIELDS = [
  'owner_string',
  'domain',
  'assigned_domain_name',
  'custom_domain',
  'requested_domain',
  'created_at',
  'last_access',
  'subscription_admin_verified',
] as const;

const COLLECTION_HIDDEN = ['owner_string', 'domain', 'assigned_domain_name', 'custom_domain', 'requested_domain'];

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
  a.gateway === b.gateway &&
  a.mapped === b.mapped &&
  a.endpointDomain === b.endpointDomain &&
  a.publicUrl === b.publicUrl &&
  a.showPrivate === b.showPrivate &&
  a.showRootPath === b.showRootPath;

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
