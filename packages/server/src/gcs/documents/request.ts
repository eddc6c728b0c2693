// Request documents: DATA_TYPE names and versions, lenient booleans, and PUT/PATCH merging with null-removal.
import { Type, type TObject } from '@fastify/type-provider-typebox';
import { invalidInput } from '../envelope.ts';

/** Python clients send `"True"`; the schema accepts these strings and `toBool` reads them. */
export const Bool = () => Type.Unsafe<boolean | string>({ type: ['boolean', 'string'], pattern: '^(true|false|True|False|TRUE|FALSE|1|0)$' });

import { Nullable } from '../../http/schemas.ts';
export { Nullable };
export const Uuid = () => Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
export const StringList = (maxItems = 1000) => Type.Array(Type.String({ maxLength: 1024 }), { maxItems });
export const PathRestrictionsSchema = Type.Object(
  {
    DATA_TYPE: Type.Optional(Type.String({ maxLength: 64 })),
    none: Type.Optional(Nullable(StringList())),
    read: Type.Optional(Nullable(StringList())),
    read_write: Type.Optional(Nullable(StringList())),
  },
  { additionalProperties: false },
);
/** A list query parameter: comma-joined (both SDKs) or repeated; read with `csvValues`. */
export const ListParam = () => Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 20 }));

export function csvValues(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
export const OpenObject = () => Type.Object({}, { additionalProperties: true });
export const IdParams = (name: string) => Type.Object({ [name]: Uuid() });

export function toBool(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  return /^(true|1)$/i.test(String(value));
}

/** Accepts any version of the expected document name (absent = newest); another name is 422. */
export function checkDataType(body: object, name: string): void {
  const dt = (body as { DATA_TYPE?: unknown }).DATA_TYPE;
  if (dt === undefined || dt === null) return;
  const m = /^([a-z0-9_]+)#(\d+)\.(\d+)\.(\d+)$/.exec(String(dt));
  if (!m || m[1] !== name) throw invalidInput(`DATA_TYPE must be ${name}#<version>, got ${String(dt)}`, 'DATA_TYPE');
}

export function requireFields(body: Record<string, unknown>, fields: string[]): void {
  const missing = fields.filter((f) => body[f] === undefined || body[f] === null);
  if (missing.length) throw invalidInput(missing.map((f) => `'${f}' is a required property`));
}

/** Lower-cases uuids so that upper-case input addresses the same rows. */
export function canonicalId(id: string): string {
  return id.toLowerCase();
}

/** The fields a stored document may hold (its input schema's properties), and those that are open objects. */
export interface DocumentFields {
  names: ReadonlySet<string>;
  /** fields whose schema takes any object: sized here, since no schema bounds what is inside */
  open: readonly string[];
}

function isOpenObject(schema: Record<string, unknown>): boolean {
  if (Array.isArray(schema.anyOf)) return schema.anyOf.some((s) => isOpenObject(s as Record<string, unknown>));
  return schema.type === 'object' && Object.keys((schema.properties as object | undefined) ?? {}).length === 0 && schema.additionalProperties === true;
}

export function documentFields(schema: TObject): DocumentFields {
  const entries = Object.entries(schema.properties as Record<string, Record<string, unknown>>);
  return { names: new Set(entries.map(([name]) => name)), open: entries.filter(([, s]) => isOpenObject(s)).map(([name]) => name) };
}

/** A stored document's bound (its known fields, serialized), far above any real one; each open object's. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
export const MAX_OPEN_OBJECT_BYTES = 16 * 1024;

/** The document's known fields (and `keep`, fields set beside the input): what a renderer shows of whatever was stored. */
export function knownFields(doc: Record<string, unknown>, fields: DocumentFields, keep: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (fields.names.has(k) || keep.includes(k)) out[k] = v;
  return out;
}

function checkSizes(doc: Record<string, unknown>, fields: DocumentFields): void {
  const errors: string[] = [];
  for (const f of fields.open) {
    if (doc[f] !== undefined && Buffer.byteLength(JSON.stringify(doc[f])) > MAX_OPEN_OBJECT_BYTES)
      errors.push(`'${f}' is larger than ${MAX_OPEN_OBJECT_BYTES / 1024} KiB`);
  }
  if (Buffer.byteLength(JSON.stringify(knownFields(doc, fields))) > MAX_DOCUMENT_BYTES)
    errors.push(`The document is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`);
  if (errors.length) throw invalidInput(errors);
}

export interface FieldRules {
  /** the document's fields: input naming others is dropped (never stored, so never shown), and the result is bounded in size */
  fields?: DocumentFields;
  /** ignored on input */
  readOnly: readonly string[];
  /** may be sent only with the stored value */
  immutable: readonly string[];
  /** values read as booleans */
  booleans?: readonly string[];
}

/**
 * PUT replaces (absent fields revert to defaults), PATCH merges (absent untouched); in both an explicit
 * null removes the field. Immutable fields keep their stored value and may only be repeated unchanged.
 */
export function mergeDocument(
  mode: 'put' | 'patch',
  stored: Record<string, unknown>,
  body: Record<string, unknown>,
  rules: FieldRules,
): Record<string, unknown> {
  const next: Record<string, unknown> = mode === 'patch' ? { ...stored } : {};
  const changed: string[] = [];
  for (const field of rules.immutable) {
    if (stored[field] !== undefined) next[field] = stored[field];
    if (body[field] !== undefined && body[field] !== null && JSON.stringify(normalizeBool(field, body[field], rules)) !== JSON.stringify(stored[field]))
      changed.push(field);
  }
  if (changed.length) throw invalidInput(changed.map((f) => `'${f}' cannot be changed`));
  for (const [field, value] of Object.entries(body)) {
    if (field === 'DATA_TYPE' || rules.readOnly.includes(field) || rules.immutable.includes(field)) continue;
    if (rules.fields && !rules.fields.names.has(field)) continue;
    if (value === null) delete next[field];
    else next[field] = normalizeBool(field, value, rules);
  }
  if (rules.fields) checkSizes(next, rules.fields);
  return next;
}

function normalizeBool(field: string, value: unknown, rules: FieldRules): unknown {
  return rules.booleans?.includes(field) ? toBool(value) : value;
}

/** Input fields minus DATA_TYPE, read-only fields and nulls: the stored form of a create body. */
export function createDocument(body: Record<string, unknown>, rules: FieldRules): Record<string, unknown> {
  return mergeDocument('patch', {}, body, { ...rules, immutable: [] });
}

/** Defaults under stored values: what a reader sees. */
export function withDefaults<T extends Record<string, unknown>>(defaults: T, stored: Record<string, unknown>): T & Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(stored)) if (v !== undefined) out[k] = v;
  return out as T & Record<string, unknown>;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Fields each POSIX connector policies document may carry (all lists of strings unless noted). */
