// Endpoint initialization: the one GCS endpoint this server hosts, its id doubling as the manager's client id.
import type { Db } from '../store/db.ts';
import { nowSeconds, toJson } from '../store/db.ts';
import { newId } from '../auth/secrets.ts';
import { createClient, findClient } from '../auth/clients.ts';
import type { EndpointRow } from './tables.ts';
import { createLocalSubscription } from './subscriptions.ts';
import { gcsErrors } from './errors.ts';

export interface EndpointSetup {
  displayName: string;
  ownerId: string;
  organization?: string;
  contactEmail?: string;
  /** default true: a self-hosted server subscribes its endpoint to its own local subscription */
  subscribed?: boolean;
}

export async function currentEndpoint(db: Db): Promise<EndpointRow | undefined> {
  return db.selectFrom('endpoints').selectAll().executeTakeFirst();
}

/**
 * Creates the endpoint; a data dir hosts exactly one. The owner manages a local subscription (a Groups
 * group carrying a subscription_id), and the endpoint starts subscribed to it, so guest collections and
 * collection roles work out of the box (spec: "subscribed by default, configurable"); `subscribed: false`
 * leaves it unmanaged, as a new GCS endpoint is, until `set-subscription-id DEFAULT`.
 */
export async function setupEndpoint(db: Db, setup: EndpointSetup): Promise<EndpointRow> {
  if (await currentEndpoint(db)) throw gcsErrors.error('exists', 'This Gatehouse is already set up with an endpoint');
  const id = newId();
  const subscription = await createLocalSubscription(db, setup.ownerId, setup.displayName);
  const row: EndpointRow = {
    id,
    owner_id: setup.ownerId,
    document: toJson({
      display_name: setup.displayName,
      organization: setup.organization ?? '',
      contact_email: setup.contactEmail ?? null,
      subscription_id: setup.subscribed === false ? null : subscription.subscriptionId,
    }),
    created_at: nowSeconds(),
  };
  await db.insertInto('endpoints').values(row).execute();
  // The owner also administers, so a fresh install can grant roles (endpoint roles need ep:administrator).
  await db
    .insertInto('gcs_roles')
    .values({
      id: newId(),
      collection_id: null,
      scope_key: '',
      principal: `urn:globus:auth:identity:${setup.ownerId}`,
      role: 'administrator',
      protected: 0,
      created_at: nowSeconds(),
    })
    .execute();
  return row;
}

/**
 * The endpoint's own Auth client (its id is the endpoint id, as `/api/info` `client_id` says): the data
 * plane signs browsers in as it. Confidential, and its secret is never kept: only this server, which
 * redeems its codes in-process, can use its codes. Made on every start when missing (older stores too).
 */
export async function ensureEndpointClient(db: Db, endpoint: EndpointRow): Promise<void> {
  if (await findClient(db, endpoint.id)) return;
  const name = String(JSON.parse(endpoint.document).display_name ?? 'Gatehouse');
  await createClient(db, { id: endpoint.id, name });
}
