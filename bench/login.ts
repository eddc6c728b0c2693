// Login benchmark (manual, as root): a data-plane GET's latency idle and during a storm of password sign-ins, against a bare node:https file server in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClient, createUser } from '@gatehouse/server';
import { spawnServer } from './lib/child.ts';
import { request, runLoad, type LoadResult } from './lib/load.ts';
import { loadRows, log, isMain, printTable, type Row } from './lib/report.ts';
import { prepare, forEachStore, type StoreKind } from './lib/store.ts';
import { buildWorld, seed } from './data/world.ts';
import { createAccounts, removeAccounts, plant } from '../packages/server/test/helpers/data.ts';

const FILE_REFERENCE = fileURLToPath(new URL('./data/reference-server.ts', import.meta.url));
const GETS = 300;
const STORM_SOCKETS = 16;
const REDIRECT = 'https://app.example.org/cb';

/**
 * Sign-ins with the right password (each one a full scrypt) on `sockets` connections until stopped, each
 * connection as its own account: attempts on one account in flight together would be throttled, not hashed.
 */
function storm(origin: string, ca: string, forms: Array<{ headers: Record<string, string>; body: string }>, sockets: number) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: sockets, ca });
  let running = true;
  let done = 0;
  let other = 0;
  const t0 = performance.now();
  const loops = Array.from({ length: sockets }, async (_, i) => {
    const form = forms[i % forms.length];
    while (running) {
      const res = await request(agent, origin, '/v2/oauth2/authorize', { method: 'POST', headers: form.headers, body: form.body }).catch(() => undefined);
      if (res?.status === 302) done++;
      else other++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { signIns: done, other, perSecond: done / ((performance.now() - t0) / 1000) };
    },
  };
}

async function benchStore(kind: StoreKind): Promise<Row[]> {
  const [account] = createAccounts(['login']);
  const env = await prepare(kind);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-login-bench-'));
  fs.chmodSync(root, 0o755);
  fs.chownSync(root, account.uid, account.gid);
  plant(root, 'small.txt', 'x'.repeat(4096), account);
  try {
    const seeded = await seed(env);
    const store = await env.open();
    const portal = await store
      .tx(async (db) => {
        for (let i = 0; i < STORM_SOCKETS; i++) await createUser(db, { username: `storm${i}@localhost`, password: 'storm-password-1' });
        return createClient(db, { name: 'bench portal', redirectUris: [REDIRECT] });
      })
      .finally(() => store.close());
    const server = await env.startGatehouse();
    const bare = await spawnServer(FILE_REFERENCE, [env.tls.certPath, env.tls.keyPath, root]);
    const world = await buildWorld({ url: server.url, ca: env.tls.ca, endpointId: env.endpointId, seeded, account: account.name, root });
    const ca = env.tls.ca;

    // The form as a browser has it: the page's cookie and token, reused for every post.
    const agent = new https.Agent({ ca });
    const query = new URLSearchParams({ client_id: portal.id, redirect_uri: REDIRECT, scope: 'openid', response_type: 'code' });
    const page = await request(agent, server.url, `/v2/oauth2/authorize?${query}`, {});
    agent.destroy();
    const cookie = ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const token = /name="login_csrf" value="([^"]+)"/.exec(page.body.toString())?.[1];
    if (!token) throw new Error(`no login form: ${page.status}`);
    const forms = Array.from({ length: STORM_SOCKETS }, (_, i) => ({
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        ...Object.fromEntries(query),
        login_csrf: token,
        username: `storm${i}`,
        password: 'storm-password-1',
        decision: 'allow',
      }).toString(),
    }));

    const get = (origin: string, file: string, headers: Record<string, string>) =>
      runLoad({ origin, path: file, headers, connections: 1, requests: GETS, warmup: 20, ca });
    const gh = `/data/${world.guestId}/small.txt`;
    const auth = { authorization: `Bearer ${world.token}` };
    log(`login/${kind}: data-plane GET idle`);
    const idle: LoadResult = await get(server.url, gh, auth);
    const bareIdle: LoadResult = await get(bare.url, '/small.txt', {});
    log(`login/${kind}: data-plane GET during a sign-in storm (${STORM_SOCKETS} connections)`);
    const s = storm(server.url, ca, forms, STORM_SOCKETS);
    const during: LoadResult = await get(server.url, gh, auth);
    const stats = await s.stop();
    const s2 = storm(server.url, ca, forms, STORM_SOCKETS);
    const bareDuring: LoadResult = await get(bare.url, '/small.txt', {});
    await s2.stop();
    log(`login/${kind}: done, stopping`);
    const rows: Row[] = [];
    rows.push(...loadRows({ bench: 'login', store: kind, scenario: 'GET 4 KiB, idle (ref: bare node:https)' }, idle, bareIdle));
    rows.push(...loadRows({ bench: 'login', store: kind, scenario: 'GET 4 KiB, during storm (ref: same GET idle)' }, during, idle));
    rows.push(...loadRows({ bench: 'login', store: kind, scenario: '(bare node:https GET during storm, ref: idle)' }, bareDuring, bareIdle));
    rows.push({
      bench: 'login',
      store: kind,
      scenario: 'sign-ins during the storm',
      metric: 'per s',
      value: stats.perSecond,
      note: `${stats.signIns} signed in, ${stats.other} other answers`,
    });
    return rows;
  } finally {
    await env.cleanup();
    log(`login/${kind}: servers stopped; removing the bench account`);
    fs.rmSync(root, { recursive: true, force: true });
    removeAccounts([account]);
  }
}

export function run(): Promise<Row[]> {
  if (process.getuid?.() !== 0) throw new Error('bench/login.ts runs as root: it creates a local account for the data-plane collection');
  return forEachStore(benchStore);
}

if (isMain(import.meta.url)) printTable('Login storm vs data plane (ratio: during storm / idle; idle row: Gatehouse / bare node:https)', await run());
