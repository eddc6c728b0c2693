// The JSON body parser of every API: Fastify's own (prototype poisoning refused), after a bound on nesting depth.
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

/** Deeper than any document of the APIs (a GCS policies document is four levels); recursion past it is only an attack. */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply the arrays and objects of a JSON text nest, counted without recursion and without parsing;
 * it stops counting once past `limit`. Brackets inside strings do not count.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Replaces the JSON parser for the whole app (every service inherits it): bodies nested deeper than
 * MAX_JSON_DEPTH are refused with a 400 in the route's envelope before anything walks them recursively
 * (JSON.parse, schema validation, JSON.stringify on the way to the store).
 */
export function useBoundedJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text) > MAX_JSON_DEPTH) return done(new ApiError(400, 'bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    return parse(request, text, done);
  });
}
