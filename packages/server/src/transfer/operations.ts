// Transfer file operations on a collection, as globus-cli and the SDKs call them: ls, stat, mkdir, rename (operation/endpoint/{id}/…).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.ts';
import { type ApiError } from '../http/errors.ts';
import type { AuthContext } from '../auth/tokens.ts';
import { requiredAuth } from '../auth/request-caller.ts';
import { UUID_RE } from '../auth/uuid.ts';
import { withLiveConsents } from './live-consents.ts';
import { authorizationParameters, transferConsentMissing, type DataGrant, type DataNeed } from '../authz/data.ts';
import { decideRequest, loadTarget, noteAccess, type DataTarget } from '../data/access.ts';
import { dataConnectors } from '../data/index.ts';
import { normalizeClientPath } from '../data/paths.ts';
import { ConnectorError, type FileEntry, type ListField, type ListFilter, type ListOptions, type Location, type PosixConnector } from '../data/posix/index.ts';
import { endpointNotFound, transferErrors } from './errors.ts';
import { FileDocument, FileList, OperationResult } from './schemas.ts';

const MAX_LIMIT = 100000;

/** A Transfer path (absolute, may use `~`) as the collection-relative path the decision expects. */
export function transferPath(raw: string | undefined, fallback: string): string {
  let p = raw === undefined || raw === '' ? fallback : raw;
  if (p === '~' || p.startsWith('~/')) p = `/${p}`;
  if (!p.startsWith('/')) throw transferErrors.error('InvalidPath', `Invalid Path: '${p}' is not absolute`);
  const normal = normalizeClientPath(p);
  if (!normal.ok) throw transferErrors.error(normal.code === 'path_outside_root' ? 'PermissionDenied' : 'InvalidPath', normal.message);
  return normal.relative;
}

/** Where a collection's relative paths start: its `default_directory`, else the home directory. */
export function defaultDirectory(target: DataTarget): string {
  const dir = target.settings.default_directory;
  return typeof dir === 'string' && dir !== '' ? dir : '/~/';
}

/** A task item's path: as transferPath, with a relative path (`godata/file1.txt`) resolved against the default directory. */
export function taskPath(raw: string, target: DataTarget): string {
  const relative = raw !== '' && !raw.startsWith('/') && raw !== '~' && !raw.startsWith('~/');
  return transferPath(relative ? `${defaultDirectory(target).replace(/\/+$/, '')}/${raw}` : raw, '/');
}

/** A connector failure in Transfer's vocabulary (the CLI keys on `ExternalError.MkdirFailed.Exists` for --exist-ok). */
export function transferConnectorError(op: 'ls' | 'stat' | 'mkdir' | 'rename' | 'delete', error: unknown): ApiError {
  if (!(error instanceof ConnectorError)) throw error;
  switch (error.code) {
    case 'ENOENT':
      return transferErrors.error('ClientError.NotFound', error.message);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'path_outside_root':
    case 'account_unavailable':
      return transferErrors.error('PermissionDenied', error.message);
    case 'path_changed':
      return transferErrors.error('Conflict', error.message);
    case 'EEXIST':
      return transferErrors.error(op === 'mkdir' ? 'ExternalError.MkdirFailed.Exists' : 'Exists', error.message);
    case 'ENOTDIR':
      return transferErrors.error(op === 'ls' ? 'ExternalError.DirListingFailed.NotDirectory' : 'Conflict', error.message);
    case 'invalid_path':
    case 'ENAMETOOLONG':
      return transferErrors.error('InvalidPath', error.message);
    default: {
      const name = ({ ls: 'DirListingFailed', stat: 'StatFailed', mkdir: 'MkdirFailed', rename: 'RenameFailed', delete: 'DeleteFailed' } as const)[op];
      return transferErrors.error(`ExternalError.${name}`, error.message, {}, error.status >= 500 ? 502 : error.status);
    }
  }
}

export interface AdmittedOperation {
  auth: AuthContext;
  target: DataTarget;
  connector: PosixConnector;
  grant: DataGrant;
  at: Location;
}

