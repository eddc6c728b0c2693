// Response schemas of the Transfer routes: the documents Globus clients read (file, file_list, results, submission ids, tasks).
import { Type } from '@fastify/type-provider-typebox';
import { Nullable } from '../http/schemas.ts';

const Str = () => Type.String();

/** The `file` document of `ls` and `stat`. */
export const FileDocument = Type.Object({
  DATA_TYPE: Type.Literal('file'),
  name: Str(),
  type: Type.Union([Type.Literal('file'), Type.Literal('dir'), Type.Literal('invalid_symlink')]),
  link_target: Nullable(Str()),
  permissions: Str(),
  size: Type.Number(),
  user: Nullable(Str()),
  group: Nullable(Str()),
  last_modified: Str(),
});

export const FileList = Type.Object({
  DATA_TYPE: Type.Literal('file_list'),
  endpoint: Str(),
  path: Str(),
  absolute_path: Type.Null(),
  rename_supported: Type.Boolean(),
  symlink_supported: Type.Boolean(),
  length: Type.Integer(),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  DATA: Type.Array(FileDocument),
});

/** What `mkdir` and `rename` answer: a result in the layout of Transfer's errors. */
export const OperationResult = Type.Object({ DATA_TYPE: Str(), code: Str(), message: Str(), request_id: Str(), resource: Str() });

export const SubmissionId = Type.Object({ DATA_TYPE: Type.Literal('submission_id'), value: Str() });

const Link = Type.Object({ DATA_TYPE: Type.Literal('link'), href: Str(), rel: Str(), resource: Str(), title: Str() });

export const DeleteSubmission = Type.Object({
  DATA_TYPE: Type.Literal('delete_result'),
  code: Str(),
  message: Str(),
  request_id: Str(),
  resource: Str(),
  submission_id: Str(),
  task_id: Str(),
  task_link: Link,
});

/** The `task` document: its many counters are typed where clients branch on them; the rest pass as they are. */
export const TaskDocument = Type.Object(
  {
    DATA_TYPE: Type.Literal('task'),
    task_id: Str(),
    type: Str(),
    status: Str(),
    label: Nullable(Str()),
    owner_id: Str(),
    request_time: Str(),
    completion_time: Nullable(Str()),
    fatal_error: Nullable(Type.Object({ code: Str(), description: Str() })),
    nice_status: Nullable(Str()),
  },
  { additionalProperties: true },
);
