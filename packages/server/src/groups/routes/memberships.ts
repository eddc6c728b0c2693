// Groups routes for memberships: batch actions (POST /v2/groups/{group_id}) and /v2/groups/{group_id}/membership_fields.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { membershipFieldsOf } from '../repo.ts';
import { BatchBody, BatchResponse, MembershipFieldsDoc } from '../schemas.ts';
import { GroupParams, caller, groupIdOf } from '../requests.ts';
import { viewGroup } from '../view.ts';
import { checkUnambiguous, runBatch, type BatchRequest } from '../batch.ts';
import { decideOwnIdentities } from '../../authz/groups.ts';
import { enforce } from '../decisions.ts';

const FieldsMap = Type.Record(Type.String({ maxLength: 64 }), MembershipFieldsDoc);

export async function membershipRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.post(
    '/v2/groups/:group_id',
    { schema: { params: GroupParams, body: BatchBody, response: { 200: BatchResponse }, tags: ['groups'] } },
    async (request) => {
      const auth = caller(request, true);
      const body = request.body as BatchRequest;
      checkUnambiguous(body);
      return store.tx((db) => runBatch(db, groupIdOf(request), auth, body));
    },
  );

  app.get('/v2/groups/:group_id/membership_fields', { schema: { params: GroupParams, response: { 200: FieldsMap }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request);
    const view = await viewGroup(store.db, groupIdOf(request), auth);
    const fields = await membershipFieldsOf(store.db, view.row.id, auth.identitySet);
    const ids = new Set([...view.mine.map((m) => m.identity_id), ...fields.keys()]);
    return Object.fromEntries([...ids].sort().map((id) => [id, fields.get(id) ?? {}]));
  });

  app.put(
    '/v2/groups/:group_id/membership_fields',
    { schema: { params: GroupParams, body: FieldsMap, response: { 200: FieldsMap }, tags: ['groups'] } },
    async (request) => {
      const auth = caller(request, true);
      const body = request.body as Record<string, Record<string, string | null>>;
      enforce(decideOwnIdentities('Membership fields', auth.identitySet, Object.keys(body)));
      return store.tx(async (db) => {
        const view = await viewGroup(db, groupIdOf(request), auth, true);
        for (const [id, fields] of Object.entries(body)) {
          await db.deleteFrom('group_membership_fields').where('group_id', '=', view.row.id).where('identity_id', '=', id).execute();
          await db
            .insertInto('group_membership_fields')
            .values({ group_id: view.row.id, identity_id: id, fields: toJson(fields) })
            .execute();
        }
        const stored = await membershipFieldsOf(db, view.row.id, Object.keys(body));
        return Object.fromEntries([...stored].map(([id, f]) => [id, f]));
      });
    },
  );
}
