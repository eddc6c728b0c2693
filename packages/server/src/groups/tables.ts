// Row types of the Groups tables.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface GroupsTables {}
