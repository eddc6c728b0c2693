// Error classes: GlobusAPIError (+ per-service subclasses) parsed from any Globus error body, and NetworkError.

/** Root of every error the SDK throws on purpose. */
export class GlobusError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GlobusError';
  }
}

/** The request never produced an HTTP response (DNS, TLS, connection reset, timeout). */
export class NetworkError extends GlobusError {
  readonly method: string;
  readonly url: string;
  /** true when the per-attempt timeout fired (not when the caller aborted). */
  readonly timedOut: boolean;
  constructor(message: string, init: { method: string; url: string; timedOut?: boolean; cause?: unknown }) {
    super(message, { cause: init.cause });
    this.name = 'NetworkError';
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut ?? false;
  }
}

/** Login-session and consent requirements of a Globus Auth Requirements Error (GARE), camel-cased. */
export interface AuthorizationParameters {
  sessionMessage?: string;
  sessionRequiredIdentities?: string[];
  sessionRequiredSingleDomain?: string[];
  sessionRequiredPolicies?: string[];
  sessionRequiredMfa?: boolean;
  requiredScopes?: string[];
  prompt?: string;
  /** The object as it appeared on the wire. */
  raw: Record<string, unknown>;
}

export interface ErrorInfo {
  /** Present iff the body has a root `authorization_parameters` object. */
  authorizationParameters?: AuthorizationParameters;
  /** Present iff `code == "ConsentRequired"` with `required_scopes`/`required_scope`, or `dependent_consent_required`. */
  consentRequired?: { requiredScopes: string[] };
}

export interface SubError {
  code?: string;
  message?: string;
  id?: string;
  status?: string;
  raw: unknown;
}

export interface GlobusAPIErrorInit {
  httpStatus: number;
  headers?: Headers;
  /** Body text as received. */
  text?: string;
  method?: string;
  url?: string;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
// Policies (and, leniently, the other session lists) may arrive as one comma-separated string.
const csvList = (v: unknown): string[] | undefined =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : strList(v);

function isJsonContentType(contentType: string): boolean {
  const ct = contentType.split(';')[0].trim().toLowerCase();
  return ct === 'application/json' || (ct.startsWith('application/') && ct.endsWith('+json'));
}

function parseAuthorizationParameters(v: unknown): AuthorizationParameters | undefined {
  if (!isObject(v)) return undefined;
  const params: AuthorizationParameters = { raw: v };
  const message = str(v.session_message);
  if (message !== undefined) params.sessionMessage = message;
  const identities = csvList(v.session_required_identities);
  if (identities) params.sessionRequiredIdentities = identities;
  const domains = csvList(v.session_required_single_domain);
  if (domains) params.sessionRequiredSingleDomain = domains;
  const policies = csvList(v.session_required_policies);
  if (policies) params.sessionRequiredPolicies = policies;
  if (typeof v.session_required_mfa === 'boolean') params.sessionRequiredMfa = v.session_required_mfa;
  const scopes = strList(v.required_scopes);
  if (scopes) params.requiredScopes = scopes;
  const prompt = str(v.prompt);
  if (prompt !== undefined) params.prompt = prompt;
  return params;
}

/** The legacy (pre-GARE) consent-required forms, as { requiredScopes } or undefined. */
function parseLegacyConsent(doc: JsonObject): { requiredScopes: string[] } | undefined {
  if (doc.code === 'ConsentRequired') {
    const list = strList(doc.required_scopes);
    if (list) return { requiredScopes: list };
    const one = str(doc.required_scope);
    if (one !== undefined) return { requiredScopes: [one] };
  }
  if (doc.error === 'dependent_consent_required' && Array.isArray(doc.errors)) {
    const scopes = doc.errors.flatMap((e) => (isObject(e) ? (strList(e.unapproved_scopes) ?? []) : []));
    if (scopes.length) return { requiredScopes: scopes };
  }
  return undefined;
}

/** A GARE from one document: `authorization_parameters` (root or a GCS `detail` document), else legacy forms. */
function parseGare(doc: JsonObject): AuthorizationParameters | undefined {
  const direct = parseAuthorizationParameters(doc.authorization_parameters);
  if (direct) return direct;
  if (isObject(doc.detail) && str(doc.detail.DATA_TYPE)?.startsWith('authorization_parameters')) {
    return parseAuthorizationParameters(doc.detail);
  }
  const legacy = parseLegacyConsent(doc);
  if (legacy) return { requiredScopes: legacy.requiredScopes, raw: doc };
  return undefined;
}

/**
 * A non-2xx answer from a Globus-style API. Understands Auth (`errors[]` + `error`), OAuth
 * (`error`/`error_description`), GCS (`result#1.x.0` envelope with string or document `detail`),
 * Groups/Transfer (`code`/`message`/`request_id`) and JSON:API bodies.
 */
export class GlobusAPIError extends GlobusError {
  readonly httpStatus: number;
  readonly code: string | undefined;
  /** Every message found (one per sub-error); `message` is them joined with "; ". */
  readonly messages: string[];
  readonly errors: SubError[];
  readonly requestId: string | undefined;
  /** Parsed JSON body, or undefined if the body was not JSON. */
  readonly raw: unknown;
  readonly text: string;
  readonly headers: Headers;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly info: ErrorInfo;
  /** The GARE view of the body (modern or legacy forms, root or first sub-error); undefined if none. */
  readonly authorizationParameters: AuthorizationParameters | undefined;

