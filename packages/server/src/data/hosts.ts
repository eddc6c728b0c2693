// Per-collection host names: maps a request's Host to the collection whose domain_name it is and serves `https://<that host>/<path>` as `/data/<collection id>/<path>`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, codeForStatus } from '../http/errors.ts';
import { edgeResponse, parserError, requestHead, writeToSocket } from '../http/edge-errors.ts';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import { collectionDomain, endpointDomain, type DomainRecord } from '../gcs/documents/domain.ts';
import { effectiveDomainName } from '../gcs/urls.ts';
import { findCollection, toCollection, type Collection } from '../gcs/collection-repo.ts';
import { loadEndpoint } from '../gcs/endpoint-repo.ts';

/** What a host name is: a collection's host, a name under a data wildcard domain that no collection has, or the endpoint's custom name. */
export type HostResolution = { kind: 'collection' | 'unknown'; id?: string; domain?: DomainRecord } | { kind: 'endpoint'; domain: DomainRecord };

const ASSIGNED_LABEL = /^[mg]-[0-9a-f]{6}$/;
const NAME_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The domain record whose certificate serves a collection's host: its own custom name, else the wildcard its name sits under. */
function certificateDomain(collection: Collection, mapped: Collection | undefined, endpointWildcard: DomainRecord | undefined): DomainRecord | undefined {
  const own = collectionDomain(collection);
  if (collection.doc.custom_domain === true) return own && !own.wildcard ? own : undefined;
  if (collection.doc.requested_domain === true) return undefined;
  const mappedDomain = mapped ? collectionDomain(mapped) : undefined;
  if (collection.row.collection_type === 'guest' && mappedDomain?.wildcard) return mappedDomain;
  return endpointWildcard?.wildcard ? endpointWildcard : undefined;
}

/** Wildcard domains of mapped collections (their guests live under them). */
export async function mappedWildcardDomains(db: Db): Promise<DomainRecord[]> {
  // Only documents that mention a wildcard are parsed; the check below is the real one.
  const rows = await db.selectFrom('collections').selectAll().where('collection_type', '=', 'mapped').where('document', 'like', '%"wildcard":true%').execute();
  return rows.map((row) => collectionDomain(toCollection(row))).filter((d): d is DomainRecord => d?.wildcard === true);
}

/**
 * Reads, from the store, what `host` (lower case, no port) names. A collection answers only to its
 * effective domain_name — the one its document shows — so a name left behind by a wildcard or custom
 * domain change no longer reaches it. Lookups are by the indexed domain_name column.
 */
export async function resolveHost(
  db: Db,
  host: string,
  defaultDomain: string,
  wildcards: () => Promise<DomainRecord[]> = () => mappedWildcardDomains(db),
): Promise<HostResolution | undefined> {
  if (!NAME_RE.test(host)) return undefined;
  const epDomain = endpointDomain(await loadEndpoint(db));
  if (epDomain && !epDomain.wildcard && epDomain.domain_name === host) return { kind: 'endpoint', domain: epDomain };
  const label = host.slice(0, host.indexOf('.'));
  const parent = host.slice(label.length + 1);
  const match = async (rows: Array<Parameters<typeof toCollection>[0]>): Promise<HostResolution | undefined> => {
    for (const row of rows) {
      const collection = toCollection(row);
      const mapped = row.mapped_collection_id ? await findCollection(db, row.mapped_collection_id) : undefined;
      if (effectiveDomainName(collection, mapped, epDomain) === host)
        return { kind: 'collection', id: row.id, domain: certificateDomain(collection, mapped, epDomain) };
    }
    return undefined;
  };
  // The stored name (custom, requested, or assigned and not moved), or the assigned name a wildcard moved here.
  const names = [...new Set([host, `${label}.${defaultDomain.toLowerCase()}`])];
  const found = await match(await db.selectFrom('collections').selectAll().where('domain_name', 'in', names).execute());
  if (found) return found;
  const wildcard = epDomain?.wildcard && parent === epDomain.domain_name ? epDomain : (await wildcards()).find((d) => d.domain_name === parent);
  if (wildcard) {
    // An assigned name made under an earlier --domain keeps its label: the rare case that needs a scan.
    if (ASSIGNED_LABEL.test(label)) {
      const moved = await match(await db.selectFrom('collections').selectAll().where('domain_name', 'like', `${label}.%`).execute());
      if (moved) return moved;
    }
    return { kind: 'unknown', domain: wildcard };
  }
  // The assigned form (m-/g- and six hex digits) under the endpoint's own domain never names an API host.
  if (parent === defaultDomain.toLowerCase() && ASSIGNED_LABEL.test(label)) return { kind: 'unknown' };
  return undefined;
}

