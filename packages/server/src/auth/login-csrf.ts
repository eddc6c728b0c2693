// Login CSRF: the sign-in form's post must carry a token bound to a __Host- cookie and come from this server's own pages.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookie } from '../http/cookies.ts';
import { constantTimeEqual, hashToken, randomToken } from './secrets.ts';

/** `__Host-`: Secure, Path=/, no Domain — no sibling host or plain-HTTP page can plant or overwrite it. */
export const LOGIN_COOKIE = '__Host-gatehouse_login';
const LIFETIME = 12 * 3600;
const NONCE_RE = /^[A-Za-z0-9_-]{43}$/;

/** The form's token for a cookie nonce: a page of another site can neither read the cookie nor compute this. */
export function formToken(nonce: string): string {
  return hashToken(`login-csrf:${nonce}`);
}

/** The request's login nonce, or a new one set on the reply; the token the form must send back. */
export function issueFormToken(request: FastifyRequest, reply: FastifyReply): string {
  let nonce = cookie(request, LOGIN_COOKIE);
  if (!nonce || !NONCE_RE.test(nonce)) {
    nonce = randomToken();
    reply.header('set-cookie', `${LOGIN_COOKIE}=${nonce}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${LIFETIME}`);
  }
  return formToken(nonce);
}

/** Why a form post is refused, or undefined when it came from our own page in this browser. */
export function formPostRefusal(request: FastifyRequest, publicUrl: string, token: string | undefined): string | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== new URL(publicUrl).origin) return 'The sign-in form was posted from another site.';
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'The sign-in form was posted from another site.';
  const nonce = cookie(request, LOGIN_COOKIE);
  if (!nonce || !NONCE_RE.test(nonce) || !token || !constantTimeEqual(token, formToken(nonce)))
    return 'The sign-in form expired or did not come from this browser. Please sign in again.';
  return undefined;
}
