// OAuth token responses (by-resource-server view, id_token decoding) including the bare-array dependent-token form.
import { GlobusError } from '../core/errors.ts';

/** One token as the token endpoint sends it. */
export interface TokenResponseItem {
  access_token: string;
  scope: string;
  resource_server: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string | null;
  state?: string;
  id_token?: string;
  [key: string]: unknown;
}

/** Top-level token response: one token inline plus `other_tokens` for further resource servers. */
export interface TokenResponseData extends TokenResponseItem {
  other_tokens?: TokenResponseItem[];
}

/** One resource server's token, normalised (same keys as the Python SDK's by_resource_server). */
export interface TokenData {
  access_token: string;
  scope: string;
  /** Absolute expiry, epoch seconds; a missing `expires_in` counts as already expired. */
  expires_at_seconds: number;
  refresh_token: string | null;
  resource_server: string;
  token_type: string;
}

function toTokenData(item: TokenResponseItem, receivedAtSeconds: number): TokenData {
  return {
    access_token: item.access_token,
    scope: item.scope,
    expires_at_seconds: receivedAtSeconds + (typeof item.expires_in === 'number' ? item.expires_in : 0),
    refresh_token: item.refresh_token ?? null,
    resource_server: item.resource_server,
    token_type: item.token_type ?? 'Bearer',
  };
}

function base64UrlDecode(input: string): string {
  const b64 = input
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(input.length / 4) * 4, '=');
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Decodes (does NOT verify) a JWT's payload. Use only on tokens received directly from the token
 * endpoint over TLS, where the transport already vouches for the issuer.
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new GlobusError('malformed JWT: expected three dot-separated parts');
  let payload: unknown;
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]));
  } catch (cause) {
    throw new GlobusError('malformed JWT payload', { cause });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new GlobusError('malformed JWT payload: not a JSON object');
  }
  return payload as Record<string, unknown>;
}

/** A response of POST /v2/oauth2/token (every grant except the dependent-token grant). */
export class OAuthTokenResponse {
  readonly data: TokenResponseData;
  readonly httpStatus: number;
  /** Epoch seconds when the response arrived; expiry times are computed from it. */
  readonly receivedAtSeconds: number;

  constructor(data: TokenResponseData, options: { httpStatus?: number; receivedAtSeconds?: number } = {}) {
    this.data = data;
    this.httpStatus = options.httpStatus ?? 200;
    this.receivedAtSeconds = options.receivedAtSeconds ?? Math.floor(Date.now() / 1000);
  }

  /** Every token keyed by resource server (top-level token first, then `other_tokens`). */
  get byResourceServer(): Record<string, TokenData> {
    const out: Record<string, TokenData> = {};
    const items = [this.data, ...(Array.isArray(this.data.other_tokens) ? this.data.other_tokens : [])];
    for (const item of items) {
      if (item && typeof item.resource_server === 'string') out[item.resource_server] = toTokenData(item, this.receivedAtSeconds);
    }
    return out;
  }

  /** Tokens keyed by each scope string they carry. */
  get byScopes(): Record<string, TokenData> {
    const out: Record<string, TokenData> = {};
    for (const token of Object.values(this.byResourceServer)) {
      for (const scope of token.scope.split(/\s+/).filter(Boolean)) out[scope] = token;
    }
    return out;
  }

  get idToken(): string | undefined {
    return typeof this.data.id_token === 'string' ? this.data.id_token : undefined;
  }

  /** The id_token's claims, decoded without signature verification (see decodeJwtPayload). */
  decodeIdToken(): Record<string, unknown> {
    const token = this.idToken;
    if (!token) throw new GlobusError('token response has no id_token (was the openid scope requested?)');
    return decodeJwtPayload(token);
  }
}

/** The dependent-token grant's response: a bare JSON array of tokens, one per resource server. */
export class OAuthDependentTokenResponse {
  readonly data: TokenResponseItem[];
  readonly httpStatus: number;
  readonly receivedAtSeconds: number;

  constructor(data: TokenResponseItem[], options: { httpStatus?: number; receivedAtSeconds?: number } = {}) {
    this.data = data;
    this.httpStatus = options.httpStatus ?? 200;
    this.receivedAtSeconds = options.receivedAtSeconds ?? Math.floor(Date.now() / 1000);
  }

  get byResourceServer(): Record<string, TokenData> {
    const out: Record<string, TokenData> = {};
    for (const item of this.data) {
      if (item && typeof item.resource_server === 'string') out[item.resource_server] = toTokenData(item, this.receivedAtSeconds);
    }
    return out;
  }
}