export interface OperationContext {
  ctx: ServiceContext;
  auth: AuthContext;
  target: DataTarget;
  /** the reply whose success counts as an access to the collection (last_access), once a path is admitted */
  reply: FastifyReply;
  accessNoted?: boolean;
}

/** Token, collection and consent for a Transfer operation on `{endpoint_id}`; the per-path decision follows in `admitPath`. */
export async function operationContext(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, rawId: string): Promise<OperationContext> {
  const auth = requiredAuth(request);
  const id = rawId.toLowerCase();
  const target = UUID_RE.test(id) ? await loadTarget(ctx.store.db, id) : undefined;
  if (!target) throw endpointNotFound(rawId);
  const missing = (a: AuthContext) => transferConsentMissing(a, id, target.collection.row.collection_type, target.highAssurance);
  // A consent given since the token was issued counts too (globus-cli's consent retry resends the same token).
  const consent = missing(auth) && missing(await withLiveConsents(ctx.store.db, auth));
  if (consent) {
    throw transferErrors.error('ConsentRequired', `Missing required data_access consent for collection '${id}'`, {
      required_scopes: [consent],
      authorization_parameters: { session_message: 'Consent to data access on this collection is required', required_scopes: [consent] },
    });
  }
  return { ctx, auth, target, reply };
}

/** The decision for one path (authz/data.ts) and the connector acting as the account it names. */
export async function admitPath(op: OperationContext, path: string, need: DataNeed): Promise<AdmittedOperation> {
  let decision;
  try {
    decision = await decideRequest(op.ctx.store.db, op.target, { auth: op.auth, path, need }, need === 'read' ? 'read' : 'write');
  } catch (error) {
    throw transferConnectorError('stat', error);
  }
  if (!decision.allowed) {
    const extra: Record<string, unknown> = {};
    const params = authorizationParameters(decision);
    if (params) extra.authorization_parameters = params;
    throw transferErrors.error(
      decision.status === 401 ? 'AuthenticationFailed' : 'PermissionDenied',
      decision.message,
      extra,
      decision.status === 405 ? 403 : decision.status,
    );
  }
  let connector: PosixConnector;
  try {
    connector = await (await dataConnectors(op.ctx)).connectorFor(decision.account);
  } catch (error) {
    throw transferConnectorError('stat', error);
  }
  // An operation admits one or two paths (rename) or many (delete): it is one access all the same.
  if (!op.accessNoted) {
    op.accessNoted = true;
    noteAccess(op.ctx.store, op.target, op.reply);
  }
  return { auth: op.auth, target: op.target, connector, grant: decision, at: decision.at };
}

function truthy(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(String(value).toLowerCase());
}

const ORDER_FIELDS: ListField[] = ['name', 'type', 'size', 'last_modified', 'permissions', 'user', 'group'];

/** `orderby=name ASC,type DESC` (the SDK joins a list with commas). */
export function parseOrderBy(raw: string | string[] | undefined): ListOptions['orderBy'] {
  if (raw === undefined) return undefined;
  const out: NonNullable<ListOptions['orderBy']> = [];
  for (const part of (Array.isArray(raw) ? raw : [raw]).flatMap((r) => r.split(','))) {
    const m = /^\s*([a-z_]+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!m || !(ORDER_FIELDS as string[]).includes(m[1])) throw transferErrors.error('BadRequest', `Invalid orderby '${part}'`);
    out.push({ field: m[1] as ListField, desc: m[2]?.toLowerCase() === 'desc' });
  }
  return out;
}

