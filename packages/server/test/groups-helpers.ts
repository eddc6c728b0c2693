// Shared set-up for the Groups tests: actors (confidential clients, each an identity) with Groups tokens.
import { clientCredentials, getJson, makeClient, type TestServer } from './helpers/server.ts';

export const ALL = 'urn:globus:auth:scope:groups.api.globus.org:all';
export const VIEW = 'urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships';

export interface Actor {
  id: string;
  secret: string;
  token: string;
}

export async function makeActor(server: TestServer, name: string, scope = ALL): Promise<Actor> {
  const client = await makeClient(server, name);
  const token = (await clientCredentials(server, client, scope)).access_token as string;
  return { ...client, token };
}

/** JSON request as an actor. */
export function call(server: TestServer, actor: Actor | undefined, method: string, path: string, body?: unknown) {
  return getJson(server, path, actor?.token, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
}

export async function createGroup(server: TestServer, actor: Actor, body: Record<string, unknown> = {}) {
  const res = await call(server, actor, 'POST', '/v2/groups', { name: 'g', ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

export function batch(server: TestServer, actor: Actor, groupId: string, actions: Record<string, unknown>) {
  return call(server, actor, 'POST', `/v2/groups/${groupId}`, actions);
}
