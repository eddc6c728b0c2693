// `gatehouse login` (PKCE with a public client), `whoami` and `logout` against a running server.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { Command, Option } from 'commander';
import {
  AuthScopes,
  GlobusAPIError,
  GATEHOUSE_CLI_CLIENT_ID,
  GCSCollectionScopes,
  GCSEndpointScopes,
  GroupsScopes,
  TransferScopes,
  type NativeAppAuthClient,
  type ScopeLike,
  type Scope,
} from '@gatehouse/sdk';
import { CliError, print } from '../output.ts';
import { Session, connectionOptionsOf, withSession } from '../session.ts';
import { readTokenFile, tokenFilePath, updateTokenFile, type StoredLogin } from '../token-store.ts';
import { httpsScopes } from './data.ts';

/** The GCS endpoint this server hosts, if it answers /api/info; login then also asks for manage_collections. */
async function endpointIdOf(client: NativeAppAuthClient): Promise<string | undefined> {
  try {
    const info = await client.get<{ data?: Array<{ client_id?: unknown }> }>('api/info', { authorizer: null, retry: false, timeoutMs: 10_000 });
    const id = info?.data?.[0]?.client_id;
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Collections whose HTTPS scope a stored login holds: a new login asks for them again, so that
 * `login --collection B` does not silently drop A's data access.
 */
function loggedInCollections(login: StoredLogin | undefined): string[] {
  if (!login) return [];
  return Object.keys(login.tokens).filter((rs) => login.tokens[rs].scope?.split(/\s+/).includes(`https://auth.globus.org/scopes/${rs}/https`));
}

function loginScopes(endpointId: string | undefined, collections: readonly string[] = []): ScopeLike {
  // Transfer operations (ls, mkdir, rename, rm) on a non-HA mapped collection need its data_access under
  // Transfer; optional, since whether a collection is one is unknown before login.
  let transfer = TransferScopes.all;
  for (const id of collections) transfer = transfer.withDependency(GCSCollectionScopes(id).data_access.withOptional());
  const scopes: Scope[] = [AuthScopes.openid, AuthScopes.profile, AuthScopes.email, AuthScopes.view_identity_set, GroupsScopes.all, transfer];
  // The same uncertainty for get/put: asking for https and data_access fits every kind of collection.
  for (const id of collections) scopes.push(GCSCollectionScopes(id).https, GCSCollectionScopes(id).data_access);
  if (endpointId) {
    try {
      // Creating a guest collection of a mapped one needs its data_access under manage_collections.
      let manage = GCSEndpointScopes(endpointId).manage_collections;
      for (const id of collections) manage = manage.withDependency(GCSCollectionScopes(id).data_access.withOptional());
      scopes.push(manage);
    } catch {
      // An id that cannot be a scope name is a server quirk, not a reason to refuse the login.
    }
  }
  return scopes;
}

/**
 * The remembered collections (loggedInCollections) that still exist: a deleted one's scope would make
 * the whole login fail, so it is dropped, and said. Any other answer keeps it.
 */
async function existingCollections(session: Session, ids: string[]): Promise<string[]> {
  if (ids.length === 0 || session.credentials.kind !== 'user') return ids;
  const kept: string[] = [];
  for (const id of ids) {
    try {
      await session.transferClient().getEndpoint(id);
      kept.push(id);
    } catch (error) {
      if (error instanceof GlobusAPIError && error.httpStatus === 404)
        process.stderr.write(`Collection ${id} no longer exists: its access is not asked for again.\n`);
      else kept.push(id);
    }
  }
  return kept;
}

/**
 * The login URL as the server answers it before anyone signs in: a request it refuses (a scope it does
 * not know) comes back as an error redirect, which is this command's error now — not a page the person
 * is left on while the command waits for a code.
 */
async function preflight(session: Session, url: string): Promise<void> {
  let answer;
  try {
    answer = await session.probe(url);
  } catch {
    return; // the login itself will say what is wrong with the connection
  }
  const error = answer.location ? new URL(answer.location, url).searchParams : undefined;
  if (answer.status >= 300 && answer.status < 400 && error?.get('error'))
    throw new CliError(`The server refused the login: ${error.get('error')}${error.get('error_description') ? `: ${error.get('error_description')}` : ''}`);
  if (answer.status >= 400) throw new CliError(`The server refused the login (HTTP ${answer.status}): ${answer.body.slice(0, 500)}`);
}

function collectionId(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    throw new CliError(`--collection must be a collection id (UUID), got ${value}`, 2);
  return value.toLowerCase();
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // The URL is printed anyway.
  }
}

/** First line of stdin, or undefined at end of input. */
async function readLine(): Promise<string | undefined> {
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return undefined;
  } finally {
    rl.close();
    process.stdin.pause();
  }
}

