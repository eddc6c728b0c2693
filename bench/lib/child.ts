// Runs a server in a child process (so it has a core of its own) and waits for the JSON line announcing its URL.
import type { Server as HttpsServer } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export const GATEHOUSE_ENTRY = fileURLToPath(new URL('./gatehouse-server.ts', import.meta.url));
export const REFERENCE_ENTRY = fileURLToPath(new URL('./reference-server.ts', import.meta.url));

export async function spawnServer(entry: string, args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean), entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start within ${timeoutMs} ms`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; url?: string };
        if (msg.ready && msg.url) {
          clearTimeout(timer);
          resolve(msg.url);
        }
      } catch {
        process.stderr.write(`[${entry}] ${line}\n`);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with code ${code} before it was ready`));
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    url,
    pid: child.pid!,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

/** Child side of `spawnServer`: listen on an ephemeral loopback port, announce the URL, close on SIGTERM. */
export function serveAsChild(server: HttpsServer): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ ready: true, url: `https://127.0.0.1:${port}` })}\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
