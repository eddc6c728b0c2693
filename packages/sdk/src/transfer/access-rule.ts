// Transfer access rules (guest-collection ACLs): wire types and builders for the `access` documents sent on create and update.
import { GlobusError } from '../core/errors.ts';

export type AccessPrincipalType = 'identity' | 'group' | 'all_authenticated_users' | 'anonymous';
export type AccessPermissions = 'r' | 'rw';

/** An access rule as Transfer returns it. `id` is null for the implicit entries of GCS administrator/access_manager roles. */
export interface AccessRuleDocument {
  DATA_TYPE: 'access';
  id: string | null;
  principal_type: AccessPrincipalType;
  /** identity or group id; '' for all_authenticated_users and anonymous */
  principal: string;
  /** relative to the guest collection root; directories end with `/` */
  path: string;
  permissions: AccessPermissions;
  role_id: string | null;
  role_type: 'administrator' | 'access_manager' | null;
  create_time: string | null;
  expiration_date: string | null;
  notify_email?: string | null;
  notify_message?: string | null;
  [field: string]: unknown;
}

/** GET …/access_list. Gatehouse adds `offset`, `limit`, `total` and `has_next_page`; Globus sends only `length`. */
export interface AccessRuleList {
  DATA_TYPE: 'access_list';
  endpoint: string;
  length: number;
  DATA: AccessRuleDocument[];
  offset?: number;
  limit?: number;
  total?: number;
  has_next_page?: boolean;
  [field: string]: unknown;
}

/** POST …/access (201): read `access_id`. */
export interface AccessRuleCreateResult {
  DATA_TYPE: 'access_create_result';
  code: 'Created';
  access_id: string;
  message: string;
  request_id: string;
  resource: string;
  [field: string]: unknown;
}

/** PUT and DELETE …/access/{id}: `code` is `Updated` or `Deleted`. */
export interface AccessRuleResult {
  DATA_TYPE: 'result';
  code: string;
  message: string;
  request_id: string;
  resource: string;
  [field: string]: unknown;
}

/** The body of a create: globus-cli's shape, absent members dropped rather than sent as null. */
export interface AccessRuleData {
  DATA_TYPE: 'access';
  principal_type: AccessPrincipalType;
  principal: string;
  path: string;
  permissions: AccessPermissions;
  expiration_date?: string | null;
  notify_email?: string;
  notify_message?: string;
}

/** The body of an update: only `permissions` and `expiration_date` can change. */
export interface AccessRuleUpdateData {
  DATA_TYPE: 'access';
  permissions?: AccessPermissions;
  expiration_date?: string | null;
}

export interface AccessRuleOptions {
  /** A Date, an ISO-8601 string, or null for no expiration. */
  expirationDate?: Date | string | null;
  /** Stored with the rule; Gatehouse logs it instead of sending mail. */
  notifyEmail?: string;
  /** Only together with notifyEmail. */
  notifyMessage?: string;
}

const PRINCIPAL_TYPES: readonly AccessPrincipalType[] = ['identity', 'group', 'all_authenticated_users', 'anonymous'];

/** Transfer's timestamp layout: `2025-01-01T00:00:00+00:00`. */
export function transferTime(value: Date | string): string {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) throw new GlobusError('expiration date is an invalid Date');
  return value.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function checkPermissions(permissions: string): asserts permissions is AccessPermissions {
  if (permissions !== 'r' && permissions !== 'rw') throw new GlobusError(`permissions must be "r" or "rw", not ${JSON.stringify(permissions)}`);
}

/**
 * An `access` document for POST /v0.10/endpoint/{guest_id}/access. Checks what can be checked without
 * the server (absolute path, principal present exactly when the type needs one, permission spelling,
 * notify message only with an email); the server normalises the path and checks the principal exists.
 */
export function accessRule(
  input: { principalType: AccessPrincipalType; principal?: string; path: string; permissions: AccessPermissions } & AccessRuleOptions,
): AccessRuleData {
  if (!PRINCIPAL_TYPES.includes(input.principalType)) throw new GlobusError(`principal_type must be one of ${PRINCIPAL_TYPES.join(', ')}`);
  const needsPrincipal = input.principalType === 'identity' || input.principalType === 'group';
  const principal = input.principal ?? '';
  if (needsPrincipal && principal === '') throw new GlobusError(`a ${input.principalType} rule needs the ${input.principalType} id as principal`);
  if (!needsPrincipal && principal !== '') throw new GlobusError(`a ${input.principalType} rule takes no principal`);
  if (typeof input.path !== 'string' || !input.path.startsWith('/'))
    throw new GlobusError(`path must be absolute (relative to the collection root), not ${JSON.stringify(input.path)}`);
  checkPermissions(input.permissions);
  if (input.notifyMessage !== undefined && input.notifyEmail === undefined) throw new GlobusError('notifyMessage needs notifyEmail');
  const doc: AccessRuleData = { DATA_TYPE: 'access', principal_type: input.principalType, principal, path: input.path, permissions: input.permissions };
  if (input.expirationDate !== undefined) doc.expiration_date = input.expirationDate === null ? null : transferTime(input.expirationDate);
  if (input.notifyEmail !== undefined) doc.notify_email = input.notifyEmail;
  if (input.notifyMessage !== undefined) doc.notify_message = input.notifyMessage;
  return doc;
}

/** A rule for one identity (and, at access time, its linked identities). */
export function identityAccessRule(identityId: string, path: string, permissions: AccessPermissions, options: AccessRuleOptions = {}): AccessRuleData {
  return accessRule({ principalType: 'identity', principal: identityId, path, permissions, ...options });
}

/** A rule for every active member of a group. */
export function groupAccessRule(groupId: string, path: string, permissions: AccessPermissions, options: AccessRuleOptions = {}): AccessRuleData {
  return accessRule({ principalType: 'group', principal: groupId, path, permissions, ...options });
}

/** A rule for anyone with a valid token. */
export function allAuthenticatedAccessRule(path: string, permissions: AccessPermissions, options: AccessRuleOptions = {}): AccessRuleData {
  return accessRule({ principalType: 'all_authenticated_users', path, permissions, ...options });
}

/** A rule for everyone, even without a token (`rw` is refused where anonymous writes are disabled). */
export function anonymousAccessRule(path: string, permissions: AccessPermissions, options: AccessRuleOptions = {}): AccessRuleData {
  return accessRule({ principalType: 'anonymous', path, permissions, ...options });
}

/** The body globus-cli sends on `endpoint permission update`; an explicit null expiration removes it. */
export function accessRuleUpdate(input: { permissions?: AccessPermissions; expirationDate?: Date | string | null }): AccessRuleUpdateData {
  const doc: AccessRuleUpdateData = { DATA_TYPE: 'access' };
  if (input.permissions !== undefined) {
    checkPermissions(input.permissions);
    doc.permissions = input.permissions;
  }
  if (input.expirationDate !== undefined) doc.expiration_date = input.expirationDate === null ? null : transferTime(input.expirationDate);
  return doc;
}
