// Shared set-up for the task engine tests: tasks created as the submission routes create them (docs/transfer-tasks.md contract), trees of real files, and reads of a task's rows.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../src/store/db.ts';
import type { ItemSpec, TaskOptions, TransferTaskRow } from '../src/transfer/task-tables.ts';
import { wakeEngine } from '../src/transfer/engine/wake.ts';
import type { LocalAccount } from './helpers/data.ts';
import type { TestServer } from './helpers/server.ts';
import { api } from './helpers/gcs.ts';

export interface TransferSpec {
  owner: string;
  source: string;
  destination: string;
  items: Array<{ source_path: string; destination_path: string } & ItemSpec>;
  options?: TaskOptions;
  deadlineAt?: number;
  grantId?: string;
}

/** A TRANSFER task as POST /transfer creates it: the task row (ACTIVE, set-up subtask pending) and one item entry per DATA item. */
export async function createTransfer(store: Store, spec: TransferSpec): Promise<string> {
  const taskId = randomUUID();
  const now = Date.now();
  await store.tx(async (trx) => {
    await trx
      .insertInto('transfer_tasks')
      .values({
        task_id: taskId,
        submission_id: randomUUID(),
        owner_id: spec.owner,
        type: 'TRANSFER',
        status: 'ACTIVE',
        label: null,
        source_collection_id: spec.source,
        destination_collection_id: spec.destination,
        requested_at: now,
        completed_at: null,
        deadline_at: spec.deadlineAt ?? now + 86_400_000,
        deadline_fixed: spec.deadlineAt ? 1 : 0,
        options: JSON.stringify({ verify_checksum: true, preserve_timestamp: false, skip_source_errors: false, fail_on_quota_errors: false, ...spec.options }),
        authority: JSON.stringify({ identityId: spec.owner, identitySet: [spec.owner], grantId: spec.grantId }),
        fatal_error: null,
        nice_status: null,
        nice_status_at: null,
        pause_message: null,
        canceled_by_admin: null,
        canceled_by_admin_message: null,
        lease_owner: null,
        lease_expires_at: null,
        subtasks_total: 1,
        subtasks_pending: 1,
      })
      .execute();
    await trx
      .insertInto('transfer_task_entries')
      .values(
        spec.items.map((item, i) => {
          const { source_path, destination_path, ...own } = item;
          return { task_id: taskId, item: i, kind: 'item' as const, source_path, destination_path, state: 'pending' as const, spec: JSON.stringify(own) };
        }),
      )
      .execute();
  });
  wakeEngine(store);
  return taskId;
}

