// GCS request-document builders (collections, storage gateways, POSIX policies, credentials, roles, endpoint, sharing policies) and connector ids.
import type { GCSDocument, GCSRoleName, NetworkUse, PathRestrictionsDocument } from './types.ts';

/** The newest document versions Gatehouse emits; builders send these so every field they carry is in-version. */
export const GCS_DATA_TYPES = {
  collection: 'collection#1.16.0',
  storageGateway: 'storage_gateway#1.3.0',
  endpoint: 'endpoint#1.2.0',
  role: 'role#1.0.0',
  userCredential: 'user_credential#1.0.0',
  sharingPolicy: 'sharing_policy#1.0.0',
  pathRestrictions: 'path_restrictions#1.0.0',
  posixStoragePolicies: 'posix_storage_policies#1.0.0',
  posixCollectionPolicies: 'posix_collection_policies#1.1.0',
  posixUserCredentialPolicies: 'posix_user_credential_policies#1.0.0',
  endpointOwner: 'endpoint_owner#1.0.0',
  endpointSubscription: 'endpoint_subscription#1.0.0',
  ownerString: 'owner_string#1.0.0',
  collectionOwner: 'collection_owner#1.0.0',
  subscriptionAdminVerified: 'subscription_admin_verified#1.0.0',
  batch: 'batch#1.0.0',
  domain: 'domain#1.0.0',
} as const;

/** Connector ids (the Python SDK's ConnectorTable); Gatehouse runs POSIX and POSIX Staging. */
export const CONNECTOR_IDS = {
  POSIX: '145812c8-decc-41f1-83cf-bb2a85a2a70b',
  POSIX_STAGING: '052be037-7dda-4d20-b163-3077314dc3e6',
  S3: '7643e831-5f6c-4b47-a07f-8ee90f401d23',
  ACTIVESCALE: '7251f6c8-93c9-11eb-95ba-12704e0d6a4d',
  AZURE_BLOB: '9436da0c-a444-11eb-af93-12704e0d6a4d',
  BLACKPEARL: '7e3f3f5e-350c-4717-891a-2f451c24b0d4',
  BOX: '7c100eae-40fe-11e9-95a3-9cb6d0d9fd63',
  CEPH: '1b6374b0-f6a4-4cf7-a26f-f262d9c6ca72',
  DROPBOX: '49b00fd6-63f1-48ae-b27f-d8af4589f876',
  GOOGLE_CLOUD_STORAGE: '56366b96-ac98-11e9-abac-9cb6d0d9fd63',
  GOOGLE_DRIVE: '976cf0cf-78c3-4aab-82d2-7c16adbcc281',
  HPSS: 'fb656a17-0f69-4e59-95ff-d0a62ca7bdf5',
  IRODS: 'e47b6920-ff57-11ea-8aaa-000c297ab3c2',
  ONEDRIVE: '28ef55da-1f97-11eb-bdfd-12704e0d6a4d',
} as const;

/** A boolean, or the string spellings Python callers use (`"True"`, `"false"`, `"1"`). */
export type BoolLike = boolean | string;

/** A nested document: a builder from this module or the wire object itself. */
export type Nested = GCSPayload | GCSDocument | Record<string, unknown>;

/** Fields every builder accepts: wire-named extras merged last, verbatim (the Python `additional_fields`). */
export interface ExtraFields {
  additionalFields?: Record<string, unknown>;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function toBoolean(field: string, value: BoolLike): boolean {
  if (typeof value === 'boolean') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new TypeError(`${field} must be a boolean, got ${JSON.stringify(value)}`);
}

/**
 * A request document: camelCase fields become wire snake_case, undefined fields are dropped (null is
 * kept: it clears a field on PATCH), and the listed boolean fields accept string spellings.
 */
export class GCSPayload {
  readonly data: GCSDocument;

  constructor(dataType: string, fields: object, booleans: readonly string[] = []) {
    const { additionalFields, ...rest } = fields as ExtraFields & Record<string, unknown>;
    const data: GCSDocument = { DATA_TYPE: dataType };
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      const wire = snake(key);
      data[wire] = booleans.includes(wire) && value !== null ? toBoolean(wire, value as BoolLike) : value instanceof GCSPayload ? value.data : value;
    }
    Object.assign(data, additionalFields);
    this.data = data;
  }

