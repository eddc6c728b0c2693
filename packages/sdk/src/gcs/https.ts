// CollectionHTTPSClient: a collection's HTTPS data plane (GET/HEAD/PUT/DELETE on `https_url` + path) with ranged, resumable, streamed transfers.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { BaseClient } from '../core/base-client.ts';
import type { BaseClientOptions, RequestOptions } from '../core/base-client.ts';
import { GCSAPIError, GlobusError, NetworkError, readErrorInit } from '../core/errors.ts';
import { Transport } from '../core/transport.ts';
import type { FetchLike, TransportOptions } from '../core/transport.ts';

/** A non-2xx answer of a collection's HTTPS server (a 401 carries `authorizationParameters.requiredScopes`). */
export class CollectionHTTPSAPIError extends GCSAPIError {}

/** A transfer that stopped before all announced bytes arrived (connection lost, stalled, or the server sent too few). */
export class IncompleteTransferError extends GlobusError {
  readonly url: string;
  /** Bytes moved by this request. */
  readonly received: number;
  /** Bytes the request should have moved, when known. */
  readonly expected: number | undefined;
  constructor(message: string, init: { url: string; received: number; expected?: number; cause?: unknown }) {
    super(message, { cause: init.cause });
    this.name = 'IncompleteTransferError';
    this.url = init.url;
    this.received = init.received;
    this.expected = init.expected;
  }
}

/** `{start, end}` (inclusive), `{start}` (to the end), `{suffix}` (the last n bytes), or a raw `bytes=…` value. */
export type ByteRangeSpec = { start: number; end?: number } | { suffix: number } | string;

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** The `Range` header value for one byte range (RFC 9110 §14.1.2). */
export function rangeHeader(range: ByteRangeSpec): string {
  if (typeof range === 'string') {
    if (!/^bytes=/.test(range)) throw new TypeError(`not a byte range: ${JSON.stringify(range)}`);
    return range;
  }
  if ('suffix' in range) {
    if (!isCount(range.suffix) || range.suffix === 0) throw new RangeError(`suffix length must be a positive integer, got ${range.suffix}`);
    return `bytes=-${range.suffix}`;
  }
  if (!isCount(range.start)) throw new RangeError(`range start must be a non-negative integer, got ${range.start}`);
  if (range.end === undefined) return `bytes=${range.start}-`;
  if (!isCount(range.end) || range.end < range.start) throw new RangeError(`range end must be an integer >= start, got ${range.start}-${range.end}`);
  return `bytes=${range.start}-${range.end}`;
}

export type ContentRange = { start: number; end: number; size: number | undefined } | { unsatisfied: true; size: number };

/** Parses `bytes a-b/size`, `bytes a-b/*` and `bytes *\/size`; undefined for anything else. */
export function parseContentRange(value: string | null | undefined): ContentRange | undefined {
  if (!value) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|(\*))\/(\d+|\*)\s*$/i.exec(value);
  if (!m) return undefined;
  const size = m[4] === '*' ? undefined : Number(m[4]);
  if (m[3] === '*') return size === undefined ? undefined : { unsatisfied: true, size };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || (size !== undefined && end >= size)) return undefined;
  return { start, end, size };
}

/**
 * A collection-relative path as a URL path relative to `https_url`: each segment percent-encoded, so
 * `#`, `?`, `%` and spaces stay in their segment. `.`/`..` segments are refused: a URL parser would
 * resolve them and could leave the collection's prefix.
 */
export function encodeDataPath(path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  for (const s of segments) if (s === '.' || s === '..') throw new GlobusError(`invalid path ${JSON.stringify(path)}: '.' and '..' segments are not allowed`);
  return segments.map(encodeURIComponent).join('/');
}

/** What HEAD (and the headers of GET) say about a file. */
export interface FileInfo {
  /** Whole-file size in bytes, when the server said. */
  size: number | undefined;
  etag: string | undefined;
  lastModified: string | undefined;
  contentType: string | undefined;
  acceptRanges: boolean;
  headers: Headers;
}

