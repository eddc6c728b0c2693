// Facts for a mapped collection's guest_auth_policy_id: the Auth policy it names and each caller identity's own groups.
import type { Db } from '../store/db.ts';
import type { AuthContext } from '../auth/tokens.ts';
import type { AuthPolicyRules } from '../authz/policies.ts';
import { findPolicy, policyRules } from '../auth/policies.ts';
import { activeGroupIds } from '../groups/membership-lookup.ts';

/**
 * What a guest access needs to apply its mapped collection's `guest_auth_policy_id`: the policy (none
 * when unset or naming no policy) and, per identity of the caller, its active groups — a group reached
 * only through an identity that fails the policy must not count.
 */
export async function guestPolicyFacts(
  db: Db,
  policyId: unknown,
  auth: AuthContext | undefined,
): Promise<{ guestAuthPolicy?: AuthPolicyRules; identityGroups?: Map<string, string[]> }> {
  if (typeof policyId !== 'string') return {};
  const row = await findPolicy(db, policyId);
  if (!row) return {};
  const identityGroups = new Map<string, string[]>();
  for (const id of auth?.identitySet ?? []) identityGroups.set(id, await activeGroupIds(db, [id]));
  return { guestAuthPolicy: policyRules(row), identityGroups };
}
