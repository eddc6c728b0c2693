// Client-side plumbing for commands that talk to a running server: origin, CA trust, transport and per-resource-server authorizers.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Command } from 'commander';
import { Agent, request } from 'undici';
import {
  AccessTokenAuthorizer,
  AuthClient,
  AuthScopes,
  ClientCredentialsAuthorizer,
  ConfidentialAppAuthClient,
  GroupsClient,
  GroupsScopes,
  NativeAppAuthClient,
  RefreshTokenAuthorizer,
  TransferClient,
  TransferScopes,
  Transport,
  scopesToString,
  urnScope,
  type Authorizer,
  type TokenData,
  type UserinfoResponse,
} from '@gatehouse/sdk';
import { CliError } from './output.ts';
import { readTokenFile, updateTokenFile, type StoredLogin } from './token-store.ts';

export const DEFAULT_SERVER = 'https://127.0.0.1:8443';
export const AUTH_RS = AuthScopes.resourceServer;
export const GROUPS_RS = GroupsScopes.resourceServer;
export const TRANSFER_RS = TransferScopes.resourceServer;

/** Scopes requested per resource server: what a client-credentials token gets, and what login asks for. */
export function scopesFor(resourceServer: string): string {
  switch (resourceServer) {
    case AUTH_RS:
      return scopesToString([AuthScopes.openid, AuthScopes.profile, AuthScopes.email, AuthScopes.view_identity_set]);
    case GROUPS_RS:
      return String(GroupsScopes.all);
    case TRANSFER_RS:
      return String(TransferScopes.all);
    default:
      // Any other resource server this CLI talks to is a GCS endpoint.
      return String(urnScope(resourceServer, 'manage_collections'));
  }
}

export interface ConnectionOptions {
  server?: string;
  ca?: string;
  dataDir?: string;
}

/** `--server` / GATEHOUSE_URL / default, reduced to an origin so token-file keys are canonical. */
export function resolveOrigin(server: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = server || env.GATEHOUSE_URL || DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`Invalid server URL ${JSON.stringify(raw)} (expected e.g. ${DEFAULT_SERVER})`, 2);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`Server URL must be https:// (got ${raw})`, 2);
  return url.origin;
}

/**
 * `--ca` / GATEHOUSE_CA_FILE, else the local CA a server on this data dir created. Returns undefined
 * when nothing applies (then the platform roots and NODE_EXTRA_CA_CERTS decide).
 */
export function resolveCaFile(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = options.ca || env.GATEHOUSE_CA_FILE;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new CliError(`CA file ${explicit} does not exist`, 2);
    return path.resolve(explicit);
  }
  const dataDir = options.dataDir || env.GATEHOUSE_DATA_DIR || './gatehouse-data';
  const local = path.resolve(dataDir, 'tls', 'ca.pem');
  return fs.existsSync(local) ? local : undefined;
}

/**
 * The CA to trust for `origin`: one given (--ca, GATEHOUSE_CA_FILE), else the one its stored login
 * trusted (so commands work from any directory), else the local data dir's (the server's own host).
 */
function caFor(login: StoredLogin | undefined, options: ConnectionOptions, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = options.ca || env.GATEHOUSE_CA_FILE;
  const remembered = explicit ? undefined : login?.ca;
  if (remembered) return remembered;
  const file = resolveCaFile(options, env);
  return file ? fs.readFileSync(file, 'utf8') : undefined;
}

/** Connection options as given on the command line (global options) or in the environment. */
export function connectionOptionsOf(command: Command): ConnectionOptions {
  const opts = command.optsWithGlobals() as Record<string, unknown>;
  return { server: opts.server as string | undefined, ca: opts.ca as string | undefined, dataDir: opts.dataDir as string | undefined };
}

type Credentials = { kind: 'client'; clientId: string; clientSecret: string } | { kind: 'user'; login: StoredLogin } | { kind: 'none' };

function credentialsFrom(login: StoredLogin | undefined, env: NodeJS.ProcessEnv): Credentials {
  const clientId = env.GATEHOUSE_CLIENT_ID;
  const clientSecret = env.GATEHOUSE_CLIENT_SECRET;
  if (clientId || clientSecret) {
    if (!clientId || !clientSecret) throw new CliError('Set both GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET (or neither)', 2);
    return { kind: 'client', clientId, clientSecret };
  }
  return login ? { kind: 'user', login } : { kind: 'none' };
}

