// Safe path resolution: normalisation rules, symlink containment, and a ≥100k-path traversal fuzz over a tree with escaping symlinks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { isInside, normalizeClientPath, resolveTarget, type Resolution } from '../src/data/paths.ts';

let tmp: string;
let root: string;
let outside: string;

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gh-paths-')));
  root = path.join(tmp, 'root');
  outside = path.join(tmp, 'outside');
  fs.mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true });
  fs.mkdirSync(path.join(root, 'base', 'inner'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  fs.writeFileSync(path.join(root, 'dir', 'file.txt'), 'hello');
  fs.writeFileSync(path.join(root, 'top.txt'), 'top');
  const links: Array<[string, string]> = [
    ['link_out', '../outside'],
    ['link_abs_out', outside],
    ['dir/link_up', '../..'],
    ['dir/link_root', '..'],
    ['link_in', 'dir'],
    ['link_file_in', 'dir/file.txt'],
    ['link_loop', 'link_loop'],
    ['dangling_out', '../outside/nope'],
    ['dangling_in', 'dir/nope'],
    ['link_etc', '/etc'],
    ['link_secret', '../outside/secret.txt'],
    ['base/to_top', '../top.txt'],
    ['base/to_root', '..'],
    ['dir/sub/link_tmp', tmp],
  ];
  for (const [at, target] of links) fs.symlinkSync(target, path.join(root, at));
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('normalizeClientPath', () => {
  test('collapses duplicate slashes and dot segments', () => {
    assert.deepEqual(normalizeClientPath('//a///b/./c/'), { ok: true, relative: '/a/b/c', segments: ['a', 'b', 'c'] });
    assert.equal((normalizeClientPath('a/b/../c') as any).relative, '/a/c');
    assert.equal((normalizeClientPath('') as any).relative, '/');
  });
  test('refuses climbing above the root', () => {
    for (const p of ['..', '/..', '/a/../..', '../etc/passwd', '/./../x']) {
      const r = normalizeClientPath(p);
      assert.equal(r.ok, false, p);
      assert.equal((r as any).code, 'path_outside_root', p);
    }
  });
  test('refuses NUL and backslashes as invalid_path', () => {
    for (const p of ['/a\0b', '/..\\..\\etc', '\\x']) assert.equal((normalizeClientPath(p) as any).code, 'invalid_path', JSON.stringify(p));
  });
  test('a literal %2e (decoded once from %252e) is a name, not a dot', () => {
    assert.equal((normalizeClientPath('/%2e%2e/x') as any).relative, '/%2e%2e/x');
  });
  test('over-long components are invalid', () => {
    assert.equal((normalizeClientPath(`/${'a'.repeat(256)}`) as any).code, 'invalid_path');
  });
});

describe('resolveTarget', () => {
  const r = (p: string, intent: 'read' | 'write' = 'read', base?: string) => resolveTarget({ root, base, path: p, intent });

  test('existing files resolve to their real path', async () => {
    const res = await r('/dir//file.txt');
    assert.equal(res.ok, true);
    assert.equal((res as any).path, path.join(root, 'dir', 'file.txt'));
    assert.equal((res as any).exists, true);
  });
  test('a symlink that stays inside is followed', async () => {
    assert.equal(((await r('/link_in/file.txt')) as any).path, path.join(root, 'dir', 'file.txt'));
    assert.equal(((await r('/dir/link_root/top.txt')) as any).path, path.join(root, 'top.txt'));
  });
  test('symlinks leading outside are refused, for reads and writes, existing or not', async () => {
    for (const p of ['/link_out/secret.txt', '/link_abs_out/new.txt', '/dir/link_up/outside', '/link_etc/passwd', '/dir/sub/link_tmp/root', '/link_out/x/y']) {
      for (const intent of ['read', 'write'] as const) {
        const res = await r(p, intent);
        assert.equal(res.ok, false, `${intent} ${p}`);
        assert.equal((res as any).code, 'path_outside_root', `${intent} ${p}`);
      }
    }
    for (const p of ['/link_out', '/link_secret', '/dangling_out', '/dir/link_up']) assert.equal(((await r(p, 'read')) as any).code, 'path_outside_root', p);
  });
  test('writes never follow the final component: a link is the object itself', async () => {
    for (const p of ['/link_out', '/link_secret', '/dangling_out', '/dir/link_root']) {
      const res = await r(p, 'write');
      assert.equal(res.ok, true, p);
      assert.equal((res as any).path, path.join(root, p), p);
      assert.equal((res as any).exists, true, p);
    }
  });
  test('writes: a new name under an existing inside directory is accepted', async () => {
    const res = await r('/dir/new.txt', 'write');
    assert.deepEqual(res, {
      ok: true,
      path: path.join(root, 'dir', 'new.txt'),
      relative: '/dir/new.txt',
      boundary: root,
      root,
      exists: false,
      parentExists: true,
    });
    const deep = await r('/dir/missing/new.txt', 'write');
    assert.equal((deep as any).parentExists, false);
  });
  test('a base path is a boundary of its own', async () => {
    assert.equal(((await r('/inner', 'read', '/base')) as any).path, path.join(root, 'base', 'inner'));
    assert.equal(((await r('/..', 'read', '/base')) as any).code, 'path_outside_root');
    assert.equal(((await r('/to_top', 'read', '/base')) as any).code, 'path_outside_root');
    assert.equal(((await r('/to_root/dir', 'read', '/base')) as any).code, 'path_outside_root');
    assert.equal(((await r('/', 'read', '/link_out')) as any).code, 'path_outside_root');
  });
  test('symlink loops surface the kernel error', async () => {
    await assert.rejects(r('/link_loop/x'), { code: 'ELOOP' });
  });
});

/** Independent check of an accepted result: the real path of its deepest existing ancestor is inside the root. */
function assertContained(res: Resolution, label: string, boundary: string, intent: 'read' | 'write'): void {
  if (!res.ok) return;
  // A write acts on the final name itself (never followed): its directory is what must be inside.
  const write = intent === 'write' && res.path !== boundary;
  if (write && res.parentExists) assert.equal(path.dirname(res.path), fs.realpathSync(path.dirname(res.path)), `${label}: parent must be real`);
  let current = write ? path.dirname(res.path) : res.path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync(current);
      assert.ok(isInside(boundary, real), `${label}: ${current} → ${real} escapes ${boundary}`);
      if (!write && tail.length === 0 && res.exists) assert.equal(real, res.path, `${label}: an existing target must come back as its real path`);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') return;
      if (!['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code!)) throw error;
      // A dangling symlink on the way: where it points must be inside as well.
      const link = (() => {
        try {
          return fs.readlinkSync(current);
        } catch {
          return null;
        }
      })();
      if (link !== null) assert.ok(isInside(boundary, path.resolve(path.dirname(current), link)) || tail.length > 0, `${label}: dangling ${current} → ${link}`);
      tail.push(path.basename(current));
      current = path.dirname(current);
    }
  }
}

describe('traversal fuzz', () => {
  const SEGMENTS = [
    '..',
    '.',
    '',
    '%2e',
    '%2e%2e',
    '%2E%2E',
    '.%2e',
    '%2e.',
    '%252e%252e',
    '%2f',
    '%2F..',
    '..%2f..',
    '%5c..',
    '...',
    '....',
    'dir',
    'sub',
    'file.txt',
    'top.txt',
    'missing',
    'base',
    'inner',
    'link_out',
    'link_abs_out',
    'link_up',
    'link_root',
    'link_in',
    'link_file_in',
    'link_loop',
    'dangling_out',
    'dangling_in',
    'link_etc',
    'link_secret',
    'to_top',
    'to_root',
    'link_tmp',
    'outside',
    'secret.txt',
    'root',
    'etc',
    'passwd',
    '%00',
    '\\..',
    '..\\',
    'a\\b',
    '~',
    '$HOME',
  ];
  const segment = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
  const rawPath = fc
    .tuple(fc.boolean(), fc.array(fc.tuple(segment, fc.constantFrom('/', '/', '/', '//', '///', '%2f')), { minLength: 1, maxLength: 9 }))
    .map(([lead, parts]) => (lead ? '/' : '') + parts.map(([s, sep]) => s + sep).join(''));

  test('≥100,000 generated paths: no accepted path escapes the root (realpath-checked)', async (t) => {
    const total = 100_000;
    const samples = fc.sample(rawPath, { numRuns: total, seed: 4242 });
    let accepted = 0;
    let refused = 0;
    let kernel = 0;
    const bases = [undefined, '/base', '/dir'];
    const BATCH = 256;
    for (let i = 0; i < samples.length; i += BATCH) {
      await Promise.all(
        samples.slice(i, i + BATCH).map(async (raw, j) => {
          let decoded: string;
          try {
            decoded = decodeURIComponent(raw);
          } catch {
            decoded = raw; // malformed escapes: a server would answer 400; resolving the raw text is a harder test
          }
          const base = bases[(i + j) % bases.length];
          const boundary = base ? fs.realpathSync(path.join(root, base)) : root;
          const intent = (i + j) % 2 === 0 ? 'read' : 'write';
          let res: Resolution;
          try {
            res = await resolveTarget({ root, base, path: decoded, intent });
          } catch (error) {
            assert.ok(['ELOOP', 'ENAMETOOLONG', 'EACCES'].includes((error as NodeJS.ErrnoException).code!), `${raw}: ${error}`);
            kernel++;
            return;
          }
          if (res.ok) {
            accepted++;
            assertContained(res, `${intent} ${JSON.stringify(raw)} base=${base}`, boundary, intent);
          } else refused++;
        }),
      );
    }
    t.diagnostic(`accepted ${accepted}, refused ${refused}, kernel errors ${kernel}`);
    assert.equal(accepted + refused + kernel, total);
    assert.ok(accepted > 10_000 && refused > 10_000, `accepted ${accepted}, refused ${refused}, kernel ${kernel}`);
  });
});
