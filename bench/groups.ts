// Groups API benchmark: my_groups for a member of 1,000 of 100k groups (1M memberships) and a 1,000-identity batch add, against a bare node:https handler.
import { randomUUID } from 'node:crypto';
import { createClient } from '@gatehouse/server';
import { DEFAULT_POLICIES, nowIso } from '../packages/server/src/groups/repo.ts';
import { issueTokens } from '../packages/server/src/auth/tokens.ts';
import { resolveScopes } from '../packages/server/src/auth/scopes.ts';
import { timeSequential } from './lib/load.ts';
import { loadRows, log, isMain, printTable, type Row } from './lib/report.ts';
import { analyze, bulkLoadSettings, insertRows, prepare, type BenchEnv, type StoreKind, forEachStore } from './lib/store.ts';
import { seedIdentities } from './lib/seed.ts';

const GROUPS = 100_000;
const MEMBERSHIPS = 1_000_000;
const IDENTITIES = 100_000;
/** groups the measured user belongs to */
const MY_GROUPS = 1_000;
const BATCH_SIZE = 1_000;
/** batch adds timed, each into another group the user administers */
const BATCH_RUNS = 5;
const LATENCY_REQUESTS = 200;
const SCOPE = 'urn:globus:auth:scope:groups.api.globus.org:all';

interface Seeded {
  token: string;
  batchGroups: string[];
  newcomers: string[];
}

async function seed(env: BenchEnv): Promise<Seeded> {
  const kind = env.kind;
  const store = await env.open();
  try {
    return await store.tx(async (db) => {
      await bulkLoadSettings(db, kind);
      const domain = env.config.identityDomain;
      const members = await seedIdentities(db, kind, IDENTITIES, 'member', domain);
      const [me] = await seedIdentities(db, kind, 1, 'me', domain);
      // Not members of anything yet: the batch add's targets.
      const newcomers = await seedIdentities(db, kind, BATCH_SIZE, 'newcomer', domain);

      const now = Math.floor(Date.now() / 1000);
      const policies = JSON.stringify(DEFAULT_POLICIES);
      const groupIds: string[] = [];
      const groups: unknown[][] = [];
      for (let g = 0; g < GROUPS; g++) {
        const id = randomUUID();
        groupIds.push(id);
        groups.push([id, `Group ${g}`, `Bench group ${g}`, null, null, 'regular', policies, 0, null, null, null, now]);
      }
      await insertRows(
        db,
        kind,
        'groups',
        [
          'id',
          'name',
          'description',
          'terms_and_conditions',
          'parent_id',
          'group_type',
          'policies',
          'allow_join',
          'subscription_id',
          'subscription_info',
          'subscription_admin_verified_id',
          'created_at',
        ],
        groups,
      );

      // 10 members a group; the user takes one seat in each of its groups so the total stays 1M.
      const perGroup = MEMBERSHIPS / GROUPS;
      const updated = nowIso();
      const rows: unknown[][] = [];
      for (let g = 0; g < GROUPS; g++) {
        const mine = g < MY_GROUPS;
        if (mine) rows.push([groupIds[g], me, g < BATCH_RUNS ? 'admin' : 'member', 'active', null, null, null, updated]);
        // 10007·k mod 100000 differs for k < 10: distinct members within a group, spread across groups.
        for (let k = 0; k < perGroup - (mine ? 1 : 0); k++) {
          rows.push([groupIds[g], members[(g * 7 + k * 10007) % IDENTITIES], k === 0 ? 'admin' : 'member', 'active', null, null, null, updated]);
        }
      }
      // Primary-key order: appends to the (group_id, identity_id) B-tree instead of splitting pages all over it.
      const key = (r: unknown[]) => `${r[0] as string}${r[1] as string}`;
      rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      await insertRows(
        db,
        kind,
        'group_memberships',
        ['group_id', 'identity_id', 'role', 'status', 'status_reason', 'invite_email_address', 'invite_time', 'updated'],
        rows,
      );

      const client = await createClient(db, { name: 'bench client' });
      // A user token without the browser login: the grant the authorization-code exchange would record.
      const [token] = await issueTokens(db, {
        clientId: client.id,
        identityId: me,
        scopes: await resolveScopes(db, SCOPE),
        authenticatedAt: now,
        withRefreshToken: false,
        lifetime: 3600,
      });
      await analyze(db, kind);
      return { token: token.access_token, batchGroups: groupIds.slice(0, BATCH_RUNS), newcomers };
    });
  } finally {
    await store.close();
  }
}