/** The Host header's name: lower case, without port or trailing dot; undefined for IP literals. */
export function hostName(header: string | undefined): string | undefined {
  if (!header || header.startsWith('[')) return undefined;
  const name = header.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  return name && !net.isIP(name) ? name : undefined;
}

/**
 * The host and origin-form path a request-target and Host header name (RFC 9112 §3.2.2): an absolute-form
 * target's authority is the host, whatever Host says. Undefined for any other form (`*`, authority-form,
 * userinfo in the authority), which no route serves.
 */
export function requestTarget(target: string, hostHeader: string | undefined): { host: string | undefined; path: string } | undefined {
  if (target.startsWith('/')) return { host: hostHeader, path: target };
  const absolute = /^https?:\/\/([^/?#@\s]+)([/?][^#\s]*)?$/i.exec(target);
  if (!absolute) return undefined;
  const rest = absolute[2] ?? '/';
  return { host: absolute[1], path: rest.startsWith('?') ? `/${rest}` : rest };
}

export interface HostRouterOptions {
  onError?(host: string, error: unknown): void;
}

// Host names move with collection and endpoint domains: the change feed drops these in every process at once.
const HOST_CACHE: CacheSpec = { name: 'host-name', tables: ['collections', 'endpoints'], max: 10_000 };
const WILDCARDS_CACHE: CacheSpec = { name: 'mapped-wildcard-domains', tables: ['collections'], max: 1 };

/**
 * Decides, in one place, which host a request is for and rewrites requests for collection hosts before
 * Fastify routes them. On such a host only the data plane answers: `/api/…` there is a file path, not
 * the Manager API. Requests that fail before routing (parser errors, malformed targets, look-up failures,
 * shutdown) are answered here too, in the envelope of the path they would have been routed to.
 */
export class HostRouter {
  readonly #ctx: ServiceContext;
  readonly #onError?: (host: string, error: unknown) => void;
  #server: object = {};
  #closing = false;
  readonly #answered = new WeakSet<Duplex>();

  constructor(ctx: ServiceContext, options: HostRouterOptions = {}) {
    this.#ctx = ctx;
    this.#onError = options.onError;
  }

  #main = { key: '', names: [] as string[] };

  /** The names of the main origin never need the store: the APIs are always served there. */
  #isMain(host: string): boolean {
    const { domain, publicUrl } = this.#ctx.config;
    // publicUrl changes once, when the bound port becomes known.
    if (this.#main.key !== domain + publicUrl)
      this.#main = { key: domain + publicUrl, names: ['localhost', domain.toLowerCase(), new URL(publicUrl).hostname.toLowerCase()] };
    return this.#main.names.includes(host);
  }

  resolve(host: string): Promise<HostResolution | undefined> {
    if (this.#isMain(host)) return Promise.resolve(undefined);
    const db = this.#ctx.store.db;
    // Unknown names are kept too (bounded LRU): a client inventing names costs at most one lookup each.
    return cached(db, HOST_CACHE, host, () =>
      resolveHost(db, host, this.#ctx.config.domain, () => cached(db, WILDCARDS_CACHE, '', () => mappedWildcardDomains(db))),
    );
  }

  /** The domain whose certificate serves a TLS server name (for `sniCallback`). */
  async domainFor(servername: string): Promise<DomainRecord | undefined> {
    return (await this.resolve(servername.toLowerCase()))?.domain;
  }

  /** The path Fastify routes for `path` on `hostHeader`: a collection host's under `/data/<id>`, an unknown name under a data wildcard under `/data/<host>` (the data plane's 404). */
  async routedPath(hostHeader: string | undefined, path: string): Promise<string> {
    const host = hostName(hostHeader);
    if (!host || this.#isMain(host)) return path;
    return this.#dataPath(await this.resolve(host), host, path) ?? path;
  }

  #dataPath(resolution: HostResolution | undefined, host: string, path: string): string | undefined {
    if (!resolution || resolution.kind === 'endpoint') return undefined;
    return `/data/${resolution.kind === 'collection' ? resolution.id : encodeURIComponent(host)}${path}`;
  }

  /** From now on new requests get a 503 (in their envelope): the server is shutting down. */
  close(): void {
    this.#closing = true;
  }

  #refuse(res: ServerResponse, path: string | undefined, error: ApiError): void {
    const response = edgeResponse(this.#server, path, error);
    res.writeHead(response.status, { ...response.headers, ...(error.status === 400 || this.#closing ? { connection: 'close' } : {}) }).end(response.body);
  }

  /**
   * Puts the request in origin form with its effective Host (absolute-form's authority wins), so the
   * router, Fastify and the routes all see one host; refuses what has no single host (RFC 9112 §3.2).
   */
  #normalize(req: IncomingMessage): ApiError | undefined {
    let hosts = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') hosts++;
    if (hosts > 1) return new ApiError(400, codeForStatus(400), 'More than one Host header');
    if (hosts === 0 && req.httpVersion !== '1.0') return new ApiError(400, codeForStatus(400), 'Missing Host header');
    const target = requestTarget(req.url ?? '', req.headers.host);
    if (!target) return new ApiError(400, codeForStatus(400), 'The request target must be a path or an absolute https URL');
    req.url = target.path;
    if (target.host !== undefined) req.headers.host = target.host;
    return undefined;
  }

  /** Wraps Fastify's request handler: main-origin requests pass straight through; others wait for the host's resolution. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const invalid = this.#normalize(req);
      if (invalid) return this.#refuse(res, req.url?.startsWith('/') ? req.url : undefined, invalid);
      const host = hostName(req.headers.host);
      if (!host || this.#isMain(host)) {
        if (this.#closing) return this.#refuse(res, req.url, shuttingDown());
        return handler(req, res);
      }
      this.resolve(host).then(
        (resolution) => {
          const url = req.url ?? '/';
          const routed = this.#dataPath(resolution, host, url);
          if (this.#closing) return this.#refuse(res, routed ?? url, shuttingDown());
          if (routed) {
            (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
            req.url = routed;
          }
          handler(req, res);
        },
        (error: unknown) => {
          this.#onError?.(host, error);
          this.#refuse(res, undefined, new ApiError(503, codeForStatus(503), 'Could not resolve the host name; try again'));
        },
      );
    };
  }

  /**
   * Fastify's `clientErrorHandler`: a request Node's parser refused (431, 400, 408) is answered on the
   * socket in the envelope of the path it was for, when the bytes show it, else in neutral JSON.
   */
  clientError(error: Error & { code?: string; reason?: string; rawPacket?: unknown }, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || socket.destroyed || this.#answered.has(socket)) return;
    this.#answered.add(socket);
    // Bytes that arrive while the answer is made would only fail the parser again.
    socket.pause();
    const head = requestHead(error.rawPacket);
    const apiError = parserError(error);
    const answer = (path: string | undefined) => {
      if (socket.writable) writeToSocket(socket, edgeResponse(this.#server, path, apiError));
      else socket.destroy();
    };
    const target = head.target === undefined ? undefined : requestTarget(head.target, head.host);
    if (!target) return answer(undefined);
    this.routedPath(target.host, target.path).then(answer, () => answer(undefined));
  }

  /** A Fastify `serverFactory`: the server Fastify would make (same timeouts), with host routing in front of its handler. */
  serverFactory(handler: (req: IncomingMessage, res: ServerResponse) => void, opts: Record<string, any>): http.Server {
    const listener = this.wrap(handler);
    // A missing Host is refused by #normalize, in an envelope, rather than by Node with an empty 400.
    const server = opts.https
      ? https.createServer({ ...opts.https, requireHostHeader: false }, listener)
      : http.createServer({ ...opts.http, requireHostHeader: false }, listener);
    server.keepAliveTimeout = opts.keepAliveTimeout;
    server.requestTimeout = opts.requestTimeout;
    server.setTimeout(opts.connectionTimeout);
    if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    this.#server = server;
    return server;
  }
}

const shuttingDown = () => new ApiError(503, codeForStatus(503), 'The server is shutting down; try again');
