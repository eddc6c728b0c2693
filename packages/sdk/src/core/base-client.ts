// BaseClient: base URL + authorizer + transport, typed get/post/put/patch/delete and paging hooks for service clients.
import type { Authorizer } from '../authorizers/authorizer.ts';
import { NullAuthorizer } from '../authorizers/null.ts';
import { GlobusAPIError, readErrorInit } from './errors.ts';
import type { GlobusAPIErrorClass } from './errors.ts';
import { normalizeBaseUrl } from './config.ts';
import { Transport } from './transport.ts';
import type { FormParams, QueryParams, TransportOptions } from './transport.ts';
import { paginateMarker, paginateOffset, paginateToken, itemsAt } from './paging.ts';
import type { Paginator } from './paging.ts';

export interface BaseClientOptions extends TransportOptions {
  /** Overrides the service's default / environment base URL. */
  baseUrl?: string;
  /** Default: NullAuthorizer (no Authorization header). */
  authorizer?: Authorizer;
  /** Share one Transport between clients; the TransportOptions above are then ignored. */
  transport?: Transport;
}

export interface RequestOptions {
  query?: QueryParams;
  headers?: Record<string, string>;
  /** JSON body; `null` is sent as JSON null. */
  json?: unknown;
  form?: FormParams;
  body?: BodyInit;
  /** Per-call authorizer; `null` sends no Authorization header (e.g. GCS /api/info). */
  authorizer?: Authorizer | null;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  retry?: boolean;
}

export interface FullRequestOptions extends RequestOptions {
  method: string;
  /** Relative to baseUrl (a leading `/` is ignored), or an absolute http(s) URL used verbatim. */
  path: string;
}

/** A successful response: parsed JSON `data` (undefined for empty / non-JSON bodies) and the raw parts. */
export interface GlobusResponse<T> {
  data: T;
  httpStatus: number;
  headers: Headers;
  text: string;
  url: string;
}

/** Joins a base URL and a path, keeping any path prefix of the base; absolute URLs pass through. */
export function joinUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return normalizeBaseUrl(baseUrl) + path.replace(/^\/+/, '');
}

/**
 * Tagged template that percent-encodes interpolated path segments:
 * urlPath`/v2/groups/${id}` — ids containing `/`, `?` or spaces cannot escape their segment.
 */
export function urlPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

export interface BaseClientDefaults {
  /** e.g. "auth", "groups", "transfer", "globus_connect_server" — for messages and subclasses. */
  serviceName: string;
  /** Base URL used when options.baseUrl is absent. */
  baseUrl: string;
  errorClass?: GlobusAPIErrorClass;
}

export class BaseClient {
  readonly serviceName: string;
  /** May be reassigned after construction (as in the Python SDK). */
  baseUrl: string;
  authorizer: Authorizer;
  readonly transport: Transport;
  protected readonly errorClass: GlobusAPIErrorClass;

