// Guest auto-delete: a periodic pass removing guest collections unused for longer than their mapped collection's auto_delete_timeout (days).
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { Store } from '../store/db.ts';
import { toCollection } from './collection-repo.ts';
import { deleteCollection } from './collection-repo.ts';

const DAY_MS = 86_400_000;
/** setInterval's ceiling (about 24.8 days); longer intervals run at that pace. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The day (YYYY-MM-DD) a guest was last used: its last_access, else the day it was created. */
export function lastUseDay(doc: Record<string, unknown>, createdAtSeconds: number): string {
  if (typeof doc.last_access === 'string' && doc.last_access) return doc.last_access;
  if (typeof doc.created_at === 'string' && doc.created_at) return doc.created_at;
  return new Date(createdAtSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * Whether a guest is due for deletion on `today`: its mapped collection sets `auto_delete_timeout`, the
 * guest does not set `skip_auto_delete`, and its last use lies more than that many whole days back.
 */
export function autoDeleteDue(input: { timeoutDays: unknown; skipAutoDelete: unknown; lastUse: string; today: string }): boolean {
  const { timeoutDays } = input;
  if (typeof timeoutDays !== 'number' || !Number.isInteger(timeoutDays) || timeoutDays < 1) return false;
  if (input.skipAutoDelete === true) return false;
  const last = Date.parse(`${input.lastUse}T00:00:00Z`);
  const today = Date.parse(`${input.today}T00:00:00Z`);
  if (Number.isNaN(last) || Number.isNaN(today)) return false;
  return (today - last) / DAY_MS > timeoutDays;
}

/**
 * One pass: deletes every due guest exactly as `DELETE /api/collections/{id}` does (roles, access rules
 * and the collection go together) and returns their ids. One transaction under an advisory lock, so
 * passes of several processes on one database run one after the other and the later finds nothing left.
 */
export async function runAutoDelete(store: Store, now: Date = new Date()): Promise<string[]> {
  const today = now.toISOString().slice(0, 10);
  return store.tx(async (db) => {
    await store.lockInTransaction(db, 'gcs:guest-auto-delete');
    const mapped = (await db.selectFrom('collections').selectAll().where('collection_type', '=', 'mapped').execute())
      .map(toCollection)
      .filter((m) => typeof m.doc.auto_delete_timeout === 'number');
    if (mapped.length === 0) return [];
    const timeouts = new Map(mapped.map((m) => [m.row.id, m.doc.auto_delete_timeout]));
    const guests = (
      await db
        .selectFrom('collections')
        .selectAll()
        .where('collection_type', '=', 'guest')
        .where('mapped_collection_id', 'in', [...timeouts.keys()])
        .orderBy('id')
        .execute()
    ).map(toCollection);
    const due = guests.filter((g) =>
      autoDeleteDue({
        timeoutDays: timeouts.get(g.row.mapped_collection_id!),
        skipAutoDelete: g.doc.skip_auto_delete,
        lastUse: lastUseDay(g.doc, g.row.created_at),
        today,
      }),
    );
    for (const guest of due) await deleteCollection(db, guest);
    return due.map((g) => g.row.id);
  });
}

/**
 * Runs a pass when the server is ready and then every `autoDeleteInterval` seconds (0: never); closing
 * the server stops the timer and waits for a pass in progress, so the store is not closed under it.
 */
export function autoDeleteJob(app: FastifyInstance, ctx: ServiceContext): void {
  const interval = ctx.config.autoDeleteInterval;
  if (interval <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const pass = () => {
    // A slow pass is never overlapped by the next tick of the same process.
    if (running) return;
    running = runAutoDelete(ctx.store)
      .then(
        (ids) => {
          if (ids.length) app.log.info({ collections: ids }, `auto-deleted ${ids.length} unused guest collection(s)`);
        },
        (err) => app.log.error({ err }, 'guest auto-delete pass failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  app.addHook('onReady', async () => {
    pass();
    timer = setInterval(pass, Math.min(interval * 1000, MAX_DELAY_MS));
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
