// nginx (the Debian package) as the data benchmark's reference: one worker serving a directory over TLS with Gatehouse's certificate.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { ChildServer } from '../lib/child.ts';

export function ensureNginx(): string {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (found) return found;
  console.log('installing nginx (apt-get)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nginx'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return '/usr/sbin/nginx';
}

export function nginxVersion(bin: string): string {
  try {
    return execFileSync(bin, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'nginx';
  } catch (error) {
    // nginx -v prints on stderr
    return String((error as { stderr?: string }).stderr ?? '').trim() || 'nginx';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// One worker: Gatehouse is one event loop too, and on 2 cores the load generator needs the other core.
// sendfile is on but cannot apply under TLS without kTLS, which the Debian build does not enable by default.
function conf(prefix: string, port: number, root: string, cert: string, key: string): string {
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${root};
  }
}
`;
}

async function waitForPort(port: number, ca: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const r = https.request({ host: '127.0.0.1', port, path: '/', method: 'HEAD', ca, agent: false, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(true);
      });
      r.on('error', () => resolve(false));
      r.end();
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx is not answering on port ${port}`);
}

/** Starts nginx in the foreground on a free port; `prefix` is a scratch directory for its config and temp paths. */
export async function startNginx(options: { bin: string; prefix: string; root: string; cert: string; key: string; ca: string }): Promise<ChildServer> {
  const port = await freePort();
  fs.mkdirSync(options.prefix, { recursive: true });
  const confPath = path.join(options.prefix, 'nginx.conf');
  fs.writeFileSync(confPath, conf(options.prefix, port, options.root, options.cert, options.key));
  const child = spawn(options.bin, ['-p', options.prefix, '-c', confPath, '-e', path.join(options.prefix, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([waitForPort(port, options.ca), exited.then(() => Promise.reject(new Error('nginx exited at start')))]);
  let stopped: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}
