// filter_rules of a transfer (spec §15.4): which names recursive expansion keeps — first matching rule decides, no match includes.
import { globToRegExp } from '../../data/posix/ops.ts';
import type { FilterRule } from '../task-tables.ts';

export type Compiled = Array<{ include: boolean; type?: 'file' | 'dir'; re: RegExp }>;

export function compileFilters(rules: readonly FilterRule[] | null | undefined): Compiled {
  return (rules ?? []).map((r) => ({ include: r.method === 'include', type: r.type, re: globToRegExp(r.name) }));
}

/**
 * Whether an entry found while expanding a directory is kept. Rules are tried in order; a rule with a
 * `type` only looks at files or only at directories; the first that matches the name decides. An excluded
 * directory is never listed, so its whole subtree goes with it. Top-level items never come here.
 */
export function included(filters: Compiled, name: string, type: 'file' | 'dir'): boolean {
  for (const rule of filters) {
    if (rule.type !== undefined && rule.type !== type) continue;
    if (rule.re.test(name)) return rule.include;
  }
  return true;
}
