// Error catalogues: each service lists its codes once — status and default message, typed — and makes its ApiErrors from that list.
import { ApiError } from './errors.ts';

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

/**
 * Defines a catalogue. `byStatus` names the code each status becomes when an error comes from elsewhere;
 * `fallback` covers any other status (5xx become the entry of status 500 when there is one).
 */
export function defineErrors<const E extends Record<string, ErrorEntry>>(
  service: string,
  entries: E,
  byStatus: Readonly<Record<number, keyof E & string>>,
  fallback: keyof E & string,
): ErrorCatalogue<keyof E & string> {
  type C = keyof E & string;
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
      return byStatus[status] ?? (status >= 500 && serverError ? serverError : fallback);
    },
  };
}
