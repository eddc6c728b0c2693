// GCS Manager API benchmark: GET one collection and collection list pages over a store of 100k collections, against a bare node:https JSON handler.
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { createClient } from '@gatehouse/server';
import { POSIX_CONNECTOR } from '../packages/server/src/gcs/constants.ts';
import { encodeMarker } from '../packages/server/src/gcs/envelope.ts';
import { request, runLoad, timeSequential, type LoadResult } from './lib/load.ts';
import { loadRows, log, isMain, printTable, type Row } from './lib/report.ts';
import { analyze, bulkLoadSettings, insertRows, prepare, tableColumns, type BenchEnv, type StoreKind, forEachStore } from './lib/store.ts';
import { assignedDomain, seedIdentities, today } from './lib/seed.ts';

const COLLECTIONS = 100_000;
/** GCS endpoints have a few mapped collections and many guest collections shared from them. */
const MAPPED = 100;
const OWNERS = 1_000;
/** guests the bench client itself administers, so its held roles are not empty */
const OWN_GUESTS = 10;
const CONNECTIONS = 64;
const DURATION_MS = 6_000;
const LATENCY_REQUESTS = 300;

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];

interface Seeded {
  clientId: string;
  clientSecret: string;
  /** a sample of collection ids for GET one and for markers */
  sample: string[];
}

async function seed(env: BenchEnv): Promise<Seeded> {
  const kind = env.kind;
  const store = await env.open();
  try {
    return await store.tx(async (db) => {
      await bulkLoadSettings(db, kind);
      const client = await createClient(db, { name: 'bench client' });
      const now = Math.floor(Date.now() / 1000);
      const gatewayId = randomUUID();
      const gatewayDoc = {
        display_name: 'Bench POSIX gateway',
        allowed_domains: [env.config.identityDomain],
        policies: { DATA_TYPE: 'posix_storage_policies#1.0.0', groups_allow: [], groups_deny: [] },
      };
      await insertRows(
        db,
        kind,
        'storage_gateways',
        ['id', 'connector_id', 'document', 'created_at'],
        [[gatewayId, POSIX_CONNECTOR, JSON.stringify(gatewayDoc), now]],
      );

      const owners = await seedIdentities(db, kind, OWNERS, 'owner', env.config.identityDomain);
      const credentialOf = new Map<string, string>();
      const credentials: unknown[][] = [];
      for (const [i, owner] of [...owners, client.id].entries()) {
        const id = randomUUID();
        credentialOf.set(owner, id);
        credentials.push([id, owner, gatewayId, `owner${i}`, '{}', now]);
      }
      await insertRows(db, kind, 'user_credentials', ['id', 'identity_id', 'storage_gateway_id', 'username', 'document', 'created_at'], credentials);

      // The store's schema decides whether the host name is a column (unique) or a document field.
      const domainColumn = (await tableColumns(db, 'collections')).has('domain_name');
      const collections: unknown[][] = [];
      const roles: unknown[][] = [];
      const mappedIds: string[] = [];
      const sample: string[] = [];
      for (let i = 0; i < COLLECTIONS; i++) {
        const id = randomUUID();
        const mapped = i < MAPPED;
        const owner = mapped ? env.adminId : i < MAPPED + OWN_GUESTS ? client.id : owners[i % OWNERS];
        // The documents POST /api/collections stores: input fields plus assigned domain_name and created_at.
        const doc: Record<string, unknown> = mapped
          ? {
              display_name: `Mapped ${i}`,
              collection_base_path: `/data/project-${i}`,
              public: true,
              allow_guest_collections: true,
              organization: 'Bench University',
              description: `Project ${i} storage`,
              created_at: today(),
            }
          : {
              display_name: `Share ${i}`,
              collection_base_path: `/share-${i}`,
              public: true,
              description: `Data shared by owner ${i % OWNERS}`,
              keywords: ['bench', `k${i % 50}`],
              created_at: today(),
            };
        const domainName = assignedDomain(mapped ? 'm' : 'g', i, env.config.domain);
        if (!domainColumn) doc.domain_name = domainName;
        const mappedId = mapped ? null : pick(mappedIds);
        if (mapped) mappedIds.push(id);
        collections.push([
          id,
          mapped ? 'mapped' : 'guest',
          gatewayId,
          mappedId,
          owner,
          mapped ? null : credentialOf.get(owner)!,
          1,
          JSON.stringify(doc),
          now,
          ...(domainColumn ? [domainName] : []),
        ]);
        // The creator's protected administrator role, as insertCollection makes it.
        roles.push([randomUUID(), id, id, `urn:globus:auth:identity:${owner}`, 'administrator', 1, now]);
        if (sample.length < 1000 && !mapped) sample.push(id);
      }
      await insertRows(
        db,
        kind,
        'collections',
        [
          'id',
          'collection_type',
          'storage_gateway_id',
          'mapped_collection_id',
          'identity_id',
          'user_credential_id',
          'public',
          'document',
          'created_at',
          ...(domainColumn ? ['domain_name'] : []),
        ],
        collections,
      );
      await insertRows(db, kind, 'gcs_roles', ['id', 'collection_id', 'scope_key', 'principal', 'role', 'protected', 'created_at'], roles);
      await analyze(db, kind);
      return { clientId: client.id, clientSecret: client.secret!, sample };
    });
  } finally {
    await store.close();
  }
}

