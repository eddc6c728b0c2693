// Role assignments: the gcs_roles rows plus the endpoint owner, which lives on the endpoint record (it moves with PUT endpoint/owner).
import type { Db } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import { v5 } from '../auth/uuid.ts';
import type { RoleAssignment } from '../authz/gcs.ts';
import type { Endpoint } from './endpoint-repo.ts';
import type { GcsRoleRow } from './tables.ts';

const ROLES_CACHE: CacheSpec = { name: 'roles-of-principals', tables: ['gcs_roles', 'endpoints'], max: 10_000 };

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

export async function allRoleAssignments(
  db: Db,
  endpoint: Endpoint,
  filter: { principals?: string[]; collectionId?: string | null } = {},
): Promise<RoleAssignment[]> {
  let q = db.selectFrom('gcs_roles').selectAll();
  if (filter.principals) q = q.where('principal', 'in', filter.principals);
  if (filter.collectionId !== undefined) q = q.where('scope_key', '=', filter.collectionId ?? '');
  const rows = (await q.orderBy('id').execute()).map(roleFromRow);
  const owner = ownerRole(endpoint);
  const ownerMatches =
    (!filter.principals || filter.principals.includes(owner.principal)) && (filter.collectionId === undefined || filter.collectionId === null);
  return ownerMatches ? [owner, ...rows] : rows;
}

export async function findRole(db: Db, endpoint: Endpoint, id: string): Promise<RoleAssignment | undefined> {
  if (id === ownerRoleId(endpoint.id)) return ownerRole(endpoint);
  const row = await db.selectFrom('gcs_roles').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? roleFromRow(row) : undefined;
}