  constructor(options: BaseClientOptions, defaults: BaseClientDefaults) {
    this.serviceName = defaults.serviceName;
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? defaults.baseUrl);
    this.authorizer = options.authorizer ?? new NullAuthorizer();
    this.errorClass = defaults.errorClass ?? GlobusAPIError;
    if (options.transport) {
      this.transport = options.transport;
    } else {
      const { baseUrl: _b, authorizer: _a, transport: _t, ...transportOptions } = options;
      this.transport = new Transport(transportOptions);
    }
  }

  /** Absolute URL for a path under this client's base URL. */
  url(path: string): string {
    return joinUrl(this.baseUrl, path);
  }

  /**
   * Sends a request and returns the raw Response with its body unread (for streaming downloads).
   * Throws this client's GlobusAPIError subclass for status >= 400 and NetworkError on I/O failure.
   */
  async requestRaw(options: FullRequestOptions): Promise<Response> {
    const url = this.url(options.path);
    const method = options.method.toUpperCase();
    const response = await this.transport.send({
      method,
      url,
      query: options.query,
      headers: options.headers,
      json: options.json,
      form: options.form,
      body: options.body,
      authorizer: options.authorizer === null ? undefined : (options.authorizer ?? this.authorizer),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      retry: options.retry,
    });
    if (response.status >= 400) {
      throw new this.errorClass(await readErrorInit(response, { method, url: response.url || url }));
    }
    return response;
  }

  /** Sends a request and parses the JSON body; throws on status >= 400. */
  async request<T = unknown>(options: FullRequestOptions): Promise<GlobusResponse<T>> {
    const response = await this.requestRaw(options);
    const text = await response.text();
    let data: unknown = undefined;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    return { data: data as T, httpStatus: response.status, headers: response.headers, text, url: response.url };
  }

  /** GET `path`; resolves to the parsed JSON body. */
  async get<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'GET', path })).data;
  }

  /** POST `path` with a JSON body (`body` argument) unless options.form/body is given. */
  async post<T = unknown>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>({ ...withJson(body, options), method: 'POST', path })).data;
  }

  /** PUT `path` with a JSON body. */
  async put<T = unknown>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>({ ...withJson(body, options), method: 'PUT', path })).data;
  }

  /** PATCH `path` with a JSON body. */
  async patch<T = unknown>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>({ ...withJson(body, options), method: 'PATCH', path })).data;
  }

  /** DELETE `path`. */
  async delete<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'DELETE', path })).data;
  }

  /**
   * GETs `path` page by page following `marker` while `has_next_page` (GCS Manager API). Items come
   * from `itemsKey` (default `data`). `query.page_size` etc. are sent on every page.
   */
  paginateMarker<T = unknown, R = Record<string, unknown>>(
    path: string,
    options: RequestOptions & { itemsKey?: string; markerParam?: string; maxPages?: number } = {},
  ): Paginator<R, T, string> {
    const { itemsKey = 'data', markerParam = 'marker', maxPages, ...rest } = options;
    return paginateMarker<R, T>({
      fetchPage: (marker) => this.get<R>(path, { ...rest, query: { ...rest.query, [markerParam]: marker } }),
      items: itemsAt<T>(itemsKey),
      maxPages,
    });
  }

  /** GETs `path` with `offset`/`limit` (Transfer style); items from `itemsKey` (default `DATA`). */
  paginateOffset<T = unknown, R = Record<string, unknown>>(
    path: string,
    options: RequestOptions & {
      itemsKey?: string;
      limit?: number;
      offsetParam?: string;
      limitParam?: string;
      maxPages?: number;
      maxTotal?: number;
      /** Leave `offset` out of the first request (as the Python SDK's Transfer paginators do). */
      omitFirstOffset?: boolean;
    } = {},
  ): Paginator<R, T, number> {
    const { itemsKey = 'DATA', limit = 100, offsetParam = 'offset', limitParam = 'limit', maxPages, maxTotal, omitFirstOffset, ...rest } = options;
    return paginateOffset<R, T>({
      fetchPage: (offset, lim) =>
        this.get<R>(path, { ...rest, query: { ...rest.query, [offsetParam]: omitFirstOffset && offset === 0 ? undefined : offset, [limitParam]: lim } }),
      limit,
      items: itemsAt<T>(itemsKey),
      maxPages,
      maxTotal,
    });
  }

  /** GETs `path` passing back `next_token` (sent as `tokenParam`, default `next_token`) until it is null. */
  paginateToken<T = unknown, R = Record<string, unknown>>(
    path: string,
    options: RequestOptions & { itemsKey: string; tokenParam?: string; maxPages?: number },
  ): Paginator<R, T, string> {
    const { itemsKey, tokenParam = 'next_token', maxPages, ...rest } = options;
    return paginateToken<R, T>({
      fetchPage: (token) => this.get<R>(path, { ...rest, query: { ...rest.query, [tokenParam]: token } }),
      items: itemsAt<T>(itemsKey),
      maxPages,
    });
  }
}

function withJson(body: unknown, options: RequestOptions): RequestOptions {
  if (body === undefined || options.form !== undefined || options.body !== undefined) return options;
  return { ...options, json: body };
}
