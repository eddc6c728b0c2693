// AuthClient: Globus Auth resource APIs (identities, consents, policies, userinfo, OIDC discovery, JWKS).
import { BaseClient, urlPath } from '../core/base-client.ts';
import type { BaseClientOptions } from '../core/base-client.ts';
import { getServiceUrl } from '../core/config.ts';
import { AuthAPIError } from '../core/errors.ts';
import type {
  ConsentsResponse,
  IdentitiesResponse,
  Identity,
  JWKSet,
  OpenIDConfiguration,
  PoliciesResponse,
  PolicyCreate,
  PolicyResponse,
  PolicyUpdate,
  UserinfoResponse,
} from './types.ts';

export interface AuthClientOptions extends BaseClientOptions {
  /** A Globus environment name (default GLOBUS_SDK_ENVIRONMENT or production). */
  environment?: string;
}

/** Identities per GET /v2/api/identities call, as the Python IdentityMap batches them. */
export const IDENTITY_BATCH_SIZE = 100;

function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? [value] : [...value];
  return items
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export class AuthClient extends BaseClient {
  constructor(options: AuthClientOptions = {}) {
    super(options, {
      serviceName: 'auth',
      baseUrl: getServiceUrl('auth', { baseUrl: options.baseUrl, environment: options.environment }),
      errorClass: AuthAPIError,
    });
  }

  /**
   * GET /v2/api/identities?ids=…|usernames=…[&provision=true] — batched into calls of 100 and merged.
   * Unknown ids/usernames are simply absent from the result.
   */
  async getIdentities(params: { ids?: string | readonly string[]; usernames?: string | readonly string[]; provision?: boolean }): Promise<IdentitiesResponse> {
    const ids = splitList(params.ids);
    const usernames = splitList(params.usernames);
    if (ids.length && usernames.length) throw new TypeError('getIdentities: pass ids or usernames, not both');
    const [key, values] = ids.length ? (['ids', ids] as const) : (['usernames', usernames] as const);
    if (!values.length) return { identities: [] };
    const identities: Identity[] = [];
    for (let i = 0; i < values.length; i += IDENTITY_BATCH_SIZE) {
      const page = await this.get<IdentitiesResponse>('v2/api/identities', {
        query: { [key]: values.slice(i, i + IDENTITY_BATCH_SIZE), provision: params.provision },
      });
      identities.push(...(page?.identities ?? []));
    }
    return { identities };
  }

  /** GET /v2/api/identities/{identity_id} → `{identity: {...}}` */
  getIdentity(identityId: string): Promise<{ identity: Identity }> {
    return this.get(urlPath`v2/api/identities/${identityId}`);
  }

  /**
   * GET /v2/api/identities/{identity_id}/consents?all=True|False — sent with the capitalised
   * booleans the Python SDK uses, which real Globus Auth is known to accept.
   */
  getConsents(identityId: string, options: { all?: boolean } = {}): Promise<ConsentsResponse> {
    return this.get(urlPath`v2/api/identities/${identityId}/consents`, {
      query: { all: options.all === undefined ? undefined : options.all ? 'True' : 'False' },
    });
  }

  /** GET /v2/api/policies → `{policies: [...]}`: the policies the caller manages (needs the manage_projects scope, as every policy call). */
  getPolicies(): Promise<PoliciesResponse> {
    return this.get('v2/api/policies');
  }

  /** GET /v2/api/policies/{policy_id} → `{policy: {...}}` */
  getPolicy(policyId: string): Promise<PolicyResponse> {
    return this.get(urlPath`v2/api/policies/${policyId}`);
  }

  /** POST /v2/api/policies with `{policy: {...}}` → `{policy: {...}}` */
  createPolicy(policy: PolicyCreate): Promise<PolicyResponse> {
    return this.post('v2/api/policies', { policy });
  }

  /** PUT /v2/api/policies/{policy_id} with `{policy: {...changed fields}}` → `{policy: {...}}`; `null` clears a domain list or the timeout. */
  updatePolicy(policyId: string, changes: PolicyUpdate): Promise<PolicyResponse> {
    return this.put(urlPath`v2/api/policies/${policyId}`, { policy: changes });
  }

  /** DELETE /v2/api/policies/{policy_id} → `{policy: {...}}` (the deleted policy) */
  deletePolicy(policyId: string): Promise<PolicyResponse> {
    return this.delete(urlPath`v2/api/policies/${policyId}`);
  }

  /** GET /v2/oauth2/userinfo (needs an auth.globus.org token with openid). */
  oauth2Userinfo(): Promise<UserinfoResponse> {
    return this.get('v2/oauth2/userinfo');
  }

  /** GET /.well-known/openid-configuration */
  getOpenIdConfiguration(): Promise<OpenIDConfiguration> {
    return this.get('.well-known/openid-configuration');
  }

  /** GET <jwks_uri> (absolute, from the OpenID configuration, fetched first when not given). */
  async getJwks(openidConfiguration?: OpenIDConfiguration): Promise<JWKSet> {
    const config = openidConfiguration ?? (await this.getOpenIdConfiguration());
    return this.get<JWKSet>(config.jwks_uri);
  }
}
