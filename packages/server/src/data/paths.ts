// Safe resolution of client paths under a collection root: lexical normalisation (pure) and symlink-aware containment (fs).
import fs from 'node:fs';
import path from 'node:path';

export type PathRefusalCode = 'path_outside_root' | 'invalid_path';

export interface PathRefusal {
  ok: false;
  code: PathRefusalCode;
  message: string;
}

export interface NormalizedPath {
  ok: true;
  /** collection-relative, `/`-rooted, no `.`/`..`/empty segments: what clients, ACLs and restrictions see */
  relative: string;
  segments: string[];
}

export interface ResolvedPath {
  ok: true;
  /** absolute storage path whose every existing component is a real (symlink-free) directory inside the boundary */
  path: string;
  relative: string;
  /** the real path of the containment boundary (root + base) */
  boundary: string;
  /** the real path of the collection root (the boundary itself without a base) */
  root: string;
  /** whether the target itself exists (a dangling final symlink counts as not existing) */
  exists: boolean;
  /** whether the target's parent directory exists (creating the target needs it) */
  parentExists: boolean;
}

export type Normalized = NormalizedPath | PathRefusal;
export type Resolution = ResolvedPath | PathRefusal;

/**
 * `read`: the target's real path must stay inside; symlinks are followed. `write` (create, replace, remove,
 * rename): the parent's real path must stay inside; a symlink in the final position is the object itself.
 */
export type PathIntent = 'read' | 'write';

export interface ResolveOptions {
  /** the collection root, absolute */
  root: string;
  /** an optional base under the root (a guest's base path); the boundary becomes root + base */
  base?: string;
  /** the client's path, already URL-decoded exactly once */
  path: string;
  intent: PathIntent;
}

// Linux limits; longer inputs would only fail later with ENAMETOOLONG, after touching the file system.
const NAME_MAX = 255;
const PATH_MAX = 4096;

export function refuse(code: PathRefusalCode, message: string): PathRefusal {
  return { ok: false, code, message };
}

/**
 * Lexical normalisation of a client path: `//` collapsed, `.` dropped, `..` applied (RFC 3986 dot-segment
 * semantics, like every URL layer in front of us). Climbing above the top is `path_outside_root`.
 * NUL and backslashes are `invalid_path`: a backslash is a separator to some clients and proxies and a name
 * character to POSIX, and a path that means different things to different layers is how traversals slip through.
 */
export function normalizeClientPath(clientPath: string): Normalized {
  if (typeof clientPath !== 'string') return refuse('invalid_path', 'Path must be a string');
  if (clientPath.includes('\0')) return refuse('invalid_path', 'Path contains a NUL character');
  if (clientPath.includes('\\')) return refuse('invalid_path', 'Path contains a backslash');
  if (clientPath.length > PATH_MAX) return refuse('invalid_path', `Path is longer than ${PATH_MAX} characters`);
  const segments: string[] = [];
  for (const part of clientPath.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) return refuse('path_outside_root', `Path '${clientPath}' leaves the collection root`);
      segments.pop();
      continue;
    }
    if (Buffer.byteLength(part) > NAME_MAX) return refuse('invalid_path', `A path component is longer than ${NAME_MAX} bytes`);
    segments.push(part);
  }
  return { ok: true, relative: `/${segments.join('/')}`, segments };
}

/** True when `child` is `parent` or below it; both absolute and normalised. */
export function isInside(parent: string, child: string): boolean {
  if (parent === '/') return child.startsWith('/');
  return child === parent || child.startsWith(`${parent}/`);
}

