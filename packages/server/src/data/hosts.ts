// Per-collection host names: maps a request's Host to the collection whose domain_name it is and serves `https://<that host>/<path>` as `/data/<collection id>/<path>`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../store/db.ts';
import { cached, type CacheSpec } from '../store/cache.ts';
import { collectionDomain, effectiveDomainName, endpointDomain, findCollection, loadEndpoint, toCollection, type Collection, type DomainRecord } from '../gcs/model.ts';

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
export async function resolveHost(db: Db, host: string, defaultDomain: string, wildcards: () => Promise<DomainRecord[]> = () => mappedWildcardDomains(db)): Promise<HostResolution | undefined> {
  if (!NAME_RE.test(host)) return undefined;
  const epDomain = endpointDomain(await loadEndpoint(db));
  if (epDomain && !epDomain.wildcard && epDomain.domain_name === host) return { kind: 'endpoint', domain: epDomain };
  const label = host.slice(0, host.indexOf('.'));
  const parent = host.slice(label.length + 1);
  const match = async (rows: Array<Parameters<typeof toCollection>[0]>): Promise<HostResolution | undefined> => {
    for (const row of rows) {
      const collection = toCollection(row);
      const mapped = row.mapped_collection_id ? await findCollection(db, row.mapped_collection_id) : undefined;
      if (effectiveDomainName(collection, mapped, epDomain) === host) return { kind: 'collection', id: row.id, domain: certificateDomain(collection, mapped, epDomain) };
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

export interface HostRouterOptions {
  onError?(host: string, error: unknown): void;
}

// Host names move with collection and endpoint domains: the change feed drops these in every process at once.
const HOST_CACHE: CacheSpec = { name: 'host-name', tables: ['collections', 'endpoints'], max: 10_000 };
const WILDCARDS_CACHE: CacheSpec = { name: 'mapped-wildcard-domains', tables: ['collections'], max: 1 };

/**
 * Resolves host names through the store's read-through cache and rewrites requests for collection
 * hosts before Fastify routes them. On such a host only the data plane answers: `/api/…` there is a
 * file path, not the Manager API.
 */
export class HostRouter {
  readonly #ctx: ServiceContext;
  readonly #onError?: (host: string, error: unknown) => void;

  constructor(ctx: ServiceContext, options: HostRouterOptions = {}) {
    this.#ctx = ctx;
    this.#onError = options.onError;
  }

  #main = { key: '', names: [] as string[] };

  /** The names of the main origin never need the store: the APIs are always served there. */
  #isMain(host: string): boolean {
    const { domain, publicUrl } = this.#ctx.config;
    // publicUrl changes once, when the bound port becomes known.
    if (this.#main.key !== domain + publicUrl) this.#main = { key: domain + publicUrl, names: ['localhost', domain.toLowerCase(), new URL(publicUrl).hostname.toLowerCase()] };
    return this.#main.names.includes(host);
  }

  resolve(host: string): Promise<HostResolution | undefined> {
    if (this.#isMain(host)) return Promise.resolve(undefined);
    const db = this.#ctx.store.db;
    // Unknown names are kept too (bounded LRU): a client inventing names costs at most one lookup each.
    return cached(db, HOST_CACHE, host, () => resolveHost(db, host, this.#ctx.config.domain, () => cached(db, WILDCARDS_CACHE, '', () => mappedWildcardDomains(db))));
  }

  /** The domain whose certificate serves a TLS server name (for `sniCallback`). */
  async domainFor(servername: string): Promise<DomainRecord | undefined> {
    return (await this.resolve(servername.toLowerCase()))?.domain;
  }

  /** Points a collection host's request at `/data/<id>`; an unknown name under a data wildcard at `/data/<host>`, which answers the data plane's 404. */
  #rewrite(req: IncomingMessage, resolution: HostResolution | undefined, host: string): void {
    const url = req.url ?? '/';
    if (!resolution || resolution.kind === 'endpoint' || !url.startsWith('/')) return;
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = `/data/${resolution.kind === 'collection' ? resolution.id : encodeURIComponent(host)}${url}`;
  }

  /** Wraps Fastify's request handler: main-origin requests pass straight through; others wait for the host's resolution. */
  wrap(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const host = hostName(req.headers.host);
      if (!host || this.#isMain(host)) return handler(req, res);
      this.resolve(host).then(
        (resolution) => {
          this.#rewrite(req, resolution, host);
          handler(req, res);
        },
        (error: unknown) => {
          this.#onError?.(host, error);
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'ServiceUnavailable', message: 'Could not resolve the host name; try again' }));
        },
      );
    };
  }

  /** A Fastify `serverFactory`: the server Fastify would make (same timeouts), with host routing in front of its handler. */
  serverFactory(handler: (req: IncomingMessage, res: ServerResponse) => void, opts: Record<string, any>): http.Server {
    const listener = this.wrap(handler);
    const server = opts.https ? https.createServer(opts.https, listener) : http.createServer(opts.http ?? {}, listener);
    server.keepAliveTimeout = opts.keepAliveTimeout;
    server.requestTimeout = opts.requestTimeout;
    server.setTimeout(opts.connectionTimeout);
    if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  }
}
