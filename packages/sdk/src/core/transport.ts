// The one HTTP request path: fetch + query/JSON/form encoding, headers, timeouts, retries and the 401 renew-once hook.
import type { Authorizer } from '../authorizers/authorizer.ts';
import { SDK_VERSION, defaultTimeoutMs } from './config.ts';
import { GlobusError, NetworkError } from './errors.ts';

export type QueryScalar = string | number | boolean | bigint;
/** `undefined`/`null` are dropped; arrays are comma-joined; booleans become `true`/`false`. */
export type QueryValue = QueryScalar | readonly QueryScalar[] | undefined | null;
export type QueryParams = Record<string, QueryValue>;
export type FormValue = string | number | boolean | undefined | null;
export type FormParams = Record<string, FormValue>;
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** fetch implementation (default: globalThis.fetch) — inject one to add a custom CA, proxy or mock. */
  fetch?: FetchLike;
  /**
   * An undici Dispatcher (e.g. `new Agent({ connect: { ca } })`) passed through to Node's built-in
   * fetch as `init.dispatcher`. Ignored by other fetch implementations. Alternative: NODE_EXTRA_CA_CERTS.
   */
  dispatcher?: unknown;
  /** Per-attempt timeout in ms (default GLOBUS_SDK_HTTP_TIMEOUT or 60 s); 0 or Infinity disables it. */
  timeoutMs?: number;
  /** Retries after the first attempt for 429/5xx/network errors (default 5). */
  maxRetries?: number;
  /** false is the same as maxRetries: 0. */
  retry?: boolean;
  /** Base of the exponential backoff: delay = base·(0.5+rand)·2^attempt (default 500 ms, as the Python SDK). */
  retryBaseDelayMs?: number;
  /** Upper bound of any single sleep, including Retry-After (default 10 s). */
  maxRetryDelayMs?: number;
  /** Appended to the User-Agent: `gatehouse-sdk/<version>/<appName>`. */
  appName?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface TransportRequest {
  method: string;
  /** Absolute URL (query parameters are appended to any already present). */
  url: string;
  query?: QueryParams;
  headers?: Record<string, string>;
  /** JSON body (sent even when it is `null`); mutually exclusive with form/body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body; undefined/null values are dropped. */
  form?: FormParams;
  /** Raw body. Streams cannot be replayed, so they disable retries. */
  body?: BodyInit;
  authorizer?: Authorizer;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  retry?: boolean;
}

const RETRY_ALWAYS = new Set([429, 503]);
const RETRY_BACKOFF = new Set([500, 502, 504]);

/** Encodes query parameters the way the Globus APIs expect (comma lists, lower-case booleans). */
export function encodeQuery(params: QueryParams | undefined, into: URLSearchParams = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) into.append(key, value.map(String).join(','));
    else into.append(key, String(value));
  }
  return into;
}

/** Encodes a form body, dropping undefined/null values and keeping insertion order. */
export function encodeForm(params: FormParams): URLSearchParams {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) form.append(key, String(value));
  }
  return form;
}

