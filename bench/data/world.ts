// The data benchmark's GCS set-up: an admin client seeded in the store, then through the SDK a POSIX gateway, a mapped and a guest collection, an access rule and a reader's https token.
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { createClient } from '@gatehouse/server';
import {
  ClientCredentialsAuthorizer,
  ConfidentialAppAuthClient,
  GCSClient,
  GCSCollectionScopes,
  GCSEndpointScopes,
  GuestCollectionDocument,
  MappedCollectionDocument,
  StorageGatewayDocument,
  TransferClient,
  TransferScopes,
  UserCredentialDocument,
  identityAccessRule,
} from '@gatehouse/sdk';
import { POSIX_CONNECTOR } from '../../packages/server/src/gcs/constants.ts';
import type { BenchEnv } from '../lib/store.ts';

export interface Client {
  id: string;
  secret: string;
}

export interface Seeded {
  /** endpoint administrator; becomes the guest collection's creator, mapped to the bench account */
  admin: Client;
  /** reaches the guest collection only through its access rule */
  reader: Client;
}

/**
 * Written to the store before the server starts, as `gatehouse auth client create` and an administrator's
 * role grant and subscription would leave it: two clients, an endpoint administrator role, a subscription
 * (guest collections need a managed endpoint).
 */
export async function seed(env: BenchEnv): Promise<Seeded> {
  const store = await env.open();
  try {
    return await store.tx(async (db) => {
      const admin = await createClient(db, { name: 'bench data admin' });
      const reader = await createClient(db, { name: 'bench data reader' });
      const now = Math.floor(Date.now() / 1000);
      await db
        .insertInto('gcs_roles')
        .values({
          id: randomUUID(),
          collection_id: null,
          scope_key: '',
          principal: `urn:globus:auth:identity:${admin.id}`,
          role: 'administrator',
          protected: 0,
          created_at: now,
        })
        .execute();
      const endpoint = await db.selectFrom('endpoints').select(['id', 'document']).executeTakeFirstOrThrow();
      const doc = JSON.parse(endpoint.document) as Record<string, unknown>;
      await db
        .updateTable('endpoints')
        .set({ document: JSON.stringify({ ...doc, subscription_id: randomUUID() }) })
        .where('id', '=', endpoint.id)
        .execute();
      return { admin: { id: admin.id, secret: admin.secret! }, reader: { id: reader.id, secret: reader.secret! } };
    });
  } finally {
    await store.close();
  }
}

export interface World {
  guestId: string;
  mappedId: string;
  /** the guest collection's https_url as GCS reports it */
  httpsUrl: string;
  /** the reader's token: the guest collection's https scope */
  token: string;
}

/** The collections and the token, made through the public APIs with @gatehouse/sdk. */
export async function buildWorld(o: { url: string; ca: string; endpointId: string; seeded: Seeded; account: string; root: string }): Promise<World> {
  const dispatcher = new Agent({ connect: { ca: o.ca } });
  try {
    const adminAuth = new ConfidentialAppAuthClient(o.seeded.admin.id, o.seeded.admin.secret, { baseUrl: o.url, dispatcher });
    const endpointScopes = GCSEndpointScopes(o.endpointId);
    const gcs = new GCSClient(o.url, { authorizer: new ClientCredentialsAuthorizer(adminAuth, endpointScopes.manage_collections), dispatcher });
    const gateway = await gcs.createStorageGateway(
      new StorageGatewayDocument({
        displayName: 'Bench POSIX',
        connectorId: POSIX_CONNECTOR,
        identityMappings: [
          { DATA_TYPE: 'expression_identity_mapping#1.0.0', mappings: [{ source: '{id}', match: o.seeded.admin.id, output: o.account, literal: true }] },
        ],
      }),
    );
    const gatewayId = gateway.data.id as string;
    const mapped = await gcs.createCollection(
      new MappedCollectionDocument({
        displayName: 'Bench mapped',
        storageGatewayId: gatewayId,
        collectionBasePath: o.root,
        public: 'True',
        allowGuestCollections: 'True',
      }),
    );
    const mappedId = mapped.data.id as string;

    // Creating a guest on a mapped collection needs the data_access consent as a dependency.
    const creatorScope = endpointScopes.manage_collections.withDependency(GCSCollectionScopes(mappedId).data_access);
    const creator = new GCSClient(o.url, { authorizer: new ClientCredentialsAuthorizer(adminAuth, creatorScope), dispatcher });
    await creator.createUserCredential(new UserCredentialDocument({ storageGatewayId: gatewayId, identityId: o.seeded.admin.id, username: o.account }));
    const guest = await creator.createCollection(
      new GuestCollectionDocument({ displayName: 'Bench guest', mappedCollectionId: mappedId, collectionBasePath: '/', public: 'True' }),
    );
    const guestId = guest.data.id as string;

    const transfer = new TransferClient({ baseUrl: o.url, authorizer: new ClientCredentialsAuthorizer(adminAuth, TransferScopes.all), dispatcher });
    await transfer.addAccessRule(guestId, identityAccessRule(o.seeded.reader.id, '/', 'rw'));

    const readerAuth = new ConfidentialAppAuthClient(o.seeded.reader.id, o.seeded.reader.secret, { baseUrl: o.url, dispatcher });
    const tokens = await readerAuth.oauth2ClientCredentialsTokens([GCSCollectionScopes(guestId).https]);
    const token = tokens.byResourceServer[guestId]?.access_token;
    if (!token) throw new Error(`no token for ${guestId}: ${JSON.stringify(tokens.byResourceServer)}`);
    return { guestId, mappedId, httpsUrl: String(guest.data.https_url ?? ''), token };
  } finally {
    await dispatcher.close();
  }
}
