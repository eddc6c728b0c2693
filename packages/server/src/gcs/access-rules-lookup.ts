// Reading a guest collection's access rules from the store: for the Transfer ACL routes, the data plane and GCS visibility (in GCS v5 the rules live with the guest collection).
import type { Db } from '../store/db.ts';
import { nowSeconds } from '../store/db.ts';
import type { Principals } from '../authz/principals.ts';
import { IMPLICIT_ROLES, implicitRules, type AccessRule, type PrincipalType, type Permission } from '../authz/access-rules.ts';
import type { AccessRuleRow } from '../transfer/tables.ts';

export function ruleFromRow(row: AccessRuleRow): AccessRule {
  return {
    id: row.id,
    principal_type: row.principal_type as PrincipalType,
    principal: row.principal,
    path: row.path,
    permissions: row.permissions as Permission,
    expires_at: row.expires_at,
    role_id: null,
    role_type: null,
  };
}

/** The collection's stored rules that have not expired at `now`, oldest first. */
export async function explicitRuleRows(db: Db, collectionId: string, now: number = nowSeconds()): Promise<AccessRuleRow[]> {
  return db
    .selectFrom('transfer_access_rules')
    .selectAll()
    .where('collection_id', '=', collectionId.toLowerCase())
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The implicit `rw` on `/` entries of the collection's administrator and access_manager roles. */
export async function implicitRulesFor(db: Db, collectionId: string): Promise<AccessRule[]> {
  const id = collectionId.toLowerCase();
  const rows = await db
    .selectFrom('gcs_roles')
    .selectAll()
    .where('collection_id', '=', id)
    .where('role', 'in', [...IMPLICIT_ROLES])
    .orderBy('id')
    .execute();
  return implicitRules(
    rows.map((r) => ({ id: r.id, collection_id: r.collection_id, principal: r.principal, role: r.role })),
    id,
  );
}

/**
 * Every rule that counts on a guest collection right now: the implicit role entries, then the unexpired
 * stored rules. Feed it to `accessFor` (authz/access-rules.ts).
 */
export async function accessRulesFor(db: Db, collectionId: string): Promise<AccessRule[]> {
  const [implicit, rows] = await Promise.all([implicitRulesFor(db, collectionId), explicitRuleRows(db, collectionId)]);
  return [...implicit, ...rows.map(ruleFromRow)];
}

/**
 * Unexpired stored rules that apply to these principals (an identity, an active group,
 * all_authenticated_users when any identity is present, anonymous always). GCS counts such a caller as an
 * ACL holder, who may see the collection, its storage gateway and the endpoint. Role holders are left to the role checks.
 */
function rulesApplyingTo(db: Db, principals: Principals) {
  const authenticated = principals.identities.length > 0;
  const ids = principals.identities.map((i) => i.toLowerCase());
  const groups = principals.groups.map((g) => g.toLowerCase());
  const now = nowSeconds();
  return db
    .selectFrom('transfer_access_rules')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => {
      const anyOf = [eb('principal_type', '=', 'anonymous')];
      if (authenticated) anyOf.push(eb('principal_type', '=', 'all_authenticated_users'));
      if (ids.length) anyOf.push(eb.and([eb('principal_type', '=', 'identity'), eb('principal', 'in', ids)]));
      if (groups.length) anyOf.push(eb.and([eb('principal_type', '=', 'group'), eb('principal', 'in', groups)]));
      return eb.or(anyOf);
    });
}

/** Whether such a rule exists on one collection, or on any guest collection of a storage gateway or of the endpoint. */
async function holdsAccessRule(db: Db, principals: Principals, on: { collectionId?: string; storageGatewayId?: string }): Promise<boolean> {
  let query = rulesApplyingTo(db, principals).select('transfer_access_rules.id');
  if (on.collectionId) query = query.where('collection_id', '=', on.collectionId.toLowerCase());
  if (on.storageGatewayId) {
    const gatewayId = on.storageGatewayId.toLowerCase();
    query = query.where('collection_id', 'in', (eb) => eb.selectFrom('collections').select('id').where('storage_gateway_id', '=', gatewayId));
  }
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

/** The guest collections on which the caller holds an access rule, in one query (endpoint search's shared-with-me). */
export async function collectionsWithAccessRule(db: Db, principals: Principals): Promise<Set<string>> {
  const rows = await rulesApplyingTo(db, principals).select('collection_id').distinct().execute();
  return new Set(rows.map((r) => r.collection_id));
}

/** An ACL holder on this guest collection. */
export function hasAccessRule(db: Db, principals: Principals, collectionId: string): Promise<boolean> {
  return holdsAccessRule(db, principals, { collectionId });
}

/** An ACL holder on some guest collection of this storage gateway, or (without one) of the endpoint. */
export function holdsAccessRuleOnEndpoint(db: Db, principals: Principals, storageGatewayId?: string): Promise<boolean> {
  return holdsAccessRule(db, principals, { storageGatewayId });
}