  toJSON(): GCSDocument {
    return this.data;
  }
}

/** A `path_restrictions#1.0.0` document (paths are absolute for gateways, relative to the collection root for sharing). */
export function pathRestrictions(paths: { read?: string[]; readWrite?: string[]; none?: string[] }): PathRestrictionsDocument {
  return new GCSPayload(GCS_DATA_TYPES.pathRestrictions, paths).data as PathRestrictionsDocument;
}

// ---------------------------------------------------------------------------------------------
// Collections

type HttpsMethod = 'GET' | 'PUT' | 'DELETE';
type TransferDirection = 'inbound' | 'outbound' | 'all';

export interface CollectionFields extends ExtraFields {
  displayName?: string;
  collectionBasePath?: string;
  public?: BoolLike;
  identityId?: string;
  defaultDirectory?: string | null;
  organization?: string | null;
  department?: string | null;
  description?: string | null;
  contactEmail?: string | null;
  contactInfo?: string | null;
  infoLink?: string | null;
  keywords?: string[] | null;
  forceEncryption?: BoolLike | null;
  disableVerify?: BoolLike | null;
  forceVerify?: BoolLike | null;
  enableHttps?: BoolLike | null;
  httpsMethods?: HttpsMethod[] | null;
  aclExpirationMins?: number | null;
  associatedFlowPolicy?: Record<string, unknown> | null;
  preserveModtime?: TransferDirection | null;
  /** e.g. POSIXCollectionPolicies */
  policies?: Nested | null;
}

export interface MappedCollectionFields extends CollectionFields {
  storageGatewayId?: string;
  domainName?: string;
  allowGuestCollections?: BoolLike | null;
  disableAnonymousWrites?: BoolLike | null;
  sharingRestrictPaths?: PathRestrictionsDocument | null;
  sharingUsersAllow?: string[] | null;
  sharingUsersDeny?: string[] | null;
  guestAuthPolicyId?: string | null;
  userMessage?: string | null;
  userMessageLink?: string | null;
  deleteProtected?: BoolLike | null;
  restrictTransfersToHighAssurance?: TransferDirection | null;
  autoDeleteTimeout?: number | null;
}

export interface GuestCollectionFields extends CollectionFields {
  mappedCollectionId?: string;
  /** Defaults on the server to the caller's one credential on the gateway. */
  userCredentialId?: string;
  skipAutoDelete?: BoolLike | null;
  activityNotificationPolicy?: { status?: string[]; transfer_use?: string[] } | null;
}

const COLLECTION_BOOLEANS = [
  'public',
  'force_encryption',
  'disable_verify',
  'force_verify',
  'enable_https',
  'allow_guest_collections',
  'disable_anonymous_writes',
  'delete_protected',
  'skip_auto_delete',
];

/** `collection#1.16.0` with `collection_type: "mapped"` — sent on PATCH too, as the Python SDK does. */
export class MappedCollectionDocument extends GCSPayload {
  constructor(fields: MappedCollectionFields = {}) {
    super(GCS_DATA_TYPES.collection, { collectionType: 'mapped', ...fields }, COLLECTION_BOOLEANS);
  }
}

/** `collection#1.16.0` with `collection_type: "guest"`; `collectionBasePath` is relative to the mapped collection's root. */
export class GuestCollectionDocument extends GCSPayload {
  constructor(fields: GuestCollectionFields = {}) {
    super(GCS_DATA_TYPES.collection, { collectionType: 'guest', ...fields }, COLLECTION_BOOLEANS);
  }
}

