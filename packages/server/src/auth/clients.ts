// OAuth clients: confidential (secret stored as a hash) and public; each one is also an identity.
import type { ServerConfig } from '../config.ts';
import type { Db } from '../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../store/db.ts';
import { createClientIdentity } from './identities.ts';
import { constantTimeEqual, hashToken, newId, randomToken } from './secrets.ts';
import type { ClientRow } from './tables.ts';

export interface CreatedClient {
  id: string;
  name: string;
  public_client: boolean;
  redirect_uris: string[];
  /** only for confidential clients, shown once */
  secret?: string;
}

export async function createClient(
  db: Db,
  input: { name: string; publicClient?: boolean; redirectUris?: string[]; id?: string; templateId?: string; createdBy?: string; createdFrom?: string },
  now = nowSeconds(),
): Promise<CreatedClient> {
  const id = input.id ?? newId();
  const secret = input.publicClient ? undefined : randomToken(32);
  await createClientIdentity(db, id, input.name);
  await db
    .insertInto('clients')
    .values({
      id,
      name: input.name,
      secret_hash: secret ? hashToken(secret) : null,
      public_client: input.publicClient ? 1 : 0,
      redirect_uris: toJson(input.redirectUris ?? []),
      created_at: now,
      template_id: input.templateId ?? null,
      created_by: input.createdBy ?? null,
      created_from: input.createdFrom ?? null,
    })
    .execute();
  return { id, name: input.name, public_client: !!input.publicClient, redirect_uris: input.redirectUris ?? [], secret };
}

/** Instances made from `address` since `since` (epoch seconds), and when the oldest of them was made. */
export async function recentInstances(db: Db, address: string, since: number): Promise<{ count: number; oldest: number | null }> {
  const row = await db
    .selectFrom('clients')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min<number>('created_at').as('oldest')])
    .where('created_from', '=', address)
    .where('template_id', 'is not', null)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), oldest: row.oldest === null ? null : Number(row.oldest) };
}

export async function listClients(db: Db) {
  const rows = await db.selectFrom('clients').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(clientDocument);
}

export async function deleteClient(db: Db, id: string): Promise<boolean> {
  const grants = db.selectFrom('grants').select('id').where('client_id', '=', id);
  await db.updateTable('grants').set({ revoked_at: nowSeconds() }).where('id', 'in', grants).execute();
  const res = await db.deleteFrom('identities').where('id', '=', id).where('identity_type', '=', 'client').executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function findClient(db: Db, id: string): Promise<ClientRow | undefined> {
  return db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Checks a confidential client's secret in constant time; unknown clients cost the same. */
export async function authenticateClient(db: Db, id: string, secret: string): Promise<ClientRow | undefined> {
  const client = /^[0-9a-f-]{36}$/i.test(id) ? await findClient(db, id) : undefined;
  const ok = constantTimeEqual(hashToken(secret), client?.secret_hash ?? hashToken(randomToken(8)));
  return ok && client && client.secret_hash ? client : undefined;
}

export function clientDocument(row: ClientRow) {
  return {
    id: row.id,
    name: row.name,
    public_client: row.public_client === 1,
    redirect_uris: fromJson<string[]>(row.redirect_uris, []),
    created_at: new Date(row.created_at * 1000).toISOString(),
  };
}

/**
 * Redirect URIs some clients have beyond their registered list, known to the service that owns the
 * client: the data plane's login callback on each collection's origin, which moves with its domain.
 * Each check answers for its own clients only.
 */
export type RedirectUriCheck = (db: Db, config: ServerConfig, clientId: string, redirectUri: string) => Promise<boolean>;
const redirectUriChecks: RedirectUriCheck[] = [];

export function registerRedirectUriCheck(check: RedirectUriCheck): void {
  if (!redirectUriChecks.includes(check)) redirectUriChecks.push(check);
}

/** The client's registered redirect URIs, or one a service vouches for. */
export async function redirectUriAllowed(db: Db, config: ServerConfig, client: ClientRow, redirectUri: string): Promise<boolean> {
  if (fromJson<string[]>(client.redirect_uris, []).includes(redirectUri)) return true;
  for (const check of redirectUriChecks) if (await check(db, config, client.id, redirectUri)) return true;
  return false;
}
