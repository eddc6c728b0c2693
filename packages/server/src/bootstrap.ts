// First-start set-up and the local administration operations behind `gatehouse endpoint|auth …` commands.
import type { ServerConfig } from './config.ts';
import { Store, type Db } from './store/db.ts';
import { GATEHOUSE_CLI_CLIENT_ID } from '@gatehouse/sdk';
import { createClient } from './auth/clients.ts';
import { createUser, findByUsername, qualifyUsername } from './auth/identities.ts';
import { randomToken } from './auth/secrets.ts';
import { ensureSigningKey } from './auth/oidc.ts';
import { currentEndpoint, ensureEndpointClient, setupEndpoint } from './gcs/endpoint-setup.ts';

export async function openStore(config: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  return Store.open({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
}

export interface FirstStart {
  endpointId: string;
  /** set when an `admin` user was created: printed once, stored only as a hash */
  adminUsername?: string;
  adminPassword?: string;
}

/** The `gatehouse` CLI's public client (GATEHOUSE_CLI_CLIENT_ID), made again if it was removed: `gatehouse login` works with no flags. */
async function ensureCliClient(db: Db, config: ServerConfig): Promise<void> {
  const found = await db.selectFrom('clients').select('id').where('id', '=', GATEHOUSE_CLI_CLIENT_ID).executeTakeFirst();
  if (found) return;
  await createClient(db, { id: GATEHOUSE_CLI_CLIENT_ID, name: 'Gatehouse CLI', publicClient: true, redirectUris: [`${config.publicUrl}/v2/web/auth-code`] });
}

/** An uninitialized store gets an endpoint owned by a new `admin` user, so one command gives a working server. */
export async function ensureInitialized(store: Store, config: ServerConfig): Promise<FirstStart> {
  return store.tx(async (db) => {
    await store.lockInTransaction(db, 'gatehouse:first-start');
    await ensureSigningKey(db);
    await ensureCliClient(db, config);
    const existing = await currentEndpoint(db);
    if (existing) {
      await ensureEndpointClient(db, existing);
      return { endpointId: existing.id };
    }
    const username = qualifyUsername('admin', config.identityDomain);
    let admin = await findByUsername(db, username);
    let adminPassword: string | undefined;
    if (!admin) {
      adminPassword = randomToken(18);
      admin = await createUser(db, { username, password: adminPassword, name: 'Gatehouse administrator' });
    }
    const endpoint = await setupEndpoint(db, { displayName: `Gatehouse on ${config.domain}`, ownerId: admin.id });
    await ensureEndpointClient(db, endpoint);
    return { endpointId: endpoint.id, adminUsername: adminPassword ? username : undefined, adminPassword };
  });
}
