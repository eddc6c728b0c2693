// Files a browser would run as a document (HTML, XML) are served under `Content-Security-Policy: sandbox`, and nothing is type-sniffed: their scripts must not act with the origin's cookies.
import type { FastifyInstance } from 'fastify';
import { contentTypeFor } from './routes.ts';

/**
 * Every collection shares the main origin under /data, and a browser that signed in holds a session cookie
 * there per collection: a script in one collection's HTML file, run on that origin, could read another's
 * files with it. Sandboxed, such a document has an opaque origin; the headers are set before any route
 * runs, so streamed (hijacked) replies carry them too.
 */
export function sandboxActiveContent(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    const name = request.url.split('?')[0].split('/').pop() ?? '';
    if (/^(text\/html|application\/xml)\b/.test(contentTypeFor(decodeURIComponentSafe(name)))) reply.header('content-security-policy', 'sandbox');
  });
}

function decodeURIComponentSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
