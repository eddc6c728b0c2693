// The GCS result envelope for successes and errors, its TypeBox schema, request validation as 4xx, and marker paging.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { type ApiError, toApiError, type ErrorRequest } from '../http/errors.ts';
import { OPEN_DOCUMENTS } from '../http/schemas.ts';
import { gcsErrors } from './errors.ts';

/** Renders any ApiError in the GCS envelope (its code from the catalogue); `extra.detail` and `extra.authorization_parameters` pass through. */
export function renderGcsError(error: ApiError, request: ErrorRequest) {
  const code = gcsErrors.codeOf(error);
  const hasAuthParams = Object.hasOwn(error.extra, 'authorization_parameters');
  return {
    DATA_TYPE: hasAuthParams ? 'result#1.1.0' : 'result#1.0.0',
    code,
    http_response_code: error.status,
    detail: error.extra.detail ?? error.message,
    message: error.message,
    ...(hasAuthParams ? { authorization_parameters: error.extra.authorization_parameters } : {}),
    has_next_page: false,
    data: [],
    request_id: request.id,
  };
}

export function gcsError(status: number, message: string, detail?: Record<string, unknown> | string, extra: Record<string, unknown> = {}): ApiError {
  return gcsErrors.error(gcsErrors.forStatus(status), message, detail === undefined ? extra : { ...extra, detail }, status);
}

export function invalidInput(messages: string[] | string, property?: string): ApiError {
  const list = Array.isArray(messages) ? messages : [messages];
  return gcsError(422, 'Data Validation Error', {
    DATA_TYPE: 'invalid_input#1.0.0',
    errors: list.map((message) => ({ ...(property ? { property } : {}), message })),
  });
}

export function missingRole(missing: Array<{ role: string; collection?: string }>): ApiError {
  return gcsError(403, 'Caller is missing a required role', { DATA_TYPE: 'missing_required_role#1.0.0', roles: missing });
}

export function notFound(what: string, id: string): ApiError {
  return gcsError(404, `${what} ${id} not found`);
}

const Doc = Type.Object({}, { additionalProperties: true });

/** The success envelope schema: `data` holds typed documents, which are open. */
export const ResultSchema = Type.Object(
  {
    DATA_TYPE: Type.String(),
    code: Type.String(),
    http_response_code: Type.Integer(),
    detail: Type.Unknown(),
    message: Type.String(),
    data: Type.Array(Doc),
    has_next_page: Type.Boolean(),
    marker: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true, [OPEN_DOCUMENTS]: true },
);

export function responses(status: number): Record<number, TSchema> {
  return { [status]: ResultSchema };
}

export interface ResultOptions {
  status?: number;
  message?: string;
  marker?: string | null;
  dataType?: string;
}

/** A success envelope; sets the reply status so `http_response_code` always equals it. */
export function result(reply: FastifyReply, data: unknown[], options: ResultOptions = {}) {
  const status = options.status ?? 200;
  reply.status(status);
  return {
    DATA_TYPE: options.dataType ?? 'result#1.0.0',
    code: 'success',
    http_response_code: status,
    detail: 'success',
    message: options.message ?? 'Operation successful',
    data,
    has_next_page: Boolean(options.marker),
    marker: options.marker ?? null,
  };
}

/**
 * Every route validates with attachValidation so that a schema failure becomes a GCS error: a bad body
 * is 422 invalid_input (a document problem), a bad query or path is 400.
 */
export function installValidation(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.attachValidation = true;
  });
  // Fastify also parses text/plain; GCS documents are JSON only.
  scope.addHook('onRequest', async (request) => {
    const type = request.headers['content-type'];
    if (type !== undefined && ['POST', 'PUT', 'PATCH'].includes(request.method) && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
      throw gcsError(415, `Unsupported media type ${type.split(';')[0]}`);
    }
  });
  scope.addHook('preHandler', async (request) => {
    const failure = (request as FastifyRequest & { validationError?: Error & { validationContext?: string } }).validationError;
    if (!failure) return;
    const converted = toApiError(failure);
    if (failure.validationContext === 'body') throw invalidInput(converted.message);
    throw gcsError(400, converted.message);
  });
}

// ---------------------------------------------------------------------------------------------
// Paging: an opaque marker carrying the last key of the previous page (keyset, so pages never overlap).

export const PagingQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  marker: Type.Optional(Type.String({ maxLength: 512 })),
};

export function encodeMarker(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey })).toString('base64url');
}

export function decodeMarker(marker: string | undefined): string | null {
  if (marker === undefined || marker === '') return null;
  try {
    const parsed = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed.k === 'string') return parsed.k;
  } catch {
    /* fall through */
  }
  throw gcsError(400, 'Invalid marker');
}

/**
 * Walks rows in key order from the marker, keeping those `keep` accepts, until one page plus one row
 * is known: the extra row only says whether another page exists.
 */
export async function keysetPage<T>(options: {
  fetch: (after: string | null, limit: number) => Promise<T[]>;
  keep: (row: T) => boolean | Promise<boolean>;
  key: (row: T) => string;
  pageSize: number;
  marker: string | undefined;
}): Promise<{ items: T[]; marker: string | null }> {
  let after = decodeMarker(options.marker);
  // First ask for exactly one page (+1 to know whether another follows); only when rows are filtered
  // out by visibility does it read on, in larger batches.
  let batch = options.pageSize + 1;
  const items: T[] = [];
  for (;;) {
    const rows = await options.fetch(after, batch);
    for (const row of rows) {
      if (await options.keep(row)) items.push(row);
      if (items.length > options.pageSize) {
        const page = items.slice(0, options.pageSize);
        return { items: page, marker: encodeMarker(options.key(page[page.length - 1])) };
      }
    }
    if (rows.length < batch) return { items, marker: null };
    after = options.key(rows[rows.length - 1]);
    batch = Math.max(batch, 200);
  }
}
