// HTTPS data plane routes under /data/{collection_id}/…: GET/HEAD (ranges, validators), PUT (streamed, atomic), DELETE, CORS preflight.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { Type } from '@fastify/type-provider-typebox';
import { type ApiError, useErrorEnvelope } from '../http/errors.ts';
import { dataErrors, type DataCode } from './errors.ts';
import { callerPolicy, type CallerPolicy } from '../auth/request-caller.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { authorizationParameters, httpsRequiredScopes, httpsTokenProblem, type DataDecision, type DataDenial, type DataGrant } from '../authz/data.ts';
import { browserSessionAuth, startBrowserLogin } from './browser-session.ts';
import { decideForRead, decideRequest, loadTarget, noteAccess, type DataTarget } from './access.ts';
import { normalizeClientPath } from './paths.ts';
import {
  CONNECTOR_ERRORS,
  ConnectorError,
  type ByteRange,
  type ConnectorCode,
  type FileEntry,
  type Location,
  type PosixConnector,
  type PosixConnectors,
  type RealPaths,
} from './posix/index.ts';

const CORS_METHODS = 'GET, HEAD, PUT, DELETE, OPTIONS';
const CORS_HEADERS = 'Authorization, Content-Type, Range, If-Range, X-Requested-With, If-None-Match, If-Match';
const CORS_EXPOSE = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Content-Disposition';

const TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  nc: 'application/x-netcdf',
  h5: 'application/x-hdf5',
  md: 'text/markdown; charset=utf-8',
};

export function contentTypeFor(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

export function etagOf(entry: Pick<FileEntry, 'size' | 'mtime_ms'>): string {
  return `"${entry.size.toString(16)}-${Math.floor(entry.mtime_ms).toString(16)}"`;
}

/** `If-None-Match` against the current ETag (weak comparison, RFC 9110 §13.1.2). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

/**
 * `If-Range` against the representation (RFC 9110 §13.1.5): an entity tag must match the current ETag by
 * strong comparison (a weak tag never matches); an HTTP date must equal Last-Modified exactly. Anything
 * else — including an unparseable value — is a mismatch, so the whole file is sent.
 */
export function ifRangeMatches(header: string, entry: Pick<FileEntry, 'size' | 'mtime_ms'>): boolean {
  const value = header.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === etagOf(entry);
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return false;
  const date = Date.parse(value);
  return Number.isFinite(date) && date === Math.floor(entry.mtime_ms / 1000) * 1000;
}

/** One RFC 9110 byte range; undefined for no header, several ranges or a syntax we do not serve (then the whole file is sent). */
export function parseRange(header: string | undefined): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  return end < start ? undefined : { start, end };
}

/**
 * The collection-relative path of a data URL, decoded once per segment. Dot segments — literal or
 * percent-encoded — and encoded separators are refused: clients normalise URLs before sending, so only
 * a traversal attempt arrives with them.
 */
export function pathFromUrl(rawUrl: string, collectionSegment: string): { ok: true; path: string } | { ok: false; message: string } {
  const pathname = rawUrl.split('?')[0].split('#')[0];
  const prefix = `/data/${collectionSegment}`;
  if (!pathname.startsWith(prefix)) return { ok: false, message: 'Malformed data URL' };
  const rest = pathname.slice(prefix.length);
  if (rest !== '' && !rest.startsWith('/')) return { ok: false, message: 'Malformed data URL' };
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, message: 'Malformed percent-encoding in path' };
    }
    if (segment === '.' || segment === '..') return { ok: false, message: 'Dot segments are not allowed in data paths' };
    if (segment.includes('/') || segment.includes('\\') || segment.includes('\0'))
      return { ok: false, message: 'Encoded separators are not allowed in data paths' };
    segments.push(segment);
  }
  const normal = normalizeClientPath(`/${segments.join('/')}`);
  return normal.ok ? { ok: true, path: normal.relative } : { ok: false, message: normal.message };
}

