// Groups routes for a group's policies: GET and PUT /v2/groups/{group_id}/policies.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import { toJson } from '../../store/db.ts';
import { decidePolicyUpdate } from '../../authz/groups.ts';
import { asState, mergePolicies, policiesOf, type PolicyPatch } from '../repo.ts';
import { PoliciesRead, PoliciesWrite } from '../schemas.ts';
import { GroupParams, caller, groupIdOf } from '../requests.ts';
import { viewGroup } from '../view.ts';
import { enforce } from '../decisions.ts';

export async function policyRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get('/v2/groups/:group_id/policies', { schema: { params: GroupParams, response: { 200: PoliciesRead }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request);
    const view = await viewGroup(store.db, groupIdOf(request), auth);
    return policiesOf(view.row);
  });

  app.put(
    '/v2/groups/:group_id/policies',
    { schema: { params: GroupParams, body: PoliciesWrite, response: { 200: PoliciesRead }, tags: ['groups'] } },
    async (request) => {
      const auth = caller(request, true);
      return store.tx(async (db) => {
        const view = await viewGroup(db, groupIdOf(request), auth, true);
        enforce(decidePolicyUpdate(view.mine.map(asState)));
        const next = mergePolicies(policiesOf(view.row), request.body as PolicyPatch);
        await db
          .updateTable('groups')
          .set({ policies: toJson(next) })
          .where('id', '=', view.row.id)
          .execute();
        return next;
      });
    },
  );
}
