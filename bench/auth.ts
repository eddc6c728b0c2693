// Auth benchmark: client_credentials token issuance and token introspection rates against a bare node:https form handler.
import { createClient } from '@gatehouse/server';
import { runLoad, type LoadOptions, type LoadResult } from './lib/load.ts';
import { loadRows, log, isMain, printTable, type Row } from './lib/report.ts';
import { prepare, type StoreKind, forEachStore } from './lib/store.ts';
import { request } from './lib/load.ts';
import https from 'node:https';

const CONNECTIONS = 16;
const DURATION_MS = 6_000;
const SCOPE = 'urn:globus:auth:scope:groups.api.globus.org:all';

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function benchStore(kind: StoreKind): Promise<Row[]> {
  const env = await prepare(kind);
  try {
    const store = await env.open();
    const client = await store.tx((db) => createClient(db, { name: 'bench client' })).finally(() => store.close());
    // The token endpoint's limit is per client address per minute: far above what the run sends.
    const server = await env.startGatehouse({ BENCH_TOKEN_RATE_LIMIT: '100000000' });
    const reference = await env.startReference();
    const auth = basic(client.id, client.secret!);
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: auth };

    const agent = new https.Agent({ ca: env.tls.ca });
    const issued = await request(agent, server.url, '/v2/oauth2/token', {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString(),
    });
    agent.destroy();
    if (issued.status !== 200) throw new Error(`token request failed: ${issued.status} ${issued.body.toString()}`);
    const token = (JSON.parse(issued.body.toString()) as { access_token: string }).access_token;

    const scenarios: Array<{ name: string; path: string; body: string }> = [
      {
        name: `token issuance (client_credentials), ${CONNECTIONS} conns`,
        path: '/v2/oauth2/token',
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString(),
      },
      { name: `token introspection, ${CONNECTIONS} conns`, path: '/v2/oauth2/token/introspect', body: new URLSearchParams({ token }).toString() },
    ];
    const rows: Row[] = [];
    for (const s of scenarios) {
      const common: Omit<LoadOptions, 'origin' | 'path'> = {
        method: 'POST',
        headers: form,
        body: s.body,
        connections: CONNECTIONS,
        durationMs: DURATION_MS,
        ca: env.tls.ca,
      };
      log(`auth/${kind}: ${s.name}`);
      const measured: LoadResult = await runLoad({ ...common, origin: server.url, path: s.path });
      const ref: LoadResult = await runLoad({ ...common, origin: reference.url, path: s.path });
      rows.push(...loadRows({ bench: 'auth', store: kind, scenario: s.name }, measured, ref));
    }
    return rows;
  } finally {
    await env.cleanup();
  }
}

export function run(): Promise<Row[]> {
  return forEachStore(benchStore);
}

if (isMain(import.meta.url)) printTable('Auth (reference: bare node:https form handler — parse body, one SHA-256, JSON reply)', await run());