/** POST /v0.10/transfer with the token; the task id of the accepted submission. */
export async function submitTransfer(server: TestServer, token: string, spec: Omit<TransferSpec, 'owner' | 'grantId' | 'deadlineAt'>): Promise<string> {
  const { filter_rules, ...options } = spec.options ?? {};
  const res = await api(server, token, 'POST', '/v0.10/transfer', {
    DATA_TYPE: 'transfer',
    submission_id: randomUUID(),
    source_endpoint: spec.source,
    destination_endpoint: spec.destination,
    DATA: spec.items.map((item) => ({ DATA_TYPE: 'transfer_item', ...item })),
    ...(filter_rules ? { filter_rules: filter_rules.map((r) => ({ DATA_TYPE: 'filter_rule', ...r })) } : {}),
    ...options,
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.task_id as string;
}

/** POST /v0.10/delete with the token; the task id of the accepted submission. */
export async function submitDelete(server: TestServer, token: string, spec: { collection: string; paths: string[]; options?: TaskOptions }): Promise<string> {
  const res = await api(server, token, 'POST', '/v0.10/delete', {
    DATA_TYPE: 'delete',
    submission_id: randomUUID(),
    endpoint: spec.collection,
    DATA: spec.paths.map((p) => ({ DATA_TYPE: 'delete_item', path: p })),
    ...spec.options,
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.task_id as string;
}

/** A DELETE task as POST /delete creates it. */
export async function createDelete(store: Store, spec: { owner: string; collection: string; paths: string[]; options?: TaskOptions }): Promise<string> {
  const taskId = randomUUID();
  const now = Date.now();
  await store.tx(async (trx) => {
    await trx
      .insertInto('transfer_tasks')
      .values({
        task_id: taskId,
        submission_id: randomUUID(),
        owner_id: spec.owner,
        type: 'DELETE',
        status: 'ACTIVE',
        label: null,
        source_collection_id: spec.collection,
        destination_collection_id: null,
        requested_at: now,
        completed_at: null,
        deadline_at: now + 86_400_000,
        options: JSON.stringify({ recursive: false, ignore_missing: false, interpret_globs: false, ...spec.options }),
        authority: JSON.stringify({ identityId: spec.owner, identitySet: [spec.owner] }),
        fatal_error: null,
        nice_status: null,
        nice_status_at: null,
        pause_message: null,
        canceled_by_admin: null,
        canceled_by_admin_message: null,
        lease_owner: null,
        lease_expires_at: null,
        subtasks_total: spec.paths.length,
        subtasks_pending: spec.paths.length,
      })
      .execute();
    await trx
      .insertInto('transfer_task_entries')
      .values(
        spec.paths.map((p, i) => ({ task_id: taskId, item: i, kind: 'delete' as const, source_path: p, destination_path: null, state: 'pending' as const })),
      )
      .execute();
  });
  wakeEngine(store);
  return taskId;
}

export function task(store: Store, taskId: string): Promise<TransferTaskRow> {
  return store.db.selectFrom('transfer_tasks').selectAll().where('task_id', '=', taskId).executeTakeFirstOrThrow();
}

export function events(store: Store, taskId: string) {
  return store.db.selectFrom('transfer_task_events').selectAll().where('task_id', '=', taskId).orderBy('seq', 'desc').execute();
}

export function entries(store: Store, taskId: string) {
  return store.db.selectFrom('transfer_task_entries').selectAll().where('task_id', '=', taskId).orderBy('seq').execute();
}

/** Waits until the task is no longer ACTIVE and returns it. */
export async function completed(store: Store, taskId: string, timeoutMs = 60_000): Promise<TransferTaskRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await task(store, taskId);
    if (t.status !== 'ACTIVE') return t;
    if (Date.now() > deadline) {
      const open = (await entries(store, taskId)).filter((e) => !['succeeded', 'skipped'].includes(e.state)).slice(0, 5);
      assert.fail(`task ${taskId} did not complete: ${JSON.stringify({ task: t, events: (await events(store, taskId)).slice(0, 5), open })}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** spec §15.9: the subtask counters always add up. */
export function assertCountersAddUp(t: TransferTaskRow): void {
  const sum =
    t.subtasks_pending + t.subtasks_retrying + t.subtasks_succeeded + t.subtasks_failed + t.subtasks_canceled + t.subtasks_expired + t.subtasks_skipped_errors;
  assert.equal(t.subtasks_total, sum, `subtasks add up: ${JSON.stringify(t)}`);
}

/** SHA-256 of a file of any size, read in 8 MiB pieces. */
export function sha256(file: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every regular file below `dir`, relative, sorted. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Writes a file owned by `owner`, making owned parents. */
export function put(root: string, rel: string, content: string | Buffer, owner: LocalAccount): void {
  const file = path.join(root, rel);
  let current = root;
  for (const part of path
    .dirname(rel)
    .split('/')
    .filter((p) => p && p !== '.')) {
    current = path.join(current, part);
    if (!fs.existsSync(current)) {
      fs.mkdirSync(current);
      fs.chownSync(current, owner.uid, owner.gid);
    }
  }
  fs.writeFileSync(file, content);
  fs.chownSync(file, owner.uid, owner.gid);
}
