// The Transfer part of the SDK: TransferClient, its wire types, and the task document builders.
export { TransferClient } from './client.ts';
export * from './access-rule.ts';
export type { TransferClientOptions } from './client.ts';
export type * from './types.ts';
export { TransferData, DeleteData, parseSyncLevel, deadlineText } from './task-data.ts';
export type { SyncLevel, TransferDataOptions, DeleteDataOptions, TransferItem, TransferSymlinkItem, FilterRule, DeleteItem } from './task-data.ts';
export * from './task-types.ts';
export * from './endpoint-search.ts';
export { TransferAPIError } from '../core/errors.ts';