export interface DownloadOptions {
  range?: ByteRangeSpec;
  /** An ETag or HTTP date: the range is served only if the file still matches, else the whole file (200). */
  ifRange?: string;
  signal?: AbortSignal;
  /** Called as bytes arrive with the bytes of this response so far. */
  onProgress?: (received: number) => void;
}

export interface DownloadResult extends FileInfo {
  /** 200 (whole file) or 206 (the range). Read it, or cancel it to drop the connection. */
  status: number;
  /** Errors with IncompleteTransferError when fewer bytes arrive than announced. */
  stream: ReadableStream<Uint8Array>;
  /** Bytes this response carries. */
  contentLength: number | undefined;
  /** The range served (206 only), inclusive. */
  range: { start: number; end: number } | undefined;
  url: string;
}

export interface DownloadToFileOptions {
  /**
   * Continue a partial local copy with `Range: bytes=<local size>-`. A server that ignores the range or
   * whose file changed (If-Range) answers 200 and the copy restarts from byte 0.
   */
  resume?: boolean;
  /**
   * Validator for If-Range. Absent: a HEAD supplies the current one (strong ETag, else Last-Modified).
   * Pass the ETag remembered from when the partial copy was written to also catch changes since then;
   * `null` sends none.
   */
  ifRange?: string | null;
  signal?: AbortSignal;
  /** Called before bytes flow: where the transfer starts and the whole-file size. */
  onStart?: (info: { offset: number; size: number | undefined }) => void;
  /** Called as bytes are written, with the local file's size so far. */
  onProgress?: (bytes: number, size: number | undefined) => void;
}

export interface DownloadToFileResult {
  file: string;
  /** Local file size afterwards (= the remote size). */
  size: number;
  /** Bytes written by this call. */
  received: number;
  /** Where this call started writing (0 unless resumed). */
  offset: number;
  /** The local copy was already whole: nothing transferred. */
  alreadyComplete: boolean;
  etag: string | undefined;
}

/** What `upload` accepts: bytes, a Blob, a web or Node stream, or any async iterable of chunks. */
export type UploadBody = Uint8Array | ArrayBuffer | Blob | string | ReadableStream<Uint8Array> | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

export interface UploadOptions {
  /** Sent as Content-Length; a stream that yields a different amount fails the upload. */
  size?: number;
  contentType?: string;
  /** `*` creates only (412 when the file exists); an ETag replaces only that version. */
  ifNoneMatch?: string;
  ifMatch?: string;
  signal?: AbortSignal;
  onProgress?: (sent: number) => void;
}

export interface UploadResult {
  status: number;
  /** 201: a new file; 200/204: an existing one was replaced. */
  created: boolean;
  /** Bytes sent. */
  sent: number;
  etag: string | undefined;
  /** Parsed JSON body, if the server sent one. */
  data: unknown;
  headers: Headers;
}

export interface CollectionHTTPSClientOptions extends BaseClientOptions {
  /**
   * Abort a request when no bytes move for this long (default 60 s; 0 disables). Replaces the
   * transport's whole-request timeout, which would cut off any transfer longer than it.
   */
  idleTimeoutMs?: number;
}

const NUMBER = (v: string | null) => (v !== null && /^\d+$/.test(v.trim()) ? Number(v) : undefined);

function fileInfo(headers: Headers, size: number | undefined): FileInfo {
  return {
    size,
    etag: headers.get('etag') ?? undefined,
    lastModified: headers.get('last-modified') ?? undefined,
    contentType: headers.get('content-type') ?? undefined,
    acceptRanges: /\bbytes\b/i.test(headers.get('accept-ranges') ?? ''),
    headers,
  };
}

/** If-Range needs a strong validator (RFC 9110 §13.1.5): a strong ETag, else the date. */
function ifRangeValidator(info: FileInfo): string | undefined {
  if (info.etag && !info.etag.startsWith('W/')) return info.etag;
  return info.lastModified;
}

