// Identities (local users and client identities), identity sets, and look-ups by id or username.
import type { Db } from '../store/db.ts';
import { nowSeconds } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import type { IdentityRow } from './tables.ts';
import { hashPassword, newId } from './secrets.ts';
import { v5 } from './uuid.ts';
import { authApiErrors } from './errors.ts';

/** Client identities live in this domain, as in Globus Auth. */
export const CLIENT_DOMAIN = 'clients.auth.globus.org';

export function identityProviderId(domain: string): string {
  return v5(`gatehouse-identity-provider:${domain.toLowerCase()}`);
}

/** The domain of an identity is what follows the last `@` of its username. */
export function domainOf(username: string): string {
  const at = username.lastIndexOf('@');
  return at >= 0 ? username.slice(at + 1).toLowerCase() : '';
}

/** A bare local name gets the local identity provider's domain. */
export function qualifyUsername(username: string, identityDomain: string): string {
  return username.includes('@') ? username : `${username}@${identityDomain}`;
}

export const USERNAME_RE = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/;

export async function createUser(
  db: Db,
  input: { username: string; password?: string; name?: string; email?: string; organization?: string },
): Promise<IdentityRow> {
  if (!USERNAME_RE.test(input.username)) throw authApiErrors.error('BAD_REQUEST', `Invalid username: ${input.username}`);
  const existing = await findByUsername(db, input.username);
  if (existing) throw authApiErrors.error('CONFLICT', `Identity ${input.username} already exists`);
  const row: IdentityRow = {
    id: newId(),
    username: input.username,
    username_key: input.username.toLowerCase(),
    name: input.name ?? input.username.slice(0, input.username.lastIndexOf('@')),
    email: input.email ?? input.username,
    organization: input.organization ?? null,
    identity_provider: identityProviderId(domainOf(input.username)),
    identity_type: 'login',
    status: 'used',
    password_hash: input.password ? await hashPassword(input.password) : null,
    created_at: nowSeconds(),
  };
  await db.insertInto('identities').values(row).execute();
  return row;
}

/** A new password for a local user; its browser sign-in sessions end with the old one. */
export async function setPassword(db: Db, identityId: string, password: string): Promise<void> {
  await db
    .updateTable('identities')
    .set({ password_hash: await hashPassword(password) })
    .where('id', '=', identityId)
    .execute();
  await db.deleteFrom('login_sessions').where('identity_id', '=', identityId).execute();
}

/** The local users (identities that sign in with a password here), by username. */
export async function listUsers(db: Db): Promise<IdentityRow[]> {
  return db.selectFrom('identities').selectAll().where('identity_type', '=', 'login').orderBy('username_key').execute();
}

export async function createClientIdentity(db: Db, clientId: string, name: string): Promise<IdentityRow> {
  const username = `${clientId}@${CLIENT_DOMAIN}`;
  const row: IdentityRow = {
    id: clientId,
    username,
    username_key: username,
    name,
    email: null,
    organization: null,
    identity_provider: identityProviderId(CLIENT_DOMAIN),
    identity_type: 'client',
    status: 'used',
    password_hash: null,
    created_at: nowSeconds(),
  };
  await db.insertInto('identities').values(row).execute();
  return row;
}

export async function findById(db: Db, id: string): Promise<IdentityRow | undefined> {
  return db.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findByUsername(db: Db, username: string): Promise<IdentityRow | undefined> {
  return db.selectFrom('identities').selectAll().where('username_key', '=', username.toLowerCase()).executeTakeFirst();
}

export async function findByIds(db: Db, ids: string[]): Promise<IdentityRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('identities').selectAll().where('id', 'in', ids).execute();
}

export async function findByUsernames(db: Db, usernames: string[]): Promise<IdentityRow[]> {
  if (usernames.length === 0) return [];
  return db
    .selectFrom('identities')
    .selectAll()
    .where(
      'username_key',
      'in',
      usernames.map((u) => u.toLowerCase()),
    )
    .execute();
}

/** The identity and every identity linked to it: authorization considers the whole set. */
// identities too: deleting one removes its links by cascade, which no statement names.
const IDENTITY_SET_CACHE: CacheSpec = { name: 'identity-set', tables: ['identity_links', 'identities'], max: 10_000 };

/** The identity and those linked to it; asked on every authenticated request, so cached. */
export function identitySet(db: Db, identityId: string): Promise<string[]> {
  return cached(db, IDENTITY_SET_CACHE, identityId, () => loadIdentitySet(db, identityId));
}

async function loadIdentitySet(db: Db, identityId: string): Promise<string[]> {
  const links = await db
    .selectFrom('identity_links')
    .select(['identity_id', 'linked_identity_id'])
    .where((eb) => eb.or([eb('identity_id', '=', identityId), eb('linked_identity_id', '=', identityId)]))
    .execute();
  const set = new Set([identityId]);
  for (const l of links) {
    set.add(l.identity_id);
    set.add(l.linked_identity_id);
  }
  return [...set];
}

export async function linkIdentities(db: Db, a: string, b: string): Promise<void> {
  await db.insertInto('identity_links').values({ identity_id: a, linked_identity_id: b }).execute();
}

/** The `identity` document of GET /v2/api/identities. */
export function identityDocument(row: IdentityRow) {
  return {
    id: row.id,
    username: row.username,
    status: row.status,
    identity_provider: row.identity_provider,
    identity_type: row.identity_type,
    name: row.name,
    email: row.email,
    organization: row.organization,
  };
}
