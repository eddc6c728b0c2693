// Data-plane bench (manual: `node bench/data/run.ts`): the POSIX connector behind node:https vs nginx and a bare node handler — 1 GiB GET, 1 GiB PUT, 4 KiB GET rate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createPosixConnectors, readTransport, type PosixConnector } from '../../packages/server/src/data/posix/index.ts';
import { serverUsername } from '../../packages/server/src/data/posix/accounts.ts';

const MiB = 1 << 20;
const BIG = 1024 * MiB;
const SMALL = 4096;
const RUNS = 3;
const SMALL_REQUESTS = 20_000;
const CONNECTIONS = 64;
const MEM_BODY = randomBytes(SMALL);

// ---------------------------------------------------------------------------------------------
// Server side (child process): the connector and a bare handler on one node:https server.

async function serve(): Promise<void> {
  const [port, dataDir, certDir, account, stateDir] = process.argv.slice(3);
  const connectors = await createPosixConnectors({ stateDir, idleTimeoutMs: 600_000 });
  const connector: PosixConnector = await connectors.connectorFor(account);
  const server = https.createServer({ cert: fs.readFileSync(path.join(certDir, 'cert.pem')), key: fs.readFileSync(path.join(certDir, 'key.pem')), keepAlive: true });
  server.keepAliveTimeout = 60_000;
  server.on('secureConnection', (socket) => socket.setNoDelay(true));
  server.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const [, kind, name] = url.pathname.split('/');
    try {
      if (kind === 'conn' && req.method === 'GET') {
        const r = await connector.read({ root: dataDir, path: `/${name}` });
        res.writeHead(200, { 'content-length': r.end - r.start + 1, 'content-type': 'application/octet-stream' });
        await pipeline(r.stream, res);
      } else if (kind === 'conn' && req.method === 'PUT') {
        const length = Number(req.headers['content-length']);
        const w = await connector.write({ root: dataDir, path: `/${name}` }, req, Number.isFinite(length) ? { expectedSize: length } : {});
        res.writeHead(w.created ? 201 : 204).end();
      } else if (kind === 'bare' && req.method === 'GET') {
        const file = path.join(dataDir, name);
        const st = await fs.promises.stat(file);
        res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
        await pipeline(fs.createReadStream(file, { highWaterMark: MiB }), res);
      } else if (kind === 'bare' && req.method === 'PUT') {
        // The baseline upload: stream to a temp file, fsync, rename — what the connector does minus the worker.
        const target = path.join(dataDir, name);
        const temp = path.join(dataDir, `.bare-${randomBytes(8).toString('hex')}`);
        const out = fs.createWriteStream(temp, { highWaterMark: MiB });
        await pipeline(req, out);
        const fd = fs.openSync(temp, 'r');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(temp, target);
        res.writeHead(201).end();
      } else if (kind === 'mem') {
        // The HTTP+TLS ceiling of this server: a 4 KiB body from memory, no file system at all.
        res.writeHead(200, { 'content-length': SMALL, 'content-type': 'application/octet-stream' }).end(MEM_BODY);
      } else if (kind === 'transport') {
        res.writeHead(200).end(readTransport());
      } else res.writeHead(404).end();
    } catch (error) {
      if (!res.headersSent) res.writeHead((error as { status?: number }).status ?? 500).end(String((error as Error).message));
      else res.destroy();
    }
  });
  server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
}

// ---------------------------------------------------------------------------------------------
// Client side.

interface Target {
  port: number;
  agent: https.Agent;
}

function agentFor(connections: number): https.Agent {
  // noDelay: small keep-alive requests must not wait on Nagle + delayed ACK (40 ms stalls would cap the rate).
  return new https.Agent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: false, noDelay: true } as https.AgentOptions);
}

function get(t: Target, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: t.port, path: urlPath, agent: t.agent, method: 'GET' }, (res) => {
      let n = 0;
      if (res.statusCode !== 200) reject(new Error(`GET ${urlPath}: ${res.statusCode}`));
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function put(t: Target, urlPath: string, size: number, chunk: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: t.port, path: urlPath, agent: t.agent, method: 'PUT', headers: { 'content-length': size } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode! < 300 ? resolve(res.statusCode!) : reject(new Error(`PUT ${urlPath}: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function text(t: Target, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: t.port, path: urlPath, agent: t.agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function throughputGet(t: Target, urlPath: string): Promise<number> {
  await get(t, urlPath); // warm: TLS session, page cache, worker spawned
  const secs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    secs.push(
      await timed(async () => {
        const n = await get(t, urlPath);
        if (n !== BIG) throw new Error(`short read ${n}`);
      }),
    );
  }
  return BIG / MiB / median(secs);
}

async function throughputPut(t: Target, urlPath: string, chunk: Buffer): Promise<number> {
  const secs: number[] = [];
  for (let i = 0; i < RUNS; i++) secs.push(await timed(() => put(t, urlPath, BIG, chunk)));
  return BIG / MiB / median(secs);
}

async function requestRate(t: Target, urlPath: string): Promise<number> {
  let issued = 0;
  const loop = async () => {
    while (issued < SMALL_REQUESTS) {
      issued++;
      const n = await get(t, urlPath);
      if (n !== SMALL) throw new Error(`short small read ${n}`);
    }
  };
  // Warm every connection first so handshakes are not counted.
  issued = SMALL_REQUESTS - CONNECTIONS;
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  issued = 0;
  const secs = await timed(() => Promise.all(Array.from({ length: CONNECTIONS }, loop)));
  return SMALL_REQUESTS / secs;
}

function waitFor(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before '${text}'`)));
  });
}

