// docs/routes.md is the route table of the running app: this fails when a route is added, moved or removed without regenerating it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeDocument } from '@gatehouse/server';

const DOC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'routes.md');

test('docs/routes.md lists every route of the app and the file that handles it (regenerate: npm run docs:routes)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-routes-'));
  try {
    const current = await routeDocument(tmp);
    // Every handler file named exists, so a moved route cannot keep a stale name.
    for (const [, file] of current.matchAll(/\| `([^`]+\.ts)` \|$/gm))
      assert.ok(fs.existsSync(path.join(path.dirname(DOC), '..', 'packages/server/src', file)), `${file} exists`);
    assert.match(current, /\| PATCH \| `\/api\/collections\/:collection_id` \| `gcs\/routes\/collections\.ts` \|/);
    const written = fs.readFileSync(DOC, 'utf8').split('\n');
    const now = current.split('\n');
    const stale = { missing: now.filter((l) => !written.includes(l)), extra: written.filter((l) => !now.includes(l)) };
    assert.deepEqual(stale, { missing: [], extra: [] }, 'docs/routes.md is stale: run `npm run docs:routes`');
    assert.equal(written.join('\n'), current, 'docs/routes.md is out of order: run `npm run docs:routes`');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
