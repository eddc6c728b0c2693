// /v2/api/policies[/{id}]: Auth policies (the documents a mapped collection's guest_auth_policy_id names).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { canManagePolicy, DOMAIN_PATTERN } from '../../authz/policies.ts';
import {
  createPolicy,
  deletePolicy,
  findPolicy,
  isServerAdmin,
  listPolicies,
  policyDocument,
  updatePolicy,
  type AuthPolicyRow,
  type PolicyInput,
} from '../policies.ts';
import { AUTH_RS, URN_SCOPE_PREFIX } from '../scopes.ts';
import type { AuthContext } from '../tokens.ts';
import { requiredAuth } from '../request-caller.ts';
import { authApiErrors } from '../errors.ts';

/** Both Globus SDKs ask for this scope for every policy call, as Globus Auth requires. */
export const MANAGE_PROJECTS = `${URN_SCOPE_PREFIX}${AUTH_RS}:manage_projects`;

const DisplayName = () => Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\r\\n]*$' });
const Description = () => Type.String({ maxLength: 4096 });
const Domains = Type.Union([Type.Array(Type.String({ maxLength: 253, pattern: DOMAIN_PATTERN }), { maxItems: 100 }), Type.Null()]);
const Fields = {
  project_id: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })),
  display_name: Type.Optional(DisplayName()),
  description: Type.Optional(Description()),
  high_assurance: Type.Optional(Type.Boolean()),
  authentication_assurance_timeout: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 2 ** 31 }), Type.Null()])),
  required_mfa: Type.Optional(Type.Boolean()),
  domain_constraints_include: Type.Optional(Domains),
  domain_constraints_exclude: Type.Optional(Domains),
};
// Unknown members are ignored, as Globus Auth does with fields newer than a client.
const CreateBody = Type.Object({ policy: Type.Object({ ...Fields, display_name: DisplayName(), description: Description() }, { additionalProperties: true }) });
const UpdateBody = Type.Object({ policy: Type.Object(Fields, { additionalProperties: true }) });
const PolicyDoc = Type.Object({
  id: Type.String(),
  project_id: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  high_assurance: Type.Boolean(),
  authentication_assurance_timeout: Type.Union([Type.Integer(), Type.Null()]),
  required_mfa: Type.Boolean(),
  domain_constraints_include: Type.Union([Type.Array(Type.String()), Type.Null()]),
  domain_constraints_exclude: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
const One = Type.Object({ policy: PolicyDoc });
const Params = Type.Object({ id: Type.String({ maxLength: 64 }) });

export async function policyRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  async function caller(_db: Db, request: FastifyRequest): Promise<AuthContext> {
    const auth = requiredAuth(request);
    if (!auth.scopes.includes(MANAGE_PROJECTS)) {
      throw authApiErrors.error('FORBIDDEN', `Auth policies require the ${MANAGE_PROJECTS} scope`, {
        authorization_parameters: { session_message: 'Consent to manage projects is required', required_scopes: [MANAGE_PROJECTS] },
      });
    }
    return auth;
  }

  /** The policy when the caller may manage it: 404 when there is none, 403 when it is someone else's. Locked when in a transaction: it is about to be written. */
  async function managed(db: Db, request: FastifyRequest): Promise<AuthPolicyRow> {
    const auth = await caller(db, request);
    const { id } = request.params as { id: string };
    const row = await findPolicy(db, id, { forUpdate: db.isTransaction });
    if (!row) throw authApiErrors.error('NOT_FOUND', `No policy ${id}`);
    if (!canManagePolicy(row, { identitySet: auth.identitySet, serverAdmin: await isServerAdmin(db, auth) }))
      throw authApiErrors.error('FORBIDDEN', `Policy ${row.id} is managed by its creator and the server administrators`);
    return row;
  }

  app.get('/v2/api/policies', { schema: { response: { 200: Type.Object({ policies: Type.Array(PolicyDoc) }) }, tags: ['auth'] } }, async (request) => {
    const auth = await caller(store.db, request);
    const rows = await listPolicies(store.db, (await isServerAdmin(store.db, auth)) ? undefined : auth.identitySet);
    return { policies: rows.map(policyDocument) };
  });

  app.post('/v2/api/policies', { schema: { body: CreateBody, response: { 201: One }, tags: ['auth'] } }, async (request, reply) => {
    const { policy } = request.body as { policy: PolicyInput };
    const created = await store.tx(async (db) => createPolicy(db, policy, (await caller(db, request)).identityId));
    reply.status(201);
    return { policy: created };
  });

  app.get('/v2/api/policies/:id', { schema: { params: Params, response: { 200: One }, tags: ['auth'] } }, async (request) => ({
    policy: policyDocument(await managed(store.db, request)),
  }));

  app.put('/v2/api/policies/:id', { schema: { params: Params, body: UpdateBody, response: { 200: One }, tags: ['auth'] } }, async (request) => {
    const { policy } = request.body as { policy: PolicyInput };
    return { policy: await store.tx(async (db) => updatePolicy(db, await managed(db, request), policy)) };
  });

  app.delete('/v2/api/policies/:id', { schema: { params: Params, response: { 200: One }, tags: ['auth'] } }, async (request) => {
    const deleted = await store.tx(async (db) => {
      const row = await managed(db, request);
      await deletePolicy(db, row.id);
      return row;
    });
    return { policy: policyDocument(deleted) };
  });
}
