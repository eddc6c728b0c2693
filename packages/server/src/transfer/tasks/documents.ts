// The task document (spec transfer-tasks.md §4.2, every field always present) and the facts it is rendered from: collection names, owners' usernames.
import type { Db } from '../../store/db.ts';
import { fromJson } from '../../store/db.ts';
import { findByIds } from '../../auth/identities.ts';
import { findCollections, type Collection } from '../../gcs/collection-repo.ts';
import { loadEndpoint } from '../../gcs/endpoint-repo.ts';
import type { TaskOptions, TransferTaskRow } from '../task-tables.ts';
import { isOpen } from '../task-lifecycle.ts';
import { transferTime } from './timestamps.ts';

/** How long an error shows as the task's nice_status (task_behavior §2). */
export const NICE_STATUS_MS = 15 * 60_000;

/** What rendering a page of tasks needs beyond their rows, loaded once per page. */
export interface DocumentFacts {
  endpointId: string;
  collections: ReadonlyMap<string, Collection>;
  /** owner identity id → its username */
  usernames: ReadonlyMap<string, string>;
  now: number;
}

export async function documentFacts(db: Db, rows: readonly TransferTaskRow[], now: number): Promise<DocumentFacts> {
  const collectionIds = new Set<string>();
  for (const r of rows) {
    collectionIds.add(r.source_collection_id);
    if (r.destination_collection_id) collectionIds.add(r.destination_collection_id);
  }
  const owners = [...new Set(rows.map((r) => r.owner_id))];
  const [endpoint, collections, identities] = await Promise.all([
    loadEndpoint(db),
    collectionIds.size ? findCollections(db, [...collectionIds]) : [],
    owners.length ? findByIds(db, owners) : [],
  ]);
  return {
    endpointId: endpoint.id,
    collections: new Map(collections.map((c) => [c.row.id, c])),
    usernames: new Map(identities.map((i) => [i.id, i.username])),
    now,
  };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `u_` + lower-case unpadded base32 of the identity's 16 UUID bytes (the deprecated `username` of §4.2). */
export function legacyUsername(identityId: string, username: string | undefined): string {
  if (username?.endsWith('@globusid.org')) return username.slice(0, -'@globusid.org'.length);
  const bytes = Buffer.from(identityId.replace(/-/g, ''), 'hex');
  let bits = 0;
  let value = 0;
  let out = 'u_';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The health fields of §4.2: null once complete; Queued/OK while healthy; the recent error while it counts. */
function niceStatus(row: TransferTaskRow, now: number) {
  if (!isOpen(row.status)) return { nice_status: null, nice_status_short_description: null, nice_status_expires_in: null, is_ok: null };
  if (row.is_paused === 1) return { nice_status: 'PAUSED', nice_status_short_description: 'Paused', nice_status_expires_in: -1, is_ok: true };
  const errorAt = row.nice_status_at === null ? null : Number(row.nice_status_at);
  if (row.nice_status && (errorAt === null || now - errorAt < NICE_STATUS_MS)) {
    return {
      nice_status: row.nice_status,
      nice_status_short_description: row.nice_status.toLowerCase().replace(/_/g, ' '),
      nice_status_expires_in: errorAt === null ? -1 : Math.max(0, Math.ceil((errorAt + NICE_STATUS_MS - now) / 1000)),
      is_ok: false,
    };
  }
  if (row.status === 'INACTIVE') return { nice_status: 'INACTIVE', nice_status_short_description: 'inactive', nice_status_expires_in: -1, is_ok: false };
  const started = row.lease_owner !== null || Number(row.subtasks_succeeded) + Number(row.subtasks_failed) + Number(row.subtasks_skipped_errors) > 0;
  const word = started ? 'OK' : 'Queued';
  return { nice_status: word, nice_status_short_description: word, nice_status_expires_in: -1, is_ok: true };
}

function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000');
}

/** The task's sort key as real Transfer shows it (`active,<request time>` / `complete,<completion time>`): endpoint-manager paging uses it. */
export function taskKey(row: Pick<TransferTaskRow, 'status' | 'requested_at' | 'completed_at'>): string {
  return isOpen(row.status) ? `active,${isoMicros(Number(row.requested_at))}` : `complete,${isoMicros(Number(row.completed_at ?? row.requested_at))}`;
}

function displayName(c: Collection | undefined, id: string): string {
  return typeof c?.doc.display_name === 'string' ? c.doc.display_name : id;
}

/** The task document of §4.2. */
export function taskDocument(row: TransferTaskRow, facts: DocumentFacts) {
  const options = fromJson<TaskOptions>(row.options, {});
  const transfer = row.type === 'TRANSFER';
  const source = facts.collections.get(row.source_collection_id);
  const destinationId = row.destination_collection_id;
  const destination = destinationId ? facts.collections.get(destinationId) : undefined;
  const requested = Number(row.requested_at);
  const completed = row.completed_at === null ? null : Number(row.completed_at);
  const elapsed = Math.max(1, ((completed ?? facts.now) - requested) / 1000);
  const bytes = Number(row.bytes_transferred);
  const filterRules = options.filter_rules?.length
    ? options.filter_rules.map((r) => ({ DATA_TYPE: 'filter_rule' as const, method: r.method, name: r.name, ...(r.type ? { type: r.type } : {}) }))
    : null;
  return {
    DATA_TYPE: 'task' as const,
    task_id: row.task_id,
    type: row.type,
    status: row.status,
    label: row.label,
    owner_id: row.owner_id,
    username: legacyUsername(row.owner_id, facts.usernames.get(row.owner_id)),
    command: 'API 0.10',
    request_time: transferTime(requested)!,
    completion_time: transferTime(completed),
    deadline: transferTime(Number(row.deadline_at))!,
    source_endpoint: `${facts.endpointId}#${row.source_collection_id}`,
    source_endpoint_id: row.source_collection_id,
    source_endpoint_display_name: displayName(source, row.source_collection_id),
    destination_endpoint: destinationId ? `${facts.endpointId}#${destinationId}` : null,
    destination_endpoint_id: destinationId,
    destination_endpoint_display_name: destinationId ? displayName(destination, destinationId) : null,
    source_base_path: options.store_base_path_info ? (options.source_base_path ?? null) : null,
    destination_base_path: options.store_base_path_info ? (options.destination_base_path ?? null) : null,
    sync_level: transfer ? (options.sync_level ?? null) : null,
    verify_checksum: transfer ? options.verify_checksum !== false : false,
    encrypt_data: options.encrypt_data === true,
    preserve_timestamp: options.preserve_timestamp === true,
    delete_destination_extra: options.delete_destination_extra === true,
    skip_source_errors: options.skip_source_errors === true,
    fail_on_quota_errors: options.fail_on_quota_errors === true,
    recursive_symlinks: transfer ? 'ignore' : null,
    filter_rules: filterRules,
    files: Number(row.files),
    directories: Number(row.directories),
    symlinks: Number(row.symlinks),
    files_skipped: Number(row.files_skipped),
    files_transferred: Number(row.files_transferred),
    bytes_transferred: bytes,
    bytes_checksummed: Number(row.bytes_checksummed),
    effective_bytes_per_second: transfer ? Math.round(bytes / elapsed) : 0,
    faults: Number(row.faults),
    subtasks_total: Number(row.subtasks_total),
    subtasks_pending: Number(row.subtasks_pending),
    subtasks_retrying: Number(row.subtasks_retrying),
    subtasks_succeeded: Number(row.subtasks_succeeded),
    subtasks_failed: Number(row.subtasks_failed),
    subtasks_canceled: Number(row.subtasks_canceled),
    subtasks_expired: Number(row.subtasks_expired),
    subtasks_skipped_errors: Number(row.subtasks_skipped_errors),
    fatal_error: fromJson<{ code: string; description: string } | null>(row.fatal_error, null),
    ...niceStatus(row, facts.now),
    nice_status_details: null,
    is_paused: row.is_paused === 1,
    canceled_by_admin: row.canceled_by_admin,
    canceled_by_admin_message: row.canceled_by_admin_message,
    history_deleted: row.history_deleted === 1,
    key: taskKey(row),
  };
}

export type TaskDocumentT = ReturnType<typeof taskDocument>;

/** `fields=a,b`: only those keys of each document (§0.3); unknown names are left out. */
export function project<T extends Record<string, unknown>>(doc: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return doc;
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(doc, f)).map((f) => [f, doc[f]])) as Partial<T>;
}
