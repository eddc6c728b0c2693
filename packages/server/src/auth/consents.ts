// Consents: one record per granted scope node, linked from the root down by dependency_path.
import type { Db } from '../store/db.ts';
import { fromJson, toJson } from '../store/db.ts';
import { lockName } from '../store/locking.ts';
import type { ScopeNode } from './scopes.ts';
import type { Selectable } from 'kysely';
import type { ConsentRow as ConsentTable } from './tables.ts';

type ConsentRow = Selectable<ConsentTable>;
import { v5 } from './uuid.ts';

/** Records (or refreshes) the consent tree of the granted scopes for identity × client. */
export async function recordConsents(db: Db, identityId: string, clientId: string, nodes: ScopeNode[], autoApproved: boolean): Promise<void> {
  // Two token requests of one client at once would each find no record and each insert one.
  await lockName(db, `consents:${identityId}:${clientId}`);
  const now = new Date().toISOString();
  const visit = async (node: ScopeNode, parent: ConsentRow | undefined): Promise<void> => {
    let q = db.selectFrom('consents').selectAll().where('identity_id', '=', identityId).where('client_id', '=', clientId).where('scope_name', '=', node.scope);
    q = parent ? q.where('parent_id', '=', parent.id) : q.where('parent_id', 'is', null);
    let row = await q.executeTakeFirst();
    if (row) {
      // Touch last_used at most once a minute: every token issuance would otherwise queue on this
      // row's lock (PostgreSQL) for a timestamp nobody reads at that precision.
      if (row.status !== 'approved' || Date.parse(row.last_used) < Date.now() - 60_000) {
        await db.updateTable('consents').set({ updated: now, last_used: now, status: 'approved' }).where('id', '=', row.id).execute();
      }
    } else {
      const inserted = await db
        .insertInto('consents')
        .values({
          identity_id: identityId,
          client_id: clientId,
          scope_name: node.scope,
          parent_id: parent?.id ?? null,
          dependency_path: '[]',
          status: 'approved',
          auto_approved: autoApproved ? 1 : 0,
          created: now,
          updated: now,
          last_used: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(inserted.id);
      const path = [...(parent ? fromJson<number[]>(parent.dependency_path, []) : []), id];
      await db
        .updateTable('consents')
        .set({ dependency_path: toJson(path) })
        .where('id', '=', id)
        .execute();
      row = await db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    }
    for (const dep of node.dependencies) await visit(dep, row);
  };
  for (const node of nodes) await visit(node, undefined);
}

export async function listConsents(db: Db, identityIds: string[], clientId?: string) {
  let q = db.selectFrom('consents').selectAll().where('identity_id', 'in', identityIds).orderBy('id');
  if (clientId) q = q.where('client_id', '=', clientId);
  return (await q.execute()).map(consentDocument);
}

export function consentDocument(row: ConsentRow) {
  return {
    id: Number(row.id),
    client: row.client_id,
    scope: v5(`gatehouse-scope:${row.scope_name}`),
    scope_name: row.scope_name,
    effective_identity: row.identity_id,
    dependency_path: fromJson<number[]>(row.dependency_path, []),
    created: row.created,
    updated: row.updated,
    last_used: row.last_used,
    status: row.status,
    allows_refresh: true,
    auto_approved: row.auto_approved === 1,
    atomically_revocable: false,
  };
}

/**
 * The consent trees identity × client holds now under these root scopes, as scope nodes. In Globus a
 * consent belongs to the identity and client, not to a token: a dependency consented after a token was
 * issued counts for that token too (globus-cli's client-credentials consent retry resends the old token).
 */
export async function consentedTrees(db: Db, identityId: string, clientId: string, roots: readonly string[]): Promise<ScopeNode[]> {
  if (roots.length === 0) return [];
  const rows = await db
    .selectFrom('consents')
    .selectAll()
    .where('identity_id', '=', identityId)
    .where('client_id', '=', clientId)
    .where('status', '=', 'approved')
    .execute();
  const children = new Map<number | null, ConsentRow[]>();
  for (const row of rows) {
    const parent = row.parent_id === null ? null : Number(row.parent_id);
    children.set(parent, [...(children.get(parent) ?? []), row]);
  }
  const node = (row: ConsentRow, depth: number): ScopeNode => ({
    scope: row.scope_name,
    optional: false,
    // Consent trees are shallow; the bound keeps a corrupted parent link from recursing forever.
    dependencies: depth > 16 ? [] : (children.get(Number(row.id)) ?? []).map((c) => node(c, depth + 1)),
  });
  return (children.get(null) ?? []).filter((r) => roots.includes(r.scope_name)).map((r) => node(r, 0));
}
