// GCS responses unpacked by DATA_TYPE (the Python UnpackingGCSResponse), and reading missing roles out of a GCSAPIError.
import { GlobusError, GCSAPIError } from '../core/errors.ts';
import type { GlobusResponse } from '../core/base-client.ts';
import type { GCSDocument, GCSMissingRole, GCSResult } from './types.ts';

/** `collection#1.16.0` → `collection`; undefined for anything that is not a typed document. */
export function dataTypeName(value: unknown): string | undefined {
  const dt = (value as { DATA_TYPE?: unknown } | null)?.DATA_TYPE;
  if (typeof dt !== 'string' || !dt.includes('#')) return undefined;
  return dt.slice(0, dt.indexOf('#'));
}

/** Documents of `data[]` named `name`, any version, in order. */
export function documentsOf<T extends GCSDocument>(envelope: GCSResult, name: string): T[] {
  return (Array.isArray(envelope?.data) ? envelope.data : []).filter((d) => dataTypeName(d) === name) as T[];
}

/**
 * One Manager API answer: the whole envelope in `full`, and in `data` the first `data[]` document whose
 * DATA_TYPE name is the expected one (any version), as the Python SDK unpacks it. Other typed documents
 * the server adds to `data[]` (e.g. `account#1.0.0`) stay reachable through `full.data`.
 */
export class UnpackingGCSResponse<T extends GCSDocument = GCSDocument> {
  readonly full: GCSResult;
  readonly expected: string;
  readonly httpStatus: number;
  readonly headers: Headers | undefined;
  /** Every document of the expected type. */
  readonly documents: T[];

  constructor(envelope: GCSResult, expected: string, response?: Pick<GlobusResponse<unknown>, 'httpStatus' | 'headers'>) {
    this.full = envelope;
    this.expected = expected;
    this.httpStatus = response?.httpStatus ?? envelope?.http_response_code;
    this.headers = response?.headers;
    this.documents = documentsOf<T>(envelope, expected);
  }

  /**
   * The unpacked document. Throws when the answer carries none (e.g. endpoint updates without
   * `include: 'endpoint'`), rather than handing back a value of the wrong shape.
   */
  get data(): T {
    const doc = this.documents[0];
    if (!doc) throw new GlobusError(`the response has no ${this.expected} document (message: ${this.full?.message ?? 'none'})`);
    return doc;
  }

  get message(): string {
    return this.full?.message;
  }
}

/**
 * The roles a `missing_required_role#1.0.0` 403 names (any one would have sufficed), or undefined when
 * the error is something else.
 */
export function missingRequiredRoles(error: unknown): GCSMissingRole[] | undefined {
  if (!(error instanceof GCSAPIError) || !error.detailDataType?.startsWith('missing_required_role#')) return undefined;
  const roles = (error.detail as { roles?: unknown }).roles;
  return Array.isArray(roles) ? (roles as GCSMissingRole[]) : [];
}
