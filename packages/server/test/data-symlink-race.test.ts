// Symlink-swap races against every file operation: a directory under a guest's base is swapped for a link that leads outside, while requests run beneath it; nothing outside may change or be seen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, storeName, type TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';
import { waitForTask } from './transfer-tasks-helpers.ts';
import { addRule, dataToken, isRoot, makeWorld, mkdirOwned, plant, rawRequest, transferToken, type DataWorld } from './helpers/data.ts';
import { createPosixConnectors, type PosixConnector, type PosixConnectors } from '../src/data/posix/index.ts';
import { serverUsername } from '../src/data/posix/accounts.ts';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-SHARE';
/** Per operation: long enough for thousands of interleavings, short enough that the whole file stays near 20 s. */
const RACE_MS = Number(process.env.GATEHOUSE_RACE_MS ?? 2000);
const IN_FLIGHT = 4;

/**
 * The tree both tests race in. `shared/` is the guest's base; `shared/d` is an ordinary directory and
 * `shared/l` a link to `private/`, which lies outside the share. The swapper exchanges the two names over
 * and over, so that `shared/d` is sometimes the link.
 */
function plantTree(root: string, own: (rel: string, content?: string) => void): void {
  own('shared/');
  own('shared/d/');
  own('shared/d/inside.txt', 'inside');
  own('shared/d/secret.txt', 'inside secret name');
  own('shared/d/victim/');
  own('shared/d/victim/x.txt', 'x');
  own('private/');
  own('private/secret.txt', SECRET);
  own('private/private-only.txt', SECRET);
  own('private/victim/');
  own('private/victim/keep.txt', SECRET);
  fs.symlinkSync('../private', path.join(root, 'shared/l'));
}

