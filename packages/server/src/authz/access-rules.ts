// Transfer access rules (guest-collection ACLs) as pure functions: rule paths, who a rule applies to, effective access, who manages rules.
import type { Principals } from './principals.ts';
import { hasCollectionRole, hasEndpointRole, COLLECTION_ROLES, ENDPOINT_ROLES, type CollectionRef, type Decision, type RoleAssignment } from './gcs.ts';

export const PRINCIPAL_TYPES = ['identity', 'group', 'all_authenticated_users', 'anonymous'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
export type Permission = 'r' | 'rw';
/** What a caller may do at a path: nothing, read, or read and write. */
/** What the access rules grant at a path, in the rules' own words (`r`, `rw`); authz/paths.ts's AccessLevel is the common scale. */
export type RuleAccess = 'none' | Permission;
export type ImplicitRoleType = 'administrator' | 'access_manager';

/** The roles whose holders get the implicit `rw` on `/` of a guest collection (spec semantics.md §9). */
export const IMPLICIT_ROLES: readonly ImplicitRoleType[] = ['administrator', 'access_manager'];

export interface AccessRule {
  /** null for the implicit entries derived from GCS roles */
  id: string | null;
  principal_type: PrincipalType;
  /** identity or group id (lower case); '' for all_authenticated_users and anonymous */
  principal: string;
  /** collection-relative, normalised (see normalizeRulePath); a trailing `/` marks a directory */
  path: string;
  permissions: Permission;
  /** epoch seconds from which the rule no longer counts; null or absent: never expires */
  expires_at?: number | null;
  role_id?: string | null;
  role_type?: ImplicitRoleType | null;
}

const RANK: Record<RuleAccess, number> = { none: 0, r: 1, rw: 2 };

/** The larger of two levels: permissions are additive, a rule can only add to what others grant. */
export function unionAccess(a: RuleAccess, b: RuleAccess): RuleAccess {
  return RANK[b] > RANK[a] ? b : a;
}

/** Whether `level` is enough for `needed` (`r` for reads, `rw` for writes). */
export function permits(level: RuleAccess, needed: Permission): boolean {
  return RANK[level] >= RANK[needed];
}

/**
 * A rule path as stored: absolute, `//` collapsed, `.` segments dropped, a trailing `/` kept (it is what
 * says "directory"). Null for relative paths, any `..` segment, NUL or other control characters — the
 * `..` is refused rather than resolved so that a rule never names something other than what its author typed.
 */
export function normalizeRulePath(path: string): string | null {
  if (typeof path !== 'string' || !path.startsWith('/')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return null;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return null;
    parts.push(part);
  }
  if (parts.length === 0) return '/';
  const directory = path.endsWith('/') || path.endsWith('/.');
  return `/${parts.join('/')}${directory ? '/' : ''}`;
}

/** A request path for evaluation: normalised, without the trailing `/` (a directory and its name are the same node). Null when invalid. */
export function normalizeTargetPath(path: string): string | null {
  const normal = normalizeRulePath(path);
  if (normal === null) return null;
  return normal === '/' ? '/' : normal.replace(/\/$/, '');
}

/** Whether a rule on `rulePath` covers `target`: a directory rule covers itself and everything below it, a file rule only that file. */
export function ruleCovers(rulePath: string, target: string): boolean {
  const rule = normalizeRulePath(rulePath);
  const t = normalizeTargetPath(target);
  if (rule === null || t === null) return false;
  if (rule === '/') return true;
  if (!rule.endsWith('/')) return t === rule;
  const dir = rule.slice(0, -1);
  return t === dir || t.startsWith(rule);
}

/** Whether the rule has expired at `now` (epoch seconds). */
export function ruleExpired(rule: Pick<AccessRule, 'expires_at'>, now: number): boolean {
  return rule.expires_at !== null && rule.expires_at !== undefined && rule.expires_at <= now;
}

/**
 * Whether a rule speaks for this caller: an identity of the set, a group with an active membership,
 * any authenticated caller, or everyone (anonymous). Expired rules apply to nobody.
 */
export function ruleApplies(rule: AccessRule, principals: Principals, authenticated: boolean, now: number): boolean {
  if (ruleExpired(rule, now)) return false;
  switch (rule.principal_type) {
    case 'identity':
      return authenticated && principals.identities.some((id) => id.toLowerCase() === rule.principal.toLowerCase());
    case 'group':
      return authenticated && principals.groups.some((id) => id.toLowerCase() === rule.principal.toLowerCase());
    case 'all_authenticated_users':
      return authenticated;
    case 'anonymous':
      return true;
    default:
      return false;
  }
}

/**
 * The caller's permission at `path` of a guest collection: the union of every applicable rule covering
 * it (a deeper `r` never narrows an enclosing `rw`). `rules` should include the implicit role entries.
 * The data plane intersects this with the sharing and gateway restrictions (semantics.md §5.6).
 */
export function accessFor(rules: readonly AccessRule[], principals: Principals, path: string, authenticated: boolean, now: number): RuleAccess {
  let level: RuleAccess = 'none';
  for (const rule of rules) {
    if (level === 'rw') break;
    if (ruleCovers(rule.path, path) && ruleApplies(rule, principals, authenticated, now)) level = unionAccess(level, rule.permissions);
  }
  return level;
}

/** Whether any rule applies to the caller anywhere on the collection (Transfer "ACL holder": makes a guest visible). */
export function holdsAnyRule(rules: readonly AccessRule[], principals: Principals, authenticated: boolean, now: number): boolean {
  return rules.some((rule) => ruleApplies(rule, principals, authenticated, now));
}

/** `urn:globus:auth:identity:<id>` / `urn:globus:groups:id:<id>` (or `urn:globus:auth:group:<id>`) as an ACL principal. */
export function principalOfUrn(urn: string): { principal_type: 'identity' | 'group'; principal: string } | null {
  const identity = /^urn:globus:auth:identity:([0-9a-f-]{36})$/i.exec(urn);
  if (identity) return { principal_type: 'identity', principal: identity[1].toLowerCase() };
  const group = /^urn:globus:(?:groups:id|auth:group):([0-9a-f-]{36})$/i.exec(urn);
  if (group) return { principal_type: 'group', principal: group[1].toLowerCase() };
  return null;
}

/** The implicit `rw` on `/` of every administrator and access manager role on the collection, as list entries. */
export function implicitRules(roles: readonly RoleAssignment[], collectionId: string): AccessRule[] {
  const out: AccessRule[] = [];
  for (const role of roles) {
    if (role.collection_id !== collectionId || !(IMPLICIT_ROLES as readonly string[]).includes(role.role)) continue;
    const principal = principalOfUrn(role.principal);
    if (!principal) continue;
    out.push({ id: null, ...principal, path: '/', permissions: 'rw', expires_at: null, role_id: role.id, role_type: role.role as ImplicitRoleType });
  }
  return out;
}

/**
 * Create, update, delete rules: endpoint administrator (Transfer administrator of every collection),
 * or administrator / access_manager of the guest. The endpoint owner is not a Transfer administrator.
 */
export function canManageAccessRules(held: readonly RoleAssignment[], guest: CollectionRef): Decision {
  const roles = held as RoleAssignment[];
  if (hasEndpointRole(roles, ['administrator']) || hasCollectionRole(roles, guest.id, IMPLICIT_ROLES)) return { allowed: true };
  return {
    allowed: false,
    missing: [{ role: 'administrator' }, { role: 'administrator', collection: guest.id }, { role: 'access_manager', collection: guest.id }],
  };
}

/** List and read rules: the managers, plus any endpoint role and any role on the guest (monitors may look). */
export function canViewAccessRules(held: readonly RoleAssignment[], guest: CollectionRef): Decision {
  const roles = held as RoleAssignment[];
  if (hasEndpointRole(roles, ENDPOINT_ROLES) || hasCollectionRole(roles, guest.id, COLLECTION_ROLES)) return { allowed: true };
  return { allowed: false, missing: [...ENDPOINT_ROLES.map((role) => ({ role })), ...COLLECTION_ROLES.map((role) => ({ role, collection: guest.id }))] };
}

/**
 * Anonymous `rw` is refused where the mapped collection disables anonymous writes (always so on high
 * assurance). Returns the reason, or null when the rule is acceptable.
 */
export function anonymousWriteRefusal(
  rule: Pick<AccessRule, 'principal_type' | 'permissions'>,
  mapped: { disable_anonymous_writes?: boolean; high_assurance?: boolean },
): string | null {
  if (rule.principal_type !== 'anonymous' || rule.permissions !== 'rw') return null;
  if (mapped.high_assurance === true) return 'Anonymous write access is not allowed on high assurance collections';
  if (mapped.disable_anonymous_writes === true) return 'Anonymous write access is disabled on the mapped collection';
  return null;
}

/**
 * The expiration an HA collection imposes: `acl_expiration_mins` of mapped and guest, the lesser when
 * both are set, counted from `from`. Null when no limit applies.
 */
export function imposedExpiration(input: { high_assurance: boolean; mappedMins?: number | null; guestMins?: number | null; from: number }): number | null {
  if (!input.high_assurance) return null;
  const mins = [input.mappedMins, input.guestMins].filter((m): m is number => typeof m === 'number' && m > 0);
  if (mins.length === 0) return null;
  return input.from + Math.min(...mins) * 60;
}
