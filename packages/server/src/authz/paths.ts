// Path restrictions (path_restrictions#1.0.0): normalisation, interpolation, fnmatch and precedence (spec semantics.md §5).
export type AccessLevel = 'none' | 'read' | 'read_write';

export interface PathRestrictions {
  DATA_TYPE?: string;
  none?: string[] | null;
  read?: string[] | null;
  read_write?: string[] | null;
}

export interface PathVariables {
  /** the account's home directory; `/` when the connector has none */
  home?: string;
  /** gateway username: for a guest collection, the creator's credential username */
  user?: string;
}

const RANK: Record<AccessLevel, number> = { none: 0, read: 1, read_write: 2 };

/** The lesser of several levels: restrictions from independent sources intersect. */
export function intersectAccess(...levels: AccessLevel[]): AccessLevel {
  return levels.reduce<AccessLevel>((a, b) => (RANK[b] < RANK[a] ? b : a), 'read_write');
}

export function atLeast(level: AccessLevel, needed: AccessLevel): boolean {
  return RANK[level] >= RANK[needed];
}

/** Absolute, `//` collapsed, `.` resolved; null when `..` would climb above `/` or the path is relative. */
export function normalizePath(path: string): string | null {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) return null;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** Joins a root and a path relative to it; null when the result would escape the root. */
export function joinUnderRoot(root: string, relative: string): string | null {
  const rel = normalizePath(relative.startsWith('/') ? relative : `/${relative}`);
  const base = normalizePath(root);
  if (rel === null || base === null) return null;
  return base === '/' ? rel : rel === '/' ? base : `${base}${rel}`;
}

/** `~`, `$HOME` and `$USER` expansion in a pattern or a collection path. */
export function interpolatePath(pattern: string, vars: PathVariables): string {
  const home = vars.home ?? '/';
  let out = pattern.replace(/\$USER/g, vars.user ?? '$USER').replace(/\$HOME/g, home);
  if (out === '~' || out.startsWith('~/')) out = home + out.slice(1);
  else if (out.startsWith('/~/') || out === '/~') out = home + out.slice(2);
  return out;
}

/** fnmatch(3) with flags 0: `*` and `?` also match `/`; `[...]` brackets; `\` escapes. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const close = bracketEnd(pattern, i);
      if (close < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]').replace(/\[/g, '\\[')}]`;
        i = close;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function bracketEnd(pattern: string, open: number): number {
  let j = open + 1;
  if (pattern[j] === '!' || pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  for (; j < pattern.length; j++) if (pattern[j] === ']') return j;
  return -1;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Tie-break among equally long matches: literals beat brackets, which beat `?`, which beat `*`. */
function specificity(pattern: string): number[] {
  const stars = (pattern.match(/\*/g) ?? []).length;
  const questions = (pattern.match(/\?/g) ?? []).length;
  const brackets = (pattern.match(/\[/g) ?? []).length;
  return [-stars, -questions, -brackets];
}

interface Applicable {
  level: AccessLevel;
  depth: number;
  spec: number[];
}

function leadingPrefixes(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const prefixes = ['/'];
  for (let i = 1; i <= parts.length; i++) prefixes.push(`/${parts.slice(0, i).join('/')}`);
  return prefixes;
}

/**
 * The level a restriction document grants on an absolute, normalised path. A null/absent document
 * restricts nothing; in a present one an uncovered path gets `none`.
 */
export function pathAccess(doc: PathRestrictions | null | undefined, path: string, vars: PathVariables = {}): AccessLevel {
  if (!doc) return 'read_write';
  const prefixes = leadingPrefixes(path);
  const applicable: Applicable[] = [];
  for (const level of ['none', 'read', 'read_write'] as const) {
    for (const raw of doc[level] ?? []) {
      if (typeof raw !== 'string' || raw === '') continue;
      let pattern = interpolatePath(raw, vars);
      if (pattern.length > 1) pattern = pattern.replace(/\/+$/, '');
      const re = fnmatchToRegExp(pattern);
      for (let depth = prefixes.length - 1; depth >= 0; depth--) {
        if (re.test(prefixes[depth])) {
          applicable.push({ level, depth, spec: specificity(pattern) });
          break;
        }
      }
    }
  }
  if (applicable.length === 0) return 'none';
  applicable.sort((a, b) => b.depth - a.depth || compareSpec(b.spec, a.spec));
  // Deepest first: none and read_write settle it; a read yields only to an enclosing read_write.
  let result: AccessLevel | undefined;
  for (const entry of applicable) {
    if (result === undefined) {
      result = entry.level;
      if (entry.level !== 'read') return entry.level;
      continue;
    }
    if (entry.level === 'read_write') return 'read_write';
    if (entry.level === 'none') return result;
  }
  return result ?? 'none';
}

function compareSpec(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** A path_restrictions document's lists must hold absolute (or `~`/`$HOME`-rooted) patterns. */
export function invalidRestrictionPaths(doc: PathRestrictions | null | undefined): string[] {
  if (!doc) return [];
  const bad: string[] = [];
  for (const level of ['none', 'read', 'read_write'] as const) {
    for (const p of doc[level] ?? []) {
      if (typeof p !== 'string' || !(p.startsWith('/') || p.startsWith('~') || p.startsWith('$HOME'))) bad.push(String(p));
    }
  }
  return bad;
}
