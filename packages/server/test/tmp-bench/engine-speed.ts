import path from 'node:path';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { execFileSync } from 'node:child_process';
import { startTestServer } from '../helpers/server.ts';
import { makeWorld } from '../helpers/data.ts';
import { tokenFor } from '../transfer-tasks-helpers.ts';
import { completed, put, submitTransfer } from '../transfer-engine-helpers.ts';

const N = Number(process.env.N ?? 3000);
const server = await startTestServer({ taskFileConcurrency: Number(process.env.F ?? 4) });
const world = await makeWorld(server);
try {
  const { alice } = world.accounts;
  const dir = path.join(world.root, 'alice');
  for (let i = 0; i < N; i++) put(world.root, `alice/src/d${i % 20}/f${i}.bin`, Buffer.alloc(4096, i % 256), alice);
  const token = await tokenFor(server, world.alice, world.mappedId);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const t0 = Date.now();
  const id = await submitTransfer(server, token, { source: world.mappedId, destination: world.mappedId, items: [{ source_path: '/alice/src', destination_path: '/alice/dst' }], options: { verify_checksum: process.env.V === '1', sync_level: process.env.S ? (Number(process.env.S) as 0) : null } });
  const done = await completed(server.store, id, 600_000);
  const ms = Date.now() - t0;
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync('/tmp/engine.cpuprofile', JSON.stringify(profile));
  console.log(`${done.status} ${N} files in ${ms} ms: ${Math.round((N / ms) * 1000)} files/s; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
  const t1 = Date.now();
  execFileSync('rsync', ['-a', `${dir}/src/`, `${dir}/rsync/`]);
  const r = Date.now() - t1;
  console.log(`rsync: ${r} ms: ${Math.round((N / r) * 1000)} files/s`);
} finally {
  await server.stop();
  world.cleanup();
}
