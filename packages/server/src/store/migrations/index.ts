// Ordered list of schema migrations; each one is forward-only and written for both dialects.
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.ts';
import { authMigration } from './0001_auth.ts';
import { gcsMigration } from './0002_gcs.ts';
import { groupsMigration } from './0003_groups.ts';
import { transferMigration } from './0004_transfer.ts';
import { transferTasksMigration } from './0005_transfer_tasks.ts';
import { authPoliciesMigration } from './0006_auth_policies.ts';
import { changeNotificationsMigration } from './0008_change_notifications.ts';
import { authLimitsMigration } from './0009_auth_limits.ts';
import { transferTaskEngineMigration } from './0010_transfer_task_engine.ts';
import { transferTaskListingMigration } from './0011_transfer_task_listing.ts';
import { transferTaskItemsDigestMigration } from './0012_transfer_task_items_digest.ts';

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_auth': authMigration(dialect),
    '0002_gcs': gcsMigration(dialect),
    '0003_groups': groupsMigration(dialect),
    '0004_transfer': transferMigration(dialect),
    '0005_transfer_tasks': transferTasksMigration(dialect),
    '0006_auth_policies': authPoliciesMigration(dialect),
    '0008_change_notifications': changeNotificationsMigration(dialect),
    '0009_auth_limits': authLimitsMigration(dialect),
    '0010_transfer_task_engine': transferTaskEngineMigration(dialect),
    '0011_transfer_task_listing': transferTaskListingMigration(),
    '0012_transfer_task_items_digest': transferTaskItemsDigestMigration(),
  };
}