const isStream = (b: unknown): b is ReadableStream => typeof ReadableStream !== 'undefined' && b instanceof ReadableStream;

/** Node's fetch wants `duplex: 'half'` for a streamed request body; the shared Transport does not set it. */
function duplexFetch(inner: FetchLike | undefined): FetchLike {
  return (input, init) => {
    const f = inner ?? globalThis.fetch;
    return f(input, init && isStream(init.body) ? ({ ...init, duplex: 'half' } as RequestInit) : init);
  };
}

function dataTransport(options: CollectionHTTPSClientOptions): Transport {
  const { baseUrl: _b, authorizer: _a, transport, idleTimeoutMs: _i, ...own } = options;
  const base: TransportOptions = transport ? transport.options : own;
  return new Transport({ ...base, fetch: duplexFetch(base.fetch) });
}

/** One watchdog per request: aborts when `ms` pass without `touch()`; combined with the caller's signal. */
class IdleWatch {
  readonly controller = new AbortController();
  readonly signal: AbortSignal;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #ms: number;
  readonly #what: { method: string; url: string };

  constructor(ms: number, what: { method: string; url: string }, signal?: AbortSignal) {
    this.#ms = ms;
    this.#what = what;
    this.signal = signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal;
    this.touch();
  }

  touch(): void {
    if (!(this.#ms > 0 && Number.isFinite(this.#ms))) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const { method, url } = this.#what;
      this.controller.abort(new NetworkError(`${method} ${url} stalled: no data for ${this.#ms} ms`, { method, url, timedOut: true }));
    }, this.#ms);
    // A pending watchdog alone must not keep a finished program alive.
    this.#timer.unref?.();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * The HTTPS data plane of one collection. `httpsUrl` is the collection's `https_url` (Transfer:
 * `https_server`); paths are collection-relative. The authorizer must hold a token whose resource
 * server is the collection id with scope `https://auth.globus.org/scopes/<collection_id>/https`
 * (plus `…/data_access` on non-high-assurance mapped collections) — see `GCSCollectionScopes`.
 */
export class CollectionHTTPSClient extends BaseClient {
  readonly httpsUrl: string;
  readonly idleTimeoutMs: number;

  constructor(httpsUrl: string, options: CollectionHTTPSClientOptions = {}) {
    super(
      { authorizer: options.authorizer, transport: dataTransport(options) },
      { serviceName: 'collection_https', baseUrl: httpsUrl, errorClass: CollectionHTTPSAPIError },
    );
    this.httpsUrl = httpsUrl;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  }

  /** The absolute URL of a collection-relative path. */
  fileUrl(path: string): string {
    return this.url(encodeDataPath(path));
  }

  /**
   * X-Requested-With makes the server answer a missing or insufficient token with a 401 JSON body
   * (`authorization_parameters`) instead of redirecting to a login page, which fetch would follow and
   * hand back as if it were the file. Accept-Encoding: identity keeps byte counts and ranges about the
   * file itself.
   */
  #headers(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const headers: Record<string, string> = { Accept: '*/*', 'Accept-Encoding': 'identity', 'X-Requested-With': 'XMLHttpRequest' };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) headers[k] = v;
    return headers;
  }

  #checkNotRedirected(response: Response, url: string, method: string): void {
    if (response.redirected && new URL(response.url).pathname !== new URL(url).pathname) {
      void response.body?.cancel().catch(() => {});
      throw new GlobusError(`${method} ${url} was redirected to ${response.url}: the collection wants a login (is the token missing the https scope?)`);
    }
  }

