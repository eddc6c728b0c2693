// Row builders for bulk seeding, shaped as the server's own insert paths shape them (createUser, POST collections, POST groups).
import { randomUUID } from 'node:crypto';
import { identityProviderId } from '../../packages/server/src/auth/identities.ts';
import type { Db } from '../../packages/server/src/store/db.ts';
import { insertRows, type StoreKind } from './store.ts';

const IDENTITY_COLUMNS = [
  'id',
  'username',
  'username_key',
  'name',
  'email',
  'organization',
  'identity_provider',
  'identity_type',
  'status',
  'password_hash',
  'created_at',
];

/** Local login identities `<prefix><i>@<domain>` without passwords (nobody signs in as them). */
export async function seedIdentities(db: Db, kind: StoreKind, count: number, prefix: string, domain: string): Promise<string[]> {
  const provider = identityProviderId(domain);
  const now = Math.floor(Date.now() / 1000);
  const ids: string[] = [];
  const rows: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const username = `${prefix}${i}@${domain}`;
    ids.push(id);
    rows.push([id, username, username.toLowerCase(), `${prefix} ${i}`, username, null, provider, 'login', 'used', null, now]);
  }
  await insertRows(db, kind, 'identities', IDENTITY_COLUMNS, rows);
  return ids;
}

/** The server's `m-xxxxxx`/`g-xxxxxx` form, numbered rather than random: 100k random 24-bit labels would collide. */
export function assignedDomain(prefix: 'm' | 'g', n: number, domain: string): string {
  return `${prefix}-${n.toString(16).padStart(6, '0')}.${domain}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