async function waitForPort(port: number): Promise<void> {
  const agent = agentFor(1);
  for (let i = 0; i < 100; i++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const r = https.request({ host: '127.0.0.1', port, path: '/', agent, method: 'HEAD' }, (res) => {
          res.resume();
          resolve();
        });
        r.on('error', reject);
        r.end();
      });
      agent.destroy();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing listening on ${port}`);
}

function ensureNginx(): string {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (found) return found;
  console.log('installing nginx (apt-get)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nginx'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return '/usr/sbin/nginx';
}

function nginxConf(prefix: string, port: number, dataDir: string, certDir: string): string {
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
    ssl_certificate ${certDir}/cert.pem;
    ssl_certificate_key ${certDir}/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${dataDir};
  }
}
`;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function main(): Promise<void> {
  const root = process.getuid?.() === 0;
  // As root the connector runs the I/O in a worker as an unprivileged account, as in production.
  const account = root ? 'nobody' : serverUsername();
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-data-')));
  fs.chmodSync(work, 0o755);
  const dataDir = path.join(work, 'data');
  const certDir = path.join(work, 'cert');
  const prefix = path.join(work, 'nginx');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  fs.mkdirSync(certDir);
  fs.mkdirSync(prefix);
  fs.chmodSync(dataDir, 0o755);
  if (root) execFileSync('chown', [account, dataDir]);
  const children: ChildProcess[] = [];
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    console.log(`node ${process.version}, ${os.cpus().length} CPUs, connector as '${account}' (${root ? 'worker process' : 'in-process, not root'})`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${certDir}/key.pem`, '-out', `${certDir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

    // 1 GiB of incompressible bytes, and a 4 KiB file; world-readable so nginx's worker (nobody) can serve them.
    const block = randomBytes(16 * MiB);
    const fd = fs.openSync(path.join(dataDir, 'big.bin'), 'w', 0o644);
    for (let i = 0; i < BIG / block.length; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(dataDir, 'small.bin'), randomBytes(SMALL), { mode: 0o644 });

    const nodePort = await freePort();
    const nginxPort = await freePort();
    const server = spawn(process.execPath, [import.meta.filename, 'serve', String(nodePort), dataDir, certDir, account, path.join(work, 'state')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    await waitFor(server, 'listening');

    const nginxBin = ensureNginx();
    fs.writeFileSync(path.join(prefix, 'nginx.conf'), nginxConf(prefix, nginxPort, dataDir, certDir));
    const nginx = spawn(nginxBin, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(nginx);
    await waitForPort(nginxPort);

    const node: Target = { port: nodePort, agent: agentFor(1) };
    const ngx: Target = { port: nginxPort, agent: agentFor(1) };

    // BENCH_ONLY=a|b|c runs one part (while tuning); the default runs all three.
    const only = process.env.BENCH_ONLY;
    if (!only || only === 'a') {
    console.log('\n(a) 1 GiB GET over TLS, one connection (median of 3)');
    const connGet = await throughputGet(node, '/conn/big.bin');
    const bareGet = await throughputGet(node, '/bare/big.bin');
    const ngxGet = await throughputGet(ngx, '/big.bin');
    console.log(`  connector (worker) : ${connGet.toFixed(0)} MiB/s`);
    console.log(`  bare node:https    : ${bareGet.toFixed(0)} MiB/s`);
    console.log(`  nginx              : ${ngxGet.toFixed(0)} MiB/s`);
    console.log(`  ratio connector/nginx = ${(connGet / ngxGet).toFixed(2)}, connector/bare = ${(connGet / bareGet).toFixed(2)}`);
    console.log(`  (connector read transport: ${await text(node, '/transport')})`);

    }
    if (!only || only === 'b') {
    console.log('\n(b) 1 GiB PUT over TLS, one connection (median of 3; includes fsync)');
    const chunk = randomBytes(4 * MiB);
    const connPut = await throughputPut(node, '/conn/upload.bin', chunk);
    const barePut = await throughputPut(node, '/bare/upload-bare.bin', chunk);
    console.log(`  connector (worker, temp+fsync+rename) : ${connPut.toFixed(0)} MiB/s`);
    console.log(`  bare node:https (temp+fsync+rename)   : ${barePut.toFixed(0)} MiB/s`);
    console.log(`  ratio connector/bare = ${(connPut / barePut).toFixed(2)}`);

    }
    if (!only || only === 'c') {
    console.log(`\n(c) 4 KiB GET rate, ${CONNECTIONS} keep-alive connections, ${SMALL_REQUESTS} requests`);
    const many = (port: number): Target => ({ port, agent: agentFor(CONNECTIONS) });
    const connRate = await requestRate(many(nodePort), '/conn/small.bin');
    const bareRate = await requestRate(many(nodePort), '/bare/small.bin');
    const memRate = await requestRate(many(nodePort), '/mem/small.bin');
    const ngxRate = await requestRate(many(nginxPort), '/small.bin');
    console.log(`  connector (worker) : ${connRate.toFixed(0)} req/s`);
    console.log(`  bare node:https    : ${bareRate.toFixed(0)} req/s`);
    console.log(`  node:https, memory : ${memRate.toFixed(0)} req/s (ceiling of the node server without file I/O)`);
    console.log(`  nginx (1 worker)   : ${ngxRate.toFixed(0)} req/s`);
    console.log(`  ratio connector/nginx = ${(connRate / ngxRate).toFixed(2)}, connector/bare = ${(connRate / bareRate).toFixed(2)}`);
    }
  } finally {
    cleanup();
  }
}

if (process.argv[2] === 'serve') await serve();
else await main();
