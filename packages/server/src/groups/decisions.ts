// Renders authz/groups.ts decisions into the Groups envelope: each denial reason's catalogue code, the decision's message.
import type { GroupDecision, GroupDenialReason } from '../authz/groups.ts';
import { groupsErrors } from './errors.ts';

const CODES: Record<GroupDenialReason, 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT'> = {
  read_only_token: 'FORBIDDEN',
  // Private groups are indistinguishable from missing ones.
  not_visible: 'NOT_FOUND',
  too_many_memberships: 'FORBIDDEN',
  not_parent_admin: 'FORBIDDEN',
  not_admin: 'FORBIDDEN',
  verified_id_set_elsewhere: 'FORBIDDEN',
  has_subgroups: 'CONFLICT',
  actions_refused: 'FORBIDDEN',
  members_hidden: 'FORBIDDEN',
  foreign_identities: 'FORBIDDEN',
  not_subscription_admin: 'FORBIDDEN',
};

/** Throws the decision's refusal; returns when it allows. */
export function enforce(decision: GroupDecision): void {
  if (decision.allowed) return;
  const { allowed: _allowed, reason, message, ...extra } = decision;
  throw groupsErrors.error(CODES[reason], message, Object.keys(extra).length ? extra : undefined);
}
