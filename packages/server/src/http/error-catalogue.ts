// Error catalogues: each service lists its codes once — status and default message, typed — and makes its ApiErrors from that list.
import { ApiError, NEUTRAL_ERRORS, type NeutralCode } from './errors.ts';

export interface ErrorEntry {
  readonly status: number;
  readonly message: string;
}

export interface ErrorCatalogue<C extends string> {
  /** the service whose envelope these codes belong to */
  readonly service: string;
  readonly entries: Readonly<Record<C, ErrorEntry>>;
  /**
   * The ApiError for `code`: the catalogue's status (or `status`, for a code whose status follows its
   * cause, such as a storage failure), the message given (else the catalogue's), extra members.
   */
  error(code: C, message?: string, extra?: Record<string, unknown>, status?: number): ApiError;
  /**
   * The code this service's envelope shows for `error`: its own code when this catalogue made it, else the
   * catalogue's code for the error's status (framework errors, and errors of shared modules such as a
   * missing token, which every service names its own way).
   */
  codeOf(error: ApiError): C;
  /** the catalogue's code for a status */
  forStatus(status: number): C;
}

/** Which code a status becomes when an error comes from elsewhere. */
export interface CatalogueDefaults<C extends string> {
  /** the code of each status that has a generic one (its status is the entry's) */
  codes: readonly C[];
  /** statuses named by a code of another status (a 413 that Transfer calls BadRequest) */
  also?: Readonly<Record<number, C>>;
  /** any other status (5xx become the entry of status 500 when there is one) */
  fallback: C;
}

/** Defines a catalogue from its entries and the codes errors of each status default to. */
export function defineErrors<const E extends Record<string, ErrorEntry>>(
  service: string,
  entries: E,
  defaults: CatalogueDefaults<keyof E & string>,
): ErrorCatalogue<keyof E & string> {
  type C = keyof E & string;
  const byStatus = new Map<number, C>([
    ...defaults.codes.map((code) => [entries[code].status, code] as const),
    ...Object.entries(defaults.also ?? {}).map(([status, code]) => [Number(status), code] as const),
  ]);
  const serverError = Object.keys(entries).find((code) => entries[code].status === 500) as C | undefined;
  return {
    service,
    entries,
    error(code: C, message?: string, extra: Record<string, unknown> = {}, status?: number) {
      const entry = entries[code];
      return new ApiError(status ?? entry.status, code, message ?? entry.message, extra, service);
    },
    codeOf(error: ApiError): C {
      if (error.service === service && Object.hasOwn(entries, error.code)) return error.code as C;
      return this.forStatus(error.status);
    },
    forStatus(status: number): C {
      return byStatus.get(status) ?? (status >= 500 && serverError ? serverError : defaults.fallback);
    },
  };
}

/** The neutral entries (http/errors.ts) under a service's spelling of their names: Auth's identity API upper-cases them. */
export function neutralEntries<const N extends string>(rename: (code: NeutralCode) => N): Record<N, ErrorEntry> {
  return Object.fromEntries(Object.entries(NEUTRAL_ERRORS).map(([code, entry]) => [rename(code as NeutralCode), entry])) as Record<N, ErrorEntry>;
}
