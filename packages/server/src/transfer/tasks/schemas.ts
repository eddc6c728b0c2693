// Request and response schemas of the task routes: transfer and delete documents, task documents, lists, events, per-file records, pause info, results.
import { Type, type Static } from '@fastify/type-provider-typebox';
import { Nullable } from '../../http/schemas.ts';

const Str = () => Type.String();
const Int = () => Type.Integer();
const Bool = () => Type.Boolean();
const Opt = Type.Optional;
/** Every document a client sends may carry keys of later versions (the SDKs' `additional_fields`): accepted and ignored. */
const open = { additionalProperties: true } as const;

const Path = () => Type.String({ minLength: 1, maxLength: 4096 });
const CollectionId = () => Type.String({ minLength: 1, maxLength: 64 });
const SubmissionIdField = () => Type.String({ minLength: 1, maxLength: 128 });
const Label = () => Opt(Nullable(Type.String({ maxLength: 128 })));
const Deadline = () => Opt(Nullable(Type.String({ maxLength: 64 })));
const NotifyFields = {
  notify_on_succeeded: Opt(Bool()),
  notify_on_failed: Opt(Bool()),
  notify_on_inactive: Opt(Bool()),
};

export const TransferItemBody = Type.Object(
  {
    DATA_TYPE: Opt(Type.Union([Type.Literal('transfer_item'), Type.Literal('transfer_symlink_item')])),
    source_path: Path(),
    destination_path: Path(),
    recursive: Opt(Nullable(Bool())),
    external_checksum: Opt(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    checksum_algorithm: Opt(Nullable(Type.String({ minLength: 1, maxLength: 32 }))),
  },
  open,
);

export const FilterRuleBody = Type.Object(
  {
    DATA_TYPE: Opt(Type.Literal('filter_rule')),
    method: Opt(Type.Union([Type.Literal('include'), Type.Literal('exclude')])),
    name: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Opt(Nullable(Type.Union([Type.Literal('file'), Type.Literal('dir')]))),
  },
  open,
);

/** `POST /transfer` (spec transfer-tasks.md §2.2); an empty DATA is the handler's NoTransferItems. */
export const TransferBody = Type.Object(
  {
    DATA_TYPE: Type.Literal('transfer'),
    submission_id: SubmissionIdField(),
    source_endpoint: CollectionId(),
    destination_endpoint: CollectionId(),
    DATA: Type.Array(TransferItemBody, { maxItems: 100_000 }),
    label: Label(),
    deadline: Deadline(),
    sync_level: Opt(
      Nullable(
        Type.Union([
          Type.Integer({ minimum: 0, maximum: 3 }),
          Type.Union([Type.Literal('exists'), Type.Literal('size'), Type.Literal('mtime'), Type.Literal('checksum')]),
        ]),
      ),
    ),
    verify_checksum: Opt(Bool()),
    preserve_timestamp: Opt(Bool()),
    encrypt_data: Opt(Bool()),
    skip_source_errors: Opt(Bool()),
    fail_on_quota_errors: Opt(Bool()),
    delete_destination_extra: Opt(Bool()),
    ...NotifyFields,
    source_local_user: Opt(Nullable(Type.String({ maxLength: 256 }))),
    destination_local_user: Opt(Nullable(Type.String({ maxLength: 256 }))),
    filter_rules: Opt(Nullable(Type.Array(FilterRuleBody, { maxItems: 1000 }))),
    store_base_path_info: Opt(Bool()),
    recursive_symlinks: Opt(Nullable(Type.Union([Type.Literal('ignore'), Type.Literal('keep'), Type.Literal('copy')]))),
    perf_cc: Opt(Type.Integer({ minimum: 0 })),
    perf_p: Opt(Type.Integer({ minimum: 0 })),
    perf_pp: Opt(Type.Integer({ minimum: 0 })),
    perf_udt: Opt(Bool()),
    skip_activation_check: Opt(Bool()),
  },
  open,
);
export type TransferBodyT = Static<typeof TransferBody>;

export const DeleteItemBody = Type.Object({ DATA_TYPE: Opt(Type.Literal('delete_item')), path: Path() }, open);

/** `POST /delete` (§3.1); transfer-only keys are ignored. */
export const DeleteBody = Type.Object(
  {
    DATA_TYPE: Type.Literal('delete'),
    submission_id: SubmissionIdField(),
    endpoint: CollectionId(),
    DATA: Type.Array(DeleteItemBody, { maxItems: 100_000 }),
    label: Label(),
    deadline: Deadline(),
    recursive: Opt(Bool()),
    ignore_missing: Opt(Bool()),
    interpret_globs: Opt(Bool()),
    local_user: Opt(Nullable(Type.String({ maxLength: 256 }))),
    ...NotifyFields,
  },
  open,
);
export type DeleteBodyT = Static<typeof DeleteBody>;

/** `PUT /task/{id}` (§6): only these keys. */
export const TaskUpdateBody = Type.Object({ DATA_TYPE: Opt(Type.Literal('task')), label: Label(), deadline: Deadline() }, { additionalProperties: false });

// Long enough for any id a client sends: a malformed id is the task-not-found of §4.4, not a schema 400.
export const TaskIdParams = Type.Object({ task_id: Type.String({ maxLength: 4096 }) });

// -------------------------------------------------------------------------------------------------
// Responses

const Link = Type.Object({ DATA_TYPE: Type.Literal('link'), href: Str(), rel: Str(), resource: Str(), title: Str() });

export const SubmissionResult = Type.Object({
  DATA_TYPE: Type.Union([Type.Literal('transfer_result'), Type.Literal('delete_result')]),
  code: Type.Union([Type.Literal('Accepted'), Type.Literal('Duplicate')]),
  message: Str(),
  request_id: Str(),
  resource: Str(),
  submission_id: Str(),
  task_id: Str(),
  task_link: Link,
});

/** A `result` document: cancel, update, remove, admin pause and resume. */
export const Result = Type.Object({ DATA_TYPE: Type.Literal('result'), code: Str(), message: Str(), request_id: Str(), resource: Str() });

const FilterRuleDoc = Type.Object({ DATA_TYPE: Type.Literal('filter_rule'), method: Str(), name: Str(), type: Opt(Str()) });
const Fatal = Type.Object({ code: Str(), description: Str() });

/** Every field of the task document (§4.2), always present. */
export const TASK_FIELDS = {
  DATA_TYPE: Type.Literal('task'),
  task_id: Str(),
  type: Type.Union([Type.Literal('TRANSFER'), Type.Literal('DELETE')]),
  status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('INACTIVE'), Type.Literal('SUCCEEDED'), Type.Literal('FAILED')]),
  label: Nullable(Str()),
  owner_id: Str(),
  username: Str(),
  command: Str(),
  request_time: Str(),
  completion_time: Nullable(Str()),
  deadline: Str(),
  source_endpoint: Nullable(Str()),
  source_endpoint_id: Str(),
  source_endpoint_display_name: Nullable(Str()),
  destination_endpoint: Nullable(Str()),
  destination_endpoint_id: Nullable(Str()),
  destination_endpoint_display_name: Nullable(Str()),
  source_base_path: Nullable(Str()),
  destination_base_path: Nullable(Str()),
  sync_level: Nullable(Int()),
  verify_checksum: Bool(),
  encrypt_data: Bool(),
  preserve_timestamp: Bool(),
  delete_destination_extra: Bool(),
  skip_source_errors: Bool(),
  fail_on_quota_errors: Bool(),
  recursive_symlinks: Nullable(Str()),
  filter_rules: Nullable(Type.Array(FilterRuleDoc)),
  files: Int(),
  directories: Int(),
  symlinks: Int(),
  files_skipped: Int(),
  files_transferred: Int(),
  bytes_transferred: Int(),
  bytes_checksummed: Int(),
  effective_bytes_per_second: Int(),
  faults: Int(),
  subtasks_total: Int(),
  subtasks_pending: Int(),
  subtasks_retrying: Int(),
  subtasks_succeeded: Int(),
  subtasks_failed: Int(),
  subtasks_canceled: Int(),
  subtasks_expired: Int(),
  subtasks_skipped_errors: Int(),
  fatal_error: Nullable(Fatal),
  nice_status: Nullable(Str()),
  nice_status_short_description: Nullable(Str()),
  nice_status_details: Type.Null(),
  nice_status_expires_in: Nullable(Int()),
  is_ok: Nullable(Bool()),
  is_paused: Bool(),
  canceled_by_admin: Nullable(Str()),
  canceled_by_admin_message: Nullable(Str()),
  history_deleted: Bool(),
  key: Str(),
};

