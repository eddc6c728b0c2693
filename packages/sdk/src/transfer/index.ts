// The Transfer part of the SDK: TransferClient and its wire types.
export { TransferClient } from './client.ts';
export * from './access-rule.ts';
export type { TransferClientOptions } from './client.ts';
export type * from './types.ts';
export { TransferAPIError } from '../core/errors.ts';
