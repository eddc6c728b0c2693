// Credentials never travel in a /v2/oauth2/* query string: URLs end up in logs, proxies and browser history.
import type { FastifyRequest } from 'fastify';
import { isCredentialParam } from '../http/logging.ts';
import { oauthErrors } from './errors.ts';

/** onRequest hook: a credential parameter in the query of an OAuth2 route is a 400 invalid_request. */
export async function refuseCredentialsInQuery(request: FastifyRequest): Promise<void> {
  const q = request.url.indexOf('?');
  if (q < 0 || !request.url.startsWith('/v2/oauth2/')) return;
  const names = request.url
    .slice(q + 1)
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter(isCredentialParam);
  if (names.length) {
    const list = [...new Set(names.map((n) => decodeURIComponentSafe(n)))].join(', ');
    throw oauthErrors.error('invalid_request', `Credentials must be sent in the request body or the Authorization header, never in the URL (${list})`);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