  /** HEAD {https_url}/{path} — size, ETag, Last-Modified and whether ranges are served. */
  async head(path: string, options: { signal?: AbortSignal } = {}): Promise<FileInfo> {
    const url = this.fileUrl(path);
    const response = await this.requestRaw({ method: 'HEAD', path: url, headers: this.#headers(), signal: options.signal });
    this.#checkNotRedirected(response, url, 'HEAD');
    return fileInfo(response.headers, NUMBER(response.headers.get('content-length')));
  }

  /**
   * GET {https_url}/{path} — streams the file, or one byte range of it (`Range`, answered with 206).
   * The stream errors with IncompleteTransferError if the connection ends early or stalls for
   * `idleTimeoutMs`; cancel it to stop reading.
   */
  async download(path: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const url = this.fileUrl(path);
    const watch = new IdleWatch(this.idleTimeoutMs, { method: 'GET', url }, options.signal);
    let response: Response;
    try {
      response = await this.requestRaw({
        method: 'GET',
        path: url,
        headers: this.#headers({
          Range: options.range === undefined ? undefined : rangeHeader(options.range),
          'If-Range': options.range === undefined ? undefined : options.ifRange,
        }),
        signal: watch.signal,
        timeoutMs: 0,
      });
      this.#checkNotRedirected(response, url, 'GET');
    } catch (error) {
      watch.stop();
      throw error;
    }
    const headers = response.headers;
    const contentLength = NUMBER(headers.get('content-length'));
    let range: { start: number; end: number } | undefined;
    let size = contentLength;
    if (response.status === 206) {
      const cr = parseContentRange(headers.get('content-range'));
      if (!cr || 'unsatisfied' in cr) {
        watch.stop();
        void response.body?.cancel().catch(() => {});
        throw new GlobusError(`GET ${url}: 206 without a usable Content-Range (${headers.get('content-range')})`);
      }
      range = { start: cr.start, end: cr.end };
      size = cr.size;
    }
    const expected = contentLength ?? (range ? range.end - range.start + 1 : undefined);
    const stream = countedBody(response.body, { url, expected, watch, onProgress: options.onProgress, signal: options.signal });
    return { ...fileInfo(headers, size), status: response.status, stream, contentLength: expected, range, url };
  }