const TYPES = new Set<FileEntry['type']>(['file', 'dir', 'invalid_symlink']);
const COMPARISON = /^(!=|>=|<=|=|>|<)?(.*)$/;
const COMPARISON_OPS = { '=': 'eq', '!=': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le' } as const;

/**
 * Transfer ls filters: each parameter holds `/`-separated clauses `field:value`. Names: `~glob`, `!~glob`,
 * `!name`, `=name` or `name`; types: a comma list; size: `[op]number`; last_modified: `[op]date` or a
 * `start,end` range (either side may be empty).
 */
export function parseFilters(raw: string | string[] | undefined): ListFilter[] {
  if (raw === undefined) return [];
  const filters: ListFilter[] = [];
  for (const clause of (Array.isArray(raw) ? raw : [raw]).flatMap((r) => r.split('/')).filter((c) => c !== '')) {
    const colon = clause.indexOf(':');
    if (colon <= 0) throw transferErrors.error('BadRequest', `Invalid filter '${clause}'`);
    const field = clause.slice(0, colon);
    const value = clause.slice(colon + 1);
    if (field === 'name') {
      if (value.startsWith('!~')) filters.push({ field, op: 'not_glob', value: value.slice(2) });
      else if (value.startsWith('~')) filters.push({ field, op: 'glob', value: value.slice(1) });
      else if (value.startsWith('!')) filters.push({ field, op: 'ne', value: value.slice(1) });
      else filters.push({ field, op: 'eq', value: value.startsWith('=') ? value.slice(1) : value });
    } else if (field === 'type') {
      const types = value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (types.length === 0 || types.some((t) => !TYPES.has(t as FileEntry['type'])))
        throw transferErrors.error('BadRequest', `Invalid type filter '${value}'`);
      filters.push({ field, op: 'in', value: types as FileEntry['type'][] });
    } else if (field === 'size') {
      const m = COMPARISON.exec(value)!;
      const n = Number(m[2]);
      if (m[2] === '' || !Number.isFinite(n)) throw transferErrors.error('BadRequest', `Invalid size filter '${value}'`);
      filters.push({ field, op: COMPARISON_OPS[(m[1] ?? '=') as keyof typeof COMPARISON_OPS], value: n });
    } else if (field === 'last_modified') {
      const when = (s: string) => {
        const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) || !/\d:\d/.test(s) ? s : `${s}Z`);
        if (Number.isNaN(d.getTime())) throw transferErrors.error('BadRequest', `Invalid date '${s}'`);
        return d
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, '+00:00');
      };
      if (value.includes(',')) {
        const [start, end] = value.split(',', 2).map((s) => s.trim());
        if (start) filters.push({ field, op: 'ge', value: when(start) });
        if (end) filters.push({ field, op: 'lt', value: when(end) });
      } else {
        const m = COMPARISON.exec(value)!;
        filters.push({ field, op: COMPARISON_OPS[(m[1] ?? '=') as keyof typeof COMPARISON_OPS], value: when(m[2]) });
      }
    } else throw transferErrors.error('BadRequest', `Filtering on '${field}' is not supported`);
  }
  return filters;
}

/** The Transfer `file` document of an entry. */
export function fileDocument(entry: FileEntry) {
  return {
    DATA_TYPE: 'file' as const,
    name: entry.name,
    type: entry.type,
    link_target: entry.link_target,
    permissions: entry.permissions,
    size: entry.size,
    user: entry.user,
    group: entry.group,
    last_modified: entry.last_modified,
  };
}

function directoryPath(relative: string): string {
  return relative === '/' ? '/' : `${relative}/`;
}

const EndpointParams = Type.Object({ endpoint_id: Type.String({ maxLength: 64 }) });
// The SDKs send `filter` once per clause list item (a list becomes repeated parameters) and may repeat
// `orderby`; every other parameter is single-valued, as in the default query schema (http/validation.ts).
const Repeatable = () => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 100 })]));
const LsQuery = Type.Object({ filter: Repeatable(), orderby: Repeatable() }, { additionalProperties: Type.String() });