async function benchStore(kind: StoreKind): Promise<Row[]> {
  const env = await prepare(kind);
  try {
    log(`groups/${kind}: seeding ${GROUPS} groups, ${MEMBERSHIPS} memberships, ${IDENTITIES} identities`);
    const t0 = Date.now();
    const seeded = await seed(env);
    log(`groups/${kind}: seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const server = await env.startGatehouse();
    const reference = await env.startReference();
    const headers = { authorization: `Bearer ${seeded.token}` };
    const base = { bench: 'groups', store: kind };
    const rows: Row[] = [];

    log(`groups/${kind}: GET /v2/groups/my_groups (${MY_GROUPS} groups), 1 conn, ${LATENCY_REQUESTS} requests`);
    const mine = await timeSequential({
      origin: server.url,
      ca: env.tls.ca,
      count: LATENCY_REQUESTS,
      warmup: 10,
      make: () => ({ path: '/v2/groups/my_groups', headers }),
      check: (res) => {
        const n = (JSON.parse(res.body.toString()) as unknown[]).length;
        return n === MY_GROUPS ? undefined : `my_groups returned ${n} groups, expected ${MY_GROUPS}`;
      },
    });
    const mineRef = await timeSequential({ origin: reference.url, ca: env.tls.ca, count: LATENCY_REQUESTS, warmup: 10, make: () => ({ path: '/' }) });
    rows.push(
      ...loadRows(
        {
          ...base,
          scenario: `GET /v2/groups/my_groups (${MY_GROUPS} of ${GROUPS / 1000}k groups), 1 conn`,
          note: `my_groups body ≈ ${Math.round(mine.meanBytes / 1024)} KiB`,
        },
        mine,
        mineRef,
        { p50: { text: '< 20 ms', met: mine.p50 < 20 } },
      ).filter((r) => r.metric !== 'req/s'),
    );

    log(`groups/${kind}: POST /v2/groups/{id} adding ${BATCH_SIZE} identities, ${BATCH_RUNS} runs`);
    const body = JSON.stringify({ add: seeded.newcomers.map((identity_id) => ({ identity_id })) });
    const post = (path: string) => ({ path, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const batch = await timeSequential({
      origin: server.url,
      ca: env.tls.ca,
      count: BATCH_RUNS,
      make: (i) => post(`/v2/groups/${seeded.batchGroups[i]}`),
      check: (res) => {
        const out = JSON.parse(res.body.toString()) as { add?: unknown[]; errors?: unknown };
        return out.add?.length === BATCH_SIZE && !out.errors ? undefined : `batch added ${out.add?.length ?? 0}: ${JSON.stringify(out.errors).slice(0, 200)}`;
      },
    });
    const batchRef = await timeSequential({ origin: reference.url, ca: env.tls.ca, count: BATCH_RUNS, warmup: 1, make: () => post('/') });
    const errors = batch.errors ? `${batch.errors} errors (${batch.firstError})` : undefined;
    rows.push(
      {
        ...base,
        scenario: `POST /v2/groups/{id} add ${BATCH_SIZE} identities (${BATCH_RUNS} runs)`,
        metric: 'median ms',
        value: batch.p50,
        reference: batchRef.p50,
        target: { text: '< 500 ms', met: batch.p50 < 500 && !batch.errors },
        note: errors,
      },
      {
        ...base,
        scenario: `POST /v2/groups/{id} add ${BATCH_SIZE} identities (${BATCH_RUNS} runs)`,
        metric: 'max ms',
        value: batch.max,
        reference: batchRef.max,
      },
    );
    return rows;
  } finally {
    await env.cleanup();
  }
}

export function run(): Promise<Row[]> {
  return forEachStore(benchStore);
}

if (isMain(import.meta.url)) printTable('Groups API (reference: bare node:https handler, same requests)', await run());