  /**
   * GET {https_url}/{path} into a local file, streamed. With `resume`, a partial local copy continues
   * with `Range: bytes=<local size>-` + `If-Range` (HEAD first when no validator is given; a copy of
   * the whole size is left alone). A failure leaves what arrived in place for the next resume.
   */
  async downloadToFile(path: string, file: string, options: DownloadToFileOptions = {}): Promise<DownloadToFileResult> {
    let offset = 0;
    if (options.resume) {
      try {
        offset = fs.statSync(file).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    let validator: string | undefined = options.ifRange ?? undefined;
    if (offset > 0 && options.ifRange === undefined) {
      const info = await this.head(path, { signal: options.signal });
      if (info.size !== undefined && offset === info.size) {
        return { file, size: offset, received: 0, offset, alreadyComplete: true, etag: info.etag };
      }
      // A local copy longer than the file cannot be a prefix of it.
      if (info.size !== undefined && offset > info.size) offset = 0;
      validator = ifRangeValidator(info);
    }

    let result: DownloadResult;
    try {
      result = await this.download(path, {
        range: offset > 0 ? { start: offset } : undefined,
        ifRange: offset > 0 ? validator : undefined,
        signal: options.signal,
      });
    } catch (error) {
      // 416 with `bytes */size`: nothing lies beyond the local copy — whole if the sizes agree, else not a prefix.
      if (offset > 0 && error instanceof CollectionHTTPSAPIError && error.httpStatus === 416) {
        const cr = parseContentRange(error.headers.get('content-range'));
        if (cr && 'unsatisfied' in cr && cr.size === offset) {
          return { file, size: offset, received: 0, offset, alreadyComplete: true, etag: error.headers.get('etag') ?? undefined };
        }
        offset = 0;
        result = await this.download(path, { signal: options.signal });
      } else {
        throw error;
      }
    }
    if (result.status !== 206) offset = 0;
    else if (result.range!.start !== offset) {
      await result.stream.cancel();
      throw new GlobusError(`GET ${result.url}: asked for bytes from ${offset}, got ${result.range!.start}-${result.range!.end}`);
    }
    options.onStart?.({ offset, size: result.size });
    let received = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        options.onProgress?.(offset + received, result.size);
        controller.enqueue(chunk);
      },
    });
    await pipeline(Readable.fromWeb(result.stream.pipeThrough(counter) as NodeReadableStream), fs.createWriteStream(file, { flags: offset > 0 ? 'a' : 'w' }));
    return { file, size: offset + received, received, offset, alreadyComplete: false, etag: result.etag };
  }

  /**
   * PUT {https_url}/{path} — creates or replaces the file with `body`, streamed (`duplex: 'half'`).
   * Streams are sent once (no retries); a 401 is thrown as CollectionHTTPSAPIError.
   */
  async upload(path: string, body: UploadBody, options: UploadOptions = {}): Promise<UploadResult> {
    return this.#put(path, () => body, options, false);
  }

  /**
   * PUT {https_url}/{path} from a local file, streamed with its size as Content-Length. Unlike a
   * one-shot stream, the file can be reopened, so a 401 after a token renewal is retried once.
   */
  async uploadFile(path: string, file: string, options: Omit<UploadOptions, 'size'> = {}): Promise<UploadResult> {
    const size = fs.statSync(file).size;
    return this.#put(path, () => fs.createReadStream(file, { highWaterMark: 1 << 20 }), { ...options, size }, true);
  }

  async #put(path: string, makeBody: () => UploadBody, options: UploadOptions, reopenable: boolean): Promise<UploadResult> {
    const url = this.fileUrl(path);
    if (options.size !== undefined && !isCount(options.size)) throw new RangeError(`size must be a non-negative integer, got ${options.size}`);
    for (let attempt = 0; ; attempt++) {
      const watch = new IdleWatch(this.idleTimeoutMs, { method: 'PUT', url }, options.signal);
      let sent = 0;
      const body = uploadStream(makeBody(), {
        size: options.size,
        url,
        onChunk: (n) => {
          sent += n;
          watch.touch();
          options.onProgress?.(sent);
        },
      });
      // Set here rather than via the authorizer: the transport's 401 renew-and-resend cannot replay a stream.
      const authorization = await this.authorizer.getAuthorizationHeader();
      let response: Response;
      try {
        response = await this.transport.send({
          method: 'PUT',
          url,
          headers: this.#headers({
            Authorization: authorization,
            'Content-Type': options.contentType ?? 'application/octet-stream',
            'Content-Length': options.size === undefined ? undefined : String(options.size),
            'If-None-Match': options.ifNoneMatch,
            'If-Match': options.ifMatch,
          }),
          body,
          signal: watch.signal,
          timeoutMs: 0,
        });
      } catch (error) {
        throw unwrapUploadError(error, url, sent, options.size);
      } finally {
        watch.stop();
      }
      if (response.status === 401 && reopenable && attempt === 0 && (await this.authorizer.handleMissingAuthorization())) {
        await response.body?.cancel().catch(() => {});
        continue;
      }
      if (response.status >= 400) {
        throw new CollectionHTTPSAPIError(await readErrorInit(response, { method: 'PUT', url }));
      }
      const text = await response.text();
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        data = undefined;
      }
      return {
        status: response.status,
        created: response.status === 201,
        sent,
        etag: response.headers.get('etag') ?? undefined,
        data,
        headers: response.headers,
      };
    }
  }

  /**
   * DELETE {https_url}/{path} — removes a file (or an empty directory). Unlike the other BaseClient
   * verbs, `path` is collection-relative and percent-encoded per segment here.
   */
  override async delete<T = undefined>(path: string, options: Pick<RequestOptions, 'signal'> = {}): Promise<T> {
    const url = this.fileUrl(path);
    const response = await this.requestRaw({ method: 'DELETE', path: url, headers: this.#headers(), signal: options.signal });
    await response.body?.cancel().catch(() => {});
    return undefined as T;
  }
}

/** Wraps a response body: counts bytes, feeds the idle watchdog, and errors when the count falls short. */
function countedBody(
  body: ReadableStream<Uint8Array> | null,
  ctx: { url: string; expected: number | undefined; watch: IdleWatch; onProgress?: (n: number) => void; signal?: AbortSignal },
): ReadableStream<Uint8Array> {
  const { url, expected, watch } = ctx;
  let received = 0;
  if (!body) {
    watch.stop();
    return new ReadableStream({
      start(controller) {
        if (expected) controller.error(new IncompleteTransferError(`GET ${url}: no body, expected ${expected} bytes`, { url, received: 0, expected }));
        else controller.close();
      },
    });
  }
  const reader = body.getReader();
  const fail = (cause: unknown) => {
    watch.stop();
    // The caller's own abort is not a transfer failure: pass its reason through untouched.
    if (ctx.signal?.aborted) return ctx.signal.reason;
    const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    const of = expected === undefined ? '' : ` of ${expected}`;
    return new IncompleteTransferError(`GET ${url} ended after ${received}${of} bytes: ${why}`, { url, received, expected, cause });
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          controller.error(fail(error));
          return;
        }
        if (chunk.done) {
          watch.stop();
          if (expected !== undefined && received !== expected) {
            controller.error(new IncompleteTransferError(`GET ${url} ended after ${received} of ${expected} bytes`, { url, received, expected }));
          } else controller.close();
          return;
        }
        received += chunk.value.byteLength;
        watch.touch();
        ctx.onProgress?.(received);
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        watch.stop();
        return reader.cancel(reason);
      },
    },
    // Pull only on demand: a slow consumer must not make the whole file pile up in memory.
    { highWaterMark: 0 },
  );
}

