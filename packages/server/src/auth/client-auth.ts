// How a caller of the token endpoints proves which client it is: Basic, form credentials, or client_id.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import { authenticateClient, findClient } from './clients.ts';
import type { ClientRow } from './tables.ts';
import { oauthErrors } from './errors.ts';

export interface CallingClient {
  client: ClientRow;
  /** true when a secret was checked; public clients only name themselves */
  confidential: boolean;
}

function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

const invalidClient = () => oauthErrors.error('invalid_client', 'Client authentication failed');

/**
 * Identifies the calling client. A secret, when given (Basic or form), must match; without one, a
 * public client may name itself with `client_id` when `allowPublic`.
 */
export async function callingClient(db: Db, request: FastifyRequest, form: Record<string, string | undefined>, allowPublic: boolean): Promise<CallingClient> {
  if (request.headers.authorization && !/^Basic\s/i.test(request.headers.authorization)) throw invalidClient();
  const basic = basicCredentials(request);
  if (request.headers.authorization && !basic) throw invalidClient();
  const id = basic?.id ?? form.client_id;
  const secret = basic?.secret ?? form.client_secret;
  if (!id) throw invalidClient();
  if (secret !== undefined) {
    const client = await authenticateClient(db, id, secret);
    if (!client) throw invalidClient();
    return { client, confidential: true };
  }
  const client = /^[0-9a-f-]{36}$/i.test(id) ? await findClient(db, id) : undefined;
  if (!client || !allowPublic || client.public_client !== 1) throw invalidClient();
  return { client, confidential: false };
}
