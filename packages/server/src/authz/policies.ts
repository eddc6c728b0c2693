// Auth policies as pure functions: domain patterns, whether a caller's identities satisfy a policy, who manages a policy.
import { domainOfUsername } from './mapping.ts';

/** What a policy demands of a login (the enforced part of an `/v2/api/policies` document). */
export interface AuthPolicyRules {
  id: string;
  high_assurance: boolean;
  /** seconds; null: no limit */
  authentication_assurance_timeout: number | null;
  required_mfa: boolean;
  /** null or empty: every domain */
  domain_constraints_include: string[] | null;
  domain_constraints_exclude: string[] | null;
}

export interface PolicyIdentity {
  id: string;
  username: string;
  /** epoch seconds of this identity's last authentication; undefined when unknown (a linked identity) */
  authenticatedAt?: number;
}

export type PolicyOutcome =
  | { satisfied: true; identities: string[] }
  | {
      satisfied: false;
      reason: 'domain' | 'authentication_timeout' | 'mfa';
      message: string;
      /** the include domains a fresh login could come from (wildcards left out: a login names one domain) */
      requiredSingleDomain: string[];
      /** identities that would satisfy the policy after a fresh authentication */
      requiredIdentities: string[];
      requiredMfa: boolean;
    };

/** A domain pattern of a policy: a host name whose labels may be `*` wildcards (`*.edu`). */
export const DOMAIN_PATTERN = '^(\\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.(\\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?))*$';

/** Whether `domain` matches `pattern`, case-insensitively; `*` stands for one or more labels (`*.edu` matches `cs.uchicago.edu`, not `edu`). */
export function domainMatches(pattern: string, domain: string): boolean {
  const p = pattern.toLowerCase();
  const d = domain.toLowerCase();
  if (!p.includes('*')) return p === d;
  const source = p
    .split('.')
    .map((label) => (label === '*' ? '[^.]+(?:\\.[^.]+)*' : label.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
    .join('\\.');
  return new RegExp(`^${source}$`).test(d);
}

/** Include (empty: all) then exclude: a domain in both lists is excluded. */
export function domainAllowed(policy: Pick<AuthPolicyRules, 'domain_constraints_include' | 'domain_constraints_exclude'>, domain: string): boolean {
  const include = policy.domain_constraints_include ?? [];
  const exclude = policy.domain_constraints_exclude ?? [];
  if (include.length > 0 && !include.some((p) => domainMatches(p, domain))) return false;
  return !exclude.some((p) => domainMatches(p, domain));
}

/**
 * Which of the caller's identities satisfy the policy (GCS auth-policy docs): an identity from an
 * included, not excluded domain; for a high-assurance policy also authenticated within
 * `authentication_assurance_timeout`, and with MFA when `required_mfa`. Gatehouse logins have no
 * second factor, so a high-assurance policy requiring MFA is never satisfied: refusing is the only
 * answer that does not weaken what the policy's author asked for.
 */
export function evaluatePolicy(policy: AuthPolicyRules, identities: readonly PolicyIdentity[], now: number): PolicyOutcome {
  const inDomain = identities.filter((i) => domainAllowed(policy, domainOfUsername(i.username)));
  const include = (policy.domain_constraints_include ?? []).filter((d) => !d.includes('*'));
  if (inDomain.length === 0) {
    const where = policy.domain_constraints_include?.length ? ` from ${policy.domain_constraints_include.join(', ')}` : '';
    const except = policy.domain_constraints_exclude?.length ? ` (not from ${policy.domain_constraints_exclude.join(', ')})` : '';
    return {
      satisfied: false,
      reason: 'domain',
      message: `Access needs an identity${where}${except}`,
      requiredSingleDomain: include,
      requiredIdentities: [],
      requiredMfa: policy.high_assurance && policy.required_mfa,
    };
  }
  if (!policy.high_assurance) return { satisfied: true, identities: inDomain.map((i) => i.id) };
  const ids = inDomain.map((i) => i.id);
  if (policy.required_mfa) {
    return {
      satisfied: false,
      reason: 'mfa',
      message: "Access needs a multi-factor authentication, which this server's login does not provide",
      requiredSingleDomain: [],
      requiredIdentities: ids,
      requiredMfa: true,
    };
  }
  const timeout = policy.authentication_assurance_timeout;
  const fresh = timeout === null ? inDomain : inDomain.filter((i) => i.authenticatedAt !== undefined && now - i.authenticatedAt <= timeout);
  if (fresh.length === 0) {
    return {
      satisfied: false,
      reason: 'authentication_timeout',
      message: `Access needs an authentication within the last ${timeout} seconds`,
      requiredSingleDomain: [],
      requiredIdentities: ids,
      requiredMfa: false,
    };
  }
  return { satisfied: true, identities: fresh.map((i) => i.id) };
}

/**
 * Gatehouse has no Auth projects: a policy is managed by the identity that created it (any identity of
 * its set) and by the server's administrators (endpoint owner or administrator); policies made by local
 * administration (`gatehouse auth policy`) have no creator and only the administrators manage them.
 */
export function canManagePolicy(policy: { created_by: string | null }, caller: { identitySet: readonly string[]; serverAdmin: boolean }): boolean {
  return caller.serverAdmin || (policy.created_by !== null && caller.identitySet.includes(policy.created_by));
}
