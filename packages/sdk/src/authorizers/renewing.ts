// RenewingAuthorizer base plus RefreshTokenAuthorizer and ClientCredentialsAuthorizer (auto-renew near expiry or after a 401).
import type { Authorizer } from './authorizer.ts';
import type { OAuthTokenResponse, TokenData } from '../auth/response.ts';
import type { ScopeLike } from '../scopes/scope.ts';
import { GlobusError } from '../core/errors.ts';

/** Renew this many seconds before expiry, as the Python SDK does, so in-flight requests don't race it. */
export const EXPIRY_MARGIN_SECONDS = 60;

export type OnRefresh = (token: TokenData, response: OAuthTokenResponse) => void | Promise<void>;

export interface RenewingAuthorizerOptions {
  /** A token already held (skips the first renewal while it is fresh). */
  accessToken?: string;
  /** Its expiry in epoch seconds; without it a given accessToken is trusted until a 401. */
  expiresAt?: number;
  /** Called after every renewal with the new token (persist it here). */
  onRefresh?: OnRefresh;
  /** Which token to take when a response names several resource servers. */
  resourceServer?: string;
}

export abstract class RenewingAuthorizer implements Authorizer {
  accessToken: string | undefined;
  /** Epoch seconds; undefined = unknown (trust until a 401). */
  expiresAt: number | undefined;
  protected readonly onRefresh: OnRefresh | undefined;
  protected readonly resourceServer: string | undefined;
  #pending: Promise<void> | undefined;

  constructor(options: RenewingAuthorizerOptions = {}) {
    this.accessToken = options.accessToken;
    this.expiresAt = options.accessToken ? options.expiresAt : undefined;
    this.onRefresh = options.onRefresh;
    this.resourceServer = options.resourceServer;
  }

  /** Obtains a new token response from Globus Auth. */
  protected abstract fetchTokens(): Promise<OAuthTokenResponse>;

  /** Hook for subclasses to read more from the new token (e.g. a rotated refresh token). */
  protected absorb(_token: TokenData): void {}

  protected needsRenewal(nowSeconds = Date.now() / 1000): boolean {
    if (!this.accessToken) return true;
    return this.expiresAt !== undefined && nowSeconds > this.expiresAt - EXPIRY_MARGIN_SECONDS;
  }

  /** Renews now; concurrent callers share one token request. */
  async renew(): Promise<void> {
    this.#pending ??= this.#doRenew().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #doRenew(): Promise<void> {
    const response = await this.fetchTokens();
    const tokens = response.byResourceServer;
    const names = Object.keys(tokens);
    let token: TokenData | undefined;
    if (this.resourceServer !== undefined) token = tokens[this.resourceServer];
    else if (names.length === 1) token = tokens[names[0]];
    if (!token) {
      throw new GlobusError(
        `token response must name exactly one resource server${this.resourceServer ? ` (or include ${this.resourceServer})` : ''}; got [${names.join(', ')}]`,
      );
    }
    this.accessToken = token.access_token;
    this.expiresAt = token.expires_at_seconds;
    this.absorb(token);
    if (this.onRefresh) await this.onRefresh(token, response);
  }

  async getAuthorizationHeader(): Promise<string | undefined> {
    if (this.needsRenewal()) await this.renew();
    return `Bearer ${this.accessToken}`;
  }

  async handleMissingAuthorization(): Promise<boolean> {
    // Forget the token so the retry renews it.
    this.accessToken = undefined;
    this.expiresAt = undefined;
    return true;
  }
}

/** What RefreshTokenAuthorizer needs from an auth client (NativeAppAuthClient or ConfidentialAppAuthClient). */
export interface RefreshTokenClient {
  oauth2RefreshToken(refreshToken: string): Promise<OAuthTokenResponse>;
}

/** Bearer token renewed with a refresh token; adopts rotated refresh tokens and keeps the old one otherwise. */
export class RefreshTokenAuthorizer extends RenewingAuthorizer {
  refreshToken: string;
  readonly authClient: RefreshTokenClient;

  constructor(refreshToken: string, authClient: RefreshTokenClient, options: RenewingAuthorizerOptions = {}) {
    super(options);
    this.refreshToken = refreshToken;
    this.authClient = authClient;
  }

  protected fetchTokens(): Promise<OAuthTokenResponse> {
    return this.authClient.oauth2RefreshToken(this.refreshToken);
  }

  protected override absorb(token: TokenData): void {
    if (token.refresh_token) this.refreshToken = token.refresh_token;
  }
}

/** What ClientCredentialsAuthorizer needs from an auth client (ConfidentialAppAuthClient). */
export interface ClientCredentialsClient {
  oauth2ClientCredentialsTokens(scopes: ScopeLike): Promise<OAuthTokenResponse>;
}

/** Bearer token for a confidential client's own identity, re-fetched with client_credentials when stale. */
export class ClientCredentialsAuthorizer extends RenewingAuthorizer {
  readonly authClient: ClientCredentialsClient;
  readonly scopes: ScopeLike;

  constructor(authClient: ClientCredentialsClient, scopes: ScopeLike, options: RenewingAuthorizerOptions = {}) {
    super(options);
    this.authClient = authClient;
    this.scopes = scopes;
  }

  protected fetchTokens(): Promise<OAuthTokenResponse> {
    return this.authClient.oauth2ClientCredentialsTokens(this.scopes);
  }
}