/** One command's connection to one server. Close it when done so keep-alive sockets don't hold the process. */
export class Session {
  readonly origin: string;
  /** the CA certificate (PEM) trusted besides the public roots: --ca, GATEHOUSE_CA_FILE, the login's, or the local data dir's */
  readonly caPem: string | undefined;
  readonly transport: Transport;
  readonly credentials: Credentials;
  readonly #agent: Agent | undefined;
  readonly #authorizers = new Map<string, Authorizer>();
  #confidential: ConfidentialAppAuthClient | undefined;
  #userinfo: Promise<UserinfoResponse> | undefined;

  constructor(options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    this.origin = resolveOrigin(options.server, env);
    // The token file is read once per command: its login gives both the CA and the credentials.
    const clientCredentials = Boolean(env.GATEHOUSE_CLIENT_ID || env.GATEHOUSE_CLIENT_SECRET);
    const login = clientCredentials && (options.ca || env.GATEHOUSE_CA_FILE) ? undefined : readTokenFile().logins[this.origin];
    this.caPem = caFor(login, options, env);
    if (this.caPem) {
      // Added to, not instead of, the public roots: a Gatehouse behind a public certificate still works.
      this.#agent = new Agent({ connect: { ca: [...tls.rootCertificates, this.caPem] } });
    }
    // Someone is waiting at a prompt: a server that is down or untrusted should fail in about a second,
    // not after the SDK's default five retries (TLS and refused connections are retried like any network error).
    this.transport = new Transport({ dispatcher: this.#agent, appName: 'gatehouse-cli', maxRetries: 2, retryBaseDelayMs: 250 });
    this.credentials = credentialsFrom(login, env);
  }

  /** One GET of `url` as this session connects (its CA), redirects not followed: for the login URL's preflight. */
  async probe(url: string): Promise<{ status: number; location: string | undefined; body: string }> {
    const res = await request(url, { method: 'GET', dispatcher: this.#agent, headers: { accept: 'text/html' } });
    const location = res.headers.location;
    return { status: res.statusCode, location: Array.isArray(location) ? location[0] : location, body: await res.body.text() };
  }

  /** Same-origin base URL for every service: Gatehouse serves Auth, Groups, Transfer and GCS from one origin. */
  get baseUrl(): string {
    return this.origin + '/';
  }

  /** A public client for the login flow, refreshes and revocation. */
  nativeClient(clientId: string): NativeAppAuthClient {
    return new NativeAppAuthClient(clientId, { baseUrl: this.baseUrl, transport: this.transport });
  }

  #confidentialClient(clientId: string, clientSecret: string): ConfidentialAppAuthClient {
    this.#confidential ??= new ConfidentialAppAuthClient(clientId, clientSecret, { baseUrl: this.baseUrl, transport: this.transport });
    return this.#confidential;
  }

  /** The Authorization for one resource server; stored user tokens are refreshed and re-persisted as they renew. */
  authorizer(resourceServer: string): Authorizer {
    let authorizer = this.#authorizers.get(resourceServer);
    if (authorizer) return authorizer;
    const creds = this.credentials;
    if (creds.kind === 'client') {
      authorizer = new ClientCredentialsAuthorizer(this.#confidentialClient(creds.clientId, creds.clientSecret), scopesFor(resourceServer), { resourceServer });
    } else if (creds.kind === 'user') {
      const token = creds.login.tokens[resourceServer];
      if (!token) throw new CliError(`No ${resourceServer} token stored for ${this.origin}: run \`gatehouse login\` again`);
      authorizer = this.#storedAuthorizer(creds.login, resourceServer);
    } else {
      throw new CliError(`Not logged in to ${this.origin}: run \`gatehouse login\`, or set GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET`);
    }
    this.#authorizers.set(resourceServer, authorizer);
    return authorizer;
  }

  /**
   * The Authorization for a collection's HTTPS data plane: a token whose resource server is the
   * collection id and whose scopes include all of `scopes` (its `https` scope, plus `data_access` on
   * non-high-assurance mapped collections). Client credentials ask for exactly those; a stored login
   * must already hold them, which `gatehouse login --collection <id>` arranges.
   */
  collectionAuthorizer(collectionId: string, scopes: readonly string[]): Authorizer {
    const key = `${collectionId} ${[...scopes].sort().join(' ')}`;
    let authorizer = this.#authorizers.get(key);
    if (authorizer) return authorizer;
    const creds = this.credentials;
    if (creds.kind === 'client') {
      authorizer = new ClientCredentialsAuthorizer(this.#confidentialClient(creds.clientId, creds.clientSecret), scopes.join(' '), {
        resourceServer: collectionId,
      });
    } else if (creds.kind === 'user') {
      const granted = new Set((creds.login.tokens[collectionId]?.scope ?? '').split(/\s+/));
      if (!scopes.every((s) => granted.has(s))) {
        throw new CliError(`No stored token for collection ${collectionId} with ${scopes.join(' ')}: run \`gatehouse login --collection ${collectionId}\``);
      }
      authorizer = this.#storedAuthorizer(creds.login, collectionId);
    } else {
      throw new CliError(
        `Not logged in to ${this.origin}: run \`gatehouse login --collection ${collectionId}\`, or set GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET`,
      );
    }
    this.#authorizers.set(key, authorizer);
    return authorizer;
  }

  /**
   * Like `authorizer`, but client credentials ask for `scope` (e.g. Transfer with a collection's
   * data_access dependency); a stored login uses its token for the resource server, whose consents were
   * settled at login (`gatehouse login --collection <id>`).
   */
  scopedAuthorizer(resourceServer: string, scope: string): Authorizer {
    if (this.credentials.kind !== 'client') return this.authorizer(resourceServer);
    const key = `${resourceServer} ${scope}`;
    let authorizer = this.#authorizers.get(key);
    if (!authorizer) {
      const { clientId, clientSecret } = this.credentials;
      authorizer = new ClientCredentialsAuthorizer(this.#confidentialClient(clientId, clientSecret), scope, { resourceServer });
      this.#authorizers.set(key, authorizer);
    }
    return authorizer;
  }

  #storedAuthorizer(login: StoredLogin, resourceServer: string): Authorizer {
    const token = login.tokens[resourceServer];
    return token.refresh_token
      ? new RefreshTokenAuthorizer(token.refresh_token, this.nativeClient(login.client_id), {
          accessToken: token.access_token,
          expiresAt: token.expires_at_seconds,
          resourceServer,
          onRefresh: (fresh) => this.#persist(resourceServer, fresh),
        })
      : new AccessTokenAuthorizer(token.access_token);
  }

  #persist(resourceServer: string, fresh: TokenData): void {
    updateTokenFile((data) => {
      const login = data.logins[this.origin];
      // A logout in between wins: never resurrect a login that was removed.
      if (!login) return;
      const previous = login.tokens[resourceServer];
      login.tokens[resourceServer] = { ...fresh, refresh_token: fresh.refresh_token ?? previous?.refresh_token ?? null };
    });
  }

  authClient(): AuthClient {
    return new AuthClient({ baseUrl: this.baseUrl, transport: this.transport, authorizer: this.authorizer(AUTH_RS) });
  }

  groupsClient(): GroupsClient {
    return new GroupsClient({ baseUrl: this.baseUrl, transport: this.transport, authorizer: this.authorizer(GROUPS_RS) });
  }

  /** `scope`: a Transfer scope other than the plain `all` (see scopedAuthorizer). */
  transferClient(scope?: string): TransferClient {
    const authorizer = scope ? this.scopedAuthorizer(TRANSFER_RS, scope) : this.authorizer(TRANSFER_RS);
    return new TransferClient({ baseUrl: this.baseUrl, transport: this.transport, authorizer });
  }

  /** The caller's userinfo (one request per session). */
  userinfo(): Promise<UserinfoResponse> {
    this.#userinfo ??= this.authClient().oauth2Userinfo();
    return this.#userinfo;
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }
}

/** Opens a session from a command's global options, runs `fn`, and always releases the connection pool. */
export async function withSession<T>(command: Command, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = new Session(connectionOptionsOf(command));
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
