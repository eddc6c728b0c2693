// The database type: the union of every service's tables.
import type { AuthTables } from '../auth/tables.ts';
import type { AuthPolicyTables } from '../auth/policies.ts';
import type { GcsTables } from '../gcs/tables.ts';
import type { GroupsTables } from '../groups/tables.ts';
import type { TransferTables } from '../transfer/tables.ts';
import type { TransferTaskTables } from '../transfer/task-tables.ts';

export interface Database extends AuthTables, AuthPolicyTables, GcsTables, GroupsTables, TransferTables, TransferTaskTables {}
