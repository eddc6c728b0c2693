// GCS test fixtures: role grants straight into the store, actors with manage_collections tokens, subscriptions, gateway/collection set-up.
import { randomUUID } from 'node:crypto';
import { setGroupSubscription } from '../../src/groups/repo.ts';
import { clientCredentials, getJson, makeClient, startTestServer, type TestServer } from './server.ts';

export const POSIX = '145812c8-decc-41f1-83cf-bb2a85a2a70b';

/** Grants a role directly (what an administrator's POST /api/roles would do), bypassing the API under test. */
export async function grantRole(
  server: TestServer,
  identityId: string,
  role: string,
  collectionId: string | null = null,
  principal = `urn:globus:auth:identity:${identityId}`,
): Promise<string> {
  const id = randomUUID();
  await server.store.db
    .insertInto('gcs_roles')
    .values({ id, collection_id: collectionId, scope_key: collectionId ?? '', principal, role, protected: 0, created_at: Math.floor(Date.now() / 1000) })
    .execute();
  return id;
}

export interface Actor {
  id: string;
  secret: string;
  token: string;
  username: string;
}

export function manageScope(server: TestServer, dependency?: string): string {
  const base = `urn:globus:auth:scope:${server.endpointId}:manage_collections`;
  return dependency ? `${base}[${dependency}]` : base;
}

export const dataAccess = (collectionId: string) => `https://auth.globus.org/scopes/${collectionId}/data_access`;

/** A confidential client (its own identity) holding a manage_collections token, optionally with a dependency. */
export async function makeActor(server: TestServer, name: string, dependency?: string): Promise<Actor> {
  const client = await makeClient(server, name);
  const token = (await clientCredentials(server, client, manageScope(server, dependency))).access_token as string;
  return { ...client, token, username: `${client.id}@clients.auth.globus.org` };
}

export async function tokenWith(server: TestServer, actor: Actor, dependency?: string): Promise<string> {
  return (await clientCredentials(server, actor, manageScope(server, dependency))).access_token as string;
}

export function api(server: TestServer, token: string | undefined, method: string, path: string, body?: unknown) {
  return getJson(
    server,
    path,
    token,
    body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
  );
}

export const GROUPS_ALL = 'urn:globus:auth:scope:groups.api.globus.org:all';

/** A Groups token for an actor (the same client identity), for the real Groups API. */
export async function groupsToken(server: TestServer, actor: { id: string; secret: string }): Promise<string> {
  return (await clientCredentials(server, actor, GROUPS_ALL)).access_token as string;
}

/** A group made through `POST /v2/groups`, administered by `actor`. */
export async function createGroup(server: TestServer, actor: { id: string; secret: string }, name = 'group'): Promise<string> {
  const res = await getJson(server, '/v2/groups', await groupsToken(server, actor), {
    method: 'POST',
    body: JSON.stringify({ name }),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/**
 * Makes `manager` a subscription manager: a group it administers gets a subscription id (no public
 * route sets one, as in Globus, so the store does). Returns the subscription id.
 */
export async function makeSubscription(server: TestServer, manager: { id: string; secret: string }): Promise<string> {
  const groupId = await createGroup(server, manager, 'subscription');
  const subscriptionId = randomUUID();
  await setGroupSubscription(server.store.db, groupId, subscriptionId);
  return subscriptionId;
}

/** Subscribes the endpoint through `PUT /api/endpoint/subscription_id` by an admin who manages the subscription. */
export async function subscribeEndpoint(server: TestServer, admin: Actor): Promise<string> {
  const subscriptionId = await makeSubscription(server, admin);
  const res = await api(server, admin.token, 'PUT', '/api/endpoint/subscription_id', {
    DATA_TYPE: 'endpoint_subscription#1.0.0',
    subscription_id: subscriptionId,
  });
  if (res.status !== 200) throw new Error(`subscription: ${res.status} ${JSON.stringify(res.body)}`);
  return subscriptionId;
}

/** A POSIX gateway whose expression mapping turns any client identity into `local-<client id>`. */
export function clientMappingGateway(extra: Record<string, unknown> = {}) {
  return {
    DATA_TYPE: 'storage_gateway#1.0.0',
    display_name: 'Research FS',
    connector_id: POSIX,
    root: '/',
    identity_mappings: [
      {
        DATA_TYPE: 'expression_identity_mapping#1.0.0',
        mappings: [{ source: '{username}', match: '(.*)@clients\\.auth\\.globus\\.org', output: 'local-{0}' }],
      },
    ],
    ...extra,
  };
}

export const localName = (actor: { id: string }) => `local-${actor.id}`;

/** Endpoint admin actor + subscribed endpoint (guests need one) + POSIX gateway + mapped collection sharing /data. */
export async function setupMapped(server: TestServer, admin: Actor, mappedExtra: Record<string, unknown> = {}, gatewayExtra: Record<string, unknown> = {}) {
  const endpoint = await api(server, admin.token, 'GET', '/api/endpoint');
  if (endpoint.body.data?.[0]?.subscription_id == null) await subscribeEndpoint(server, admin);
  const sg = await api(server, admin.token, 'POST', '/api/storage_gateways', clientMappingGateway(gatewayExtra));
  if (sg.status !== 201) throw new Error(`gateway: ${sg.status} ${JSON.stringify(sg.body)}`);
  const mapped = await api(server, admin.token, 'POST', '/api/collections', {
    DATA_TYPE: 'collection#1.2.0',
    collection_type: 'mapped',
    display_name: 'Mapped',
    storage_gateway_id: sg.body.data[0].id,
    collection_base_path: '/data',
    public: true,
    allow_guest_collections: true,
    ...mappedExtra,
  });
  if (mapped.status !== 201) throw new Error(`mapped: ${mapped.status} ${JSON.stringify(mapped.body)}`);
  return { gatewayId: sg.body.data[0].id as string, mappedId: mapped.body.data[0].id as string };
}

export interface GcsWorld {
  server: TestServer;
  admin: Actor;
  gatewayId: string;
  mappedId: string;
}

/** A fresh server with an endpoint administrator, a POSIX gateway and a mapped collection on /data. */
export async function startGcsWorld(adminName = 'ep admin'): Promise<GcsWorld> {
  const server = await startTestServer();
  const admin = await makeActor(server, adminName);
  await grantRole(server, admin.id, 'administrator');
  const { gatewayId, mappedId } = await setupMapped(server, admin);
  return { server, admin, gatewayId, mappedId };
}