/** Everything under `dir`, as `name → content` (directories as `dir/`): a change anywhere shows. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const r = path.join(rel, name);
      const st = fs.lstatSync(path.join(dir, r));
      if (st.isDirectory()) {
        out.set(`${r}/`, '');
        walk(r);
      } else out.set(r, st.isSymbolicLink() ? `-> ${fs.readlinkSync(path.join(dir, r))}` : fs.readFileSync(path.join(dir, r), 'utf8'));
    }
  };
  walk('');
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) changes.push(after.has(k) ? `changed ${k}` : `removed ${k}`);
  for (const k of after.keys()) if (!before.has(k)) changes.push(`created ${k}`);
  return changes;
}

/** A separate process that swaps `shared/d` and `shared/l` as fast as it can until killed. */
async function startSwapper(shared: string): Promise<ChildProcess> {
  const script = `
    const fs = require('node:fs');
    const d = ${JSON.stringify(path.join(shared, 'd'))}, l = ${JSON.stringify(path.join(shared, 'l'))}, t = ${JSON.stringify(path.join(shared, '.t'))};
    const mv = (a, b) => { try { fs.renameSync(a, b); } catch {} };
    process.stdout.write('ready\\n');
    for (;;) { mv(d, t); mv(l, d); mv(d, l); mv(t, d); }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

/** Puts the tree back the way it started (`shared/d` a directory, `shared/l` the link) once the swapper is gone. */
function settle(shared: string): void {
  const d = path.join(shared, 'd');
  const l = path.join(shared, 'l');
  const t = path.join(shared, '.t');
  if (fs.existsSync(t)) {
    if (fs.lstatSync(d, { throwIfNoEntry: false })?.isSymbolicLink()) fs.renameSync(d, l);
    fs.renameSync(t, d);
  } else if (fs.lstatSync(d).isSymbolicLink()) {
    fs.renameSync(d, path.join(shared, '.swap'));
    fs.renameSync(l, d);
    fs.renameSync(path.join(shared, '.swap'), l);
  }
}

/**
 * Starts swapping; the promise it returns stops it and resolves once the swapping has ended. `quiet()`
 * resolves once an attempt that started after the call has finished: a swapper slower than the attempts
 * (one making its swaps through the API) waits on it between rounds, so that some attempts meet the tree
 * at rest and the case can succeed at all.
 */
type Swapper = (shared: string, quiet: () => Promise<void>) => Promise<() => Promise<void>>;

/** Counts attempts as they start and end, and tells waiters when one that started after them is done. */
class Progress {
  #started = 0;
  #waiters: { after: number; resolve: () => void }[] = [];
  start(): number {
    return this.#started++;
  }
  done(n: number): void {
    const ready = this.#waiters.filter((w) => n >= w.after);
    this.#waiters = this.#waiters.filter((w) => n < w.after);
    for (const w of ready) w.resolve();
  }
  #ended = false;
  quiet = (): Promise<void> =>
    new Promise((resolve) => {
      if (this.#ended) resolve();
      else this.#waiters.push({ after: this.#started, resolve });
    });
  /** lets every waiter go, now and later: the race is over */
  end(): void {
    this.#ended = true;
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }
}

const processSwapper: Swapper = async (shared) => {
  const child = await startSwapper(shared);
  return async () => {
    const gone = once(child, 'exit');
    child.kill('SIGKILL');
    await gone;
  };
};

interface RaceOutcome {
  attempts: number;
  succeeded: number;
  /** answers that showed something of `private/` */
  leaks: string[];
}

/** Runs `attempt` IN_FLIGHT at a time for RACE_MS; `attempt` returns whether it succeeded and, when it saw outside content, what. */
async function race(attempt: (i: number) => Promise<{ ok: boolean; leak?: string }>, progress: Progress, ms = RACE_MS): Promise<RaceOutcome> {
  const deadline = Date.now() + ms;
  const outcome: RaceOutcome = { attempts: 0, succeeded: 0, leaks: [] };
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        const n = progress.start();
        outcome.attempts++;
        const r = await attempt(n);
        progress.done(n);
        if (r.ok) outcome.succeeded++;
        if (r.leak) outcome.leaks.push(r.leak);
      }
    }),
  );
  progress.end();
  return outcome;
}

/** One racing operation: `attempt(i)` makes the i-th request; `paths` names what it may leave outside (checked afterwards). */
interface RaceCase {
  name: string;
  attempt: (i: number) => Promise<{ ok: boolean; leak?: string }>;
  /** how long this case races, when its attempts are slow (a delete task runs in the engine, with retries) */
  raceMs?: number;
}

/**
 * Runs each case with the swapper going and checks that `private/` is exactly as it was and that no answer
 * showed its content. Every case must also have succeeded at least once (between swaps), or it proved nothing.
 */
async function runCases(root: string, cases: RaceCase[], swapper: Swapper = processSwapper): Promise<string[]> {
  const shared = path.join(root, 'shared');
  const outside = path.join(root, 'private');
  const report: string[] = [];
  for (const c of cases) {
    const reference = snapshot(outside);
    const progress = new Progress();
    const stop = await swapper(shared, progress.quiet);
    let outcome: RaceOutcome;
    try {
      outcome = await race(c.attempt, progress, c.raceMs);
    } finally {
      await stop();
      settle(shared);
    }
    const changes = diff(reference, snapshot(outside));
    const moved = [...snapshot(shared).entries()].filter(([, v]) => v.includes(SECRET)).map(([k]) => `moved into the share: ${k}`);
    const escapes = [...outcome.leaks, ...changes, ...moved];
    report.push(
      `${c.name}: ${outcome.attempts} attempts, ${outcome.succeeded} succeeded, ${escapes.length} escapes${escapes.length ? ` (${escapes.slice(0, 5).join('; ')})` : ''}`,
    );
    assert.ok(outcome.succeeded > 0, `${c.name}: no attempt succeeded, so the race proved nothing`);
  }
  const failed = report.filter((line) => !line.endsWith(' 0 escapes'));
  assert.deepEqual(failed, [], report.join('\n'));
  return report;
}

describe(
  `symlink swap race through the HTTPS and Transfer routes, root mode (${storeName})`,
  { skip: isRoot ? false : 'needs root (useradd, per-account workers)' },
  () => {
    let server: TestServer;
    let world: DataWorld;
    let transfer: string;
    let https: string;

    before(async () => {
      server = await startTestServer();
      world = await makeWorld(server, {
        tree: (root, { owner }) =>
          plantTree(root, (rel, content) => (rel.endsWith('/') ? mkdirOwned(root, rel, owner) : plant(root, rel, content ?? '', owner))),
      });
      // The attacker: a guest with read-write on the whole share and no local account at all.
      await addRule(server, world.owner, world.guestId, { principal_type: 'identity', principal: world.bob.id, path: '/', permissions: 'rw' });
      transfer = await transferToken(server, world.bob);
      https = await dataToken(server, world.bob, world.guestId, false);
    });
    after(async () => {
      await server?.stop();
      world?.cleanup();
    });

    test('0 escapes: delete, mkdir, PUT, rename in and out, GET, ls and stat under a swapped directory', { timeout: 120_000 }, async (t) => {
      const op = (verb: string) => `/v0.10/operation/endpoint/${world.guestId}/${verb}`;
      const leakIn = (body: unknown) =>
        JSON.stringify(body).includes('private-only') || JSON.stringify(body).includes(SECRET) ? JSON.stringify(body).slice(0, 200) : undefined;
      const file = (rel: string) => `/data/${world.guestId}${rel}`;
      const cases: RaceCase[] = [
        {
          name: 'recursive delete',
          // Each attempt is a task that retries with back-off while it meets the swapped tree: a longer race gives
          // enough of them a moment of rest to succeed, on PostgreSQL's slower engine round trips too.
          raceMs: 8 * RACE_MS,
          attempt: async () => {
            const res = await api(server, transfer, 'POST', '/v0.10/delete', {
              DATA_TYPE: 'delete',
              submission_id: randomUUID(),
              endpoint: world.guestId,
              recursive: true,
              DATA: [{ DATA_TYPE: 'delete_item', path: '/d/victim' }],
            });
            // The one inside goes at the first try; put it back (through the real directory) so every attempt has a target.
            if (res.status !== 202) return { ok: false };
            // A delete that meets the swapped tree faults and retries for as long as the swapping goes on: given up after a while.
            const task = await waitForTask(server, transfer, res.body.task_id, { everyMs: 2, timeoutMs: 3000 }).catch(async () => {
              await api(server, transfer, 'POST', `/v0.10/task/${res.body.task_id}/cancel`);
              return undefined;
            });
            return { ok: task?.status === 'SUCCEEDED' };
          },
        },
        {
          name: 'mkdir',
          attempt: async (i) => ({ ok: (await api(server, transfer, 'POST', op('mkdir'), { DATA_TYPE: 'mkdir', path: `/d/m-${i}` })).status === 202 }),
        },
        {
          name: 'PUT',
          attempt: async (i) => {
            const res = await rawRequest(server, {
              method: 'PUT',
              path: file(`/d/p-${i}.txt`),
              headers: { authorization: `Bearer ${https}` },
              body: 'uploaded',
            });
            return { ok: res.status === 201 };
          },
        },
        {
          name: 'rename out of the swapped directory',
          attempt: async (i) => {
            const res = await api(server, transfer, 'POST', op('rename'), { DATA_TYPE: 'rename', old_path: '/d/secret.txt', new_path: `/got-${i}.txt` });
            // Between swaps the inside file of that name is what moves: put one back each time.
            return { ok: res.status === 200 };
          },
        },
        {
          name: 'rename into the swapped directory',
          attempt: async (i) => {
            plant(world.root, `shared/src-${i}.txt`, 'src', world.accounts.owner);
            return {
              ok:
                (await api(server, transfer, 'POST', op('rename'), { DATA_TYPE: 'rename', old_path: `/src-${i}.txt`, new_path: `/d/top-${i}.txt` })).status ===
                200,
            };
          },
        },
        {
          name: 'GET',
          attempt: async () => {
            const res = await rawRequest(server, { method: 'GET', path: file('/d/inside.txt'), headers: { authorization: `Bearer ${https}` } });
            const text = res.body.toString();
            return { ok: res.status === 200, leak: text.includes(SECRET) ? `GET returned ${text.slice(0, 40)}` : undefined };
          },
        },
        {
          name: 'GET of a name only outside',
          attempt: async () => {
            const res = await rawRequest(server, { method: 'GET', path: file('/d/private-only.txt'), headers: { authorization: `Bearer ${https}` } });
            const inside = await rawRequest(server, { method: 'HEAD', path: file('/d/inside.txt'), headers: { authorization: `Bearer ${https}` } });
            return { ok: inside.status === 200, leak: res.status === 200 ? `GET private-only.txt: ${res.body.toString().slice(0, 40)}` : undefined };
          },
        },
        {
          name: 'ls and stat',
          attempt: async () => {
            const ls = await api(server, transfer, 'GET', `${op('ls')}?path=/d/`);
            const stat = await api(server, transfer, 'GET', `${op('stat')}?path=/d/private-only.txt`);
            const leak = leakIn(ls.body) ?? (stat.status === 200 ? `stat private-only.txt: ${JSON.stringify(stat.body).slice(0, 100)}` : undefined);
            return { ok: ls.status === 200, leak };
          },
        },
      ];
      // Give the rename-out and delete cases something inside to act on each time the inside one is gone.
      const owner = world.accounts.owner;
      const refill = (i: number, c: RaceCase): RaceCase => ({
        ...c,
        attempt: async (n) => {
          const r = await c.attempt(n);
          // A delete task may have removed its target even when it did not succeed (a retry then finds it gone).
          if (i === 0) await refillInside(world.root, 'victim/', owner);
          if (r.ok && i === 3) await refillInside(world.root, 'secret.txt', owner);
          return r;
        },
      });
      for (const line of await runCases(
        world.root,
        cases.map((c, i) => refill(i, c)),
      ))
        t.diagnostic(line);
      // The same attack with nothing but the guest's own token: the swaps are Transfer renames.
      const apiSwapper: Swapper = async (_shared, quiet) => {
        let running = true;
        const mv = (old_path: string, new_path: string) => api(server, transfer, 'POST', op('rename'), { DATA_TYPE: 'rename', old_path, new_path });
        const loop = (async () => {
          while (running) {
            for (const [a, b] of [
              ['/d', '/.t'],
              ['/l', '/d'],
              ['/d', '/l'],
              ['/.t', '/d'],
            ])
              await mv(a, b);
            await quiet();
          }
        })();
        return async () => {
          running = false;
          await loop;
        };
      };
      const destructive = [cases[0], cases[1], cases[2], cases[4]].map((c) => refill(cases.indexOf(c), { ...c, name: `${c.name}, swapped through the API` }));
      for (const line of await runCases(world.root, destructive, apiSwapper)) t.diagnostic(line);
    });
  },
);

/**
 * Recreates `shared/d/<name>` in the real directory, wherever the swapper has it (`shared/d` or
 * `shared/.t`), and never through the link. The directory may be between names at any one instant, so it
 * tries again, yielding to the swapper in between, until the name is there: a miss would leave every later
 * attempt of the case without a target.
 */
async function refillInside(root: string, name: string, owner: { uid: number; gid: number }): Promise<void> {
  for (let tries = 0; tries < 10_000; tries++) {
    if (refillOnce(root, name, owner)) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`could not put shared/d/${name} back`);
}

function refillOnce(root: string, name: string, owner: { uid: number; gid: number }): boolean {
  for (const dir of ['shared/d', 'shared/.t']) {
    const full = path.join(root, dir);
    let fd: number;
    try {
      fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    } catch {
      continue;
    }
    try {
      const at = `/proc/self/fd/${fd}/${name.replace(/\/$/, '')}`;
      if (name.endsWith('/')) {
        fs.mkdirSync(at);
        fs.chownSync(at, owner.uid, owner.gid);
        fs.writeFileSync(`${at}/x.txt`, 'x');
      } else fs.writeFileSync(at, 'inside secret name');
      fs.chownSync(at, owner.uid, owner.gid);
      return true;
    } catch (error) {
      // The descriptor is the real directory wherever it has moved: only "already there" can stop us, or
      // a concurrent attempt that deleted it again at once (and puts it back itself).
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT') return true;
      throw error;
    } finally {
      fs.closeSync(fd);
    }
  }
  return false;
}

describe('symlink swap race at the connector, personal mode (in process)', () => {
  let tmp: string;
  let connectors: PosixConnectors;
  let connector: PosixConnector;

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-race-')));
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    plantTree(root, (rel, content) =>
      rel.endsWith('/') ? fs.mkdirSync(path.join(root, rel), { recursive: true }) : fs.writeFileSync(path.join(root, rel), content ?? ''),
    );
    connectors = await createPosixConnectors({ stateDir: path.join(tmp, 'state'), mode: 'personal' });
    connector = await connectors.connectorFor(serverUsername());
  });
  after(async () => {
    await connectors?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('0 escapes: remove, mkdir, write, rename, read, list and stat', { timeout: 120_000 }, async (t) => {
    const root = path.join(tmp, 'root');
    const at = (p: string) => ({ root, base: '/shared', path: p });
    const ok = async (work: () => Promise<unknown>) =>
      work().then(
        () => true,
        () => false,
      );
    const me = { uid: process.getuid!(), gid: process.getgid!() };
    const cases: RaceCase[] = [
      {
        name: 'remove (recursive)',
        attempt: async () => {
          const r = await ok(() => connector.remove(at('/d/victim'), { recursive: true }));
          if (r) await refillInside(root, 'victim/', me);
          return { ok: r };
        },
      },
      { name: 'mkdir', attempt: async (i) => ({ ok: await ok(() => connector.mkdir(at(`/d/m-${i}`))) }) },
      { name: 'write', attempt: async (i) => ({ ok: await ok(() => connector.write(at(`/d/p-${i}.txt`), [Buffer.from('uploaded')])) }) },
      {
        name: 'rename out',
        attempt: async (i) => {
          const r = await ok(() => connector.rename(at('/d/secret.txt'), at(`/got-${i}.txt`)));
          if (r) await refillInside(root, 'secret.txt', me);
          return { ok: r };
        },
      },
      {
        name: 'rename in',
        attempt: async (i) => {
          fs.writeFileSync(path.join(root, `shared/src-${i}.txt`), 'src');
          return { ok: await ok(() => connector.rename(at(`/src-${i}.txt`), at(`/d/top-${i}.txt`))) };
        },
      },
      {
        name: 'read',
        attempt: async () => {
          try {
            const r = await connector.read(at('/d/inside.txt'));
            const text = r.data ? r.data.toString() : '';
            if (!r.data) r.stream.destroy();
            return { ok: true, leak: text.includes(SECRET) ? 'read returned the secret' : undefined };
          } catch {
            return { ok: false };
          }
        },
      },
      {
        name: 'list and stat',
        attempt: async () => {
          const listed = await connector.list(at('/d')).catch(() => null);
          const stat = await connector.stat(at('/d/private-only.txt')).catch(() => null);
          const leak = listed?.entries.some((e) => e.name === 'private-only.txt')
            ? 'list showed private-only.txt'
            : stat
              ? 'stat of private-only.txt succeeded'
              : undefined;
          return { ok: listed !== null, leak };
        },
      },
    ];
    for (const line of await runCases(root, cases)) t.diagnostic(line);
  });
});
