// Response schemas of the Transfer routes: the documents Globus clients read (file, file_list, results, submission ids); the task routes' are in tasks/schemas.ts.
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
