// The request log (pino through Fastify): credential query parameters and credential headers never reach it.
import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

/** Query parameters that carry a secret somewhere in the APIs we speak (OAuth2, OIDC, GCS, data plane). */
export const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set([
  'client_secret',
  'client_assertion',
  'refresh_token',
  'access_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'password',
  'secret',
  'assertion',
  'subject_token',
  'actor_token',
  'api_key',
  'apikey',
  'key',
  'signature',
  'sig',
]);

/** Request headers whose value is a credential; the scheme of `authorization` is kept, it helps reading a log. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
/** Other request headers worth a line in the log. */
const LOGGED_HEADERS = ['user-agent', 'origin', 'sec-fetch-site', 'content-type', 'content-length'];

export const REDACTED = '[REDACTED]';

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAMS.has(decodeName(name));
}

/** The URL (path and query, or absolute) with the value of every credential parameter replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return isCredentialParam(name) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}`;
}

/** A header value fit for the log: credential values replaced, keeping an `authorization` scheme. */
export function redactHeader(name: string, value: string | string[] | undefined): string | string[] | undefined {
  if (value === undefined || !CREDENTIAL_HEADERS.has(name.toLowerCase())) return value;
  const one = (v: string) => {
    const scheme = name.toLowerCase().endsWith('authorization') ? /^([A-Za-z-]+)\s/.exec(v)?.[1] : undefined;
    return scheme ? `${scheme} ${REDACTED}` : REDACTED;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
  headers: Record<string, string | string[] | undefined>;
}

function serializeRequest(req: LoggedRequest) {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const name of [...LOGGED_HEADERS, ...CREDENTIAL_HEADERS]) if (req.headers[name] !== undefined) headers[name] = redactHeader(name, req.headers[name]);
  return { method: req.method, url: redactUrl(req.url), host: req.host ?? req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort, headers };
}

/** Pino options for the server: level, serializers that redact, and a redaction backstop for any object logged with headers. */
export function loggerOptions(level: string, stream?: DestinationStream): NonNullable<FastifyServerOptions['logger']> {
  const headerPaths = [...CREDENTIAL_HEADERS].flatMap((h) => [`headers["${h}"]`, `req.headers["${h}"]`, `res.headers["${h}"]`, `*.headers["${h}"]`]);
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: { req: serializeRequest as never },
    redact: { paths: headerPaths, censor: (value: unknown, path: string[]) => redactHeader(path[path.length - 1], value as string) },
  } as never;
}
