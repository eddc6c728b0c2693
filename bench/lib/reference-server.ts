// Bare node:https reference server (child process entry): a JSON result envelope for GET (optionally padded to a size), a form/JSON handler for POST.
import fs from 'node:fs';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { serveAsChild } from './child.ts';

const [certPath, keyPath] = process.argv.slice(2);
if (!certPath || !keyPath) throw new Error('usage: reference-server.ts <cert.pem> <key.pem>');

// Shaped like a one-item GCS result envelope, so it is "small JSON" of a size the APIs actually send.
const ENVELOPE = {
  DATA_TYPE: 'result#1.0.0',
  code: 'success',
  http_response_code: 200,
  detail: 'success',
  message: 'Operation successful',
  data: [{ DATA_TYPE: 'collection#1.15.0', id: '7c0c6a1e-5a8b-4c8e-9d1f-2b3a4c5d6e7f', display_name: 'Reference', collection_type: 'mapped', public: true }],
  has_next_page: false,
  marker: null,
};
const FIXED = JSON.stringify(ENVELOPE);

/**
 * `GET /?bytes=N`: the same envelope padded to N bytes and serialized per request, so a route's
 * reference pays the same TLS, socket and client cost for the same response size.
 */
const padded = new Map<number, typeof ENVELOPE>();
function sized(bytes: number): string {
  let doc = padded.get(bytes);
  if (!doc) {
    const pad = Math.max(0, bytes - FIXED.length - ',"padding":""'.length);
    doc = { ...ENVELOPE, data: [{ ...ENVELOPE.data[0], padding: 'x'.repeat(pad) } as (typeof ENVELOPE.data)[0]] };
    padded.set(bytes, doc);
  }
  return JSON.stringify(doc);
}

const server = https.createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, (req, res) => {
  if (req.method !== 'POST') {
    const bytes = /[?&]bytes=(\d+)/.exec(req.url ?? '');
    const body = bytes ? sized(Number(bytes[1])) : FIXED;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    // The work a token endpoint cannot avoid: parse the body and hash one secret.
    let value: string;
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      value = JSON.stringify(Object.keys(parsed));
    } else {
      const form = new URLSearchParams(text);
      value = form.get('token') ?? form.get('grant_type') ?? '';
    }
    const digest = createHash('sha256')
      .update(value)
      .update(req.headers.authorization ?? '')
      .digest('hex');
    const reply = JSON.stringify({ active: true, token_type: 'Bearer', digest, iat: Math.floor(Date.now() / 1000) });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(reply) });
    res.end(reply);
  });
});

serveAsChild(server);
