// Server child processes for the task engine tests: `gatehouse serve` on a shared data dir or database, killed hard (with their workers) when a test says so.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Store } from '@gatehouse/server';
import { trustingFetch, type TestServer } from './helpers/server.ts';
import { descendants, killFamily, killHard } from './helpers/processes.ts';

const CLI = path.resolve(import.meta.dirname, '../../cli/bin/gatehouse.js');

export interface Proc {
  child: ChildProcess;
  url: string;
  info: any;
}

export const children: ChildProcess[] = [];

/** A `gatehouse serve` child process on a data dir (and database), with extra environment. */
export function serve(dataDir: string, databaseUrl: string | undefined, extra: Record<string, string> = {}): Promise<Proc> {
  const env = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn', ...extra } as NodeJS.ProcessEnv;
  if (databaseUrl) env.GATEHOUSE_DATABASE_URL = databaseUrl;
  else delete env.GATEHOUSE_DATABASE_URL;
  const child = spawn(process.execPath, [CLI, '--format', 'json', 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return new Promise<Proc>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    let done = false;
    lines.on('line', (line) => {
      if (!done && line.startsWith('{') && line.includes('"url"')) {
        done = true;
        const info = JSON.parse(line);
        resolve({ child, url: info.url, info });
      }
    });
    child.on('exit', (code, signal) => {
      if (!done) reject(new Error(`server exited before listening (${code ?? signal})`));
    });
  });
}

/** What the world helpers need of a TestServer, pointed at a child process and a store opened on its database. */
export function remoteServer(proc: Proc, store: Store): TestServer {
  const ca = fs.readFileSync(proc.info.ca_certificate, 'utf8');
  const { fetch, dispatcher } = trustingFetch(ca);
  return { url: proc.url, ca, endpointId: proc.info.endpoint_id, store, fetch, dispatcher } as unknown as TestServer;
}

/** kill -9 of a server process and all its workers at once: nobody gets to clean up. */
export async function killService(proc: Proc): Promise<void> {
  killFamily(proc.child.pid!);
  if (proc.child.exitCode === null && proc.child.signalCode === null) await new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
}

/** Stops every child started here, hard. */
export function killChildren(): void {
  for (const child of children) {
    for (const pid of child.pid ? descendants(child.pid) : []) killHard(pid);
    child.kill('SIGKILL');
  }
}
