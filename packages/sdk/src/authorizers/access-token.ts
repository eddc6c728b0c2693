// AccessTokenAuthorizer: a fixed Bearer token that cannot be renewed.
import type { Authorizer } from './authorizer.ts';

export class AccessTokenAuthorizer implements Authorizer {
  readonly accessToken: string;
  constructor(accessToken: string) {
    this.accessToken = accessToken;
  }
  async getAuthorizationHeader(): Promise<string | undefined> {
    return `Bearer ${this.accessToken}`;
  }
  async handleMissingAuthorization(): Promise<boolean> {
    return false;
  }
}
