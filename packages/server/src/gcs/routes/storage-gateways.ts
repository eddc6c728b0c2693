// /api/storage_gateways: gateway documents, their private identity policies, and the caller's mapped accounts.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds, toJson } from '../../store/db.ts';
import { newId } from '../../auth/secrets.ts';
import { canManageEndpoint, canSeePrivateGatewayPolicies, canViewStorageGateway } from '../../authz/gcs.ts';
import { mappingErrors, type IdentityMappingDocument } from '../../authz/mapping.ts';
import { invalidRestrictionPaths, normalizePath, pathAccess, type PathRestrictions } from '../../authz/paths.ts';
import { callerAccounts, enforce, gatewayAdmits, GCS_VIEWER, loadCaller, type Caller } from '../caller.ts';
import { GATEWAY_FIELDS, StorageGatewayBody } from '../bodies.ts';
import {
  IdParams,
  checkConnectorPolicies,
  checkDataType,
  createDocument,
  mergeDocument,
  requireFields,
  type FieldRules,
  ListParam,
  csvValues,
} from '../documents/request.ts';
import { PagingQuery, gcsError, invalidInput, keysetPage, responses, result } from '../envelope.ts';
import { holdsAccessRuleOnEndpoint } from '../access-rules-lookup.ts';
import { CONNECTORS, connectorPrefix } from '../constants.ts';
import { gatewayDocument } from '../documents/storage-gateway.ts';
import { loadGateway, toGateway, type Gateway } from '../gateway-repo.ts';

const GATEWAY_RULES: FieldRules = {
  fields: GATEWAY_FIELDS,
  readOnly: ['id', 'deleted'],
  immutable: ['connector_id', 'high_assurance'],
  booleans: ['high_assurance', 'require_mfa', 'admin_managed_credentials'],
};

const GatewayQuery = Type.Object({ include: ListParam(), ...PagingQuery });

/** Deprecated aliases become their current names so that only one spelling is stored. */
function canonicalGatewayInput(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  if (out.require_high_assurance !== undefined) out.high_assurance ??= out.require_high_assurance;
  if (out.authentication_assurance_timeout !== undefined) out.authentication_timeout_mins ??= out.authentication_assurance_timeout;
  delete out.require_high_assurance;
  delete out.authentication_assurance_timeout;
  return out;
}

/**
 * `root` (sent by the Python SDK's StorageGatewayDocument, absent from GCS's own API) is not applied: a
 * POSIX gateway sees the file system as it is, and what it may reach is confined with restrict_paths, as in
 * GCS. So that a root is never taken for a confinement it is not, any but `/` is refused.
 */
function rootRefusal(given: Record<string, unknown>): string | null {
  const root = given.root;
  if (root === undefined || root === null || (typeof root === 'string' && normalizePath(root) === '/')) return null;
  return `root ${JSON.stringify(root)} is not applied by this server: a POSIX storage gateway sees the whole file system; confine it with restrict_paths, e.g. {"DATA_TYPE": "path_restrictions#1.0.0", "read_write": ["/srv/data"]}`;
}

/** `given`: the request's own fields (a stored document is not refused for what an older version kept). */
function validateGateway(doc: Record<string, unknown>, connectorId: string, given: Record<string, unknown>): void {
  checkConnectorPolicies(doc.policies, 'storage', connectorPrefix(connectorId));
  const errors: string[] = [];
  errors.push(...mappingErrors(doc.identity_mappings as IdentityMappingDocument[] | undefined));
  errors.push(...invalidRestrictionPaths(doc.restrict_paths as PathRestrictions | undefined).map((p) => `restrict_paths entry ${p} must be absolute`));
  const root = rootRefusal(given);
  if (root) errors.push(root);
  if (doc.require_mfa === true && doc.high_assurance !== true) errors.push('require_mfa applies only to high-assurance gateways');
  if (errors.length) throw invalidInput(errors);
}

/** Mapped collections whose base path the new restrictions would hide. */
async function collectionsHiddenBy(db: Db, gatewayId: string, restrict: PathRestrictions | null | undefined): Promise<string[]> {
  if (!restrict) return [];
  const rows = await db
    .selectFrom('collections')
    .select(['id', 'document'])
    .where('storage_gateway_id', '=', gatewayId)
    .where('collection_type', '=', 'mapped')
    .execute();
  return rows
    .filter((r) => {
      const base = String((JSON.parse(r.document) as { collection_base_path?: string }).collection_base_path ?? '/');
      // Per-user paths cannot be judged without a user; they are checked at access time.
      return !/[~$]/.test(base) && pathAccess(restrict, normalizePath(base) ?? base) === 'none';
    })
    .map((r) => r.id);
}