/** Accepts the bare code or, for convenience, the whole redirect URL pasted from the browser. */
function extractCode(input: string): string {
  const text = input.trim();
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text);
    const error = url.searchParams.get('error');
    if (error) throw new CliError(`Login failed: ${error}`);
    const code = url.searchParams.get('code');
    if (code) return code;
  }
  return text;
}

/** Best effort: a server that is gone or already forgot the token must not block removing it locally. */
async function revokeLogin(session: Session, login: StoredLogin): Promise<{ revoked: string[]; failed: Array<{ resource_server: string; error: string }> }> {
  const client = session.nativeClient(login.client_id);
  const revoked: string[] = [];
  const failed: Array<{ resource_server: string; error: string }> = [];
  for (const [rs, token] of Object.entries(login.tokens)) {
    try {
      await client.oauth2RevokeToken(token.access_token);
      // Revoking the refresh token ends the whole grant, including access tokens already handed out.
      if (token.refresh_token) await client.oauth2RevokeToken(token.refresh_token);
      revoked.push(rs);
    } catch (error) {
      failed.push({ resource_server: rs, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { revoked, failed };
}

export function loginCommand(): Command {
  return new Command('login')
    .description('log in to the server in a browser (OAuth2 authorization code with PKCE) and store the tokens')
    .addOption(
      new Option('--client-id <id>', "public (native) client to log in with (default: the CLI's own, which every server keeps)")
        .env('GATEHOUSE_LOGIN_CLIENT_ID')
        .default(GATEHOUSE_CLI_CLIENT_ID, "the CLI's own"),
    )
    .option('--browser', 'open the login page in a browser')
    .option('--no-browser', 'only print the login URL (default when there is no DISPLAY)')
    .option('--collection <id>', "also get a token for this collection's HTTPS data access (`get`, `put`); repeatable", (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .action(async (opts, cmd: Command) => {
      await withSession(cmd, async (session) => {
        const client = session.nativeClient(opts.clientId);
        const endpointId = await endpointIdOf(client);
        const asked = ((opts.collection as string[] | undefined) ?? []).map(collectionId);
        const remembered = (await existingCollections(session, loggedInCollections(readTokenFile().logins[session.origin]))).filter(
          (id) => !asked.includes(id),
        );
        const collections = [...new Set([...asked, ...remembered])];
        await client.oauth2StartFlow({
          redirectUri: `${session.origin}/v2/web/auth-code`,
          requestedScopes: loginScopes(endpointId, collections),
          refreshTokens: true,
        });
        const url = client.oauth2GetAuthorizeUrl();
        await preflight(session, url);
        const browser = opts.browser === true || (opts.browser !== false && !!process.env.DISPLAY);
        if (browser) openBrowser(url);
        // stderr, so that stdout carries only the result (JSON with --format json).
        process.stderr.write(
          `${browser ? 'A browser should open; if it does not, open' : 'Open'} this URL to log in:\n\n  ${url}\n\nThen enter the code shown: `,
        );
        const line = await readLine();
        const code = line === undefined ? '' : extractCode(line);
        if (!code) throw new CliError('No authorization code entered');
        const tokens = await client.oauth2ExchangeCodeForTokens(code);
        const byRs = tokens.byResourceServer;
        let identity: Record<string, unknown> = {};
        if (tokens.idToken) identity = tokens.decodeIdToken();
        const login: StoredLogin = {
          client_id: opts.clientId,
          identity_id: typeof identity.sub === 'string' ? identity.sub : undefined,
          username: typeof identity.preferred_username === 'string' ? identity.preferred_username : undefined,
          tokens: byRs,
          ...(session.caPem ? { ca: session.caPem } : {}),
        };
        const previous = readTokenFile().logins[session.origin];
        updateTokenFile((data) => {
          data.logins[session.origin] = login;
        });
        if (previous) await revokeLogin(session, previous);
        const result = {
          server: session.origin,
          client_id: login.client_id,
          identity_id: login.identity_id ?? null,
          username: login.username ?? null,
          resource_servers: Object.keys(byRs),
          token_file: tokenFilePath(),
        };
        process.stderr.write('\n');
        print(cmd, result, (r) => `Logged in to ${r.server}${r.username ? ` as ${r.username}` : ''}.`);
      });
    });
}

export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('show the identity the CLI acts as (stored login, or GATEHOUSE_CLIENT_ID client credentials)')
    .action(async (_opts, cmd: Command) => {
      await withSession(cmd, async (session) => {
        const info = await session.userinfo();
        print(cmd, info, (i) => String(i.preferred_username ?? i.sub));
      });
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `gatehouse token`: a valid access token for one resource server, refreshed (and the refresh stored) when
 * it is close to expiry, for curl and scripts. A collection id gives the token of its HTTPS data plane
 * (a stored login holds it after `login --collection ID`).
 */
export function tokenCommand(): Command {
  return new Command('token')
    .description('print a valid access token (refreshed when needed), e.g. for curl -H "Authorization: Bearer $(gatehouse token)"')
    .option(
      '--resource-server <rs>',
      'transfer.api.globus.org, auth.globus.org, groups.api.globus.org, the endpoint id, or a collection id (its HTTPS token)',
      TransferScopes.resourceServer,
    )
    .action(async (opts: { resourceServer: string }, cmd: Command) => {
      await withSession(cmd, async (session) => {
        const rs = UUID.test(opts.resourceServer) ? opts.resourceServer.toLowerCase() : opts.resourceServer;
        let authorizer = session.credentials.kind === 'user' && session.credentials.login.tokens[rs] ? session.authorizer(rs) : undefined;
        if (!authorizer && UUID.test(rs)) {
          const record = await session.transferClient().getEndpoint(rs);
          authorizer = record.entity_type === 'GCSv5_endpoint' ? session.authorizer(rs) : session.collectionAuthorizer(rs, httpsScopes(rs, record));
        }
        authorizer ??= session.authorizer(rs);
        const header = await authorizer.getAuthorizationHeader();
        if (!header?.startsWith('Bearer ')) throw new CliError(`No access token for ${rs}`);
        const token = header.slice('Bearer '.length);
        print(cmd, { resource_server: rs, access_token: token }, (r) => r.access_token);
      });
    });
}

export function logoutCommand(): Command {
  return new Command('logout').description('revoke and delete the tokens stored for the server').action(async (_opts, cmd: Command) => {
    const session = new Session(connectionOptionsOf(cmd));
    try {
      const login = readTokenFile().logins[session.origin];
      if (!login) {
        print(cmd, { server: session.origin, logged_out: false, revoked: [], failed: [] }, (r) => `Not logged in to ${r.server}.`);
        return;
      }
      const outcome = await revokeLogin(session, login);
      updateTokenFile((data) => {
        delete data.logins[session.origin];
      });
      for (const f of outcome.failed) process.stderr.write(`Warning: could not revoke the ${f.resource_server} token: ${f.error}\n`);
      print(
        cmd,
        { server: session.origin, logged_out: true, ...outcome },
        (r) => `Logged out of ${r.server}; revoked ${r.revoked.length} of ${Object.keys(login.tokens).length} tokens.`,
      );
    } finally {
      await session.close();
    }
  });
}
