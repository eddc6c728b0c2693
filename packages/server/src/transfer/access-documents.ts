// The Transfer `access` wire documents: TypeBox schemas, rendering, expiration dates and the rule-path checks that touch the file system.
import fs from 'node:fs';
import { Type } from '@fastify/type-provider-typebox';
import { Nullable } from '../gcs/documents/request.ts';
import { joinUnderRoot } from '../authz/paths.ts';
import { PRINCIPAL_TYPES, normalizeRulePath, type AccessRule } from '../authz/access-rules.ts';
import type { AccessRuleRow } from './tables.ts';
import { transferErrors } from './errors.ts';

/** At most this many stored rules per guest collection (Transfer's documented limit). */
export const MAX_RULES_PER_COLLECTION = 1000;
export const MAX_PATH_LENGTH = 4096;

const PrincipalType = Type.Union(PRINCIPAL_TYPES.map((p) => Type.Literal(p)));
const Permissions = Type.Union([Type.Literal('r'), Type.Literal('rw')]);
const RoleType = Nullable(Type.Union([Type.Literal('administrator'), Type.Literal('access_manager')]));
const DateString = Type.String({ maxLength: 64 });

/** POST body: what globus-cli and the SDKs send; read-only members are tolerated when null (an SDK echoing a blank document). */
export const AccessCreateBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.Literal('access')),
    id: Type.Optional(Type.Null()),
    role_id: Type.Optional(Type.Null()),
    role_type: Type.Optional(Type.Null()),
    create_time: Type.Optional(Type.Null()),
    principal_type: PrincipalType,
    principal: Type.Optional(Type.String({ maxLength: 64 })),
    path: Type.String({ minLength: 1, maxLength: MAX_PATH_LENGTH }),
    permissions: Permissions,
    expiration_date: Type.Optional(Nullable(DateString)),
    notify_email: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    notify_message: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  },
  { additionalProperties: false },
);

/** PUT body: a partial (or a whole, as read back) access document; only permissions and expiration_date may differ from the stored rule. */
export const AccessUpdateBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.Literal('access')),
    id: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    role_id: Type.Optional(Type.Null()),
    role_type: Type.Optional(Type.Null()),
    create_time: Type.Optional(Nullable(DateString)),
    principal_type: Type.Optional(PrincipalType),
    principal: Type.Optional(Type.String({ maxLength: 64 })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_PATH_LENGTH })),
    permissions: Type.Optional(Permissions),
    expiration_date: Type.Optional(Nullable(DateString)),
    notify_email: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    notify_message: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
  },
  { additionalProperties: false },
);

export interface AccessCreateInput {
  DATA_TYPE?: 'access';
  principal_type: AccessRule['principal_type'];
  principal?: string;
  path: string;
  permissions: AccessRule['permissions'];
  expiration_date?: string | null;
  notify_email?: string | null;
  notify_message?: string | null;
}

export type AccessUpdateInput = Partial<AccessCreateInput> & { id?: string | null; create_time?: string | null; role_id?: null; role_type?: null };

export const AccessDocument = Type.Object(
  {
    DATA_TYPE: Type.Literal('access'),
    id: Nullable(Type.String()),
    principal_type: PrincipalType,
    principal: Type.String(),
    path: Type.String(),
    permissions: Permissions,
    role_id: Nullable(Type.String()),
    role_type: RoleType,
    create_time: Nullable(Type.String()),
    expiration_date: Nullable(Type.String()),
    notify_email: Nullable(Type.String()),
    notify_message: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

export const AccessList = Type.Object({
  DATA_TYPE: Type.Literal('access_list'),
  endpoint: Type.String(),
  length: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer(),
  has_next_page: Type.Boolean(),
  DATA: Type.Array(AccessDocument),
});

export const AccessListQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RULES_PER_COLLECTION })),
});

export const CreateResult = Type.Object({
  DATA_TYPE: Type.Literal('access_create_result'),
  code: Type.Literal('Created'),
  resource: Type.String(),
  request_id: Type.String(),
  access_id: Type.String(),
  message: Type.String(),
});

