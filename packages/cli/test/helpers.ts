// CLI test helpers: run the real `gatehouse` binary as a child process with a private HOME and config dir.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { TestServer } from '../../server/test/helpers/server.ts';

export const BIN = fileURLToPath(new URL('../bin/gatehouse.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (undefined when it is not JSON). */
  json: any;
}

/** A throwaway HOME (and XDG_CONFIG_HOME under it) so tests never touch the real user's tokens. */
export function tempHome(): { home: string; configHome: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-home-'));
  const configHome = path.join(home, '.config');
  return { home, configHome, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Environment for a child: inherited minus every GATEHOUSE_* / GLOBUS_* setting of the developer, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(GATEHOUSE_|GLOBUS_|DISPLAY$|NODE_EXTRA_CA_CERTS$)/.test(k)) base[k] = v;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

/** Starts the CLI; the caller talks to stdin/stdout itself (must be async: the test server runs in this process). */
export function start(args: string[], env: Record<string, string | undefined>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: 'pipe' });
}

export function finish(child: ChildProcessWithoutNullStreams, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: any;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

export function run(args: string[], env: Record<string, string | undefined>, input = ''): Promise<RunResult> {
  return finish(start(args, env), input);
}

/** Resolves with everything written to a stream once `pattern` matches it. */
export function waitFor(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(match);
      }
    };
    stream.on('data', onData);
  });
}

/** The hidden inputs of the server's login form, as name → value. */
export function hiddenFields(html: string): Record<string, string> {
  const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[decode(m[1])] = decode(m[2]);
  return fields;
}

export function assertOk(result: RunResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

/** Drives `gatehouse login --no-browser [extra…]` the way a person would: open the URL, sign in, paste the code. */
export async function cliLogin(
  server: TestServer,
  env: Record<string, string | undefined>,
  /** undefined: no --client-id (the CLI's own public client, or GATEHOUSE_LOGIN_CLIENT_ID) */
  clientId: string | undefined,
  username: string,
  password: string,
  extra: string[] = [],
) {
  const child = start(['-F', 'json', 'login', '--no-browser', ...(clientId ? ['--client-id', clientId] : []), ...extra], env);
  const done = finish(child);
  try {
    return await signIn(server, child, username, password, done);
  } catch (error) {
    // A login that cannot complete must not leave the command waiting for a code (and the test file open).
    child.kill();
    await done.catch(() => {});
    throw error;
  }
}

async function signIn(server: TestServer, child: ReturnType<typeof start>, username: string, password: string, done: ReturnType<typeof finish>) {
  const [url] = await waitFor(child.stderr, /https:\/\/\S+\/v2\/oauth2\/authorize\?\S+/);
  const page = await server.fetch(url);
  assert.equal(page.status, 200);
  const form = { ...hiddenFields(await page.text()), username, password, decision: 'allow' };
  const posted = await server.fetch(`${server.url}/v2/oauth2/authorize`, {
    method: 'POST',
    // The page's __Host- cookie goes back with the form, as a browser sends it (login CSRF protection).
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
    },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  assert.equal(posted.status, 302, await posted.text());
  const location = new URL(posted.headers.get('location')!);
  assert.equal(location.pathname, '/v2/web/auth-code');
  const code = location.searchParams.get('code');
  assert.ok(code, location.toString());
  child.stdin.end(`${code}\n`);
  return done;
}

/** The CLI as a client-credentials identity against `server`, with a private HOME; JSON unless told text. */
export function cliAs(getServer: () => TestServer, getHome: () => { home: string; configHome: string }) {
  const cli = (actor: { id: string; secret: string }, args: string[], format: 'json' | 'text' = 'json'): Promise<RunResult> => {
    const server = getServer();
    const home = getHome();
    return run(['-F', format, ...args], {
      HOME: home.home,
      XDG_CONFIG_HOME: home.configHome,
      GATEHOUSE_URL: server.url,
      GATEHOUSE_CA_FILE: server.caPath,
      GATEHOUSE_CLIENT_ID: actor.id,
      GATEHOUSE_CLIENT_SECRET: actor.secret,
    });
  };
  const ok = async (actor: { id: string; secret: string }, args: string[], format: 'json' | 'text' = 'json') => {
    const result = await cli(actor, args, format);
    assertOk(result, args.join(' '));
    return result;
  };
  return { cli, ok };
}
