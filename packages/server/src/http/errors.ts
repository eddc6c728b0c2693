// One error type for every API; each service renders it in its own envelope.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** service-specific extra members (GCS `detail`, GARE `authorization_parameters`, …) */
  readonly extra: Record<string, unknown>;
  /** the service whose error catalogue the code comes from; none for the neutral codes of this module */
  readonly service?: string;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}, service?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.service = service;
  }
}

/** What a renderer may read of the request: errors answered before routing have no Fastify request, only these. */
export interface ErrorRequest {
  readonly id: string;
  readonly url: string;
}

/** What a renderer may do to the response besides giving its body. */
export interface ErrorReply {
  header(name: string, value: string): unknown;
}

/** Renders an ApiError as a service's wire body (and may set headers). */
export type ErrorRenderer = (error: ApiError, request: ErrorRequest, reply: ErrorReply) => unknown;

/**
 * The neutral codes: what an error is called before any service names it (framework errors, shared
 * modules), with a default message. Services whose envelopes use these names take them from here.
 */
export const NEUTRAL_ERRORS = {
  bad_request: { status: 400, message: 'Bad request' },
  unauthorized: { status: 401, message: 'Missing or invalid access token' },
  forbidden: { status: 403, message: 'Forbidden' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  not_acceptable: { status: 406, message: 'Not acceptable' },
  request_timeout: { status: 408, message: 'The request was not received in time' },
  conflict: { status: 409, message: 'Conflict' },
  payload_too_large: { status: 413, message: 'Payload too large' },
  uri_too_long: { status: 414, message: 'URI too long' },
  unsupported_media_type: { status: 415, message: 'Unsupported media type' },
  too_many_requests: { status: 429, message: 'Too many requests' },
  request_header_fields_too_large: { status: 431, message: 'Request header fields too large' },
  internal_error: { status: 500, message: 'An internal error occurred' },
  service_unavailable: { status: 503, message: 'Service unavailable' },
} as const;

export type NeutralCode = keyof typeof NEUTRAL_ERRORS;

const CODE_BY_STATUS = new Map<number, NeutralCode>(Object.entries(NEUTRAL_ERRORS).map(([code, e]) => [e.status, code as NeutralCode]));

/** The code an ApiError of this status carries when nothing more specific is known. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS.get(status) ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

/** Turns anything thrown in a route into an ApiError: validation and parser errors are 4xx, the rest 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const fe = error as FastifyError & { validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const where = fe.validationContext ?? 'request';
    const detail = fe.validation.map((v) => `${where}${v.instancePath || ''} ${v.message ?? 'is invalid'}`.trim()).join('; ');
    return new ApiError(400, 'bad_request', detail || 'Invalid request');
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new ApiError(status, codeForStatus(status), fe.message || 'Bad request');
  }
  return new ApiError(500, 'internal_error', 'An internal error occurred');
}

/** Per-app table of path prefixes → the envelope their unmatched requests are answered in. */
const notFoundRenderers = new WeakMap<object, Array<{ prefix: string; render: ErrorRenderer }>>();
/** Per-app envelope of paths under no service's prefix. */
const fallbackRenderers = new WeakMap<object, ErrorRenderer>();

/**
 * Installs a service's error envelope on an encapsulated Fastify scope: errors thrown by its routes and
 * schema validation failures leave in that envelope, and so do unmatched paths under `prefixes`.
 */
export function useErrorEnvelope(app: FastifyInstance, render: ErrorRenderer, prefixes: string[] = []): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    // A request no route matches can fail on its body or headers before the not-found handler runs (the
    // body is parsed first); the path's 404 is the answer that holds whatever the body, so it wins.
    if (request.is404 && apiError.status < 500) {
      request.log.info({ code: apiError.code, status: apiError.status }, `unrouted request: ${apiError.message}`);
      return sendNotFound(request, reply, render);
    }
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: apiError.code, status: apiError.status }, apiError.message);
    reply.status(apiError.status);
    if (apiError.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    return reply.send(render(apiError, request, reply));
  });
  const root = rootOf(app);
  const table = notFoundRenderers.get(root) ?? [];
  for (const prefix of prefixes) table.push({ prefix, render });
  table.sort((a, b) => b.prefix.length - a.prefix.length);
  notFoundRenderers.set(root, table);
}

function rootOf(app: FastifyInstance): object {
  // Every encapsulated scope shares the root's server object.
  return app.server;
}

function prefixRenderer(server: object, path: string): ErrorRenderer | undefined {
  return notFoundRenderers.get(server)?.find((r) => path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`))?.render;
}

/**
 * The envelope of the service whose prefix `path` falls under, else the app-wide one (installNotFound's):
 * for errors answered before any route runs. `server` is the app's HTTP server, which every scope shares.
 */
export function rendererFor(server: object, path: string): ErrorRenderer | undefined {
  return prefixRenderer(server, path) ?? fallbackRenderers.get(server);
}

/** The 404 of a request that matched no route, in the envelope of the service whose prefix its path falls under. */
function sendNotFound(request: FastifyRequest, reply: FastifyReply, fallback: ErrorRenderer) {
  const path = request.url.split('?')[0];
  const apiError = new ApiError(404, 'not_found', `No route for ${request.method} ${path}`);
  reply.status(404);
  return reply.send((prefixRenderer(rootOf(request.server), path) ?? fallback)(apiError, request, reply));
}

/** The app-wide 404: answered in the envelope of the service whose prefix the path falls under. */
export function installNotFound(app: FastifyInstance, fallback: ErrorRenderer): void {
  fallbackRenderers.set(rootOf(app), fallback);
  app.setNotFoundHandler((request, reply) => sendNotFound(request, reply, fallback));
}
