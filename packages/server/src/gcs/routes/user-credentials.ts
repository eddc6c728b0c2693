// /api/user_credentials: the caller's local accounts on storage gateways (admins: admin-managed credentials).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds, toJson } from '../../store/db.ts';
import { forUpdate, lockRow } from '../../store/locking.ts';
import { newId } from '../../auth/secrets.ts';
import { findById } from '../../auth/identities.ts';
import { type ApiError } from '../../http/errors.ts';
import {
  gatewayIdentityDenial,
  gatewayUsesGroups,
  hasAnyRole,
  isCredentialAdmin,
  mayActOnCredential,
  usableUsername,
  type GatewayPolicy,
} from '../../authz/gcs.ts';
import { mapIdentity, type MappableIdentity } from '../../authz/mapping.ts';
import { loadCaller, type Caller } from '../caller.ts';
import { CREDENTIAL_FIELDS, CredentialBody } from '../bodies.ts';
import {
  IdParams,
  Uuid,
  checkConnectorPolicies,
  checkDataType,
  mergeDocument,
  requireFields,
  type FieldRules,
  ListParam,
  csvValues,
} from '../documents/request.ts';
import { PagingQuery, gcsError, keysetPage, responses, result } from '../envelope.ts';
import { connectorPrefix } from '../constants.ts';
import { findGateway, loadGateway } from '../gateway-repo.ts';
import { userCredentialDocument } from '../documents/user-credential.ts';
import type { UserCredentialRow } from '../tables.ts';
import { gatewayIdentityRefusal } from '../refusals.ts';
import { gcsErrors } from '../errors.ts';

const CREDENTIAL_RULES: FieldRules = {
  fields: CREDENTIAL_FIELDS,
  readOnly: ['id', 'connector_id', 'home_directory', 'deleted', 'provisioned', 'invalid'],
  immutable: ['identity_id', 'storage_gateway_id'],
};

/** Groups of the account a credential would name (given, else mapped), looked up only when the gateway filters on groups. */
async function groupsForAccount(
  caller: Caller,
  gateway: GatewayPolicy,
  identity: MappableIdentity,
  username: string | undefined,
): Promise<string[] | undefined> {
  if (!gatewayUsesGroups(gateway)) return undefined;
  const name = username ?? mapIdentity(gateway, identity);
  return name === null ? undefined : (await caller.accountGroups([name])).get(name);
}

function notOwner(id: string): ApiError {
  return gcsError(403, 'Caller does not own this user credential', { DATA_TYPE: 'not_resource_owner#1.0.0', id });
}

async function render(db: Db, row: UserCredentialRow) {
  const gateway = await findGateway(db, row.storage_gateway_id);
  return userCredentialDocument(row, gateway?.row.connector_id ?? '', String(gateway?.doc.display_name ?? row.storage_gateway_id));
}

