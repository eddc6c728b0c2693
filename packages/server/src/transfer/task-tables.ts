// Row type of the Transfer task table: delete tasks run synchronously and kept for `GET /v0.10/task/{id}`.
export interface TransferTaskRow {
  task_id: string;
  /** the client's idempotency key: a second submission with it returns the same task */
  submission_id: string;
  /** the identity that submitted the task; only its identity set may read it */
  owner_id: string;
  /** the collection (Transfer endpoint) the task acted on */
  collection_id: string;
  /** 'DELETE' */
  type: string;
  /** 'SUCCEEDED' or 'FAILED' */
  status: string;
  label: string | null;
  /** JSON: counts, fatal_error, request and completion times, the request's options */
  document: string;
  created_at: number;
}

export interface TransferTaskTables {
  transfer_tasks: TransferTaskRow;
}
