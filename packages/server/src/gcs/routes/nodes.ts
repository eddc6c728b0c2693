// /api/nodes: one synthetic active node for this host plus stored node documents written by administrators.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { fromJson, nowSeconds, toJson } from '../../store/db.ts';
import { forUpdate } from '../../store/locking.ts';
import { newId } from '../../auth/secrets.ts';
import { v5 } from '../../auth/uuid.ts';
import { canManageEndpoint } from '../../authz/gcs.ts';
import { endpointVisibility, enforce, GCS_VIEWER, loadCaller, type Caller } from '../caller.ts';
import {
  IdParams,
  Nullable,
  checkDataType,
  documentFields,
  knownFields,
  mergeDocument,
  requireFields,
  type FieldRules,
  ListParam,
  csvValues,
} from '../documents/request.ts';
import { PagingQuery, gcsError, keysetPage, responses, result } from '../envelope.ts';
import { DT } from '../constants.ts';
import type { NodeRow } from '../tables.ts';

const PortRange = () => Type.Optional(Nullable(Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), { minItems: 2, maxItems: 2 })));
const NodeBody = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    ip_addresses: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }))),
    status: Type.Optional(Nullable(Type.Union([Type.Literal('active'), Type.Literal('inactive')]))),
    incoming_port_range: PortRange(),
    outgoing_port_range: PortRange(),
    internal_stream_port_range: PortRange(),
    data_interface: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    data_interface6: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    lan_addresses: Type.Optional(
      Nullable(
        Type.Array(Type.Object({ address: Type.String({ maxLength: 64 }), network_name: Type.Optional(Type.String({ maxLength: 256 })) }), { maxItems: 64 }),
      ),
    ),
  },
  { additionalProperties: true },
);
const NODE_FIELDS = documentFields(NodeBody);
const NODE_RULES: FieldRules = { fields: NODE_FIELDS, readOnly: ['id'], immutable: [] };

function nodeDocument(row: NodeRow) {
  return {
    incoming_port_range: [50000, 51000],
    outgoing_port_range: null,
    ...knownFields(fromJson<Record<string, unknown>>(row.document, {}), NODE_FIELDS),
    DATA_TYPE: DT.node,
    id: row.id,
  };
}

export async function nodeRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;
  const localNode = (endpointId: string): NodeRow => ({
    id: v5(`gatehouse:local-node:${endpointId}`),
    document: toJson({ ip_addresses: [config.host], status: 'active' }),
    created_at: 0,
  });
  const nodeId = (request: FastifyRequest) => (request.params as { node_id: string }).node_id.toLowerCase();

  async function viewer(request: FastifyRequest): Promise<Caller> {
    const caller = await loadCaller(store.db, request);
    enforce(await endpointVisibility(store.db, caller));
    return caller;
  }

  async function allNodes(db: Db, caller: Caller): Promise<NodeRow[]> {
    return [localNode(caller.endpoint.id), ...(await db.selectFrom('gcs_nodes').selectAll().execute())].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  app.get(
    '/api/nodes',
    { config: { caller: GCS_VIEWER }, schema: { querystring: Type.Object(PagingQuery), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await viewer(request);
      const nodes = await allNodes(store.db, caller);
      const q = request.query as { page_size?: number; marker?: string };
      const page = await keysetPage({
        fetch: async (after, limit) => nodes.filter((n) => after === null || n.id > after).slice(0, limit),
        keep: () => true,
        key: (n) => n.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      return result(reply, page.items.map(nodeDocument), { marker: page.marker });
    },
  );

  app.get(
    '/api/nodes/:node_id',
    { config: { caller: GCS_VIEWER }, schema: { params: IdParams('node_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await viewer(request);
      const node = (await allNodes(store.db, caller)).find((n) => n.id === nodeId(request));
      if (!node) throw gcsError(404, `Node ${nodeId(request)} not found`);
      return result(reply, [nodeDocument(node)]);
    },
  );

  app.post('/api/nodes', { schema: { body: NodeBody, response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    checkDataType(body, 'node');
    requireFields(body, ['ip_addresses', 'status']);
    const row = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      enforce(canManageEndpoint(caller.held));
      const created: NodeRow = { id: newId(), document: toJson(mergeDocument('put', {}, body, NODE_RULES)), created_at: nowSeconds() };
      await db.insertInto('gcs_nodes').values(created).execute();
      return created;
    });
    return result(reply, [nodeDocument(row)]);
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/nodes/:node_id',
      schema: { params: IdParams('node_id'), body: NodeBody, querystring: Type.Object({ include: ListParam() }), response: responses(200), tags: ['gcs'] },
      handler: async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        checkDataType(body, 'node');
        const row = await store.tx(async (db) => {
          const caller = await loadCaller(db, request);
          enforce(canManageEndpoint(caller.held));
          const current = await forUpdate(db, db.selectFrom('gcs_nodes').selectAll().where('id', '=', nodeId(request))).executeTakeFirst();
          if (!current)
            throw gcsError(
              404,
              `Node ${nodeId(request)} not found${nodeId(request) === localNode(caller.endpoint.id).id ? ' (the local node is not editable)' : ''}`,
            );
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', fromJson(current.document, {}), body, NODE_RULES);
          requireFields(next, ['ip_addresses', 'status']);
          await db
            .updateTable('gcs_nodes')
            .set({ document: toJson(next) })
            .where('id', '=', current.id)
            .execute();
          return { ...current, document: toJson(next) };
        });
        const include = csvValues((request.query as { include?: string[] }).include);
        return result(reply, include.includes('node') ? [nodeDocument(row)] : [], { message: `Updated node ${row.id}` });
      },
    });
  }

  app.delete('/api/nodes/:node_id', { schema: { params: IdParams('node_id'), response: responses(200), tags: ['gcs'] } }, async (request, reply) => {
    await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      enforce(canManageEndpoint(caller.held));
      const deleted = await db.deleteFrom('gcs_nodes').where('id', '=', nodeId(request)).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw gcsError(404, `Node ${nodeId(request)} not found`);
    });
    return result(reply, [], { message: `Deleted node ${nodeId(request)}` });
  });
}