export async function storageGatewayRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  const visible = async (caller: Caller, gateway: Gateway) => {
    const allowedByThisGateway = await gatewayAdmits(caller, gateway);
    const quick = canViewStorageGateway({ held: caller.held, endpointPublic: caller.endpoint.public, allowedByThisGateway, aclHolderOnThisGateway: false });
    if (quick.allowed) return quick;
    return canViewStorageGateway({
      held: caller.held,
      endpointPublic: false,
      allowedByThisGateway,
      aclHolderOnThisGateway: await holdsAccessRuleOnEndpoint(store.db, caller.principals, gateway.row.id),
    });
  };

  /** The gateway document plus, with include=accounts, the caller's accounts on it. */
  const render = async (caller: Caller, gateway: Gateway, include: string[]) => {
    const docs: Record<string, unknown>[] = [gatewayDocument(gateway, include.includes('private_policies') && canSeePrivateGatewayPolicies(caller.held))];
    if (include.includes('accounts')) {
      for (const a of await callerAccounts(caller, gateway))
        docs.push({ DATA_TYPE: 'account#1.0.0', identity_id: a.identity_id, storage_gateway_id: gateway.row.id, username: a.username });
    }
    return docs;
  };

  app.get(
    '/api/storage_gateways',
    { config: { caller: GCS_VIEWER }, schema: { querystring: GatewayQuery, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const q = request.query as { include?: string[]; page_size?: number; marker?: string };
      const caller = await loadCaller(store.db, request);
      const page = await keysetPage({
        fetch: async (after, limit) => {
          let query = store.db.selectFrom('storage_gateways').selectAll().orderBy('id').limit(limit);
          if (after !== null) query = query.where('id', '>', after);
          return (await query.execute()).map(toGateway);
        },
        keep: async (g) => (await visible(caller, g)).allowed,
        key: (g) => g.row.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      const include = csvValues(q.include);
      const data = (await Promise.all(page.items.map((g) => render(caller, g, include)))).flat();
      return result(reply, data, { marker: page.marker });
    },
  );

  app.post('/api/storage_gateways', { schema: { body: StorageGatewayBody, response: responses(201), tags: ['gcs'] } }, async (request, reply) => {
    const body = canonicalGatewayInput(request.body as Record<string, unknown>);
    checkDataType(body, 'storage_gateway');
    requireFields(body, ['display_name', 'connector_id']);
    const connectorId = String(body.connector_id).toLowerCase();
    if (!CONNECTORS.some((c) => c.id === connectorId)) throw invalidInput(`Connector ${connectorId} is not available on this endpoint`, 'connector_id');
    const doc = createDocument(body, GATEWAY_RULES);
    delete doc.connector_id;
    validateGateway(doc, connectorId, body);
    const gateway = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      enforce(canManageEndpoint(caller.held));
      const row = { id: newId(), connector_id: connectorId, document: toJson(doc), created_at: nowSeconds() };
      await db.insertInto('storage_gateways').values(row).execute();
      return toGateway(row);
    });
    return result(reply, [gatewayDocument(gateway, true)], { status: 201 });
  });

  app.get(
    '/api/storage_gateways/:storage_gateway_id',
    { config: { caller: GCS_VIEWER }, schema: { params: IdParams('storage_gateway_id'), querystring: GatewayQuery, response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      const gateway = await loadGateway(store.db, (request.params as { storage_gateway_id: string }).storage_gateway_id);
      enforce(await visible(caller, gateway));
      return result(reply, await render(caller, gateway, csvValues((request.query as { include?: string[] }).include)));
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/storage_gateways/:storage_gateway_id',
      schema: { params: IdParams('storage_gateway_id'), body: StorageGatewayBody, response: responses(200), tags: ['gcs'] },
      handler: async (request, reply) => {
        const body = canonicalGatewayInput(request.body as Record<string, unknown>);
        checkDataType(body, 'storage_gateway');
        const updated = await store.tx(async (db) => {
          const caller = await loadCaller(db, request);
          enforce(canManageEndpoint(caller.held));
          const gateway = await loadGateway(db, (request.params as { storage_gateway_id: string }).storage_gateway_id, { forUpdate: true });
          const stored = { ...JSON.parse(gateway.row.document), connector_id: gateway.row.connector_id, high_assurance: gateway.doc.high_assurance };
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', stored, body, GATEWAY_RULES);
          delete next.connector_id;
          if (method === 'PUT') requireFields(next, ['display_name']);
          validateGateway(next, gateway.row.connector_id, body);
          const hidden = await collectionsHiddenBy(db, gateway.row.id, next.restrict_paths as PathRestrictions | null);
          if (hidden.length)
            throw gcsError(409, 'The change would make existing collections inaccessible', { DATA_TYPE: 'resource_conflict#1.0.0', resources: hidden });
          await db
            .updateTable('storage_gateways')
            .set({ document: toJson(next) })
            .where('id', '=', gateway.row.id)
            .execute();
          return toGateway({ ...gateway.row, document: toJson(next) });
        });
        return result(reply, [gatewayDocument(updated, true)], { message: `Updated storage gateway ${updated.row.id}` });
      },
    });
  }

  // Deleting a gateway with collections would strand them, so it is refused until they are deleted.
  app.delete(
    '/api/storage_gateways/:storage_gateway_id',
    { schema: { params: IdParams('storage_gateway_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const id = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        enforce(canManageEndpoint(caller.held));
        const gateway = await loadGateway(db, (request.params as { storage_gateway_id: string }).storage_gateway_id, { forUpdate: true });
        const users = await db.selectFrom('collections').select('id').where('storage_gateway_id', '=', gateway.row.id).limit(100).execute();
        if (users.length) throw gcsError(409, 'Storage gateway has collections', { DATA_TYPE: 'resource_conflict#1.0.0', resources: users.map((u) => u.id) });
        await db.deleteFrom('user_credentials').where('storage_gateway_id', '=', gateway.row.id).execute();
        await db.deleteFrom('storage_gateways').where('id', '=', gateway.row.id).execute();
        return gateway.row.id;
      });
      return result(reply, [], { message: `Deleted storage gateway ${id}` });
    },
  );
}
