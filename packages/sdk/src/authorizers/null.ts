// NullAuthorizer: sends no Authorization header (public routes such as GCS /api/info and native-app token calls).
import type { Authorizer } from './authorizer.ts';

export class NullAuthorizer implements Authorizer {
  async getAuthorizationHeader(): Promise<string | undefined> {
    return undefined;
  }
  async handleMissingAuthorization(): Promise<boolean> {
    return false;
  }
}
