// A fingerprint of each task's submitted (source, destination) pairs: the identical-paths check of a submission is one indexed lookup.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function transferTaskItemsDigestMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('transfer_tasks').addColumn('items_digest', 'text').execute();
      await db.schema.createIndex('transfer_tasks_items_digest').on('transfer_tasks').columns(['owner_id', 'items_digest']).execute();
      // Open transfers from before: their first entry per item is the item as submitted.
      const open = await db
        .selectFrom('transfer_tasks')
        .select('task_id')
        .where('type', '=', 'TRANSFER')
        .where('status', 'in', ['ACTIVE', 'INACTIVE'])
        .execute();
      for (const { task_id } of open) {
        const firsts = db
          .selectFrom('transfer_task_entries')
          .select((eb) => eb.fn.min('seq').as('seq'))
          .where('task_id', '=', task_id)
          .groupBy('item');
        const rows = await db.selectFrom('transfer_task_entries').select(['source_path', 'destination_path']).where('seq', 'in', firsts).execute();
        const lines = [...new Set(rows.map((r: { source_path: string; destination_path: string }) => `${r.source_path}\0${r.destination_path}`))].sort();
        await db
          .updateTable('transfer_tasks')
          .set({ items_digest: createHash('sha256').update(lines.join('\n')).digest('hex') })
          .where('task_id', '=', task_id)
          .execute();
      }
    },
  };
}