export const TaskDocument = Type.Object(TASK_FIELDS);

/** The endpoint-manager task document (§13.3): the task document plus the owner and each side's account and host. */
const SIDE_FIELDS = (side: 'source' | 'destination') => ({
  [`${side}_local_user`]: Nullable(Str()),
  [`${side}_local_user_status`]: Str(),
  [`${side}_host_endpoint`]: Nullable(Str()),
  [`${side}_host_endpoint_id`]: Nullable(Str()),
  [`${side}_host_endpoint_display_name`]: Nullable(Str()),
  [`${side}_mapped_collection_id`]: Nullable(Str()),
  [`${side}_mapped_collection_display_name`]: Nullable(Str()),
  [`${side}_host_path`]: Nullable(Str()),
});
export const ManagerTaskDocument = Type.Object({ ...TASK_FIELDS, owner_string: Str(), ...SIDE_FIELDS('source'), ...SIDE_FIELDS('destination') });

/** List items: `fields=` may leave out any key. */
export const TaskList = Type.Object({
  DATA_TYPE: Type.Literal('task_list'),
  DATA: Type.Array(Type.Partial(TaskDocument)),
  length: Int(),
  limit: Int(),
  offset: Int(),
  total: Int(),
  has_next_page: Bool(),
});

export const ManagerTaskList = Type.Object({
  DATA_TYPE: Type.Literal('task_list'),
  DATA: Type.Array(Type.Partial(ManagerTaskDocument)),
  has_next_page: Bool(),
  last_key: Nullable(Str()),
  limit: Int(),
});