const POLICY_FIELDS: Record<string, Record<string, 'strings' | 'string' | 'env'>> = {
  posix_storage_policies: { groups_allow: 'strings', groups_deny: 'strings' },
  posix_staging_storage_policies: { groups_allow: 'strings', groups_deny: 'strings', stage_app: 'string', environment: 'env' },
  posix_collection_policies: { sharing_groups_allow: 'strings', sharing_groups_deny: 'strings' },
  posix_staging_collection_policies: { sharing_groups_allow: 'strings', sharing_groups_deny: 'strings' },
  posix_user_credential_policies: {},
  posix_staging_user_credential_policies: {},
};

/**
 * A connector policies document (`policies` of gateways, collections, credentials) must name this
 * connector's document of that kind and carry only its fields with their types.
 */
export function checkConnectorPolicies(policies: unknown, kind: 'storage' | 'collection' | 'user_credential', connectorPrefix: string): void {
  if (policies === undefined || policies === null) return;
  const name = `${connectorPrefix}_${kind}_policies`;
  const doc = policies as Record<string, unknown>;
  checkDataType(doc, name);
  const fields = POLICY_FIELDS[name] ?? {};
  const errors: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'DATA_TYPE') continue;
    const type = fields[key];
    const ok =
      type === 'strings'
        ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : type === 'string'
          ? typeof value === 'string'
          : type === 'env'
            ? Array.isArray(value) && value.every((v) => v && typeof v === 'object' && typeof v.name === 'string' && typeof v.value === 'string')
            : false;
    if (!ok) errors.push(`policies.${key} is not a valid ${name} field`);
  }
  if (errors.length) throw invalidInput(errors, 'policies');
}
