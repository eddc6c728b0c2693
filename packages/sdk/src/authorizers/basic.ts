// BasicAuthorizer: HTTP Basic credentials, as confidential clients authenticate to Globus Auth.
import type { Authorizer } from './authorizer.ts';

/** base64 of a UTF-8 string without relying on Node's Buffer. */
function base64Utf8(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export class BasicAuthorizer implements Authorizer {
  readonly username: string;
  readonly #header: string;
  constructor(username: string, password: string) {
    this.username = username;
    this.#header = `Basic ${base64Utf8(`${username}:${password}`)}`;
  }
  async getAuthorizationHeader(): Promise<string | undefined> {
    return this.#header;
  }
  async handleMissingAuthorization(): Promise<boolean> {
    return false;
  }
}
