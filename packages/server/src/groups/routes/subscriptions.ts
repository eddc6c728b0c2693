// Groups routes for subscriptions: /v2/subscription_info/{subscription_id} and /v2/groups/{group_id}/subscription_admin_verified.
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { fromJson } from '../../store/db.ts';
import { UUID_RE } from '../../auth/uuid.ts';
import { decideSubscriptionVerification } from '../../authz/groups.ts';
import { asState, membershipsOf } from '../repo.ts';
import { IdText, Nullable } from '../schemas.ts';
import { GroupParams, caller, groupIdOf } from '../requests.ts';
import { viewGroup } from '../view.ts';
import { enforce } from '../decisions.ts';
import { groupsErrors } from '../errors.ts';

const SubscriptionInfo = Type.Object({
  group_id: Type.String(),
  subscription_id: Type.String(),
  subscription_info: Type.Object({
    is_high_assurance: Type.Boolean(),
    is_baa: Type.Boolean(),
    connectors: Type.Record(Type.String(), Type.Object({ is_ha: Type.Boolean(), is_baa: Type.Boolean() })),
  }),
});

export async function subscriptionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get(
    '/v2/subscription_info/:subscription_id',
    { schema: { params: Type.Object({ subscription_id: IdText }), response: { 200: SubscriptionInfo }, tags: ['groups'] } },
    async (request) => {
      caller(request);
      const { subscription_id } = request.params as { subscription_id: string };
      const row = UUID_RE.test(subscription_id)
        ? await store.db.selectFrom('groups').selectAll().where('subscription_id', '=', subscription_id.toLowerCase()).executeTakeFirst()
        : undefined;
      if (!row || !row.subscription_id) throw groupsErrors.error('NOT_FOUND', `No group provides subscription ${subscription_id}`);
      const info = fromJson<{ is_high_assurance?: boolean; is_baa?: boolean; connectors?: Record<string, { is_ha: boolean; is_baa: boolean }> }>(
        row.subscription_info,
        {},
      );
      // The limited view: no name or subscriber_name.
      return {
        group_id: row.id,
        subscription_id: row.subscription_id,
        subscription_info: { is_high_assurance: info.is_high_assurance ?? false, is_baa: info.is_baa ?? false, connectors: info.connectors ?? {} },
      };
    },
  );

  app.put(
    '/v2/groups/:group_id/subscription_admin_verified',
    {
      schema: {
        params: GroupParams,
        body: Type.Object({ subscription_admin_verified_id: Nullable(IdText) }),
        response: { 200: Type.Object({ group_id: Type.String(), subscription_admin_verified_id: Nullable(Type.String()) }) },
        tags: ['groups'],
      },
    },
    async (request) => {
      const auth = caller(request, true);
      const wanted = (request.body as { subscription_admin_verified_id: string | null }).subscription_admin_verified_id?.toLowerCase() ?? null;
      return store.tx(async (db) => {
        const view = await viewGroup(db, groupIdOf(request), auth, true);
        /** The caller's memberships in the group providing the subscription; undefined when no group does. */
        const subscriptionMemberships = async (subscriptionId: string) => {
          const sub = await db.selectFrom('groups').select('id').where('subscription_id', '=', subscriptionId).executeTakeFirst();
          return sub && (await membershipsOf(db, auth.identitySet, [sub.id])).map(asState);
        };
        const current = view.row.subscription_admin_verified_id;
        if (current) enforce(decideSubscriptionVerification('current', await subscriptionMemberships(current)));
        if (wanted) {
          if (!UUID_RE.test(wanted)) throw groupsErrors.error('BAD_REQUEST', 'subscription_admin_verified_id must be a UUID');
          enforce(decideSubscriptionVerification('wanted', await subscriptionMemberships(wanted)));
        }
        await db.updateTable('groups').set({ subscription_admin_verified_id: wanted }).where('id', '=', view.row.id).execute();
        return { group_id: view.row.id, subscription_admin_verified_id: wanted };
      });
    },
  );
}