/** Milliseconds to wait per a Retry-After header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free.
  }
}

export class Transport {
  readonly options: Readonly<TransportOptions>;

  constructor(options: TransportOptions = {}) {
    this.options = { ...options };
  }

  /** Effective retry count for a request (request options override transport options). */
  maxRetriesFor(request: Pick<TransportRequest, 'retry' | 'maxRetries' | 'body'>): number {
    if (request.body instanceof ReadableStream) return 0;
    if (request.retry === false) return 0;
    if (request.maxRetries !== undefined) return Math.max(0, request.maxRetries);
    if (this.options.retry === false) return 0;
    return Math.max(0, this.options.maxRetries ?? 5);
  }

  get userAgent(): string {
    return `gatehouse-sdk/${SDK_VERSION}` + (this.options.appName ? `/${this.options.appName}` : '');
  }

  /**
   * Sends a request and returns the final Response (any status; the caller decides what is an error).
   * Retries 429/503 (honouring Retry-After), 500/502/504 and network errors with jittered backoff, and
   * retries once after a 401 when the authorizer says it renewed its credentials (independent of maxRetries).
   */
  async send(request: TransportRequest): Promise<Response> {
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new GlobusError('no fetch implementation available');
    const url = new URL(request.url);
    encodeQuery(request.query, url.searchParams);
    const method = request.method.toUpperCase();

    const baseHeaders = new Headers({ Accept: 'application/json', 'User-Agent': this.userAgent });
    baseHeaders.set('X-Globus-Client-Info', `product=gatehouse-sdk,version=${SDK_VERSION}`);
    for (const [k, v] of Object.entries(this.options.headers ?? {})) baseHeaders.set(k, v);
    let body: BodyInit | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      baseHeaders.set('Content-Type', 'application/json');
    } else if (request.form !== undefined) {
      body = encodeForm(request.form).toString();
      baseHeaders.set('Content-Type', 'application/x-www-form-urlencoded');
    } else if (request.body !== undefined) {
      body = request.body;
    }
    for (const [k, v] of Object.entries(request.headers ?? {})) baseHeaders.set(k, v);

    const maxRetries = this.maxRetriesFor(request);
    const timeoutOpt = request.timeoutMs ?? this.options.timeoutMs ?? defaultTimeoutMs();
    const timeoutMs = timeoutOpt && Number.isFinite(timeoutOpt) && timeoutOpt > 0 ? timeoutOpt : undefined;
    const baseDelay = this.options.retryBaseDelayMs ?? 500;
    const maxDelay = this.options.maxRetryDelayMs ?? 10_000;
    const backoff = (attempt: number) => Math.min(maxDelay, baseDelay * (0.5 + Math.random()) * 2 ** attempt);

    let attempt = 0;
    let authRetried = false;
    for (;;) {
      const headers = new Headers(baseHeaders);
      // An explicit Authorization header from the caller wins over the authorizer.
      if (request.authorizer && !headers.has('Authorization')) {
        const value = await request.authorizer.getAuthorizationHeader();
        if (value) headers.set('Authorization', value);
      }
      const timeoutSignal = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
      const signals = [request.signal, timeoutSignal].filter((s): s is AbortSignal => s !== undefined);
      const init: RequestInit & { dispatcher?: unknown } = {
        method,
        headers,
        body,
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
        redirect: 'follow',
      };
      if (this.options.dispatcher !== undefined) init.dispatcher = this.options.dispatcher;

      let response: Response;
      try {
        response = await fetchImpl(url.toString(), init);
      } catch (cause) {
        if (request.signal?.aborted) throw request.signal.reason ?? cause;
        const timedOut = timeoutSignal?.aborted ?? false;
        if (attempt < maxRetries) {
          await sleep(backoff(attempt), request.signal);
          attempt++;
          continue;
        }
        const why = timedOut ? `timed out after ${timeoutMs} ms` : String((cause as Error)?.message ?? cause);
        throw new NetworkError(`${method} ${url.origin}${url.pathname} failed: ${why}`, {
          method,
          url: url.toString(),
          timedOut,
          cause,
        });
      }

      if (response.status === 401 && request.authorizer && !authRetried) {
        authRetried = true;
        if (await request.authorizer.handleMissingAuthorization()) {
          await discard(response);
          continue;
        }
      }
      if (attempt < maxRetries && (RETRY_ALWAYS.has(response.status) || RETRY_BACKOFF.has(response.status))) {
        const retryAfter = RETRY_ALWAYS.has(response.status) ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
        await discard(response);
        await sleep(retryAfter !== undefined ? Math.min(retryAfter, maxDelay) : backoff(attempt), request.signal);
        attempt++;
        continue;
      }
      return response;
    }
  }
}