/** The lexical boundary (root + base) and target, before any symlink is looked at. */
export function lexicalTarget(
  root: string,
  base: string | undefined,
  clientPath: string,
): { boundary: string; target: string; relative: string } | PathRefusal {
  if (typeof root !== 'string' || !path.isAbsolute(root) || root.includes('\0')) return refuse('invalid_path', 'Collection root must be an absolute path');
  const rootNorm = path.resolve(root);
  let boundary = rootNorm;
  if (base !== undefined && base !== '' && base !== '/') {
    const b = normalizeClientPath(base);
    if (!b.ok) return b;
    boundary = b.relative === '/' ? rootNorm : path.join(rootNorm, b.relative);
  }
  const rel = normalizeClientPath(clientPath);
  if (!rel.ok) return rel;
  const target = rel.relative === '/' ? boundary : path.join(boundary, rel.relative);
  return { boundary, target, relative: rel.relative };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Resolves a client path to a storage path that cannot leave the boundary through `..` or symlinks:
 * the deepest existing ancestor is resolved with realpath and must lie inside the boundary's real path;
 * components below it do not exist yet and are appended as is. For `write`, only the parent must resolve
 * inside: the final component is never followed (rename replaces a link, unlink removes it, opens use O_NOFOLLOW).
 * Errors other than "missing" (EACCES on a component, ELOOP) are thrown as they are: the kernel's answer.
 */
export async function resolveTarget(options: ResolveOptions): Promise<Resolution> {
  const lex = lexicalTarget(options.root, options.base, options.path);
  if ('ok' in lex) return lex;
  let realBoundary: string;
  try {
    realBoundary = await fs.promises.realpath(lex.boundary);
  } catch (error) {
    if (isMissing(error)) return refuse('invalid_path', 'The collection root does not exist');
    throw error;
  }
  const realRoot = options.base ? await fs.promises.realpath(path.resolve(options.root)).catch(() => null) : realBoundary;
  if (realRoot === null || !isInside(realRoot, realBoundary)) return refuse('path_outside_root', 'The collection base path leaves the collection root');

  const outside = () => refuse('path_outside_root', `Path '${lex.relative}' leaves the collection root`);
  const root = realRoot;
  if (lex.target === lex.boundary)
    return { ok: true, path: realBoundary, relative: lex.relative, boundary: realBoundary, root, exists: true, parentExists: true };

  const parentLex = path.dirname(lex.target);
  const name = path.basename(lex.target);
  const parent = await realpathDeepest(parentLex, lex.boundary, realBoundary);
  if (!isInside(realBoundary, parent.real) || parent.danglingOutside) return outside();
  const candidate = path.join(parent.real, name);
  if (!parent.complete) return { ok: true, path: candidate, relative: lex.relative, boundary: realBoundary, root, exists: false, parentExists: false };

  if (options.intent === 'write') {
    // The final name is never followed on write: uploads rename over it, remove/rename act on the link itself.
    let exists = false;
    try {
      await fs.promises.lstat(candidate);
      exists = true;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    return { ok: true, path: candidate, relative: lex.relative, boundary: realBoundary, root, exists, parentExists: true };
  }

  try {
    const real = await fs.promises.realpath(candidate);
    if (!isInside(realBoundary, real)) return outside();
    return { ok: true, path: real, relative: lex.relative, boundary: realBoundary, root, exists: true, parentExists: true };
  } catch (error) {
    if (!isMissing(error)) throw error;
    // A dangling symlink: refuse it when its text points outside, so "not found" never hints at outside names.
    const link = await fs.promises.readlink(candidate).catch(() => null);
    if (link !== null) {
      const pointed = path.resolve(parent.real, link);
      if (!isInside(realBoundary, pointed)) return outside();
    }
    return { ok: true, path: candidate, relative: lex.relative, boundary: realBoundary, root, exists: false, parentExists: true };
  }
}

/**
 * realpath of the deepest existing ancestor of `target` (inside `lexBoundary`), with the missing tail appended.
 * `complete` is true when `target` itself exists.
 */
async function realpathDeepest(
  target: string,
  lexBoundary: string,
  realBoundary: string,
): Promise<{ real: string; complete: boolean; danglingOutside: boolean }> {
  const tail: string[] = [];
  let current = target;
  for (;;) {
    try {
      const real = await fs.promises.realpath(current);
      if (tail.length === 0) return { real, complete: true, danglingOutside: false };
      // Only the first missing component can exist (as a dangling symlink): where it points must be inside too,
      // or creating that target later would open a way out.
      const first = path.join(real, tail[tail.length - 1]);
      const link = await fs.promises.readlink(first).catch(() => null);
      const danglingOutside = link !== null && !isInside(realBoundary, path.resolve(real, link));
      return { real: path.join(real, ...tail.reverse()), complete: false, danglingOutside };
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (current === lexBoundary || current === '/')
        return { real: tail.length ? path.join(realBoundary, ...tail.reverse()) : realBoundary, complete: false, danglingOutside: false };
      tail.push(path.basename(current));
      current = path.dirname(current);
    }
  }
}

/** `to` as a `/`-rooted path below `from` (both real, `to` inside `from`). */
export function relativeBelow(from: string, to: string): string {
  return to === from ? '/' : `/${path.relative(from, to).split(path.sep).join('/')}`;
}

/**
 * Where a guest's base path really is below its mapped collection's root, every link resolved (`/`-rooted),
 * so that restrictions are judged on the place it leads to; null when it does not exist (yet), a refusal
 * when it leads out of the root or cannot be resolved.
 */
export async function realBasePath(root: string, base: string): Promise<{ ok: true; base: string | null } | PathRefusal> {
  let r: Resolution;
  try {
    r = await resolveTarget({ root, base, path: '/', intent: 'read' });
  } catch (error) {
    return refuse('invalid_path', `The base path cannot be resolved: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!r.ok) return r.code === 'invalid_path' ? { ok: true, base: null } : r;
  return { ok: true, base: relativeBelow(r.root, r.boundary) };
}
