// CollectionHTTPSClient against a real local node:http file server with Range/If-Range: downloads, resume, truncation, uploads, errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  AccessTokenAuthorizer,
  CollectionHTTPSAPIError,
  CollectionHTTPSClient,
  GlobusAPIError,
  GlobusError,
  IncompleteTransferError,
  encodeDataPath,
  parseContentRange,
  rangeHeader,
} from '../src/index.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(Buffer.from(r.value));
  return Buffer.concat(parts);
}

test('rangeHeader builds single byte ranges and refuses nonsense', () => {
  assert.equal(rangeHeader({ start: 0, end: 99 }), 'bytes=0-99');
  assert.equal(rangeHeader({ start: 1000 }), 'bytes=1000-');
  assert.equal(rangeHeader({ suffix: 500 }), 'bytes=-500');
  assert.equal(rangeHeader('bytes=1-2'), 'bytes=1-2');
  assert.throws(() => rangeHeader({ start: -1 }), RangeError);
  assert.throws(() => rangeHeader({ start: 5, end: 4 }), RangeError);
  assert.throws(() => rangeHeader({ start: 1.5 }), RangeError);
  assert.throws(() => rangeHeader({ suffix: 0 }), RangeError);
  assert.throws(() => rangeHeader('items=1-2'), TypeError);
});

test('parseContentRange reads satisfied, unknown-size and unsatisfied forms', () => {
  assert.deepEqual(parseContentRange('bytes 0-9/100'), { start: 0, end: 9, size: 100 });
  assert.deepEqual(parseContentRange('bytes 5-9/*'), { start: 5, end: 9, size: undefined });
  assert.deepEqual(parseContentRange('bytes */100'), { unsatisfied: true, size: 100 });
  assert.equal(parseContentRange('bytes 9-5/100'), undefined);
  assert.equal(parseContentRange('bytes 0-100/100'), undefined, 'end beyond the size');
  assert.equal(parseContentRange('bytes */*'), undefined);
  assert.equal(parseContentRange(null), undefined);
});

test('encodeDataPath encodes per segment and refuses dot segments', () => {
  assert.equal(encodeDataPath('/dir x/file#1?.bin'), 'dir%20x/file%231%3F.bin');
  assert.equal(encodeDataPath('a//b/'), 'a/b');
  assert.equal(encodeDataPath('/100%/ü'), '100%25/%C3%BC');
  assert.throws(() => encodeDataPath('/a/../b'), GlobusError);
  assert.throws(() => encodeDataPath('./a'), GlobusError);
});

interface Stored {
  body: Buffer;
  etag: string;
}

/** A minimal collection HTTPS server: files in memory under /data/c1/, RFC 9110 single ranges, If-Range, bearer `good`. */
function fileServer() {
  const files = new Map<string, Stored>();
  const seen: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders }> = [];
  /** Paths whose next GET sends only this many bytes of the announced body, then drops the connection. */
  const cutAfter = new Map<string, number>();
  let version = 0;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = decodeURIComponent(url.pathname.replace(/^\/data\/c1/, ''));
    seen.push({ method: req.method!, path: url.pathname, headers: req.headers });
    if (req.headers.authorization !== 'Bearer good') {
      const body = JSON.stringify({
        code: 'AuthenticationRequired',
        message: 'Token required',
        authorization_parameters: { required_scopes: ['https://auth.globus.org/scopes/c1/https'], session_message: 'log in' },
      });
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(body);
      return;
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      try {
        for await (const c of req) chunks.push(c as Buffer);
      } catch {
        return;
      }
      const body = Buffer.concat(chunks);
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) !== body.length) {
        res.writeHead(400).end();
        return;
      }
      const existed = files.has(key);
      const etag = `"v${++version}"`;
      files.set(key, { body, etag });
      res.writeHead(existed ? 200 : 201, { etag, 'content-type': 'application/json' }).end(JSON.stringify({ bytes: body.length }));
      return;
    }
    const file = files.get(key);
    if (!file) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NotFound', message: `No such file ${key}` }));
      return;
    }
    if (req.method === 'DELETE') {
      files.delete(key);
      res.writeHead(204).end();
      return;
    }
    const size = file.body.length;
    const common = { etag: file.etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', 'last-modified': new Date(0).toUTCString() };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (range && (ifRange === undefined || ifRange === file.etag)) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (m && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') start = Math.max(0, size - Number(m[2]));
        else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(end, Number(m[2]));
        }
        if (start >= size) {
          res.writeHead(416, { ...common, 'content-range': `bytes */${size}` }).end();
          return;
        }
        status = 206;
      }
    }
    const headers: Record<string, string> = { ...common, 'content-length': String(end - start + 1) };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const cut = cutAfter.get(key);
    if (cut !== undefined) {
      cutAfter.delete(key);
      res.write(file.body.subarray(start, start + cut), () => res.destroy());
      return;
    }
    res.end(file.body.subarray(start, end + 1));
  });
  return { server, files, seen, cutAfter };
}

