// AuthLoginClient: what confidential and native clients share — token endpoint, authorize URL, revoke, validate.
import { AuthClient } from './client.ts';
import type { AuthClientOptions } from './client.ts';
import type { FormParams } from '../core/transport.ts';
import { GlobusError } from '../core/errors.ts';
import { OAuthTokenResponse } from './response.ts';
import type { TokenResponseData } from './response.ts';

/**
 * Extra parameters for the authorize URL. The names match GlobusAPIError.authorizationParameters,
 * so `client.oauth2GetAuthorizeUrl(err.authorizationParameters)` re-prompts with a GARE's requirements.
 */
export interface AuthorizeUrlParams {
  sessionRequiredIdentities?: string | readonly string[];
  sessionRequiredSingleDomain?: string | readonly string[];
  sessionRequiredPolicies?: string | readonly string[];
  sessionRequiredMfa?: boolean;
  sessionMessage?: string;
  /** e.g. "login" to force a fresh authentication. */
  prompt?: string;
  /** When given, requested instead of the flow's scopes. */
  requiredScopes?: readonly string[];
  /** Anything else to append verbatim. */
  queryParams?: Record<string, string>;
}

/** State of a started authorization-code flow. */
export interface AuthorizationFlow {
  redirectUri: string;
  /** Space-joined requested scopes. */
  scopes: string;
  state: string;
  /** access_type=offline (refresh tokens) when true. */
  refreshTokens: boolean;
  prefillNamedGrant?: string;
  /** PKCE (public clients only). */
  verifier?: string;
  challenge?: string;
}

const csv = (v: string | readonly string[]) => (typeof v === 'string' ? v : v.join(','));

export class AuthLoginClient extends AuthClient {
  readonly clientId: string;
  /** Set by oauth2StartFlow; used by oauth2GetAuthorizeUrl and oauth2ExchangeCodeForTokens. */
  currentFlow: AuthorizationFlow | undefined;

  constructor(clientId: string, options: AuthClientOptions = {}) {
    super(options);
    this.clientId = clientId;
  }

  /** POST /v2/oauth2/token with a form body; wraps the answer in OAuthTokenResponse. */
  async oauth2Token(form: FormParams): Promise<OAuthTokenResponse> {
    const response = await this.request<TokenResponseData>({ method: 'POST', path: 'v2/oauth2/token', form });
    return new OAuthTokenResponse(response.data, { httpStatus: response.httpStatus });
  }

  /** Builds (no request) the GET /v2/oauth2/authorize URL for the current flow. */
  oauth2GetAuthorizeUrl(params: AuthorizeUrlParams = {}): string {
    const flow = this.requireFlow();
    const url = new URL(this.url('v2/oauth2/authorize'));
    const q = url.searchParams;
    q.set('client_id', this.clientId);
    q.set('redirect_uri', flow.redirectUri);
    q.set('scope', params.requiredScopes?.length ? params.requiredScopes.join(' ') : flow.scopes);
    q.set('state', flow.state);
    q.set('response_type', 'code');
    if (flow.challenge) {
      q.set('code_challenge', flow.challenge);
      q.set('code_challenge_method', 'S256');
    }
    q.set('access_type', flow.refreshTokens ? 'offline' : 'online');
    if (flow.prefillNamedGrant) q.set('prefill_named_grant', flow.prefillNamedGrant);
    if (params.sessionRequiredIdentities?.length) q.set('session_required_identities', csv(params.sessionRequiredIdentities));
    if (params.sessionRequiredSingleDomain?.length) q.set('session_required_single_domain', csv(params.sessionRequiredSingleDomain));
    if (params.sessionRequiredPolicies?.length) q.set('session_required_policies', csv(params.sessionRequiredPolicies));
    // Capitalised like the Python SDK, the form Globus Auth documents.
    if (params.sessionRequiredMfa !== undefined) q.set('session_required_mfa', params.sessionRequiredMfa ? 'True' : 'False');
    if (params.sessionMessage) q.set('session_message', params.sessionMessage);
    if (params.prompt) q.set('prompt', params.prompt);
    for (const [k, v] of Object.entries(params.queryParams ?? {})) q.set(k, v);
    return url.toString();
  }

  /** POST /v2/oauth2/token/revoke `token=…` (public clients add `client_id`). */
  oauth2RevokeToken(token: string): Promise<{ active: boolean }> {
    return this.post('v2/oauth2/token/revoke', undefined, { form: this.withClientId({ token }) });
  }

  /** POST /v2/oauth2/token/validate `token=…&client_id=…` → `{active}`. */
  oauth2ValidateToken(token: string): Promise<{ active: boolean }> {
    return this.post('v2/oauth2/token/validate', undefined, { form: { token, client_id: this.clientId } });
  }

  /** Form fields public clients add to identify themselves; confidential clients use Basic auth instead. */
  protected withClientId(form: FormParams): FormParams {
    return form;
  }

  protected requireFlow(): AuthorizationFlow {
    if (!this.currentFlow) throw new GlobusError('no authorization flow started: call oauth2StartFlow() first');
    return this.currentFlow;
  }
}
