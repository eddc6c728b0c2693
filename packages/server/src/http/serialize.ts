// Response serialization: compiled from each route's schema, or plain JSON for open documents, reusing the text of unchanged ones.
import type { FastifyServerOptions } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { OPEN_DOCUMENTS } from './schemas.ts';

const texts = new WeakMap<object, string>();

/** Remembers the JSON of a frozen, shared document (e.g. a cached collection document) for every response that carries it. */
export function rememberJson<T extends object>(doc: T): T {
  if (Object.isFrozen(doc)) texts.set(doc, JSON.stringify(doc));
  return doc;
}

/**
 * An envelope whose `data` holds open documents: each document's remembered text, or JSON.stringify.
 * `data` is written last: key order means nothing in JSON, and the rest of the envelope is small.
 */
export function serializeOpenDocuments(payload: unknown): string {
  const envelope = payload as { data?: unknown } | null;
  if (!envelope || typeof envelope !== 'object' || !Array.isArray(envelope.data) || !envelope.data.some((d) => d && typeof d === 'object' && texts.has(d))) return JSON.stringify(payload);
  const { data, ...rest } = envelope as { data: unknown[] };
  const head = JSON.stringify(rest);
  const items = data.map((d) => (d && typeof d === 'object' ? texts.get(d) : undefined) ?? JSON.stringify(d) ?? 'null');
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"data":[${items.join(',')}]}`;
}

/**
 * Serializers compiled from each route's response schema, except schemas marked OPEN_DOCUMENTS, whose
 * documents are open by design (fields vary by DATA_TYPE version): compiled code adds nothing there and
 * costs four times JSON.stringify on a page of 100 documents.
 */
export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildSerializer(externalSchemas, options) {
      const compiled = SerializerSelector()(externalSchemas as never, options as never);
      return (route) => ((route.schema as Record<string, unknown>)[OPEN_DOCUMENTS] === true ? serializeOpenDocuments : compiled(route as never));
    },
  },
};