describe('CollectionHTTPSClient', () => {
  const fsrv = fileServer();
  let origin: string;
  let tmp: string;
  let client: CollectionHTTPSClient;
  const content = randomBytes(3 * 1024 * 1024 + 17);

  before(async () => {
    await new Promise<void>((resolve) => fsrv.server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(fsrv.server.address() as AddressInfo).port}`;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-sdk-data-'));
    client = new CollectionHTTPSClient(`${origin}/data/c1`, { authorizer: new AccessTokenAuthorizer('good'), maxRetries: 0 });
    fsrv.files.set('/dir x/big#1.bin', { body: content, etag: '"big"' });
  });
  after(async () => {
    fsrv.server.closeAllConnections();
    await new Promise((r) => fsrv.server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('download: whole file, a range and a suffix, with per-segment encoding and the XHR header', async () => {
    const whole = await client.download('/dir x/big#1.bin');
    assert.equal(whole.status, 200);
    assert.equal(whole.size, content.length);
    assert.equal(whole.etag, '"big"');
    assert.equal(whole.acceptRanges, true);
    assert.equal(sha(await readAll(whole.stream)), sha(content));
    const last = fsrv.seen.at(-1)!;
    assert.equal(last.path, '/data/c1/dir%20x/big%231.bin');
    assert.equal(last.headers['x-requested-with'], 'XMLHttpRequest');
    assert.equal(last.headers['accept-encoding'], 'identity');

    const part = await client.download('dir x/big#1.bin', { range: { start: 10, end: 19 } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.range, { start: 10, end: 19 });
    assert.equal(part.size, content.length, 'size is the whole file from Content-Range');
    assert.deepEqual(await readAll(part.stream), content.subarray(10, 20));

    const tail = await client.download('dir x/big#1.bin', { range: { suffix: 5 } });
    assert.deepEqual(await readAll(tail.stream), content.subarray(content.length - 5));
  });

  test('head reports size and validators', async () => {
    const info = await client.head('/dir x/big#1.bin');
    assert.equal(info.size, content.length);
    assert.equal(info.etag, '"big"');
  });

  test('downloadToFile resumes a truncated copy with Range + If-Range and ends byte-identical', async () => {
    const file = path.join(tmp, 'resume.bin');
    const first = await client.downloadToFile('/dir x/big#1.bin', file);
    assert.equal(first.size, content.length);
    assert.equal(first.offset, 0);
    fs.truncateSync(file, 1_000_000);

    const progress: number[] = [];
    const before = fsrv.seen.length;
    const resumed = await client.downloadToFile('/dir x/big#1.bin', file, { resume: true, onProgress: (n) => progress.push(n) });
    assert.equal(resumed.offset, 1_000_000);
    assert.equal(resumed.received, content.length - 1_000_000);
    assert.equal(resumed.alreadyComplete, false);
    assert.equal(sha(fs.readFileSync(file)), sha(content));
    const [head, get] = fsrv.seen.slice(before);
    assert.equal(head.method, 'HEAD');
    assert.equal(get.headers.range, 'bytes=1000000-');
    assert.equal(get.headers['if-range'], '"big"');
    assert.equal(progress.at(-1), content.length, 'progress counts the local file size, resumed part included');

    const again = await client.downloadToFile('/dir x/big#1.bin', file, { resume: true });
    assert.equal(again.alreadyComplete, true);
    assert.equal(again.received, 0);
  });

  test('a stale If-Range makes the server send the whole file, which replaces the partial copy', async () => {
    const file = path.join(tmp, 'stale.bin');
    fs.writeFileSync(file, Buffer.alloc(1234, 0x78));
    const result = await client.downloadToFile('/dir x/big#1.bin', file, { resume: true, ifRange: '"an-older-version"' });
    assert.equal(result.offset, 0);
    assert.equal(sha(fs.readFileSync(file)), sha(content));
  });

  test('a local copy longer than the file restarts; 416 on a whole copy counts as complete', async () => {
    fsrv.files.set('/small.txt', { body: Buffer.from('hello world'), etag: '"s"' });
    const file = path.join(tmp, 'small.txt');
    fs.writeFileSync(file, 'this is longer than the remote file');
    const restarted = await client.downloadToFile('/small.txt', file, { resume: true });
    assert.equal(restarted.offset, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello world');
    // With a validator given there is no HEAD: the server's 416 `bytes */11` tells the copy is whole.
    const whole = await client.downloadToFile('/small.txt', file, { resume: true, ifRange: '"s"' });
    assert.equal(whole.alreadyComplete, true);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello world');
  });

  test('a connection dropped mid-body is an IncompleteTransferError; the prefix stays for the next resume', async () => {
    const file = path.join(tmp, 'cut.bin');
    fsrv.cutAfter.set('/dir x/big#1.bin', 700_000);
    await assert.rejects(client.downloadToFile('/dir x/big#1.bin', file), (e: IncompleteTransferError) => {
      assert.ok(e instanceof IncompleteTransferError, String(e));
      assert.equal(e.expected, content.length);
      assert.ok(e.received < content.length);
      return true;
    });
    const partial = fs.readFileSync(file);
    assert.ok(partial.length < content.length);
    assert.deepEqual(partial, content.subarray(0, partial.length), 'what was written is a prefix');
    const resumed = await client.downloadToFile('/dir x/big#1.bin', file, { resume: true });
    assert.equal(resumed.offset, partial.length);
    assert.equal(sha(fs.readFileSync(file)), sha(content));
  });

  test('a stalled body fails after the idle timeout instead of hanging', async () => {
    const stalling = http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only this');
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    try {
      const c = new CollectionHTTPSClient(`http://127.0.0.1:${(stalling.address() as AddressInfo).port}/`, { idleTimeoutMs: 200, maxRetries: 0 });
      const res = await c.download('/x');
      await assert.rejects(
        readAll(res.stream),
        (e: IncompleteTransferError) => e instanceof IncompleteTransferError && /stalled/.test(e.message) && e.received === 9,
      );
    } finally {
      stalling.closeAllConnections();
      await new Promise((r) => stalling.close(r));
    }
  });

  test('401 is a CollectionHTTPSAPIError carrying authorization_parameters', async () => {
    const anon = new CollectionHTTPSClient(`${origin}/data/c1`, { maxRetries: 0 });
    await assert.rejects(anon.download('/dir x/big#1.bin'), (e: CollectionHTTPSAPIError) => {
      assert.ok(e instanceof CollectionHTTPSAPIError && e instanceof GlobusAPIError);
      assert.equal(e.httpStatus, 401);
      assert.equal(e.code, 'AuthenticationRequired');
      assert.deepEqual(e.authorizationParameters?.requiredScopes, ['https://auth.globus.org/scopes/c1/https']);
      return true;
    });
    await assert.rejects(client.download('/missing'), (e: CollectionHTTPSAPIError) => e.httpStatus === 404 && e.code === 'NotFound');
    await assert.rejects(anon.upload('/x', Buffer.from('x')), (e: CollectionHTTPSAPIError) => e.httpStatus === 401 && e.authorizationParameters !== undefined);
  });

  test('upload streams a Node stream with Content-Length and progress; 201 then 200 on replace', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 3);
    const progress: number[] = [];
    const created = await client.upload('/up/one.bin', Readable.from([body.subarray(0, 1_000_000), body.subarray(1_000_000)]), {
      size: body.length,
      onProgress: (n) => progress.push(n),
    });
    assert.equal(created.status, 201);
    assert.equal(created.created, true);
    assert.equal(created.sent, body.length);
    assert.deepEqual(created.data, { bytes: body.length });
    assert.equal(progress.at(-1), body.length);
    assert.equal(fsrv.seen.at(-1)!.headers['content-length'], String(body.length));
    assert.equal(sha(fsrv.files.get('/up/one.bin')!.body), sha(body));

    const file = path.join(tmp, 'upload-src.bin');
    fs.writeFileSync(file, body.subarray(0, 12345));
    const replaced = await client.uploadFile('/up/one.bin', file);
    assert.equal(replaced.status, 200);
    assert.equal(replaced.created, false);
    assert.equal(fsrv.files.get('/up/one.bin')!.body.length, 12345);

    // Without a size the body goes chunked.
    const chunked = await client.upload(
      '/up/two.txt',
      (async function* () {
        yield new TextEncoder().encode('a');
        yield new TextEncoder().encode('bc');
      })(),
    );
    assert.equal(chunked.sent, 3);
    assert.equal(fsrv.files.get('/up/two.txt')!.body.toString(), 'abc');
  });

  test('an upload whose stream disagrees with the announced size fails and stores nothing', async () => {
    await assert.rejects(client.upload('/up/short.bin', Readable.from([Buffer.alloc(10)]), { size: 20 }), IncompleteTransferError);
    await assert.rejects(client.upload('/up/long.bin', Readable.from([Buffer.alloc(30)]), { size: 20 }), IncompleteTransferError);
    assert.equal(fsrv.files.has('/up/short.bin'), false);
    assert.equal(fsrv.files.has('/up/long.bin'), false);
  });

  test('delete removes a file; a second delete is a 404', async () => {
    fsrv.files.set('/gone.txt', { body: Buffer.from('x'), etag: '"g"' });
    await client.delete('/gone.txt');
    assert.equal(fsrv.files.has('/gone.txt'), false);
    await assert.rejects(client.delete('/gone.txt'), (e: CollectionHTTPSAPIError) => e.httpStatus === 404);
  });
});
