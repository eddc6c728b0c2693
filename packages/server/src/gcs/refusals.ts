// GCS refusals several routes share: subscription_required, and a storage gateway's refusal of the caller's identity.
import { gcsError } from './envelope.ts';
import { gcsErrors } from './errors.ts';
import type { ApiError } from '../http/errors.ts';
import type { GatewayIdentityDenial } from '../authz/gcs.ts';

export function subscriptionRequired(message: string): ApiError {
  return gcsErrors.error('subscription_required', message, {
    detail: { DATA_TYPE: 'subscription_required#1.0.0', subscription_level: 'standard', add_ons: [] },
  });
}

/** A gateway's refusal of an identity (domain, authentication timeout, user lists) in its GCS document. */
export function gatewayIdentityRefusal(denial: GatewayIdentityDenial): ApiError {
  if (denial.kind === 'not_from_allowed_domain')
    return gcsError(403, 'Caller has no identity from an allowed domain', {
      DATA_TYPE: 'not_from_allowed_domain#1.0.0',
      allowed_domains: denial.allowed_domains,
    });
  if (denial.kind === 'authentication_timeout') {
    return gcsError(
      403,
      'Authentication timeout',
      { DATA_TYPE: 'authentication_timeout#1.1.0', identities: denial.identities, high_assurance: denial.high_assurance, require_mfa: denial.require_mfa },
      {
        authorization_parameters: {
          session_message: 'Re-authenticate to use this storage gateway',
          session_required_identities: denial.identities,
          session_required_mfa: denial.require_mfa,
        },
      },
    );
  }
  return gcsError(403, 'Invalid user', { DATA_TYPE: 'invalid_user#1.0.0', usernames: denial.usernames });
}