export async function userCredentialRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;
  const credentialId = (request: FastifyRequest) => (request.params as { user_credential_id: string }).user_credential_id.toLowerCase();

  /** The credential when the caller owns it, or (for `adminMay` operations) administers the endpoint. */
  /** The credential when the caller owns it (or, `adminMay`, administers the endpoint); locked when it is to be written back. */
  async function owned(db: Db, caller: Caller, id: string, adminMay: boolean, lock = false): Promise<UserCredentialRow> {
    const query = db.selectFrom('user_credentials').selectAll().where('id', '=', id);
    const row = await (lock ? forUpdate(db, query) : query).executeTakeFirst();
    if (!row) throw gcsError(404, `User credential ${id} not found`);
    if (!mayActOnCredential({ identitySet: caller.auth!.identitySet, held: caller.held, credentialIdentity: row.identity_id, adminMay })) throw notOwner(id);
    return row;
  }

  app.get(
    '/api/user_credentials',
    {
      schema: {
        querystring: Type.Object({ storage_gateway: Type.Optional(Uuid()), include: ListParam(), ...PagingQuery }),
        response: responses(200),
        tags: ['gcs'],
      },
    },
    async (request, reply) => {
      const q = request.query as { storage_gateway?: string; include?: string[]; page_size?: number; marker?: string };
      const caller = await loadCaller(store.db, request);
      const all = csvValues(q.include).includes('all') && isCredentialAdmin(caller.held);
      const adminManaged = new Set<string>();
      if (all) {
        for (const g of await store.db.selectFrom('storage_gateways').select(['id', 'document']).execute())
          if (JSON.parse(g.document).admin_managed_credentials === true) adminManaged.add(g.id);
      }
      const mine = caller.auth!.identitySet;
      const page = await keysetPage({
        fetch: async (after, limit) => {
          let query = store.db.selectFrom('user_credentials').selectAll().orderBy('id').limit(limit);
          if (after !== null) query = query.where('id', '>', after);
          if (q.storage_gateway) query = query.where('storage_gateway_id', '=', q.storage_gateway.toLowerCase());
          if (adminManaged.size === 0) query = query.where('identity_id', 'in', mine);
          return query.execute();
        },
        keep: (row) => mine.includes(row.identity_id) || adminManaged.has(row.storage_gateway_id),
        key: (row) => row.id,
        pageSize: q.page_size ?? 100,
        marker: q.marker,
      });
      if (page.items.length === 0 && !caller.endpoint.public && !hasAnyRole(caller.held) && q.marker === undefined)
        throw gcsError(403, 'Caller has no user credentials and no role on this endpoint');
      return result(reply, await Promise.all(page.items.map((row) => render(store.db, row))), { marker: page.marker });
    },
  );

  app.post('/api/user_credentials', { schema: { body: CredentialBody, response: responses(201), tags: ['gcs'] } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    checkDataType(body, 'user_credential');
    requireFields(body, ['storage_gateway_id']);
    const row = await store.tx(async (db) => {
      const caller = await loadCaller(db, request);
      const auth = caller.auth!;
      const gateway = await findGateway(db, String(body.storage_gateway_id));
      if (!gateway)
        throw gcsError(403, `Storage gateway ${String(body.storage_gateway_id)} not found`, {
          DATA_TYPE: 'storage_gateway_not_found#1.0.0',
          storage_gateway_id: body.storage_gateway_id,
        });
      checkConnectorPolicies(body.policies, 'user_credential', connectorPrefix(gateway.row.connector_id));
      const identityId = typeof body.identity_id === 'string' ? body.identity_id.toLowerCase() : auth.identityId;
      const own = auth.identitySet.includes(identityId);
      // Admin-managed credentials: an endpoint administrator registers accounts for other identities.
      if (
        !mayActOnCredential({
          identitySet: auth.identitySet,
          held: caller.held,
          credentialIdentity: identityId,
          adminMay: gateway.doc.admin_managed_credentials === true,
        })
      )
        throw gcsError(403, 'identity_id is not one of the caller identities', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id: identityId });
      const identity = own ? (await caller.identities()).find((i) => i.id === identityId) : await findById(db, identityId);
      if (!identity) throw gcsError(403, 'Unknown identity', { DATA_TYPE: 'id_not_in_identity_set#1.0.0', id: identityId });
      if (own) {
        const authenticatedAt = identity.identity_type === 'client' ? auth.issuedAt : auth.authenticatedAt;
        const denial = gatewayIdentityDenial({ gateway: gateway.policy, identity: identity as never, authenticatedAt, now: nowSeconds() });
        if (denial?.kind === 'not_from_allowed_domain')
          throw gcsError(403, 'Identity is not from an allowed domain', {
            DATA_TYPE: 'not_from_allowed_domain#1.0.0',
            allowed_domains: denial.allowed_domains,
          });
        if (denial?.kind === 'authentication_timeout') throw gatewayIdentityRefusal(denial);
      }
      const wanted = typeof body.username === 'string' ? body.username : undefined;
      const username = usableUsername(gateway.policy, identity as never, wanted, await groupsForAccount(caller, gateway.policy, identity as never, wanted));
      if (username === null)
        throw gcsError(403, 'The username is not a mapping of this identity on the storage gateway', {
          DATA_TYPE: 'invalid_user#1.0.0',
          usernames: [String(body.username ?? '')],
        });
      // The identity's row is locked so that two creations of one credential cannot both pass the exists check.
      await lockRow(db, 'identities', identityId);
      const existing = await db
        .selectFrom('user_credentials')
        .select('id')
        .where('identity_id', '=', identityId)
        .where('storage_gateway_id', '=', gateway.row.id)
        .where('username', '=', username)
        .executeTakeFirst();
      if (existing)
        throw gcsErrors.error('exists', 'This user credential already exists', { detail: { DATA_TYPE: 'resource_conflict#1.0.0', resources: [existing.id] } });
      const doc: Record<string, unknown> = {};
      if (typeof body.display_name === 'string') doc.display_name = body.display_name;
      if (body.policies && typeof body.policies === 'object') doc.policies = body.policies;
      const created: UserCredentialRow = {
        id: newId(),
        identity_id: identityId,
        storage_gateway_id: gateway.row.id,
        username,
        document: toJson(doc),
        created_at: nowSeconds(),
      };
      await db.insertInto('user_credentials').values(created).execute();
      return created;
    });
    return result(reply, [await render(store.db, row)], { status: 201 });
  });

  app.get(
    '/api/user_credentials/:user_credential_id',
    { schema: { params: IdParams('user_credential_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const caller = await loadCaller(store.db, request);
      return result(reply, [await render(store.db, await owned(store.db, caller, credentialId(request), true))]);
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/user_credentials/:user_credential_id',
      schema: { params: IdParams('user_credential_id'), body: CredentialBody, response: responses(200), tags: ['gcs'] },
      handler: async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        checkDataType(body, 'user_credential');
        const row = await store.tx(async (db) => {
          const caller = await loadCaller(db, request);
          const current = await owned(db, caller, credentialId(request), false, true);
          const stored = {
            ...JSON.parse(current.document),
            identity_id: current.identity_id,
            storage_gateway_id: current.storage_gateway_id,
            username: current.username,
          };
          const next = mergeDocument(method === 'PUT' ? 'put' : 'patch', stored, body, CREDENTIAL_RULES);
          checkConnectorPolicies(
            next.policies,
            'user_credential',
            connectorPrefix((await findGateway(db, current.storage_gateway_id))?.row.connector_id ?? ''),
          );
          let username = current.username;
          if (typeof next.username === 'string' && next.username !== current.username) {
            const gateway = await loadGateway(db, current.storage_gateway_id);
            const identity = (await caller.identities()).find((i) => i.id === current.identity_id);
            const usable = identity
              ? usableUsername(gateway.policy, identity, next.username, await groupsForAccount(caller, gateway.policy, identity, next.username))
              : null;
            if (usable === null)
              throw gcsError(403, 'The username is not a mapping of this identity on the storage gateway', {
                DATA_TYPE: 'invalid_user#1.0.0',
                usernames: [next.username],
              });
            username = usable;
          }
          for (const f of ['identity_id', 'storage_gateway_id', 'username']) delete next[f];
          const updated = { ...current, username, document: toJson(next) };
          await db.updateTable('user_credentials').set({ username, document: updated.document }).where('id', '=', current.id).execute();
          return updated;
        });
        return result(reply, [await render(store.db, row)], { message: `Updated user credential ${row.id}` });
      },
    });
  }

  app.delete(
    '/api/user_credentials/:user_credential_id',
    { schema: { params: IdParams('user_credential_id'), response: responses(200), tags: ['gcs'] } },
    async (request, reply) => {
      const id = await store.tx(async (db) => {
        const caller = await loadCaller(db, request);
        const row = await owned(db, caller, credentialId(request), true);
        await db.deleteFrom('user_credentials').where('id', '=', row.id).execute();
        return row.id;
      });
      return result(reply, [], { message: `Deleted user credential ${id}` });
    },
  );
}
