// Bare node:https data reference (child process entry): PUT streams to a temp file, fsyncs and renames; GET streams a file.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { serveAsChild } from '../lib/child.ts';

const [certPath, keyPath, root] = process.argv.slice(2);
if (!certPath || !keyPath || !root) throw new Error('usage: reference-server.ts <cert.pem> <key.pem> <root dir>');
const MiB = 1 << 20;

const server = https.createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, async (req, res) => {
  // No authorization, no path checks beyond staying a plain name: this is the floor under Gatehouse's data plane.
  const rel = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
  if (rel.split('/').some((s) => s === '..' || s === '')) return void res.writeHead(400).end();
  const file = path.join(root, rel);
  try {
    if (req.method === 'PUT') {
      const temp = path.join(path.dirname(file), `.bare-${randomBytes(8).toString('hex')}`);
      await pipeline(req, fs.createWriteStream(temp, { highWaterMark: MiB }));
      const fd = await fs.promises.open(temp, 'r');
      await fd.sync();
      await fd.close();
      await fs.promises.rename(temp, file);
      res.writeHead(201).end();
    } else if (req.method === 'GET') {
      const st = await fs.promises.stat(file);
      res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
      // Small files in one read, as any tuned handler would; large ones streamed in 1 MiB chunks.
      if (st.size <= 64 * 1024) res.end(await fs.promises.readFile(file));
      else await pipeline(fs.createReadStream(file, { highWaterMark: MiB }), res);
    } else res.writeHead(405).end();
  } catch (error) {
    if (!res.headersSent) res.writeHead((error as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : 500).end();
    else res.destroy();
  }
});

server.keepAliveTimeout = 60_000;
serveAsChild(server);
