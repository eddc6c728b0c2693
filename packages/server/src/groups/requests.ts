// What every Groups route shares: the caller (with the write-scope check), the group id parameter and list query parameters.
import type { FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { AuthContext } from '../auth/tokens.ts';
import { requiredAuth } from '../auth/request-caller.ts';
import { GROUPS_RS } from '../auth/scopes.ts';
import { decideGroupsWrite } from '../authz/groups.ts';
import { enforce } from './decisions.ts';
import { IdText } from './schemas.ts';
import { groupsErrors } from './errors.ts';

export const RESOURCE_SERVERS = [GROUPS_RS, 'nexus.api.globus.org'];
export const INCLUDES = ['memberships', 'my_memberships', 'policies', 'allowed_actions', 'child_ids'];

export const GroupParams = Type.Object({ group_id: IdText });
export const ListQuery = (name: string) => Type.Object({ [name]: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 32 })) });

/** The caller's token; `write`: the route changes something, so a read-only token is refused. */
export function caller(request: FastifyRequest, write = false): AuthContext {
  const auth = requiredAuth(request);
  if (write) enforce(decideGroupsWrite(auth.scopes));
  return auth;
}

export const groupIdOf = (request: FastifyRequest) => (request.params as { group_id: string }).group_id;

/** `a,b` and `a&b` forms both arrive as a list after array coercion. */
export function listParam(values: string[] | undefined, allowed: readonly string[], name: string): string[] | undefined {
  if (values === undefined) return undefined;
  const out = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = out.filter((v) => !allowed.includes(v));
  if (bad.length) throw groupsErrors.error('BAD_REQUEST', `Invalid ${name}: ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
  return out;
}

export const includeOf = (request: FastifyRequest) => listParam((request.query as { include?: string[] }).include, INCLUDES, 'include') ?? [];
