// Auth policies in the store: rows, wire documents, create/update/delete, who administers them, and what a guest access needs of them.
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../store/db.ts';
import { forUpdate } from '../store/locking.ts';
import { type ApiError } from '../http/errors.ts';
import { DOMAIN_PATTERN, type AuthPolicyRules } from '../authz/policies.ts';
import type { AuthContext } from './tokens.ts';
import { newId } from './secrets.ts';
import { UUID_RE, v5 } from './uuid.ts';
import { authApiErrors } from './errors.ts';

export interface AuthPolicyRow {
  id: string;
  project_id: string;
  display_name: string;
  description: string;
  high_assurance: number;
  authentication_assurance_timeout: number | null;
  required_mfa: number;
  /** JSON array of domain patterns, or null */
  domain_constraints_include: string | null;
  domain_constraints_exclude: string | null;
  /** the identity that created it through the API; null when made by local administration */
  created_by: string | null;
  created_at: number;
}

export interface AuthPolicyTables {
  auth_policies: AuthPolicyRow;
}

/** The `policy` document of `/v2/api/policies` (JS SDK `Policy`). */
export interface PolicyDocument {
  id: string;
  project_id: string;
  display_name: string;
  description: string;
  high_assurance: boolean;
  authentication_assurance_timeout: number | null;
  required_mfa: boolean;
  domain_constraints_include: string[] | null;
  domain_constraints_exclude: string[] | null;
}

export type PolicyInput = Partial<Omit<PolicyDocument, 'id'>>;

/**
 * Globus files every policy under an Auth project; Gatehouse has no projects API, so a policy created
 * without `project_id` is filed under this one fixed id (any given id is stored as given).
 */
export const DEFAULT_PROJECT_ID = v5('urn:gatehouse:auth:project:default');

const DOMAIN_RE = new RegExp(DOMAIN_PATTERN);

export function policyDocument(row: AuthPolicyRow): PolicyDocument {
  return {
    id: row.id,
    project_id: row.project_id,
    display_name: row.display_name,
    description: row.description,
    high_assurance: row.high_assurance === 1,
    authentication_assurance_timeout: row.authentication_assurance_timeout === null ? null : Number(row.authentication_assurance_timeout),
    required_mfa: row.required_mfa === 1,
    domain_constraints_include: fromJson<string[] | null>(row.domain_constraints_include, null),
    domain_constraints_exclude: fromJson<string[] | null>(row.domain_constraints_exclude, null),
  };
}

export function policyRules(row: AuthPolicyRow): AuthPolicyRules {
  const doc = policyDocument(row);
  return {
    id: doc.id,
    high_assurance: doc.high_assurance,
    authentication_assurance_timeout: doc.authentication_assurance_timeout,
    required_mfa: doc.required_mfa,
    domain_constraints_include: doc.domain_constraints_include,
    domain_constraints_exclude: doc.domain_constraints_exclude,
  };
}

function bad(message: string): ApiError {
  return authApiErrors.error('BAD_REQUEST', message);
}

/** The checks the route schema makes, repeated for local administration, which has no schema in front of it. */
function domains(value: string[] | null | undefined, field: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value) || value.length > 100) throw bad(`${field} must be a list of at most 100 domains`);
  const normal = value.map((d) => {
    if (typeof d !== 'string' || d.length > 253 || !DOMAIN_RE.test(d)) throw bad(`${field}: ${JSON.stringify(d)} is not a domain name (labels may be *)`);
    return d.toLowerCase();
  });
  return toJson([...new Set(normal)]);
}

function timeout(value: number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31) throw bad('authentication_assurance_timeout must be a number of seconds');
  return value;
}

function text(value: string | undefined, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) throw bad(`${field} must be a string of at most ${max} characters`);
  return value;
}

function projectId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !UUID_RE.test(value)) throw bad('project_id must be a UUID');
  return value.toLowerCase();
}

