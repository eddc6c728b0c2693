// Response serialization: compiled from each route's schema, or plain JSON for open documents, reusing the text of unchanged ones.
import type { FastifyServerOptions } from 'fastify';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { OPEN_DOCUMENTS } from './schemas.ts';

const texts = new WeakMap<object, Buffer>();

/** Remembers the JSON of a frozen, shared document (e.g. a cached collection document) for every response that carries it. */
export function rememberJson<T extends object>(doc: T): T {
  if (Object.isFrozen(doc)) texts.set(doc, Buffer.from(JSON.stringify(doc)));
  return doc;
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/**
 * An envelope whose `data` holds open documents: each document's remembered bytes, or JSON.stringify.
 * `data` is written last: key order means nothing in JSON, and the rest of the envelope is small. Bytes,
 * not a string: a page of 100 remembered documents joined as a string was a rope the socket had to flatten
 * and encode again per response (a quarter of a page's CPU); joined as buffers it is one copy.
 */
export function serializeOpenDocuments(payload: unknown): string | Buffer {
  const envelope = payload as { data?: unknown } | null;
  if (!envelope || typeof envelope !== 'object' || !Array.isArray(envelope.data) || !envelope.data.some((d) => d && typeof d === 'object' && texts.has(d)))
    return JSON.stringify(payload);
  const { data, ...rest } = envelope as { data: unknown[] };
  const head = JSON.stringify(rest);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"data":[`)];
  data.forEach((d, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push((d && typeof d === 'object' ? texts.get(d) : undefined) ?? Buffer.from(JSON.stringify(d) ?? 'null'));
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
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
      // Fastify sends a serializer's Buffer as it is (reply.js onSendEnd); its types only say string.
      return (route) =>
        (route.schema as Record<string, unknown>)[OPEN_DOCUMENTS] === true ? (serializeOpenDocuments as (data: unknown) => string) : compiled(route as never);
    },
  },
};
