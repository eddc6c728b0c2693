// A task_list filter (query.ts) as conditions on transfer_tasks, the same on SQLite and PostgreSQL.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { globToLike, type LabelPattern, type TaskFilter } from './query.ts';

type TaskQuery<O> = SelectQueryBuilder<Database, 'transfer_tasks', O>;

function labelCondition(p: LabelPattern) {
  const match = p.glob ? sql<boolean>`lower(label) like ${globToLike(p.text.toLowerCase())} escape '\\'` : sql<boolean>`label = ${p.text}`;
  return p.negative ? sql<boolean>`(label is null or not (${match}))` : match;
}

/**
 * Label patterns (§5.2): a task matches when no positive pattern is given or one of them matches, and no
 * negative pattern matches. Time ranges are inclusive; a completion range never matches an open task
 * unless its end is left empty.
 */
export function applyFilter<O>(query: TaskQuery<O>, filter: TaskFilter): TaskQuery<O> {
  let q = query;
  if (filter.taskIds) q = q.where('task_id', 'in', filter.taskIds);
  if (filter.types) q = q.where('type', 'in', filter.types);
  if (filter.statuses) q = q.where('status', 'in', filter.statuses);
  const positive = filter.labels.filter((p) => !p.negative);
  if (positive.length) q = q.where(sql<boolean>`(${sql.join(positive.map(labelCondition), sql` or `)})`);
  for (const p of filter.labels.filter((p) => p.negative)) q = q.where(labelCondition(p));
  const request = filter.requestTime;
  if (request?.start !== undefined) q = q.where('requested_at', '>=', request.start);
  if (request?.end !== undefined) q = q.where('requested_at', '<=', request.end);
  const completion = filter.completionTime;
  if (completion) {
    const { start, end } = completion;
    if (end === undefined) {
      if (start !== undefined) q = q.where((eb) => eb.or([eb('completed_at', 'is', null), eb('completed_at', '>=', start)]));
    } else {
      q = q.where('completed_at', 'is not', null).where('completed_at', '<=', end);
      if (start !== undefined) q = q.where('completed_at', '>=', start);
    }
  }
  return q;
}
