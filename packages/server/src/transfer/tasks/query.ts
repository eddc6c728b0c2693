// Query parameters of the task routes: limit/offset, orderby, fields, booleans and the task_list filter grammar (spec transfer-tasks.md §0.3, §5).
import type { TaskStatus, TaskType } from '../task-tables.ts';
import { transferErrors } from '../errors.ts';
import { requireTime } from './timestamps.ts';

const badRequest = (message: string) => transferErrors.error('ClientError.BadRequest', message);

const STATUSES: readonly TaskStatus[] = ['ACTIVE', 'INACTIVE', 'SUCCEEDED', 'FAILED'];
const TYPES: readonly TaskType[] = ['TRANSFER', 'DELETE'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `True`/`true`/`1` (Python, JS, the SDK's 1/0) and their negations; anything else is a 400. */
export function truthy(raw: string, name: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`Invalid boolean for ${name}: '${raw}'`);
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw badRequest(`Invalid ${name} '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw badRequest(`${name} must be between ${min} and ${max}`);
  return n;
}

export function parseLimitOffset(
  limit: string | undefined,
  offset: string | undefined,
  { defaultLimit, maxLimit }: { defaultLimit: number; maxLimit: number },
): { limit: number; offset: number } {
  return { limit: integer(limit, 'limit', defaultLimit, 1, maxLimit), offset: integer(offset, 'offset', 0, 0, 1_000_000) };
}

/** `fields=task_id,status`: the keys to keep of each item (§0.3); absent or empty: all. */
export function parseFields(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const fields = raw
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  return fields.length ? fields : undefined;
}

const ORDER_COLUMNS = {
  request_time: 'requested_at',
  completion_time: 'completed_at',
  deadline: 'deadline_at',
  label: 'label',
  status: 'status',
  type: 'type',
  task_id: 'task_id',
  faults: 'faults',
} as const;
export type OrderColumn = (typeof ORDER_COLUMNS)[keyof typeof ORDER_COLUMNS];

/** `orderby=request_time DESC,label` (§5.1); default newest first. */
export function parseTaskOrder(raw: string | undefined): Array<{ column: OrderColumn; desc: boolean }> {
  if (raw === undefined || raw.trim() === '') return [{ column: 'requested_at', desc: true }];
  return raw.split(',').map((part) => {
    const m = /^\s*([a-z_]+)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!m || !Object.hasOwn(ORDER_COLUMNS, m[1])) throw badRequest(`Invalid orderby '${part.trim()}'`);
    return { column: ORDER_COLUMNS[m[1] as keyof typeof ORDER_COLUMNS], desc: m[2]?.toLowerCase() === 'desc' };
  });
}

/** A label pattern of §5.2: `~glob` (case-insensitive), `!~glob`, `=text`, `!text`, bare text = exact. */
export interface LabelPattern {
  negative: boolean;
  glob: boolean;
  text: string;
}

export interface TimeRange {
  start?: number;
  end?: number;
}

export interface TaskFilter {
  taskIds?: string[];
  types?: TaskType[];
  statuses?: TaskStatus[];
  labels: LabelPattern[];
  requestTime?: TimeRange;
  completionTime?: TimeRange;
}

function values(raw: string): string[] {
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], name: string): T[] {
  const list = values(raw).map((v) => v.toUpperCase());
  if (list.length === 0 || list.some((v) => !allowed.includes(v as T))) throw badRequest(`Invalid ${name} filter '${raw}'`);
  return list as T[];
}

/** `START,END` with either side empty; both ends inclusive. */
export function parseRange(raw: string, name: string): TimeRange {
  const comma = raw.indexOf(',');
  const [start, end] = comma < 0 ? [raw, ''] : [raw.slice(0, comma), raw.slice(comma + 1)];
  const range: TimeRange = {};
  if (start.trim()) range.start = requireTime(start, `${name} start`);
  if (end.trim()) range.end = requireTime(end, `${name} end`);
  return range;
}

export function parseLabelPatterns(raw: string): LabelPattern[] {
  // Labels may contain commas only as separators here, as the CLI joins its --filter-label values.
  return raw
    .split(',')
    .filter((v) => v !== '')
    .map((v) => {
      if (v.startsWith('!~')) return { negative: true, glob: true, text: v.slice(2) };
      if (v.startsWith('~')) return { negative: false, glob: true, text: v.slice(1) };
      if (v.startsWith('!')) return { negative: true, glob: false, text: v.slice(1) };
      return { negative: false, glob: false, text: v.startsWith('=') ? v.slice(1) : v };
    });
}

/**
 * The `filter` of task_list (§5.2): the value arrives decoded; clauses split on `/`, each on its first
 * `:` only (dates hold colons), values on `,`. Empty means no filter. Unknown clauses are a 400.
 */
export function parseTaskFilter(raw: string | undefined): TaskFilter {
  const filter: TaskFilter = { labels: [] };
  if (raw === undefined || raw.trim() === '') return filter;
  for (const clause of raw.split('/').filter((c) => c.trim() !== '')) {
    const colon = clause.indexOf(':');
    if (colon <= 0) throw badRequest(`Invalid filter clause '${clause}'`);
    const name = clause.slice(0, colon).trim();
    const value = clause.slice(colon + 1);
    switch (name) {
      case 'task_id': {
        const ids = values(value).map((v) => v.toLowerCase());
        if (ids.length === 0 || ids.some((id) => !UUID.test(id))) throw badRequest(`Invalid task_id filter '${value}'`);
        filter.taskIds = ids;
        break;
      }
      case 'type':
        filter.types = oneOf(value, TYPES, 'type');
        break;
      case 'status':
        filter.statuses = oneOf(value, STATUSES, 'status');
        break;
      case 'label':
        filter.labels.push(...parseLabelPatterns(value));
        break;
      case 'request_time':
        filter.requestTime = parseRange(value, 'request_time');
        break;
      case 'completion_time':
        filter.completionTime = parseRange(value, 'completion_time');
        break;
      default:
        throw badRequest(`Filtering on '${name}' is not supported`);
    }
  }
  return filter;
}

/** A glob (`*`, `?`) as a LIKE pattern with `\` as its escape character. */
export function globToLike(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}
