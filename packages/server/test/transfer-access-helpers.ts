// Shared set-up for the Transfer access-rule tests: a guest collection on a real directory, Transfer tokens, requests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { clientCredentials, type TestServer } from './helpers/server.ts';
import { api, dataAccess, grantRole, localName, makeActor, setupMapped } from './helpers/gcs.ts';

export const TRANSFER = 'urn:globus:auth:scope:transfer.api.globus.org:all';
export const GROUPS = 'urn:globus:auth:scope:groups.api.globus.org:all';

export async function transferToken(server: TestServer, actor: { id: string; secret: string }): Promise<string> {
  return (await clientCredentials(server, actor, TRANSFER)).access_token as string;
}

/** Endpoint admin, a mapped collection rooted at a fresh directory, and a guest created by `maker`. */
export async function setupGuest(
  server: TestServer,
  options: { mappedExtra?: Record<string, unknown>; gatewayExtra?: Record<string, unknown>; guestPublic?: boolean } = {},
) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-acl-'));
  const admin = await makeActor(server, 'ep admin');
  await grantRole(server, admin.id, 'administrator');
  const { gatewayId, mappedId } = await setupMapped(server, admin, { collection_base_path: root, ...options.mappedExtra }, options.gatewayExtra);
  const maker = await makeActor(server, 'guest maker', dataAccess(mappedId));
  const cred = await api(server, maker.token, 'POST', '/api/user_credentials', { storage_gateway_id: gatewayId, username: localName(maker) });
  assert.equal(cred.status, 201, JSON.stringify(cred.body));
  const guest = await api(server, maker.token, 'POST', '/api/collections', {
    collection_type: 'guest',
    public: options.guestPublic ?? false,
    collection_base_path: '/',
    display_name: 'G',
    mapped_collection_id: mappedId,
  });
  assert.equal(guest.status, 201, JSON.stringify(guest.body));
  return { root, admin, maker, gatewayId, mappedId, guestId: guest.body.data[0].id as string };
}

/** A JSON request with a Transfer token (or none). */
export function transfer(server: TestServer, token: string | undefined, method: string, route: string, body?: unknown) {
  return api(server, token, method, route, body);
}
