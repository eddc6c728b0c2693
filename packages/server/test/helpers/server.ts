// Test harness: a real server on an ephemeral port, on a fresh SQLite file or a fresh PostgreSQL database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { resolveConfig, startServer, createClient, createUser, type ConfigInput, type RunningServer } from '@gatehouse/server';

/** Set by .ci/run for the PostgreSQL pass: every server then gets its own new database. */
export const TEST_DATABASE_URL = process.env.GATEHOUSE_TEST_DATABASE_URL;
export const storeName = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!TEST_DATABASE_URL) return undefined;
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestServer extends RunningServer {
  dataDir: string;
  ca: string;
  endpointId: string;
  adminPassword: string;
  databaseUrl?: string;
  /** fetch that trusts this server's CA */
  fetch: typeof fetch;
  dispatcher: Agent;
  stop(): Promise<void>;
}

export function trustingFetch(ca: string): { fetch: typeof fetch; dispatcher: Agent } {
  const dispatcher = new Agent({ connect: { ca } });
  const f = ((input: any, init?: any) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
  return { fetch: f, dispatcher };
}

export interface TestServerOptions extends ConfigInput {
  database?: { url: string; drop(): Promise<void> };
  /** the server's request log goes here, at info level unless logLevel says otherwise */
  logStream?: DestinationStream;
  /** the server's clock (ms since the epoch) for time-based limits */
  clock?: () => number;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { logStream, clock, ...input } = options;
  const dataDir = input.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const database = input.database ?? (input.databaseUrl ? undefined : await createTestDatabase());
  const config = resolveConfig(
    { host: '127.0.0.1', port: 0, logLevel: logStream ? 'info' : 'silent', ...input, dataDir, databaseUrl: input.databaseUrl ?? database?.url },
    {},
  );
  const server = await startServer(config, { logger: !!logStream, logStream, clock });
  const ca = fs.readFileSync(server.caPath!, 'utf8');
  const { fetch, dispatcher } = trustingFetch(ca);
  return Object.assign(server, {
    dataDir,
    ca,
    endpointId: server.firstStart.endpointId,
    adminPassword: server.firstStart.adminPassword ?? '',
    databaseUrl: config.databaseUrl,
    fetch,
    dispatcher,
    async stop() {
      await server.close();
      await dispatcher.close();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A confidential client made directly in the store, as `gatehouse auth client create` does. */
export async function makeClient(server: RunningServer, name = 'test client'): Promise<{ id: string; secret: string }> {
  const created = await server.store.tx((db) => createClient(db, { name }));
  return { id: created.id, secret: created.secret! };
}

export async function makeUser(server: RunningServer, username: string, password = 'correct horse battery staple') {
  return server.store.tx((db) => createUser(db, { username, password }));
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** POST a form to the token endpoint (or any /v2/oauth2 route). */
export async function postForm(server: TestServer, route: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await server.fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

export async function clientCredentials(server: TestServer, client: { id: string; secret: string }, scope: string) {
  const res = await postForm(server, '/v2/oauth2/token', { grant_type: 'client_credentials', scope }, { authorization: basic(client.id, client.secret) });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getJson(server: TestServer, route: string, token?: string, init: RequestInit = {}) {
  const res = await server.fetch(`${server.url}${route}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

/** The command-line entry point: what an operator runs, for tests that start whole server processes. */
export const CLI = path.resolve(import.meta.dirname, '../../../cli/bin/gatehouse.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  info: any;
}

/** A `gatehouse serve` process on a data directory (and database); `--format json` prints one JSON line with its URL on stderr once listening. */
export async function serveProcess(dataDir: string, databaseUrl?: string): Promise<ServerProcess> {
  const env = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
  if (databaseUrl) env.GATEHOUSE_DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [CLI, '--format', 'json', 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = createInterface({ input: child.stderr! });
  for await (const line of lines) {
    if (line.startsWith('{') && line.includes('"url"')) {
      const info = JSON.parse(line);
      return { child, url: info.url, info };
    }
  }
  throw new Error('server exited before listening');
}

export async function stopProcess(p: ServerProcess) {
  if (p.child.exitCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const [code] = await once(p.child, 'exit');
  return code;
}

/** The hidden inputs of the server's login form, as name → value. */
export function hiddenFields(html: string): Record<string, string> {
  const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[decode(m[1])] = decode(m[2]);
  return fields;
}

/** `name=value` pairs of a response's Set-Cookie headers, ready for a Cookie header. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/**
 * Signs in through the login form as a browser does: GET the authorize page (keeping the cookies it sets),
 * then POST its hidden fields with the credentials. Returns the POST's response (302 with a code on success).
 */
export async function signIn(
  server: TestServer,
  params: Record<string, string>,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const page = await server.fetch(`${server.url}/v2/oauth2/authorize?${new URLSearchParams(params)}`);
  if (page.status !== 200) throw new Error(`login page: ${page.status} ${await page.text()}`);
  const form = { ...hiddenFields(await page.text()), username, password, decision: 'allow' };
  return server.fetch(`${server.url}/v2/oauth2/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(page), origin: new URL(server.url).origin, ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** signIn that must succeed: the code from its redirect. */
export async function signInForCode(server: TestServer, params: Record<string, string>, username: string, password: string): Promise<string> {
  const res = await signIn(server, params, username, password);
  if (res.status !== 302) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const code = new URL(res.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`no code in ${res.headers.get('location')}`);
  return code;
}

/**
 * What a browser does with a file link it has no token for, over plain HTTP: the data plane's redirect to
 * Auth, the login form, the collection's login callback, then the file with the session cookie. Each
 * hop must answer as the flow expects; the last response is returned with the URLs it passed.
 */
export async function followBrowserSignIn(
  server: TestServer,
  fileUrl: string,
  username: string,
  password: string,
  /** how the browser reaches the data plane's names (a collection's own host name needs its DNS) */
  browserFetch: typeof fetch = server.fetch,
): Promise<{ res: Response; hops: string[] }> {
  const hops: string[] = [];
  const step = async (url: string, cookie?: string) => {
    hops.push(url);
    return browserFetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  };
  const start = await step(fileUrl);
  if (start.status !== 302) throw new Error(`the file link answered ${start.status}, not the redirect to Auth`);
  const authorize = new URL(start.headers.get('location')!);
  const loginCookie = cookiesOf(start);
  // The form is posted from the page Auth served, on Auth's public origin.
  const signedIn = await signIn(server, Object.fromEntries(authorize.searchParams), username, password, { origin: authorize.origin });
  if (signedIn.status !== 302) throw new Error(`sign-in answered ${signedIn.status}: ${await signedIn.text()}`);
  const callback = await step(signedIn.headers.get('location')!, loginCookie);
  if (callback.status !== 302) throw new Error(`the login callback answered ${callback.status}: ${await callback.text()}`);
  const back = new URL(callback.headers.get('location')!, fileUrl).toString();
  return { res: await step(back, cookiesOf(callback)), hops };
}