export async function fileOperationRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const base = '/v0.10/operation/endpoint/:endpoint_id';

  app.get(
    `${base}/ls`,
    { schema: { params: EndpointParams, querystring: LsQuery, response: { 200: FileList }, tags: ['transfer'] } },
    async (request, reply) => {
      const id = (request.params as { endpoint_id: string }).endpoint_id;
      const q = request.query as {
        path?: string;
        limit?: string;
        offset?: string;
        show_hidden?: string;
        filter?: string | string[];
        orderby?: string | string[];
      };
      const op = await operationContext(ctx, request, reply, id);
      const limit = Math.min(MAX_LIMIT, Math.max(0, Number(q.limit ?? MAX_LIMIT) || 0));
      const offset = Math.max(0, Number(q.offset ?? 0) || 0);
      if (q.limit !== undefined && !/^\d+$/.test(q.limit)) throw transferErrors.error('BadRequest', 'limit must be a non-negative integer');
      const options: ListOptions = {
        showHidden: truthy(q.show_hidden, true),
        filters: parseFilters(q.filter),
        orderBy: parseOrderBy(q.orderby),
        offset,
        limit,
      };
      const admitted = await admitPath(op, transferPath(q.path, defaultDirectory(op.target)), 'read');
      let listed;
      try {
        listed = await admitted.connector.list(admitted.at, options);
      } catch (error) {
        throw transferConnectorError('ls', error);
      }
      return {
        DATA_TYPE: 'file_list',
        endpoint: op.target.collection.row.id,
        path: directoryPath(admitted.grant.relative),
        absolute_path: null,
        rename_supported: true,
        symlink_supported: false,
        length: listed.entries.length,
        total: listed.total,
        offset,
        limit,
        DATA: listed.entries.map(fileDocument),
      };
    },
  );

  app.get(`${base}/stat`, { schema: { params: EndpointParams, response: { 200: FileDocument }, tags: ['transfer'] } }, async (request, reply) => {
    const id = (request.params as { endpoint_id: string }).endpoint_id;
    const op = await operationContext(ctx, request, reply, id);
    const admitted = await admitPath(op, transferPath((request.query as { path?: string }).path, defaultDirectory(op.target)), 'read');
    try {
      return fileDocument(await admitted.connector.stat(admitted.at));
    } catch (error) {
      throw transferConnectorError('stat', error);
    }
  });

  const MkdirBody = Type.Object(
    { DATA_TYPE: Type.Optional(Type.Literal('mkdir')), path: Type.String({ minLength: 1, maxLength: 4096 }), local_user: Type.Optional(Type.String()) },
    { additionalProperties: true },
  );
  app.post(
    `${base}/mkdir`,
    { schema: { params: EndpointParams, body: MkdirBody, response: { 202: OperationResult }, tags: ['transfer'] } },
    async (request, reply) => {
      const id = (request.params as { endpoint_id: string }).endpoint_id;
      const op = await operationContext(ctx, request, reply, id);
      const admitted = await admitPath(op, transferPath((request.body as { path: string }).path, '/'), 'write');
      if (admitted.grant.relative === '/') throw transferErrors.error('ExternalError.MkdirFailed.Exists', 'The collection root exists');
      try {
        await admitted.connector.mkdir(admitted.at);
      } catch (error) {
        throw transferConnectorError('mkdir', error);
      }
      return reply.code(202).send({
        DATA_TYPE: 'mkdir_result',
        code: 'DirectoryCreated',
        message: 'The directory was created successfully',
        request_id: request.id,
        resource: request.url.split('?')[0],
      });
    },
  );

  const RenameBody = Type.Object(
    {
      DATA_TYPE: Type.Optional(Type.Literal('rename')),
      old_path: Type.String({ minLength: 1, maxLength: 4096 }),
      new_path: Type.String({ minLength: 1, maxLength: 4096 }),
      local_user: Type.Optional(Type.String()),
    },
    { additionalProperties: true },
  );
  app.post(
    `${base}/rename`,
    { schema: { params: EndpointParams, body: RenameBody, response: { 200: OperationResult }, tags: ['transfer'] } },
    async (request, reply) => {
      const id = (request.params as { endpoint_id: string }).endpoint_id;
      const body = request.body as { old_path: string; new_path: string };
      const op = await operationContext(ctx, request, reply, id);
      const from = await admitPath(op, transferPath(body.old_path, '/'), 'write');
      const to = await admitPath(op, transferPath(body.new_path, '/'), 'write');
      if (from.grant.relative === '/' || to.grant.relative === '/')
        throw transferErrors.error('PermissionDenied', 'The collection root cannot be renamed or replaced');
      try {
        await from.connector.rename(from.at, to.at);
      } catch (error) {
        throw transferConnectorError('rename', error);
      }
      return {
        DATA_TYPE: 'result',
        code: 'FileRenamed',
        message: 'File or directory renamed successfully',
        request_id: request.id,
        resource: request.url.split('?')[0],
      };
    },
  );
}