  constructor(init: GlobusAPIErrorInit) {
    const headers = init.headers ?? new Headers();
    const text = init.text ?? '';
    const contentType = headers.get('content-type') ?? '';
    let raw: unknown;
    // Lenient: also parse untyped bodies that look like JSON (some proxies drop the header).
    const trimmed = text.trimStart();
    if (isJsonContentType(contentType) || (!contentType.includes('html') && /^[[{]/.test(trimmed))) {
      try {
        raw = JSON.parse(text);
      } catch {
        raw = undefined;
      }
    }
    const parsed = GlobusAPIError.parseBody(raw, contentType);
    const fallback = text && raw === undefined && text.length <= 200 ? text.trim() : `HTTP ${init.httpStatus}`;
    const message = parsed.messages.length ? parsed.messages.join('; ') : fallback;
    super(message);
    this.name = new.target.name;
    this.httpStatus = init.httpStatus;
    this.code = parsed.code;
    this.messages = parsed.messages;
    this.errors = parsed.errors;
    this.requestId = parsed.requestId;
    this.raw = raw;
    this.text = text;
    this.headers = headers;
    this.method = init.method;
    this.url = init.url;
    this.info = parsed.info;
    this.authorizationParameters = parsed.gare;
  }

  /** Reads the body of `response` and builds the error (`this` may be any subclass). */
  static async fromResponse<T extends GlobusAPIError>(
    this: new (init: GlobusAPIErrorInit) => T,
    response: Response,
    request?: { method?: string; url?: string },
  ): Promise<T> {
    return new this(await readErrorInit(response, request));
  }

  /** True when the server asks for (re-)consent or a fresh login session. */
  get isAuthorizationRequired(): boolean {
    return this.authorizationParameters !== undefined;
  }

  override toString(): string {
    return `${this.name}: (${this.httpStatus}, ${this.code ?? 'Error'}) ${this.message}`;
  }

  private static parseBody(raw: unknown, contentType: string) {
    const info: ErrorInfo = {};
    let code: string | undefined;
    let messages: string[] = [];
    let requestId: string | undefined;
    let errors: SubError[] = [];
    let gare: AuthorizationParameters | undefined;
    if (!isObject(raw)) return { code, messages, requestId, errors, info, gare };

    const sub = (Array.isArray(raw.errors) ? raw.errors : []).filter(isObject);
    const toSub = (e: JsonObject): SubError => ({
      code: str(e.code),
      message: str(e.message) ?? str(e.detail) ?? str(e.title) ?? str(e.error_description),
      id: str(e.id),
      status: typeof e.status === 'number' ? String(e.status) : str(e.status),
      raw: e,
    });
    const uniqueSubCode = () => {
      const codes = new Set(sub.map((e) => str(e.code)).filter((c) => c !== undefined));
      return codes.size === 1 ? [...codes][0] : undefined;
    };
    const rootMessage = str(raw.message) ?? str(raw.detail) ?? str(raw.error_description) ?? (isObject(raw.detail) ? str(raw.detail.message) : undefined);

    if (contentType.toLowerCase().startsWith('application/vnd.api+json') && sub.length) {
      // JSON:API: the code is meaningful only if every sub-error agrees.
      errors = sub.map(toSub);
      code = uniqueSubCode();
      messages = errors.map((e) => str((e.raw as JsonObject).detail) ?? str((e.raw as JsonObject).title)).filter((m) => m !== undefined);
    } else if (typeof raw.code === 'string' && typeof raw.message === 'string') {
      // Transfer/Groups style (and GCS envelopes carrying a message).
      code = raw.code;
      messages = [raw.message];
      errors = sub.length ? sub.map(toSub) : [toSub(raw)];
    } else if (sub.length) {
      // Auth API style: details live in errors[]; the OAuth `error` member is only a fallback code.
      errors = sub.map(toSub);
      code = str(raw.code) ?? uniqueSubCode() ?? str(raw.error);
      messages = errors.map((e) => e.message).filter((m) => m !== undefined);
      if (!messages.length && rootMessage !== undefined) messages = [rootMessage];
    } else {
      // GCS envelope with string/document detail, OAuth `{error, error_description}`, or anything else.
      code = str(raw.code) ?? str(raw.error);
      if (rootMessage !== undefined) messages = [rootMessage];
      errors = [toSub(raw)];
      if (errors[0].code === undefined) errors[0].code = code;
      if (errors[0].message === undefined) errors[0].message = rootMessage;
    }
    requestId = str(raw.request_id);
    if (requestId === undefined) {
      const ids = new Set(sub.map((e) => str(e.id)).filter((i) => i !== undefined));
      if (ids.size === 1) requestId = [...ids][0];
    }

    const rootParams = parseAuthorizationParameters(raw.authorization_parameters);
    if (rootParams) info.authorizationParameters = rootParams;
    const consent = parseLegacyConsent(raw);
    if (consent) info.consentRequired = consent;
    gare = parseGare(raw);
    for (const e of sub) {
      if (gare) break;
      gare = parseGare(e);
    }
    return { code, messages, requestId, errors, info, gare };
  }
}

export class AuthAPIError extends GlobusAPIError {}

export class GroupsAPIError extends GlobusAPIError {}

export class TransferAPIError extends GlobusAPIError {}

/** GCS Manager API error: the `result#1.x.0` envelope's `detail` may be a string or a typed document. */
export class GCSAPIError extends GlobusAPIError {
  /** `detail` from the envelope (string or document). */
  readonly detail: unknown;
  /** `detail.DATA_TYPE` when `detail` is a document, e.g. `authentication_timeout#1.1.0`. */
  readonly detailDataType: string | undefined;
  /** `data[]` from the envelope (documents describing the failure), if any. */
  readonly data: unknown[];
  constructor(init: GlobusAPIErrorInit) {
    super(init);
    const raw = isObject(this.raw) ? this.raw : {};
    this.detail = raw.detail;
    this.detailDataType = isObject(raw.detail) ? str(raw.detail.DATA_TYPE) : undefined;
    this.data = Array.isArray(raw.data) ? raw.data : [];
  }
}

/** A constructor of GlobusAPIError or a subclass, as BaseClient needs it. */
export type GlobusAPIErrorClass = new (init: GlobusAPIErrorInit) => GlobusAPIError;

/** Reads everything an error needs from a Response (consumes the body). */
export async function readErrorInit(response: Response, request?: { method?: string; url?: string }): Promise<GlobusAPIErrorInit> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // A body that fails mid-read still leaves status and headers worth reporting.
  }
  return { httpStatus: response.status, headers: response.headers, text, method: request?.method, url: request?.url ?? response.url };
}