export const EventList = Type.Object({
  DATA_TYPE: Type.Literal('event_list'),
  DATA: Type.Array(Type.Object({ DATA_TYPE: Type.Literal('event'), code: Str(), description: Str(), details: Str(), is_error: Bool(), time: Str() })),
  length: Int(),
  limit: Int(),
  offset: Int(),
  total: Int(),
});

export const SuccessfulTransfers = Type.Object({
  DATA_TYPE: Type.Literal('successful_transfers'),
  marker: Int(),
  next_marker: Nullable(Int()),
  DATA: Type.Array(
    Type.Object({
      DATA_TYPE: Type.Literal('successful_transfer'),
      source_path: Nullable(Str()),
      destination_path: Nullable(Str()),
      size: Nullable(Int()),
      checksum: Nullable(Str()),
      checksum_algorithm: Nullable(Str()),
      dynamic: Bool(),
    }),
  ),
});

export const SkippedErrors = Type.Object({
  DATA_TYPE: Type.Literal('skipped_errors'),
  marker: Int(),
  next_marker: Nullable(Int()),
  DATA: Type.Array(
    Type.Object({
      DATA_TYPE: Type.Literal('skipped_error'),
      source_path: Nullable(Str()),
      destination_path: Nullable(Str()),
      error_code: Str(),
      error_details: Str(),
      error_time: Nullable(Str()),
      is_directory: Bool(),
      is_symlink: Bool(),
      is_delete_destination_extra: Bool(),
      external_checksum: Nullable(Str()),
      checksum_algorithm: Nullable(Str()),
    }),
  ),
});

const PauseRuleLimited = Type.Object({
  DATA_TYPE: Type.Literal('pause_rule_limited'),
  id: Str(),
  message: Nullable(Str()),
  start_time: Nullable(Str()),
  endpoint_id: Str(),
  endpoint_display_name: Nullable(Str()),
  identity_id: Nullable(Str()),
  pause_ls: Bool(),
  pause_mkdir: Bool(),
  pause_rename: Bool(),
  pause_task_delete: Bool(),
  pause_task_transfer_write: Bool(),
  pause_task_transfer_read: Bool(),
});

export const PauseInfo = Type.Object({
  DATA_TYPE: Type.Literal('pause_info_limited'),
  source_pause_message: Nullable(Str()),
  source_pause_message_share: Nullable(Str()),
  destination_pause_message: Nullable(Str()),
  destination_pause_message_share: Nullable(Str()),
  pause_rules: Type.Array(PauseRuleLimited),
});

export const AdminCancelBody = Type.Object(
  {
    DATA_TYPE: Opt(Type.Literal('admin_cancel')),
    message: Type.String({ maxLength: 4096 }),
    task_id_list: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
  },
  open,
);

export const AdminPauseBody = Type.Object(
  {
    DATA_TYPE: Opt(Type.String({ maxLength: 64 })),
    message: Opt(Nullable(Type.String({ maxLength: 4096 }))),
    task_id_list: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
  },
  open,
);

export const AdminCancel = Type.Object({
  DATA_TYPE: Type.Literal('admin_cancel'),
  id: Int(),
  done: Bool(),
  message: Str(),
  task_id_list: Type.Array(Str()),
});
