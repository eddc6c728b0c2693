// The Authorizer interface every request path uses to obtain (and renew) an Authorization header.

export interface Authorizer {
  /** The full header value (`Bearer …`, `Basic …`) or undefined to send none. */
  getAuthorizationHeader(): Promise<string | undefined>;
  /**
   * Called once after a 401. Return true if credentials were renewed (or invalidated so the next
   * getAuthorizationHeader() renews them) and the request is worth retrying.
   */
  handleMissingAuthorization(): Promise<boolean>;
}
