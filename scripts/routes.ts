// Writes docs/routes.md from the running app: every route and the file that handles it (`npm run docs:routes`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeDocument } from '@gatehouse/server';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'routes.md');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-routes-'));
try {
  fs.writeFileSync(out, await routeDocument(tmp));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