async function managerToken(env: BenchEnv, url: string, s: Seeded): Promise<string> {
  const agent = new https.Agent({ ca: env.tls.ca });
  try {
    const res = await request(agent, url, '/v2/oauth2/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${s.clientId}:${s.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: `urn:globus:auth:scope:${env.endpointId}:manage_collections` }).toString(),
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.body.toString()}`);
    const body = JSON.parse(res.body.toString()) as {
      access_token: string;
      resource_server: string;
      other_tokens: Array<{ access_token: string; resource_server: string }>;
    };
    return [body, ...body.other_tokens].find((t) => t.resource_server === env.endpointId)!.access_token;
  } finally {
    agent.destroy();
  }
}

/** One page, to check the bench measures what it claims: a full page and a next-page marker. */
async function checkPage(env: BenchEnv, url: string, headers: Record<string, string>, path: string, expected: number): Promise<void> {
  const agent = new https.Agent({ ca: env.tls.ca });
  const res = await request(agent, url, path, { headers });
  agent.destroy();
  const body = JSON.parse(res.body.toString()) as { data?: unknown[]; has_next_page?: boolean };
  if (res.status !== 200 || body.data?.length !== expected || !body.has_next_page)
    throw new Error(`unexpected list page for ${path}: ${res.status} ${res.body.toString().slice(0, 300)}`);
}

const throughputTargets = (r: LoadResult, ref: LoadResult) => ({
  rps: { text: '≥ 0.5× ref', met: r.rps >= 0.5 * ref.rps },
  p99: { text: '< 20 ms', met: r.p99 < 20 },
});

async function benchStore(kind: StoreKind): Promise<Row[]> {
  const env = await prepare(kind);
  try {
    log(`api/${kind}: seeding ${COLLECTIONS} collections`);
    const t0 = Date.now();
    const seeded = await seed(env);
    log(`api/${kind}: seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const server = await env.startGatehouse();
    const reference = await env.startReference();
    const headers = { authorization: `Bearer ${await managerToken(env, server.url, seeded)}` };
    await checkPage(env, server.url, headers, '/api/collections', 100);
    await checkPage(env, server.url, headers, `/api/collections?marker=${encodeMarker(seeded.sample[0])}`, 100);

    const rows: Row[] = [];
    const base = { bench: 'api', store: kind };
    const load = { connections: CONNECTIONS, durationMs: DURATION_MS, ca: env.tls.ca, headers, serverPid: server.pid };
    // The reference answers with a JSON document of the size Gatehouse just sent, so both pay the same
    // TLS, socket and client cost and the ratio is about the work behind the response.
    const refLoad = (measured: LoadResult) =>
      runLoad({ ...load, serverPid: reference.pid, origin: reference.url, path: `/?bytes=${Math.round(measured.meanBytes)}` });

    // No target: Fastify, TLS and the metrics hook without any store access, the floor under every route.
    log(`api/${kind}: GET /healthz, ${CONNECTIONS} conns`);
    const floor = await runLoad({ ...load, origin: server.url, path: '/healthz' });
    const floorRef = await refLoad(floor);
    rows.push(...loadRows({ ...base, scenario: `GET /healthz (no store access), ${CONNECTIONS} conns` }, floor, floorRef));

    log(`api/${kind}: GET /api/collections/{id}, ${CONNECTIONS} conns`);
    const one = await runLoad({ ...load, origin: server.url, path: () => `/api/collections/${pick(seeded.sample)}` });
    const oneRef = await refLoad(one);
    rows.push(...loadRows({ ...base, scenario: `GET /api/collections/{id}, ${CONNECTIONS} conns` }, one, oneRef, throughputTargets(one, oneRef)));

    log(`api/${kind}: GET /api/collections (first page of 100), ${CONNECTIONS} conns`);
    const list = await runLoad({ ...load, origin: server.url, path: '/api/collections' });
    const listRef = await refLoad(list);
    rows.push(
      ...loadRows(
        {
          ...base,
          scenario: `GET /api/collections (page of 100), ${CONNECTIONS} conns`,
          note: `list page body ≈ ${Math.round(list.meanBytes / 1024)} KiB, reference padded to the same size`,
        },
        list,
        listRef,
        throughputTargets(list, listRef),
      ),
    );

    // No target: separates the per-request cost from the per-item cost of a page.
    log(`api/${kind}: GET /api/collections?page_size=10, ${CONNECTIONS} conns`);
    const small = await runLoad({ ...load, origin: server.url, path: '/api/collections?page_size=10' });
    const smallRef = await refLoad(small);
    rows.push(...loadRows({ ...base, scenario: `GET /api/collections?page_size=10, ${CONNECTIONS} conns` }, small, smallRef));

    log(`api/${kind}: list page latency at random markers, 1 conn, ${LATENCY_REQUESTS} requests`);
    const deep = await timeSequential({
      origin: server.url,
      ca: env.tls.ca,
      count: LATENCY_REQUESTS,
      warmup: 20,
      make: () => ({ path: `/api/collections?marker=${encodeMarker(pick(seeded.sample))}`, headers }),
    });
    const deepRef = await timeSequential({
      origin: reference.url,
      ca: env.tls.ca,
      count: LATENCY_REQUESTS,
      warmup: 20,
      make: () => ({ path: `/?bytes=${Math.round(deep.meanBytes)}` }),
    });
    const latency = loadRows({ ...base, scenario: `list page at random marker (${COLLECTIONS / 1000}k in store), 1 conn` }, deep, deepRef, {
      p50: { text: '< 10 ms', met: deep.p50 < 10 },
    });
    rows.push(...latency.filter((r) => r.metric !== 'req/s'));
    return rows;
  } finally {
    await env.cleanup();
  }
}

export function run(): Promise<Row[]> {
  return forEachStore(benchStore);
}

if (isMain(import.meta.url)) printTable('GCS Manager API (reference: bare node:https JSON handler answering the same number of bytes)', await run());