export const Result = Type.Object({
  DATA_TYPE: Type.Literal('result'),
  code: Type.String(),
  message: Type.String(),
  request_id: Type.String(),
  resource: Type.String(),
});

export const EndpointParams = Type.Object({ endpoint_id: Type.String({ maxLength: 64 }) });
export const RuleParams = Type.Object({ endpoint_id: Type.String({ maxLength: 64 }), access_id: Type.String({ maxLength: 64 }) });

/** Transfer prints times as `2024-12-16T21:30:15+00:00`. */
export function isoTime(epochSeconds: number | null): string | null {
  if (epochSeconds === null) return null;
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO-8601 date or date-time as epoch seconds. Without a zone it is UTC (JavaScript would read a
 * date-time as local time). Impossible calendar dates (`2025-02-30`) are refused, not rolled over.
 */
export function parseExpiration(value: string, field = 'expiration_date'): number {
  const m = DATE_RE.exec(value.trim());
  const bad = () => transferErrors.error('BadRequest', `Invalid ${field} '${value}': expected ISO 8601 such as 2025-01-01T00:00:00+00:00`);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (probe.getUTCFullYear() !== Number(y) || probe.getUTCMonth() !== Number(mo) - 1 || probe.getUTCDate() !== Number(d)) throw bad();
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw bad();
  let z = zone ?? 'Z';
  if (/^[+-]\d{4}$/.test(z)) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${z.toUpperCase()}`);
  if (Number.isNaN(ms)) throw bad();
  return Math.floor(ms / 1000);
}

/** A rule path from a client, normalised, or 400 InvalidPath. */
export function checkedRulePath(path: string): string {
  const normal = normalizeRulePath(path);
  if (normal === null) throw transferErrors.error('InvalidPath', `Invalid Path '${path}': must be absolute, without '..' or control characters`);
  if (normal.length > MAX_PATH_LENGTH) throw transferErrors.error('InvalidPath', `Invalid Path: longer than ${MAX_PATH_LENGTH} characters`);
  return normal;
}

/**
 * Directory rules end with `/`: appended when the path names an existing directory under the guest's
 * root. Only a real path that stays inside the root counts, so a symbolic link cannot make a rule
 * describe something outside the collection. Anything unreadable or missing leaves the path as given.
 */
export async function withDirectorySlash(root: string, path: string): Promise<string> {
  if (path.endsWith('/')) return path;
  const absolute = joinUnderRoot(root, path);
  if (absolute === null) return path;
  try {
    const [realRoot, real] = await Promise.all([fs.promises.realpath(root), fs.promises.realpath(absolute)]);
    const inside = real === realRoot || real.startsWith(realRoot.endsWith('/') ? realRoot : `${realRoot}/`);
    if (inside && (await fs.promises.stat(real)).isDirectory()) return `${path}/`;
  } catch {
    // A rule on a path that does not exist yet is allowed.
  }
  return path;
}

export function ruleDocument(row: AccessRuleRow) {
  return {
    DATA_TYPE: 'access' as const,
    id: row.id,
    principal_type: row.principal_type as AccessRule['principal_type'],
    principal: row.principal,
    path: row.path,
    permissions: row.permissions as AccessRule['permissions'],
    role_id: null,
    role_type: null,
    create_time: isoTime(row.created_at),
    expiration_date: isoTime(row.expires_at),
    notify_email: row.notify_email,
    notify_message: row.notify_message,
  };
}

export function implicitDocument(rule: AccessRule) {
  return {
    DATA_TYPE: 'access' as const,
    id: null,
    principal_type: rule.principal_type,
    principal: rule.principal,
    path: rule.path,
    permissions: rule.permissions,
    role_id: rule.role_id ?? null,
    role_type: rule.role_type ?? null,
    create_time: null,
    expiration_date: null,
    notify_email: null,
    notify_message: null,
  };
}