/** `posix_collection_policies#1.1.0`: POSIX groups whose members may (not) create guest collections. */
export class POSIXCollectionPolicies extends GCSPayload {
  constructor(fields: { sharingGroupsAllow?: string[] | null; sharingGroupsDeny?: string[] | null } & ExtraFields = {}) {
    super(GCS_DATA_TYPES.posixCollectionPolicies, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Storage gateways

export interface StorageGatewayFields extends ExtraFields {
  displayName?: string;
  /** CONNECTOR_IDS.POSIX for a POSIX gateway (immutable). */
  connectorId?: string;
  /** as the Python SDK sends it; Gatehouse refuses any but `/` (confine a gateway with `restrictPaths`) */
  root?: string | null;
  /** expression_identity_mapping#1.0.0 / external_identity_mapping#1.0.0 documents */
  identityMappings?: Array<Record<string, unknown>> | null;
  /** e.g. POSIXStoragePolicies */
  policies?: Nested | null;
  allowedDomains?: string[] | null;
  highAssurance?: BoolLike;
  requireMfa?: BoolLike | null;
  authenticationTimeoutMins?: number | null;
  usersAllow?: string[] | null;
  usersDeny?: string[] | null;
  restrictPaths?: PathRestrictionsDocument | null;
  processUser?: string | null;
  loadDsiModule?: string | null;
  adminManagedCredentials?: BoolLike | null;
  networkUse?: NetworkUse | null;
  maxConcurrency?: number | null;
  maxParallelism?: number | null;
  preferredConcurrency?: number | null;
  preferredParallelism?: number | null;
}

/** `storage_gateway#1.3.0` */
export class StorageGatewayDocument extends GCSPayload {
  constructor(fields: StorageGatewayFields = {}) {
    super(GCS_DATA_TYPES.storageGateway, fields, ['high_assurance', 'require_mfa', 'admin_managed_credentials']);
  }
}

/** `posix_storage_policies#1.0.0`: POSIX groups whose members may (not) use the gateway. */
export class POSIXStoragePolicies extends GCSPayload {
  constructor(fields: { groupsAllow?: string[] | null; groupsDeny?: string[] | null } & ExtraFields = {}) {
    super(GCS_DATA_TYPES.posixStoragePolicies, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// User credentials, roles, endpoint, sharing policies

export interface UserCredentialFields extends ExtraFields {
  storageGatewayId?: string;
  /** Defaults on the server to the caller's identity. */
  identityId?: string;
  /** Defaults on the server to the gateway's mapping of the identity. */
  username?: string;
  displayName?: string | null;
  connectorId?: string;
  /** Connector credential policies; POSIX needs none. */
  policies?: Nested | null;
}

/** `user_credential#1.0.0` */
export class UserCredentialDocument extends GCSPayload {
  constructor(fields: UserCredentialFields = {}) {
    super(GCS_DATA_TYPES.userCredential, fields);
  }
}

/** `role#1.0.0`; `collection` absent for endpoint roles; principal `urn:globus:auth:identity:<id>` or `urn:globus:groups:id:<id>`. */
export class GCSRoleDocument extends GCSPayload {
  constructor(fields: { role: GCSRoleName; principal: string; collection?: string | null } & ExtraFields) {
    super(GCS_DATA_TYPES.role, fields);
  }
}

export interface EndpointFields extends ExtraFields {
  displayName?: string;
  organization?: string | null;
  department?: string | null;
  description?: string | null;
  contactEmail?: string | null;
  contactInfo?: string | null;
  infoLink?: string | null;
  keywords?: string[] | null;
  public?: BoolLike | null;
  allowUdt?: BoolLike | null;
  networkUse?: NetworkUse | null;
  maxConcurrency?: number | null;
  maxParallelism?: number | null;
  preferredConcurrency?: number | null;
  preferredParallelism?: number | null;
  /** a uuid, `"DEFAULT"`, or null */
  subscriptionId?: string | null;
  gridftpControlChannelPort?: number | null;
}

/** `endpoint#1.2.0` */
export class EndpointDocument extends GCSPayload {
  constructor(fields: EndpointFields = {}) {
    super(GCS_DATA_TYPES.endpoint, fields, ['public', 'allow_udt']);
  }
}

/** `sharing_policy#1.0.0`: which paths of a mapped collection some (null = all) gateway users may share. */
export class SharingPolicyDocument extends GCSPayload {
  constructor(fields: { collectionId: string; sharingRestrictPaths: PathRestrictionsDocument; users?: string[] | null } & ExtraFields) {
    super(GCS_DATA_TYPES.sharingPolicy, fields);
  }
}

/** What a document argument may be: a builder or the wire document as a plain object. */
export type DocumentInput = GCSPayload | Record<string, unknown>;
