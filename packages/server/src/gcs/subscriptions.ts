// Subscriptions as GCS sees them: a subscription is a Groups group's subscription_id; its active admins manage it.
import type { Db } from '../store/db.ts';
import { nowSeconds, toJson } from '../store/db.ts';
import { newId } from '../auth/secrets.ts';
import { addCreatorAsAdmin, DEFAULT_POLICIES } from '../groups/repo.ts';
import { CONNECTORS } from './constants.ts';

/** Subscription ids whose group has one of these identities as an active admin (spec groups-api.md §6.5). */
export async function subscriptionsManagedBy(db: Db, identityIds: string[]): Promise<string[]> {
  if (identityIds.length === 0) return [];
  const rows = await db
    .selectFrom('groups')
    .innerJoin('group_memberships', 'group_memberships.group_id', 'groups.id')
    .select('groups.subscription_id')
    .distinct()
    .where('group_memberships.identity_id', 'in', identityIds)
    .where('group_memberships.status', '=', 'active')
    .where('group_memberships.role', '=', 'admin')
    .where('groups.subscription_id', 'is not', null)
    .orderBy('groups.subscription_id')
    .execute();
  return rows.map((r) => String(r.subscription_id).toLowerCase());
}

/** The `subscription_info` a Groups group carries for a local subscription (all connectors, no HA/BAA). */
export function localSubscriptionInfo(name: string, subscriberName: string) {
  const connectors = Object.fromEntries(CONNECTORS.map((c) => [c.id, { is_ha: false, is_baa: false }]));
  return { name, subscriber_name: subscriberName, is_high_assurance: false, is_baa: false, connectors };
}

/**
 * A self-hosted server is its own subscriber: setup gives the owner a subscription group, so that the
 * owner is a subscription manager and the usual `endpoint set-subscription-id DEFAULT` step works.
 */
export async function createLocalSubscription(db: Db, ownerId: string, endpointName: string): Promise<{ groupId: string; subscriptionId: string }> {
  const groupId = newId();
  const subscriptionId = newId();
  await db
    .insertInto('groups')
    .values({
      id: groupId,
      name: `${endpointName} subscription`,
      description: 'Subscription managers of this Gatehouse endpoint: admins of this group may manage the endpoint subscription.',
      terms_and_conditions: null,
      parent_id: null,
      group_type: 'regular',
      policies: toJson(DEFAULT_POLICIES),
      allow_join: 0,
      subscription_id: subscriptionId,
      subscription_info: toJson(localSubscriptionInfo(`${endpointName} subscription`, endpointName)),
      subscription_admin_verified_id: null,
      created_at: nowSeconds(),
    })
    .execute();
  await addCreatorAsAdmin(db, groupId, ownerId);
  return { groupId, subscriptionId };
}
