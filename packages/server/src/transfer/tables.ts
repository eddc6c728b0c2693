// Row types of the Transfer tables.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TransferTables {}
