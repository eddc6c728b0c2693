// The real Python globus-sdk and globus-cli from ../shared/clients, run as child processes against a test server (skipped where that folder is absent).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestServer } from './server.ts';

export const CLIENTS = path.resolve(fileURLToPath(import.meta.url), '../../../../../../shared/clients');
export const clientsPresent = fs.existsSync(path.join(CLIENTS, 'env.sh'));
/** The `skip` option of a describe that needs them. */
export const realClientsSkip = clientsPresent ? false : `the real Globus clients are not at ${CLIENTS} (a checkout on its own): skipped`;

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment that points the Python SDK and CLI at `server` (a private HOME; client credentials for the CLI when given). */
export function globusEnv(server: TestServer, home: string, client?: { id: string; secret: string }): Record<string, string> {
  return {
    HOME: home,
    PYTHONUNBUFFERED: '1',
    GLOBUS_SDK_ENVIRONMENT: 'gatehouse',
    GLOBUS_SDK_VERIFY_SSL: server.caPath!,
    GLOBUS_SDK_SERVICE_URL_AUTH: `${server.url}/`,
    GLOBUS_SDK_SERVICE_URL_GROUPS: `${server.url}/`,
    GLOBUS_SDK_SERVICE_URL_TRANSFER: `${server.url}/`,
    ...(client ? { GLOBUS_CLI_CLIENT_ID: client.id, GLOBUS_CLI_CLIENT_SECRET: client.secret } : {}),
  };
}

/** A fresh HOME for the CLI's token storage. */
export function clientHome(): { home: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-real-clients-'));
  return { home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

function run(command: string, env: Record<string, string>, input?: string): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `. "${CLIENTS}/env.sh" && ${command}`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `globus <args…>` (globus-cli 3.42). */
export function globusCli(args: string[], env: Record<string, string>): Promise<ClientRun> {
  return run(`exec globus ${args.map(quote).join(' ')}`, env);
}

/** A Python script run with Debian's python3 and the real globus-sdk on its path; `argv` reach it as sys.argv[1:]. */
export function python(script: string, env: Record<string, string>, argv: string[] = []): Promise<ClientRun> {
  return run(`exec /usr/bin/python3 - ${argv.map(quote).join(' ')}`, env, script);
}
