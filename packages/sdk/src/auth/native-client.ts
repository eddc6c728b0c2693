// NativeAppAuthClient: public client using PKCE (S256); identifies itself with a client_id form field, never a secret.
import { AuthLoginClient } from './login-client.ts';
import type { AuthorizationFlow } from './login-client.ts';
import type { AuthClientOptions } from './client.ts';
import type { OAuthTokenResponse } from './response.ts';
import type { FormParams } from '../core/transport.ts';
import { scopesToString } from '../scopes/scope.ts';
import type { ScopeLike } from '../scopes/scope.ts';
import { codeChallengeS256, createCodeVerifier } from './pkce.ts';

/**
 * The public client every Gatehouse server keeps for the `gatehouse` CLI (created at each start when
 * missing), as Globus keeps one for globus-cli: `gatehouse login` needs no client of its own. Public, so
 * the same id everywhere gives nothing away.
 */
export const GATEHOUSE_CLI_CLIENT_ID = 'd8a03074-79df-4ecc-b3fc-3a5e018981b1';

export interface NativeFlowOptions {
  /** Default: `<auth base>/v2/web/auth-code`, a page that shows the code for pasting. */
  redirectUri?: string;
  /** Default: `openid profile email`. */
  requestedScopes?: ScopeLike;
  state?: string;
  /** Supply your own verifier (43–128 chars of [A-Za-z0-9-._~]); default: 43 random chars. */
  verifier?: string;
  refreshTokens?: boolean;
  prefillNamedGrant?: string;
}

export class NativeAppAuthClient extends AuthLoginClient {
  constructor(clientId: string, options: Omit<AuthClientOptions, 'authorizer'> = {}) {
    super(clientId, options);
  }

  /** Starts a PKCE flow (no request): creates verifier and S256 challenge. */
  async oauth2StartFlow(options: NativeFlowOptions = {}): Promise<AuthorizationFlow> {
    const verifier = options.verifier ?? createCodeVerifier();
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new RangeError('PKCE verifier must be 43..128 chars of [A-Za-z0-9-._~]');
    this.currentFlow = {
      redirectUri: options.redirectUri ?? this.url('v2/web/auth-code'),
      scopes: scopesToString(options.requestedScopes ?? 'openid profile email'),
      state: options.state ?? '_default',
      refreshTokens: options.refreshTokens ?? false,
      prefillNamedGrant: options.prefillNamedGrant,
      verifier,
      challenge: await codeChallengeS256(verifier),
    };
    return this.currentFlow;
  }

  /** POST /v2/oauth2/token `client_id&grant_type=authorization_code&code&code_verifier&redirect_uri` */
  oauth2ExchangeCodeForTokens(code: string): Promise<OAuthTokenResponse> {
    const flow = this.requireFlow();
    return this.oauth2Token({
      client_id: this.clientId,
      grant_type: 'authorization_code',
      code,
      code_verifier: flow.verifier,
      redirect_uri: flow.redirectUri,
    });
  }

  /** POST /v2/oauth2/token `refresh_token&grant_type=refresh_token&client_id` */
  oauth2RefreshToken(refreshToken: string): Promise<OAuthTokenResponse> {
    return this.oauth2Token({ refresh_token: refreshToken, grant_type: 'refresh_token', client_id: this.clientId });
  }

  protected override withClientId(form: FormParams): FormParams {
    return { ...form, client_id: this.clientId };
  }
}