function isXhr(request: FastifyRequest): boolean {
  return String(request.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest';
}

/** The data plane's error envelope: its code, the message, the request id and the error's extra members beside them. */
function errorBody(request: { id: string }, error: ApiError) {
  return { code: dataErrors.codeOf(error), message: error.message, request_id: request.id, ...error.extra };
}

function answer(request: FastifyRequest, reply: FastifyReply, error: ApiError) {
  return reply.code(error.status).type('application/json').send(errorBody(request, error));
}

/** A connector failure under its own code where the catalogue knows it (errno names), with the status it carries. */
function connectorError(error: ConnectorError): ApiError {
  const code: DataCode = Object.hasOwn(CONNECTOR_ERRORS, error.code) ? (error.code as ConnectorCode) : 'worker_failed';
  return dataErrors.error(code, error.message, {}, error.status);
}

/** The shape of every JSON answer of the data plane (successes are bytes or empty). */
const DataError = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    request_id: Type.String(),
    authorization_parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    detail: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/**
 * Callers of the data plane: a token for the collection in the URL, or none (public data, a browser's
 * session cookie). A refused token is answered by the route, which names the collection and its scopes.
 */
const DATA_CALLER: CallerPolicy = {
  required: false,
  resourceServers: (_db, request) => [String((request.params as { collection_id?: string }).collection_id ?? '').toLowerCase()],
  refusals: 'route',
};

export async function httpsDataRoutes(app: FastifyInstance, ctx: ServiceContext, connectors: () => Promise<PosixConnectors>): Promise<void> {
  const { store, config } = ctx;
  useErrorEnvelope(app, (error: ApiError, request) => errorBody(request, error), ['/data']);
  callerPolicy(app, DATA_CALLER);

  // Uploads stream from the socket into the connector: no parser may buffer or decode them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  function corsHeaders(request: FastifyRequest, reply: FastifyReply) {
    const origin = request.headers.origin;
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      reply.header('access-control-expose-headers', CORS_EXPOSE);
    }
  }

  app.addHook('onSend', async (request, reply, payload) => {
    corsHeaders(request, reply);
    return payload;
  });

  /**
   * A large body written by the connector itself (ReadResult.writeTo: a fixed pair of buffers, so memory
   * stays flat for any file size). Fastify's send would pipe a stream, with no word on when a chunk is free
   * again; so the reply is taken over, with the headers onSend would have added. onResponse hooks still run.
   */
  function sendDirect(request: FastifyRequest, reply: FastifyReply, writeTo: (out: Writable) => Promise<void>) {
    corsHeaders(request, reply);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    writeTo(res).then(
      () => res.end(),
      (error: unknown) => {
        if (!(error instanceof ConnectorError && error.code === 'aborted')) request.log.error({ err: error }, 'download failed after its headers were sent');
        res.destroy();
      },
    );
    return reply;
  }

  /** The 401 (or, for a token-less GET outside XHR, the browser sign-in that ends back at the file) that tells a client how to authenticate. */
  async function challenge(request: FastifyRequest, reply: FastifyReply, target: DataTarget, hadToken: boolean, message: string) {
    const id = target.collection.row.id;
    const required = httpsRequiredScopes(id, target.collection.row.collection_type, target.highAssurance);
    if (!hadToken && !isXhr(request) && request.method === 'GET') return startBrowserLogin(store.db, config, request, reply, target.collection, required);
    reply.header('www-authenticate', `Bearer realm="${id}"${hadToken ? ', error="invalid_token"' : ''}`);
    return answer(
      request,
      reply,
      dataErrors.error('AuthenticationRequired', message, {
        authorization_parameters: { required_scopes: required, session_message: 'Authenticate to access this collection' },
      }),
    );
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, denial: Exclude<DataDenial, { status: 401 }>) {
    const params = authorizationParameters(denial);
    if (denial.status === 405) reply.header('allow', [...denial.allow, 'OPTIONS'].join(', '));
    const extra: Record<string, unknown> = {};
    if (params) extra.authorization_parameters = params;
    if (denial.reason === 'broken_guest') extra.detail = denial.problem;
    const code = denial.status === 405 ? 'MethodNotAllowed' : denial.reason === 'broken_guest' ? 'permission_denied' : denial.reason;
    return answer(request, reply, dataErrors.error(code, denial.message, extra));
  }

  function connectorFailure(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    if (!(error instanceof ConnectorError)) throw error;
    if (error.code === 'range_not_satisfiable') reply.header('content-range', `bytes */${error.size ?? 0}`);
    if (error.status >= 500) request.log.error({ err: error }, 'data operation failed');
    return answer(request, reply, connectorError(error));
  }

  /** Resolves, authenticates and authorizes a request; answers it itself (returning undefined) when it may not proceed. */
  /**
   * `fileRead`: the link check waits for the open (access.ts decideForRead); `linksAllowed` then gives the
   * final word, answering the request itself when it refuses. Otherwise it always allows.
   */
  async function admit(
    request: FastifyRequest,
    reply: FastifyReply,
    need: 'read' | 'write',
    fileRead = false,
  ): Promise<
    { grant: DataGrant; connector: PosixConnector; at: Location; target: DataTarget; linksAllowed: (real?: RealPaths) => Promise<boolean> } | undefined
  > {
    const segment = (request.params as { collection_id: string }).collection_id;
    const id = segment.toLowerCase();
    const target = UUID_RE.test(id) ? await loadTarget(store.db, id) : undefined;
    if (!target) {
      answer(request, reply, dataErrors.error('not_found', `No collection '${segment}'`));
      return undefined;
    }
    const required = httpsRequiredScopes(id, target.collection.row.collection_type, target.highAssurance);
    // Who calls comes before what is asked for, as in every service: a refused token is answered before a bad path.
    const hadToken = request.headers.authorization !== undefined;
    const { refusal } = request.caller;
    if (refusal) {
      await challenge(request, reply, target, true, refusal.message);
      return undefined;
    }
    let auth = request.caller.auth;
    if (auth) {
      const problem = httpsTokenProblem(auth, id, required);
      if (problem) {
        await challenge(request, reply, target, true, problem);
        return undefined;
      }
    } else if (!hadToken) auth = await browserSessionAuth(store.db, request, id, required);
    const parsed = pathFromUrl(request.raw.url ?? request.url, segment);
    if (!parsed.ok) {
      answer(request, reply, dataErrors.error('invalid_path', parsed.message));
      return undefined;
    }
    const dataRequest = { auth, path: parsed.path, need, httpsMethod: request.method };
    const deny = async (denial: Exclude<DataDecision, DataGrant>) =>
      denial.status === 401 ? challenge(request, reply, target, hadToken, denial.message) : refuse(request, reply, denial);
    let decision: DataDecision;
    // The location the connector acts on: with the real paths decided on, except for a file read (decided after its open).
    let at: Location | undefined;
    let linksAllowed = async (_real?: RealPaths) => true;
    if (fileRead) {
      const admission = await decideForRead(store.db, target, dataRequest);
      decision = admission.decision;
      linksAllowed = async (real) => {
        const final = await admission.onRealPath(real);
        if (!final.allowed) await deny(final);
        return final.allowed;
      };
    } else {
      let checked;
      try {
        checked = await decideRequest(store.db, target, dataRequest, need === 'read' ? 'read' : 'write');
      } catch (error) {
        connectorFailure(request, reply, error);
        return undefined;
      }
      decision = checked;
      if (checked.allowed) at = checked.at;
    }
    if (!decision.allowed) {
      await deny(decision);
      return undefined;
    }
    at ??= { root: decision.root, base: decision.base, path: decision.relative };
    let connector: PosixConnector;
    try {
      connector = await (await connectors()).connectorFor(decision.account);
    } catch (error) {
      connectorFailure(request, reply, error);
      return undefined;
    }
    noteAccess(store, target, reply);
    return { grant: decision, connector, at, target, linksAllowed };
  }

  function fileHeaders(reply: FastifyReply, entry: FileEntry) {
    reply.header('etag', etagOf(entry));
    reply.header('last-modified', new Date(entry.mtime_ms).toUTCString());
    reply.header('accept-ranges', 'bytes');
    reply.header('content-type', contentTypeFor(entry.name));
  }

  function download(request: FastifyRequest, reply: FastifyReply, entry: FileEntry) {
    if ((request.query as Record<string, unknown>)?.download === undefined) return;
    const ascii = entry.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    reply.header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(entry.name)}`);
  }

  const notADirectoryListing = (request: FastifyRequest, reply: FastifyReply) => answer(request, reply, dataErrors.error('directory_listing_not_supported'));

  async function get(request: FastifyRequest, reply: FastifyReply) {
    const admitted = await admit(request, reply, 'read', true);
    if (!admitted) return reply;
    const { connector, at } = admitted;
    let range = parseRange(request.headers.range);
    // If-Range is judged against the file actually opened: on a mismatch the whole current file is sent (200).
    const ifRangeHeader = request.headers['if-range'];
    const ifRange = range && typeof ifRangeHeader === 'string' ? ifRangeHeader : undefined;
    let result;
    try {
      try {
        result = await connector.read(at, range);
      } catch (error) {
        // An unsatisfiable range is only an error when If-Range (if any) holds; otherwise the whole file is due.
        if (ifRange === undefined || !(error instanceof ConnectorError && error.code === 'range_not_satisfiable')) throw error;
        result = await connector.read(at, undefined);
        if (ifRangeMatches(ifRange, result.entry)) {
          result.stream.destroy();
          throw error;
        }
        range = undefined;
      }
      if (range && ifRange !== undefined && !ifRangeMatches(ifRange, result.entry)) {
        result.stream.destroy();
        range = undefined;
        result = await connector.read(at, undefined);
      }
    } catch (error) {
      // What a failure says about the path (missing, a directory, its size) is told only where a success would be.
      if (!(await admitted.linksAllowed())) return reply;
      if (error instanceof ConnectorError && error.code === 'EISDIR') return notADirectoryListing(request, reply);
      return connectorFailure(request, reply, error);
    }
    if (!(await admitted.linksAllowed(result.real))) {
      result.stream.destroy();
      return reply;
    }
    fileHeaders(reply, result.entry);
    download(request, reply, result.entry);
    if (noneMatch(request.headers['if-none-match'], etagOf(result.entry))) {
      result.stream.destroy();
      reply.removeHeader('content-type');
      return reply.code(304).send();
    }
    const length = result.end - result.start + 1;
    if (range) {
      reply.code(206);
      reply.header('content-range', `bytes ${result.start}-${result.end}/${result.size}`);
    }
    reply.header('content-length', String(length));
    // A small file arrives already read: one write, none of a stream's machinery.
    if (result.data) return reply.send(result.data);
    if (result.writeTo) return sendDirect(request, reply, (out) => result.writeTo!(out));
    return reply.send(result.stream);
  }

  async function head(request: FastifyRequest, reply: FastifyReply) {
    const admitted = await admit(request, reply, 'read');
    if (!admitted) return reply;
    let entry: FileEntry;
    try {
      entry = await admitted.connector.stat(admitted.at);
    } catch (error) {
      return connectorFailure(request, reply, error);
    }
    if (entry.type === 'dir') return reply.code(403).send();
    fileHeaders(reply, entry);
    download(request, reply, entry);
    if (noneMatch(request.headers['if-none-match'], etagOf(entry))) return reply.code(304).send();
    reply.header('content-length', String(entry.size));
    return reply.code(200).send();
  }

  async function put(request: FastifyRequest, reply: FastifyReply) {
    const admitted = await admit(request, reply, 'write');
    if (!admitted) return reply;
    const raw = request.raw;
    const lengthHeader = request.headers['content-length'];
    const expectedSize = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    // A client that goes away mid-body must leave the old content in place and no partial file.
    const controller = new AbortController();
    const onGone = () => {
      if (!raw.complete) controller.abort();
    };
    raw.on('close', onGone);
    raw.on('aborted', onGone);
    try {
      const written = await admitted.connector.write(admitted.at, raw, {
        expectedSize,
        mustNotExist: request.headers['if-none-match']?.trim() === '*',
        signal: controller.signal,
      });
      reply.header('etag', etagOf(written.entry));
      return reply.code(written.created ? 201 : 204).send();
    } catch (error) {
      if (error instanceof ConnectorError && error.code === 'EEXIST')
        return answer(request, reply, dataErrors.error('precondition_failed', 'The file exists (If-None-Match: *)'));
      // The parent directory must exist: creating one implicitly is mkdir, which HTTPS does not offer.
      if (error instanceof ConnectorError && error.code === 'ENOENT')
        return answer(request, reply, dataErrors.error('ENOENT', 'The parent directory does not exist', {}, 409));
      if (error instanceof ConnectorError && error.code === 'aborted') request.log.info({ path: admitted.at.path }, 'upload aborted by the client');
      return connectorFailure(request, reply, error);
    } finally {
      raw.off('close', onGone);
      raw.off('aborted', onGone);
    }
  }

  async function remove(request: FastifyRequest, reply: FastifyReply) {
    const admitted = await admit(request, reply, 'write');
    if (!admitted) return reply;
    if (admitted.grant.relative === '/') return answer(request, reply, dataErrors.error('permission_denied', 'The collection root cannot be deleted'));
    try {
      await admitted.connector.remove(admitted.at);
    } catch (error) {
      return connectorFailure(request, reply, error);
    }
    return reply.code(204).send();
  }

  async function preflight(request: FastifyRequest, reply: FastifyReply) {
    reply.header('access-control-allow-methods', CORS_METHODS);
    reply.header('access-control-allow-headers', CORS_HEADERS);
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  }

  for (const url of ['/data/:collection_id', '/data/:collection_id/*']) {
    const schema = { hide: true, response: { '4xx': DataError, '5xx': DataError } };
    app.route({ method: 'GET', url, schema, exposeHeadRoute: false, handler: get });
    app.route({ method: 'HEAD', url, schema, handler: head });
    app.route({ method: 'PUT', url, schema, handler: put });
    app.route({ method: 'DELETE', url, schema, handler: remove });
    app.route({ method: 'OPTIONS', url, schema, handler: preflight });
  }
}