/** Any UploadBody as a web stream that counts what it hands out and refuses to send more or fewer bytes than `size`. */
function uploadStream(body: UploadBody, ctx: { size: number | undefined; url: string; onChunk: (n: number) => void }): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  const source = (): AsyncIterator<Uint8Array> => {
    if (typeof body === 'string')
      return (async function* () {
        yield new TextEncoder().encode(body);
      })();
    if (body instanceof Uint8Array)
      return (async function* () {
        yield body;
      })();
    if (body instanceof ArrayBuffer)
      return (async function* () {
        yield new Uint8Array(body);
      })();
    if (typeof Blob !== 'undefined' && body instanceof Blob) return (body.stream() as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    if (Symbol.asyncIterator in (body as object)) return (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    throw new TypeError('upload body must be bytes, a Blob, a stream or an async iterable');
  };
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= source();
        const next = await iterator.next();
        if (next.done) {
          if (ctx.size !== undefined && sent !== ctx.size) {
            controller.error(
              new IncompleteTransferError(`PUT ${ctx.url}: the body had ${sent} bytes, not the ${ctx.size} announced`, {
                url: ctx.url,
                received: sent,
                expected: ctx.size,
              }),
            );
          } else controller.close();
          return;
        }
        const chunk = typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value;
        sent += chunk.byteLength;
        if (ctx.size !== undefined && sent > ctx.size) {
          controller.error(
            new IncompleteTransferError(`PUT ${ctx.url}: the body is longer than the ${ctx.size} bytes announced`, {
              url: ctx.url,
              received: sent,
              expected: ctx.size,
            }),
          );
          return;
        }
        ctx.onChunk(chunk.byteLength);
        controller.enqueue(chunk);
      },
      async cancel(reason) {
        await iterator?.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** fetch reports a body that failed mid-send as a generic error; surface the transfer failure underneath. */
function unwrapUploadError(error: unknown, url: string, sent: number, size: number | undefined): unknown {
  let e: unknown = error;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    if (e instanceof IncompleteTransferError) return e;
    e = e.cause;
  }
  if (error instanceof NetworkError && !error.timedOut && error.cause !== undefined) {
    const of = size === undefined ? '' : ` of ${size}`;
    return new IncompleteTransferError(`PUT ${url} failed after ${sent}${of} bytes: ${error.message}`, { url, received: sent, expected: size, cause: error });
  }
  return error;
}