export async function createPolicy(db: Db, input: PolicyInput, createdBy: string | null): Promise<PolicyDocument> {
  const displayName = text(input.display_name, 'display_name', 256);
  if (!displayName || /[\r\n]/.test(displayName)) throw bad('display_name is required (one line)');
  const description = text(input.description, 'description', 4096);
  if (description === undefined) throw bad('description is required');
  const row: AuthPolicyRow = {
    id: newId(),
    project_id: projectId(input.project_id) ?? DEFAULT_PROJECT_ID,
    display_name: displayName,
    description,
    high_assurance: input.high_assurance === true ? 1 : 0,
    authentication_assurance_timeout: timeout(input.authentication_assurance_timeout) ?? null,
    required_mfa: input.required_mfa === true ? 1 : 0,
    domain_constraints_include: domains(input.domain_constraints_include, 'domain_constraints_include') ?? null,
    domain_constraints_exclude: domains(input.domain_constraints_exclude, 'domain_constraints_exclude') ?? null,
    created_by: createdBy,
    created_at: nowSeconds(),
  };
  await db.insertInto('auth_policies').values(row).execute();
  return policyDocument(row);
}

/** The policy by id; `forUpdate` locks it for a transaction that writes it back (store/locking.ts). */
export async function findPolicy(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<AuthPolicyRow | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  const query = db.selectFrom('auth_policies').selectAll().where('id', '=', id.toLowerCase());
  return (options.forUpdate ? forUpdate(db, query) : query).executeTakeFirst();
}

/** Every policy, or those created by one of `createdBy`; oldest first. */
export async function listPolicies(db: Db, createdBy?: readonly string[]): Promise<AuthPolicyRow[]> {
  let q = db.selectFrom('auth_policies').selectAll().orderBy('created_at').orderBy('id');
  if (createdBy) {
    if (createdBy.length === 0) return [];
    q = q.where('created_by', 'in', [...createdBy]);
  }
  return q.execute();
}

/** Changes the given fields; `high_assurance` is fixed at creation (a different value is refused). */
export async function updatePolicy(db: Db, row: AuthPolicyRow, input: PolicyInput): Promise<PolicyDocument> {
  if (input.high_assurance !== undefined && (input.high_assurance === true) !== (row.high_assurance === 1))
    throw bad('high_assurance cannot be changed after a policy is created');
  const next: AuthPolicyRow = { ...row };
  const displayName = text(input.display_name, 'display_name', 256);
  if (displayName !== undefined) {
    if (!displayName || /[\r\n]/.test(displayName)) throw bad('display_name must be one non-empty line');
    next.display_name = displayName;
  }
  next.description = text(input.description, 'description', 4096) ?? row.description;
  next.project_id = projectId(input.project_id) ?? row.project_id;
  if (input.required_mfa !== undefined) next.required_mfa = input.required_mfa === true ? 1 : 0;
  const t = timeout(input.authentication_assurance_timeout);
  if (t !== undefined) next.authentication_assurance_timeout = t;
  const include = domains(input.domain_constraints_include, 'domain_constraints_include');
  if (include !== undefined) next.domain_constraints_include = include;
  const exclude = domains(input.domain_constraints_exclude, 'domain_constraints_exclude');
  if (exclude !== undefined) next.domain_constraints_exclude = exclude;
  const { id, created_by, created_at, ...changes } = next;
  await db.updateTable('auth_policies').set(changes).where('id', '=', id).execute();
  return policyDocument({ ...changes, id, created_by, created_at });
}

/** Who (besides the server administrators) manages a policy through the API; null: only the administrators. */
export async function setPolicyOwner(db: Db, id: string, createdBy: string | null): Promise<void> {
  await db.updateTable('auth_policies').set({ created_by: createdBy }).where('id', '=', id.toLowerCase()).execute();
}

/**
 * Deleting a policy leaves mapped collections that name it as they are: an id that names no policy
 * filters nothing (as in Globus, where the policy lives in another service and may vanish).
 */
export async function deletePolicy(db: Db, id: string): Promise<AuthPolicyRow | undefined> {
  const row = await findPolicy(db, id);
  if (row) await db.deleteFrom('auth_policies').where('id', '=', row.id).execute();
  return row;
}

/** Whether a caller administers this server: GCS knows (endpoint roles) and tells Auth at start (gcs/server-admins.ts). */
export type ServerAdminCheck = (db: Db, auth: AuthContext) => Promise<boolean>;
let serverAdminCheck: ServerAdminCheck = async () => false;

export function registerServerAdminCheck(check: ServerAdminCheck): void {
  serverAdminCheck = check;
}

export function isServerAdmin(db: Db, auth: AuthContext): Promise<boolean> {
  return serverAdminCheck(db, auth);
}
