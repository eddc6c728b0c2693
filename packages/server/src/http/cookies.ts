// Reading request cookies and writing Set-Cookie values: every cookie of ours is HttpOnly, Secure and SameSite=Lax.
import type { FastifyRequest } from 'fastify';

/** Every value the Cookie header gives `name` (a browser sends one per matching path, most specific first). */
export function cookieValues(request: FastifyRequest, name: string): string[] {
  const values: string[] = [];
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

export function cookie(request: FastifyRequest, name: string): string | undefined {
  return cookieValues(request, name)[0];
}

/** The names of the request's cookies that start with `prefix`. */
export function cookieNames(request: FastifyRequest, prefix: string): string[] {
  const names = new Set<string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const name = part.slice(0, Math.max(0, part.indexOf('='))).trim();
    if (name.startsWith(prefix)) names.add(name);
  }
  return [...names];
}

/** A Set-Cookie value; `maxAge` 0 deletes the cookie. */
export function setCookie(name: string, value: string, o: { path: string; maxAge: number }): string {
  return `${name}=${value}; Path=${o.path}; HttpOnly; Secure; SameSite=Lax; Max-Age=${o.maxAge}`;
}
