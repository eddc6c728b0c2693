// The real Globus clients beside the checkout (../shared/clients: globus-cli, the Python globus-sdk), run as child processes against a test server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestServer } from './server.ts';

export const CLIENTS = path.resolve(fileURLToPath(import.meta.url), '../../../../../../shared/clients');

/** `describe` options: run where the clients are, else skip with the reason. */
export const realClients = {
  skip: fs.existsSync(path.join(CLIENTS, 'env.sh')) ? false : `the real Globus clients are not at ${CLIENTS} (a checkout on its own): skipped`,
};

/** What a person sets to point the clients at Gatehouse (README), with a home of their own; client credentials make globus-cli non-interactive. */
export function clientEnv(server: TestServer, home: string, client?: { id: string; secret: string }): Record<string, string> {
  return {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GLOBUS_SDK_ENVIRONMENT: 'gatehouse',
    // stdout is a pipe: without this a prompt stays in Python's buffer.
    PYTHONUNBUFFERED: '1',
    GLOBUS_SDK_VERIFY_SSL: server.caPath!,
    GLOBUS_SDK_SERVICE_URL_AUTH: `${server.url}/`,
    GLOBUS_SDK_SERVICE_URL_GROUPS: `${server.url}/`,
    GLOBUS_SDK_SERVICE_URL_TRANSFER: `${server.url}/`,
    ...(client ? { GLOBUS_CLI_CLIENT_ID: client.id, GLOBUS_CLI_CLIENT_SECRET: client.secret } : {}),
  };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A command with the clients on the paths (env.sh), to its exit. */
function run(command: string, env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `. ${quote(path.join(CLIENTS, 'env.sh'))} && ${command}`], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `globus …` as typed at a terminal. */
export function globus(args: string[], env: Record<string, string>): Promise<Run> {
  return run(`exec globus ${args.map(quote).join(' ')}`, env);
}

/** A Python script run with the real globus-sdk importable. */
export function python(script: string, env: Record<string, string>): Promise<Run> {
  return run('exec /usr/bin/python3 -', env, script);
}
