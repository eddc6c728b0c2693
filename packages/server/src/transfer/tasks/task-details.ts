// What a task shows besides its document: its events (newest first, offset paging), per-file records (marker paging) and pause info — for owners and endpoint managers alike.
import type { Db } from '../../store/db.ts';
import { transferErrors } from '../errors.ts';
import { isOpen } from '../task-lifecycle.ts';
import type { TransferTaskRow } from '../task-tables.ts';
import { parseLimitOffset } from './query.ts';
import { transferTime } from './timestamps.ts';

export async function eventPage(db: Db, task: TransferTaskRow, rawLimit: string | undefined, rawOffset: string | undefined, isError: boolean | undefined) {
  const { limit, offset } = parseLimitOffset(rawLimit, rawOffset, { defaultLimit: 10, maxLimit: 1000 });
  if (task.history_deleted === 1) return { DATA_TYPE: 'event_list' as const, DATA: [], length: 0, limit, offset, total: 0 };
  let base = db.selectFrom('transfer_task_events').where('task_id', '=', task.task_id);
  if (isError !== undefined) base = base.where('is_error', '=', isError ? 1 : 0);
  const [{ total }] = await base.select((eb) => eb.fn.countAll<number | string>().as('total')).execute();
  const rows = await base.selectAll().orderBy('seq', 'desc').limit(limit).offset(offset).execute();
  return {
    DATA_TYPE: 'event_list' as const,
    DATA: rows.map((e) => ({
      DATA_TYPE: 'event' as const,
      code: e.code,
      description: e.description,
      details: e.details,
      is_error: e.is_error === 1,
      time: transferTime(Number(e.time))!,
    })),
    length: rows.length,
    limit,
    offset,
    total: Number(total),
  };
}

/** Records per page of successful_transfers and skipped_errors. */
export const PER_FILE_PAGE = 1000;

/** Which sides' paths the caller may see: an endpoint manager sees `null` on a side it has no role on (§13.5). */
export interface VisibleSides {
  source: boolean;
  destination: boolean;
}

function marker(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw transferErrors.error('ClientError.BadRequest', `Invalid marker '${raw}'`);
  return Number(raw);
}

/**
 * successful_transfers (§9) or skipped_errors (§10), after the entry `marker` (an entry's seq). A page
 * that may have more says where the next begins; the last says null — never 0, on which the SDK's
 * paginator would start over.
 */
export async function perFilePage(
  db: Db,
  task: TransferTaskRow,
  kind: 'successful_transfers' | 'skipped_errors',
  rawMarker: string | undefined,
  sides: VisibleSides,
) {
  const after = marker(rawMarker);
  if (isOpen(task.status)) {
    const what = kind === 'successful_transfers' ? 'successful transfers are' : 'skipped errors are';
    throw transferErrors.error('ClientError.BadRequest', `Task '${task.task_id}' is still in progress, ${what} not yet available`);
  }
  const empty = { DATA_TYPE: kind, marker: after, next_marker: null, DATA: [] };
  if (task.history_deleted === 1 || (kind === 'successful_transfers' && task.type === 'DELETE')) return empty;
  let q = db.selectFrom('transfer_task_entries').selectAll().where('task_id', '=', task.task_id).where('seq', '>', after);
  q = kind === 'successful_transfers' ? q.where('kind', '=', 'file').where('state', '=', 'succeeded') : q.where('state', '=', 'skipped_error');
  const rows = await q
    .orderBy('seq')
    .limit(PER_FILE_PAGE + 1)
    .execute();
  const more = rows.length > PER_FILE_PAGE;
  const page = rows.slice(0, PER_FILE_PAGE);
  const next = more ? Number(page[page.length - 1].seq) : null;
  const source = (p: string | null) => (sides.source ? p : null);
  const destination = (p: string | null) => (sides.destination ? p : null);
  if (kind === 'successful_transfers') {
    return {
      DATA_TYPE: kind,
      marker: after,
      next_marker: next,
      DATA: page.map((e) => ({
        DATA_TYPE: 'successful_transfer' as const,
        source_path: source(e.source_path),
        destination_path: destination(e.destination_path),
        size: e.size === null ? null : Number(e.size),
        checksum: e.checksum,
        checksum_algorithm: e.checksum_algorithm,
        dynamic: false,
      })),
    };
  }
  return {
    DATA_TYPE: kind,
    marker: after,
    next_marker: next,
    DATA: page.map((e) => ({
      DATA_TYPE: 'skipped_error' as const,
      source_path: source(e.source_path),
      destination_path: destination(e.destination_path),
      error_code: e.error_code ?? 'UNKNOWN',
      error_details: e.error_details ?? '',
      error_time: transferTime(e.error_at === null ? null : Number(e.error_at)),
      is_directory: e.kind === 'dir',
      is_symlink: e.kind === 'symlink_item',
      is_delete_destination_extra: e.kind === 'extra',
      external_checksum: null,
      checksum_algorithm: e.checksum_algorithm,
    })),
  };
}

/**
 * pause_info (§11): an admin pause by id shows as the message of the side(s) it came from; Gatehouse has
 * no pause rules yet, so `pause_rules` is always the empty list the CLI expects.
 */
export function pauseInfo(task: TransferTaskRow) {
  const paused = task.is_paused === 1 && isOpen(task.status);
  const message = paused ? (task.pause_message ?? 'Paused by an administrator') : null;
  return {
    DATA_TYPE: 'pause_info_limited' as const,
    source_pause_message: message,
    source_pause_message_share: null,
    destination_pause_message: task.destination_collection_id ? message : null,
    destination_pause_message_share: null,
    pause_rules: [],
  };
}
