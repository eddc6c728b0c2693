// ConfidentialAppAuthClient: Basic-authenticated client (client credentials, code exchange, refresh, dependent tokens, introspect).
import { AuthLoginClient } from './login-client.ts';
import type { AuthorizationFlow } from './login-client.ts';
import type { AuthClientOptions } from './client.ts';
import { BasicAuthorizer } from '../authorizers/basic.ts';
import { OAuthDependentTokenResponse } from './response.ts';
import type { OAuthTokenResponse, TokenResponseItem } from './response.ts';
import type { IntrospectResponse } from './types.ts';
import { scopesToString } from '../scopes/scope.ts';
import type { ScopeLike } from '../scopes/scope.ts';

export const DEPENDENT_TOKEN_GRANT = 'urn:globus:auth:grant_type:dependent_token';

export class ConfidentialAppAuthClient extends AuthLoginClient {
  constructor(clientId: string, clientSecret: string, options: Omit<AuthClientOptions, 'authorizer'> = {}) {
    super(clientId, { ...options, authorizer: new BasicAuthorizer(clientId, clientSecret) });
  }

  /** POST /v2/oauth2/token `grant_type=client_credentials&scope=…` (one token per resource server). */
  oauth2ClientCredentialsTokens(scopes: ScopeLike): Promise<OAuthTokenResponse> {
    return this.oauth2Token({ grant_type: 'client_credentials', scope: scopesToString(scopes) });
  }

  /** Starts an authorization-code flow (no request); then oauth2GetAuthorizeUrl / oauth2ExchangeCodeForTokens. */
  oauth2StartFlow(
    redirectUri: string,
    scopes: ScopeLike,
    options: { state?: string; refreshTokens?: boolean; prefillNamedGrant?: string } = {},
  ): AuthorizationFlow {
    this.currentFlow = {
      redirectUri,
      scopes: scopesToString(scopes),
      state: options.state ?? '_default',
      refreshTokens: options.refreshTokens ?? false,
      prefillNamedGrant: options.prefillNamedGrant,
    };
    return this.currentFlow;
  }

  /** POST /v2/oauth2/token `grant_type=authorization_code&code=…&redirect_uri=…` */
  oauth2ExchangeCodeForTokens(code: string): Promise<OAuthTokenResponse> {
    const flow = this.requireFlow();
    return this.oauth2Token({ grant_type: 'authorization_code', code, redirect_uri: flow.redirectUri });
  }

  /** POST /v2/oauth2/token `refresh_token=…&grant_type=refresh_token` */
  oauth2RefreshToken(refreshToken: string): Promise<OAuthTokenResponse> {
    return this.oauth2Token({ refresh_token: refreshToken, grant_type: 'refresh_token' });
  }

  /**
   * POST /v2/oauth2/token `grant_type=urn:globus:auth:grant_type:dependent_token&token=…[&scope=…][&access_type=offline]`
   * — the answer is a bare array, one token per dependent resource server.
   */
  async oauth2GetDependentTokens(token: string, options: { scope?: ScopeLike; refreshTokens?: boolean } = {}): Promise<OAuthDependentTokenResponse> {
    const response = await this.request<TokenResponseItem[]>({
      method: 'POST',
      path: 'v2/oauth2/token',
      form: {
        grant_type: DEPENDENT_TOKEN_GRANT,
        token,
        scope: options.scope === undefined ? undefined : scopesToString(options.scope),
        access_type: options.refreshTokens ? 'offline' : undefined,
      },
    });
    return new OAuthDependentTokenResponse(Array.isArray(response.data) ? response.data : [], { httpStatus: response.httpStatus });
  }

  /** POST /v2/oauth2/token/introspect `token=…[&include=identity_set,…]` */
  oauth2TokenIntrospect(token: string, options: { include?: string | readonly string[] } = {}): Promise<IntrospectResponse> {
    const include = options.include === undefined ? undefined : typeof options.include === 'string' ? options.include : options.include.join(',');
    return this.post('v2/oauth2/token/introspect', undefined, { form: { token, include } });
  }
}
