// interpret_globs of a delete (spec §3.1): `*`, `?` and `[…]` in the last path component, unless backslash-escaped.
import path from 'node:path';

export type DeleteTarget = { kind: 'literal'; path: string } | { kind: 'glob'; parent: string; pattern: RegExp };

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * What a delete item names. Without interpret_globs the path is taken literally. With it, the last
 * component is a pattern when it holds an unescaped `*`, `?` or `[`; a backslash makes the next character
 * literal (and is dropped), so `a\*b` deletes the file named `a*b`.
 */
export function deleteTarget(itemPath: string, interpretGlobs: boolean): DeleteTarget {
  if (!interpretGlobs) return { kind: 'literal', path: itemPath };
  const parent = path.posix.dirname(itemPath);
  const last = path.posix.basename(itemPath);
  let re = '';
  let literal = '';
  let glob = false;
  for (let i = 0; i < last.length; i++) {
    const c = last[i];
    if (c === '\\' && i + 1 < last.length) {
      re += escapeRe(last[++i]);
      literal += last[i];
    } else if (c === '*' || c === '?') {
      glob = true;
      re += c === '*' ? '.*' : '.';
    } else if (c === '[') {
      const close = last.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        literal += c;
        continue;
      }
      glob = true;
      let body = last.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      re += escapeRe(c);
      literal += c;
    }
  }
  if (!glob) return { kind: 'literal', path: parent === '/' ? `/${literal}` : `${parent}/${literal}` };
  return { kind: 'glob', parent, pattern: new RegExp(`^${re}$`, 's') };
}
