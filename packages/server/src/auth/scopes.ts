// Scope strings: the Globus grammar `root[dep *optional[...]]`, resource servers, and which scopes exist.
import type { Db } from '../store/db.ts';
import { scopeResourceServer } from '@gatehouse/sdk';
import { oauthErrors } from './errors.ts';

export interface ScopeNode {
  scope: string;
  optional: boolean;
  dependencies: ScopeNode[];
}

export const URL_SCOPE_PREFIX = 'https://auth.globus.org/scopes/';
export const URN_SCOPE_PREFIX = 'urn:globus:auth:scope:';
export const AUTH_RS = 'auth.globus.org';
export const GROUPS_RS = 'groups.api.globus.org';
export const TRANSFER_RS = 'transfer.api.globus.org';
const TIMERS_RS = '524230d7-ea86-4a52-8312-86065a9e0417';
const FLOWS_CLIENT = 'eec9b274-0c81-4334-bdc2-54e90e689b9a';
const COMPUTE_CLIENT = 'facd7ccc-c5f4-42aa-916b-a0e270e2c2a9';

const STATIC_SCOPES: Record<string, string[]> = {
  [AUTH_RS]: [
    'openid',
    'profile',
    'email',
    ...['view_identities', 'view_identity_set', 'manage_projects', 'view_clients', 'view_clients_and_scopes', 'view_consents', 'view_authentications'].map(
      (n) => `${URN_SCOPE_PREFIX}${AUTH_RS}:${n}`,
    ),
  ],
  [GROUPS_RS]: [`${URN_SCOPE_PREFIX}${GROUPS_RS}:all`, `${URN_SCOPE_PREFIX}${GROUPS_RS}:view_my_groups_and_memberships`],
  'nexus.api.globus.org': [`${URN_SCOPE_PREFIX}nexus.api.globus.org:groups`],
  [TRANSFER_RS]: [`${URN_SCOPE_PREFIX}${TRANSFER_RS}:all`],
  // The other Globus services, whose scopes the real clients ask for at login (globus-cli: Search, Timers,
  // Flows): tokens are issued for them, so the login works; Gatehouse serves none of their APIs.
  'search.api.globus.org': ['all', 'globus_connect_server', 'ingest', 'search'].map((n) => `${URN_SCOPE_PREFIX}search.api.globus.org:${n}`),
  [TIMERS_RS]: [`${URL_SCOPE_PREFIX}${TIMERS_RS}/timer`],
  'flows.globus.org': ['all', 'manage_flows', 'view_flows', 'run', 'run_status', 'run_manage'].map((n) => `${URL_SCOPE_PREFIX}${FLOWS_CLIENT}/${n}`),
  funcx_service: [`${URL_SCOPE_PREFIX}${COMPUTE_CLIENT}/all`],
};

/**
 * Services whose scopes are named after their client id but whose tokens carry another resource server
 * (as the Python SDK's FlowsScopes and ComputeScopes say): Flows, Compute.
 */
const RESOURCE_SERVER_OF_CLIENT: Record<string, string> = { [FLOWS_CLIENT]: 'flows.globus.org', [COMPUTE_CLIENT]: 'funcx_service' };

export class ScopeParseError extends Error {}

/** Parses a space-separated scope list with bracketed dependencies. Throws ScopeParseError. */
export function parseScopes(text: string): ScopeNode[] {
  let i = 0;
  const s = text;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const parseList = (closing: boolean): ScopeNode[] => {
    const nodes: ScopeNode[] = [];
    for (;;) {
      skipSpace();
      if (i >= s.length) {
        if (closing) throw new ScopeParseError('unbalanced "[" in scope string');
        return nodes;
      }
      if (s[i] === ']') {
        if (!closing) throw new ScopeParseError('unbalanced "]" in scope string');
        i++;
        return nodes;
      }
      let optional = false;
      if (s[i] === '*') {
        optional = true;
        i++;
      }
      const start = i;
      while (i < s.length && !/[\s[\]*]/.test(s[i])) i++;
      const scope = s.slice(start, i);
      if (!scope) throw new ScopeParseError(`empty scope at offset ${start}`);
      let dependencies: ScopeNode[] = [];
      if (s[i] === '[') {
        i++;
        dependencies = parseList(true);
      }
      nodes.push({ scope, optional, dependencies });
    }
  };
  return parseList(false);
}

export function renderScope(node: ScopeNode): string {
  const deps = node.dependencies.length ? `[${node.dependencies.map(renderScope).join(' ')}]` : '';
  return `${node.optional ? '*' : ''}${node.scope}${deps}`;
}

/**
 * The resource server a scope string belongs to (spec auth.md §5.2): the segment after the URN or URL
 * prefix, up to the next `:` or `/` (one parser for server and SDK alike: the SDK's), except for the
 * services whose scopes name their client id (RESOURCE_SERVER_OF_CLIENT).
 */
export function resourceServerOf(scope: string): string | undefined {
  const rs = scopeResourceServer(scope);
  return (rs && RESOURCE_SERVER_OF_CLIENT[rs]) ?? rs;
}

/**
 * Dynamic resource servers (the GCS endpoint, each collection) are looked up by the services that own
 * them; each returns the scope strings it serves for an id, or null when the id is not its own.
 */
export type ResourceServerLookup = (db: Db, id: string) => Promise<string[] | null>;
const lookups: ResourceServerLookup[] = [];

export function registerResourceServerLookup(lookup: ResourceServerLookup): void {
  if (!lookups.includes(lookup)) lookups.push(lookup);
}

export async function scopesOf(db: Db, resourceServer: string): Promise<string[] | null> {
  if (STATIC_SCOPES[resourceServer]) return STATIC_SCOPES[resourceServer];
  for (const lookup of lookups) {
    const found = await lookup(db, resourceServer);
    if (found) return found;
  }
  return null;
}

/** Parses and checks every scope of a request; unknown scopes are `invalid_scope`. */
export async function resolveScopes(db: Db, text: string): Promise<ScopeNode[]> {
  let nodes: ScopeNode[];
  try {
    nodes = parseScopes(text);
  } catch (e) {
    throw oauthErrors.error('invalid_scope', (e as Error).message);
  }
  if (nodes.length === 0) throw oauthErrors.error('invalid_scope', 'No scope requested');
  // An unknown optional dependency is dropped rather than failing the whole request.
  const check = async (node: ScopeNode): Promise<ScopeNode | null> => {
    const rs = resourceServerOf(node.scope);
    const known = rs ? await scopesOf(db, rs) : null;
    if (!known || !known.includes(node.scope)) {
      if (node.optional) return null;
      throw oauthErrors.error('invalid_scope', `Unknown scope: ${node.scope}`);
    }
    const dependencies: ScopeNode[] = [];
    for (const dep of node.dependencies) {
      const checked = await check(dep);
      if (checked) dependencies.push(checked);
    }
    return { ...node, dependencies };
  };
  const resolved: ScopeNode[] = [];
  for (const node of nodes) resolved.push((await check({ ...node, optional: false }))!);
  return resolved;
}
